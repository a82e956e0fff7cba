"""The plan's documents as files: ``plan.json``, the handout (HTML and Markdown), the
prescription, the compounding worksheet and the calendar — written by ``ldn plan --out`` and
written again, all of them, by ``ldn plan adjust --out`` so a change (a switch to morning
dosing, a dose held back) reaches every document.

``plan.json`` carries what the documents need about the patient (name, date of birth,
diagnoses, planned-surgery advice), so an adjustment needs only the plan file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ldn.domain.adjustments import adjust, surgery_advice
from ldn.domain.compounding import (
    BatchRecord,
    Supply,
    first_fill_batches,
    plan_supply,
    worksheet_markdown,
)
from ldn.domain.cost import MonthlyCost, monthly_cost
from ldn.domain.errors import InputError
from ldn.domain.patient import PatientRecord
from ldn.domain.prescription import Prescriber, RxPatient, make_prescription
from ldn.domain.titration import TitrationPlan
from ldn.interop.handout import HandoutContext, evidence_lines, render_handout
from ldn.interop.ical import plan_calendar

if TYPE_CHECKING:
    from ldn.services.standalone.planning import PlanBundle

__all__ = [
    "OUTPUT_FILES",
    "PlanDocuments",
    "adjusted_documents",
    "documents_from_bundle",
    "write_documents",
]

OUTPUT_FILES = (
    "plan.json",
    "handout.html",
    "handout.md",
    "prescription.txt",
    "worksheet.md",
    "plan.ics",
)


@dataclass(frozen=True, slots=True)
class PlanDocuments:
    """Everything the plan's files are made from."""

    data: dict[str, Any]
    patient: RxPatient
    plan: TitrationPlan
    form: str
    supply: Supply
    batches: tuple[BatchRecord, ...]
    cost: MonthlyCost
    surgery: str = ""
    made_on: date | None = None


def _surgery(record: PatientRecord, plan: TitrationPlan) -> str:
    return next(
        (
            surgery_advice(s.date)
            for s in record.planned_surgery
            if s.opioids_expected and s.date >= plan.start - timedelta(days=3)
        ),
        "",
    )


def documents_from_bundle(bundle: PlanBundle, *, today: date) -> PlanDocuments:
    """The documents of a new plan (``ldn plan``)."""
    assert bundle.supply is not None, "make_plan always plans the supply"
    patient = RxPatient.from_record(bundle.record)
    surgery = _surgery(bundle.record, bundle.plan)
    data = {
        **bundle.as_dict(),
        "patient": patient.as_dict(),
        "surgery_advice": surgery,
        "evidence": list(evidence_lines(bundle.record)),
        "made_on": today.isoformat(),
    }
    return PlanDocuments(
        data,
        patient,
        bundle.plan,
        bundle.supply.form,
        bundle.supply,
        bundle.batches,
        bundle.cost,
        surgery,
        today,
    )


def adjusted_documents(
    plan_json: dict[str, Any], *, side_effect: str, on: date, severe: bool, today: date
) -> tuple[TitrationPlan, PlanDocuments]:
    """Adjust the plan of ``plan_json`` (a ``plan.json``) and rebuild every document from it."""
    before = TitrationPlan.from_dict(plan_json.get("plan", plan_json))
    after = adjust(before, side_effect=side_effect, on=on, severe=severe)
    if "patient" not in plan_json:
        raise InputError.at(
            "plan",
            "this plan.json has no patient details (it was written by an older ldn)",
            "make the plan again with `ldn plan RECORD --out DIR`, then adjust that plan.json",
        )
    form: Literal["capsule", "liquid"] = (
        "liquid" if plan_json.get("form") == "liquid" else "capsule"
    )
    patient = RxPatient.from_dict(plan_json["patient"])
    supply = plan_supply(after, form=form, compounded_on=today)
    batches = first_fill_batches(supply, patient=patient.name)
    cost = monthly_cost(form)
    surgery = str(plan_json.get("surgery_advice", ""))
    data = {
        **plan_json,
        "plan": after.as_dict(),
        "batches": [b.as_dict() for b in batches],
        "supply": supply.as_dict(),
        "made_on": today.isoformat(),
    }
    return after, PlanDocuments(data, patient, after, form, supply, batches, cost, surgery, today)


def write_documents(
    docs: PlanDocuments, out_dir: Path, *, prescriber: Prescriber | None = None, today: date
) -> list[Path]:
    """Write the six files into ``out_dir`` (created if missing); returns their paths."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError.at(
            "--out", f"cannot create {out_dir}: {exc.strerror}", "choose a writable folder"
        ) from None
    ctx = HandoutContext(
        docs.patient.name,
        docs.plan,
        docs.form,
        docs.cost,
        docs.surgery,
        docs.supply,
        tuple(str(e) for e in docs.data.get("evidence") or ()),
    )
    rx = make_prescription(
        docs.plan,
        form=docs.form,
        patient=docs.patient,
        prescriber=prescriber or Prescriber(""),
        issued_on=today,
    )
    contents: dict[str, str | bytes] = {
        "plan.json": json.dumps(docs.data, indent=2) + "\n",
        "handout.html": render_handout(ctx, fmt="html"),
        "handout.md": render_handout(ctx, fmt="md"),
        "prescription.txt": rx.text(),
        "worksheet.md": worksheet_markdown(docs.supply, docs.batches),
        "plan.ics": plan_calendar(
            docs.plan,
            patient_id=docs.patient.record_id,
            refills=[(f.number, f.first_day, f.last_day) for f in docs.supply.fills[1:]],
        ),
    }
    written = []
    for name in OUTPUT_FILES:
        path = out_dir / name
        data = contents[name]
        try:
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(data, encoding="utf-8")
        except OSError as exc:
            raise InputError.at(
                "--out", f"cannot write {path}: {exc.strerror}", "choose a writable folder"
            ) from None
        written.append(path)
    return written
