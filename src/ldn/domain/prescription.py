"""The prescription for compounded LDN: who prescribes, for whom, what, how much, how to take it.

What it carries (issue 25, "Documents"): the date; the prescriber's name, licence number and
clinic; the patient's name, date of birth and age; the diagnosis (ICD-10); allergies
(naltrexone hypersensitivity, the one allergy ldn records); the medicine and form; the quantity
of each strength and the refills from :func:`ldn.domain.compounding.plan_supply` up to the
assessment date; directions with route and time for every step of the schedule; the target and
maximum dose; the review date; a signature line.

The document is data (:meth:`PrescriptionDoc.fields`, kept with the prescription and shown by
the web and the API) and plain text (:meth:`PrescriptionDoc.text`, ``prescription.txt``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ldn.domain.compounding import Supply, liquid_dose_ml, plan_supply
from ldn.domain.patient import PatientRecord
from ldn.domain.titration import TitrationPlan
from ldn.domain.vocabulary import CONDITIONS

__all__ = [
    "MEDICINE",
    "ROUTE",
    "Prescriber",
    "PrescriptionDoc",
    "RxPatient",
    "dose_directions",
    "make_prescription",
    "prescription_text",
    "timing_words",
]

MEDICINE = "Naltrexone hydrochloride (low-dose naltrexone), COMPOUNDED"
#: LDN is taken by mouth (capsules, or the oral liquid measured with an oral syringe)
ROUTE = "by mouth"
_TIMING = {"bedtime": "at bedtime", "morning": "in the morning"}
_FORMS = {
    "capsule": "immediate-release capsules; filler microcrystalline cellulose (no calcium carbonate)",
    "liquid": "oral liquid 1 mg/mL (Fawcett 1997 formula), amber bottle, refrigerate, shake well",
}
_BLANK = "______________________"


def timing_words(timing: str) -> str:
    """``bedtime`` -> ``at bedtime``; ``morning`` -> ``in the morning``."""
    return _TIMING.get(timing, f"at {timing}")


@dataclass(frozen=True, slots=True)
class Prescriber:
    """Who signs: from the logged-in clinician's profile (or the command line's options)."""

    name: str
    licence: str = ""
    clinic: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "licence": self.licence, "clinic": self.clinic}


@dataclass(frozen=True, slots=True)
class RxPatient:
    """What the prescription says about the patient (from the record)."""

    name: str
    record_id: str
    birth_date: date | None
    age_years: int
    sex: str
    diagnoses: tuple[str, ...]
    naltrexone_hypersensitivity: bool = False

    @classmethod
    def from_record(cls, record: PatientRecord) -> RxPatient:
        diagnoses = []
        # the conditions LDN is prescribed for first, then the others
        for c in sorted(
            record.conditions,
            key=lambda c: not (CONDITIONS.get(c.code) and CONDITIONS[c.code].ldn_relevant),
        ):
            if c.status == "resolved":
                continue
            info = CONDITIONS.get(c.code)
            text = (c.display or info.display) if info else (c.display or c.code)
            code = f" (ICD-10 {info.icd10})" if info and info.icd10 else ""
            diagnoses.append(text + code + (" — suspected" if c.status == "suspected" else ""))
        return cls(
            record.display_name or record.id,
            record.id,
            record.birth_date,
            record.age_years,
            record.sex,
            tuple(diagnoses),
            record.naltrexone_hypersensitivity,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "record_id": self.record_id,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "age_years": self.age_years,
            "sex": self.sex,
            "diagnoses": list(self.diagnoses),
            "naltrexone_hypersensitivity": self.naltrexone_hypersensitivity,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RxPatient:
        born = d.get("birth_date")
        return cls(
            str(d.get("name", "")),
            str(d.get("record_id", "")),
            date.fromisoformat(born) if born else None,
            int(d.get("age_years", 0)),
            str(d.get("sex", "")),
            tuple(d.get("diagnoses", ())),
            bool(d.get("naltrexone_hypersensitivity", False)),
        )

    def allergies(self) -> str:
        if self.naltrexone_hypersensitivity:
            return "NALTREXONE HYPERSENSITIVITY recorded — do not dispense"
        return "Naltrexone hypersensitivity: none recorded. Other allergies: not recorded in ldn; check before dispensing."


def dose_directions(*, dose_mg: float, timing: str, form: str, supply: Supply | None = None) -> str:
    """One dose, with route and time: "Take 1 x 1.5 mg capsule (1.5 mg) by mouth once daily at
    bedtime" (capsule combinations as the supply makes them), or the liquid in mL."""
    when = f"{ROUTE} once daily {timing_words(timing)}"
    if form == "liquid":
        return f"Take {liquid_dose_ml(dose_mg=dose_mg):g} mL ({dose_mg:g} mg) {when}, measured with the oral syringe"
    combo = (
        next((c for c in supply.combinations if abs(c.dose_mg - dose_mg) < 1e-6), None)
        if supply
        else None
    )
    caps = combo.describe() if combo else f"1 x {dose_mg:g} mg"
    n = combo.count if combo else 1
    return f"Take {caps} capsule{'s' if n > 1 else ''} ({dose_mg:g} mg) {when}"


@dataclass(frozen=True, slots=True)
class PrescriptionDoc:
    """A prescription for ``plan``: quantities and refills from ``supply``."""

    issued_on: date
    prescriber: Prescriber
    patient: RxPatient
    plan: TitrationPlan
    supply: Supply
    number: int | None = None  # None: a draft (the preview before it is sent)

    @property
    def form(self) -> str:
        return self.supply.form

    def quantities(self) -> list[dict[str, Any]]:
        if self.form == "liquid":
            total = sum(f.volume_ml for f in self.supply.fills)
            return [{"item": "naltrexone HCl 1 mg/mL oral liquid", "quantity": total, "unit": "mL"}]
        return [
            {
                "item": f"naltrexone HCl {s:g} mg capsules",
                "strength_mg": s,
                "quantity": n,
                "unit": "capsules",
            }
            for s, n in self.supply.capsules_total().items()
        ]

    def fills(self) -> list[dict[str, Any]]:
        return [
            {
                "number": f.number,
                "dispense_from": f.compound_on.isoformat(),
                "covers_from": f.first_day.isoformat(),
                "covers_to": f.last_day.isoformat(),
                "quantity": f.describe() if self.form == "capsule" else f"{f.volume_ml:g} mL",
            }
            for f in self.supply.fills
        ]

    def directions(self) -> list[dict[str, str]]:
        """The steps of the schedule the supply covers (a plan started earlier: from today)."""
        steps, first, out = self.plan.steps, self.supply.first_day, []
        for i, s in enumerate(steps):
            ends = steps[i + 1].start if i + 1 < len(steps) else None
            if s.start > self.supply.through or (ends is not None and ends <= first):
                continue
            text = dose_directions(
                dose_mg=s.dose_mg, timing=s.timing, form=self.form, supply=self.supply
            )
            out.append({"from": max(s.start, first).isoformat(), "text": text})
        return out

    def fields(self) -> dict[str, Any]:
        """Everything the prescription says, as data."""
        p = self.plan
        return {
            "rx_number": f"Rx {self.number}" if self.number is not None else "DRAFT — not sent",
            "date": self.issued_on.isoformat(),
            "prescriber": self.prescriber.as_dict(),
            "patient": self.patient.as_dict(),
            "diagnosis": list(self.patient.diagnoses) or ["not recorded"],
            "allergies": self.patient.allergies(),
            "medicine": MEDICINE,
            "form": self.form,
            "form_text": _FORMS[self.form],
            "quantities": self.quantities(),
            "fills": self.fills(),
            "refills": self.supply.refills,
            "supply_through": self.supply.through.isoformat(),
            "directions": self.directions(),
            "route": ROUTE,
            "target_mg": p.target_mg,
            "max_mg": p.max_mg,
            "review_on": p.assessment_date.isoformat(),
            "notes": [
                "Off-label use for chronic pain, discussed with the patient.",
                "Do not combine with opioid analgesics (naltrexone blocks them; withdrawal if opioids are taken).",
                f"Supply to the assessment date ({self.supply.through.isoformat()}); "
                + (
                    f"{self.supply.refills} refill(s), each compounded on its date (beyond-use date {self.supply.bud_days} days)."
                    if self.supply.refills
                    else "no refill needed."
                ),
            ],
            "source_ids": list(dict.fromkeys((*p.source_ids, *self.supply.source_ids))),
        }

    def text(self) -> str:
        f = self.fields()
        pt, pr = self.patient, self.prescriber
        born = pt.birth_date.isoformat() if pt.birth_date else "not recorded"
        lines = [
            f"PRESCRIPTION  {f['rx_number']}    Date: {f['date']}",
            "",
            f"Prescriber: {pr.name or _BLANK}   Licence no.: {pr.licence or _BLANK}",
            f"Clinic: {pr.clinic or _BLANK}",
            "",
            f"Patient: {pt.name} (record {pt.record_id})",
            f"Date of birth: {born}   Age: {pt.age_years} y   Sex: {pt.sex}",
            f"Diagnosis: {'; '.join(f['diagnosis'])}",
            f"Allergies: {f['allergies']}",
            "",
            f"Rx  {MEDICINE}",
            f"Form: {f['form_text']}",
            *(f"  {q['item']} — quantity {q['quantity']:g} {q['unit']}" for q in f["quantities"]),
            f"Refills: {f['refills']}"
            + "".join(
                f"\n  fill {x['number']}: from {x['dispense_from']}, covers {x['covers_from']} to {x['covers_to']}: {x['quantity']}"
                for x in f["fills"]
            ),
            "",
            "Directions:",
            *(f"  from {d['from']}: {d['text']}" for d in f["directions"]),
            "",
            f"Target {self.plan.target_mg:g} mg daily; do not exceed {self.plan.max_mg:g} mg daily.",
            f"Review response on or after {f['review_on']}.",
            *f["notes"],
            "",
            f"Signature: ______________________   {pr.name or ''}   Date: {f['date']}",
        ]
        return "\n".join(lines) + "\n"


def make_prescription(
    plan: TitrationPlan,
    *,
    form: str,
    patient: RxPatient,
    prescriber: Prescriber,
    issued_on: date,
    number: int | None = None,
) -> PrescriptionDoc:
    """The prescription issued on ``issued_on`` for ``plan`` (supply to the assessment date)."""
    supply = plan_supply(
        plan, form="liquid" if form == "liquid" else "capsule", compounded_on=issued_on
    )
    return PrescriptionDoc(issued_on, prescriber, patient, plan, supply, number)


def prescription_text(
    plan: TitrationPlan, *, form: str, patient: RxPatient, prescriber: Prescriber, issued_on: date
) -> str:
    """``prescription.txt`` for ``ldn plan``."""
    return make_prescription(
        plan, form=form, patient=patient, prescriber=prescriber, issued_on=issued_on
    ).text()
