"""The dispensing label of a compounded batch (and of a blinded trial bottle).

USP <795> labels a compounded preparation with an identification number (Rx and lot), the
active ingredient, strength and form, the quantity, the beyond-use date, the route, storage and
handling, warnings, the statement that it was compounded, and the compounding facility with its
contact (read in secondary summaries, see the ``usp-795-2023`` source). ldn adds the patient,
the directions with route and time, the prescriber, and "keep out of reach of children".

A trial bottle's label says "bottle A" or "bottle B" and never what is in it: both bottles carry
the same words apart from the letter, so the label cannot unblind the patient or the clinician.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ldn.domain.compounding import Supply, liquid_dose_ml
from ldn.domain.prescription import ROUTE, timing_words
from ldn.domain.titration import TitrationPlan

__all__ = ["KEEP_AWAY", "DispensingLabel", "Pharmacy", "label_directions", "trial_directions"]

KEEP_AWAY = "Keep out of reach of children."
OPIOID_WARNING = "Blocks opioid painkillers: do not take opioids with it; tell every clinician you take naltrexone."
SHAKE = "Shake well before each dose."
LABEL_SOURCES = ("usp-795-2023", "usp-659", "dailymed-naltrexone-label")


@dataclass(frozen=True, slots=True)
class Pharmacy:
    """The compounding pharmacy on the label (a clinic setting: ``LDN_PHARMACY_NAME``/``_PHONE``)."""

    name: str
    phone: str

    def line(self) -> str:
        name = self.name or "Pharmacy: ______________"
        return f"{name} · Tel. {self.phone or '______________'}"


def _ranges(plan: TitrationPlan, first: date, last: date) -> list[tuple[date, date, float, str]]:
    """(from, to, dose, timing) of the schedule between ``first`` and ``last``."""
    out: list[tuple[date, date, float, str]] = []
    steps = plan.steps
    for i, s in enumerate(steps):
        end = steps[i + 1].start - timedelta(days=1) if i + 1 < len(steps) else last
        lo, hi = max(s.start, first), min(end, last)
        if lo <= hi:
            out.append((lo, hi, s.dose_mg, s.timing))
    return out


def label_directions(
    plan: TitrationPlan, *, supply: Supply, strength_mg: float, first: date, last: date
) -> str:
    """Directions for the bottle of ``strength_mg`` capsules (or the liquid) from ``first`` to
    ``last``: how many, by mouth, when, on which dates."""
    parts = []
    for lo, hi, dose, timing in _ranges(plan, first, last):
        span = f"from {lo.isoformat()} to {hi.isoformat()}"
        if supply.form == "liquid":
            parts.append(
                f"{liquid_dose_ml(dose_mg=dose):g} mL ({dose:g} mg) {timing_words(timing)} {span}"
            )
            continue
        combo = next((c for c in supply.combinations if abs(c.dose_mg - dose) < 1e-6), None)
        n = (
            dict(combo.capsules).get(strength_mg, 0)
            if combo
            else (1 if abs(dose - strength_mg) < 1e-6 else 0)
        )
        if n:
            others = " with your other capsules" if combo and len(combo.capsules) > 1 else ""
            parts.append(f"{n} capsule{'s' if n > 1 else ''}{others} {timing_words(timing)} {span}")
    if not parts:
        return f"Take {ROUTE} once daily as your schedule shows."
    how = " with the oral syringe" if supply.form == "liquid" else ""
    return f"Take {ROUTE} once daily{how}: " + "; ".join(parts) + "."


def trial_directions(*, bottle: str, timing: str = "bedtime") -> str:
    return (
        f"Take 1 capsule {ROUTE} once daily {timing_words(timing)} on the days your trial "
        f"calendar marks with bottle {bottle}."
    )


@dataclass(frozen=True, slots=True)
class DispensingLabel:
    """Everything on the label, as data (``fields``) and as the printed text (``text``)."""

    pharmacy: Pharmacy
    rx_number: str
    lot: str
    patient: str
    medicine: str
    quantity: str
    directions: str
    compounded_on: date
    beyond_use: date
    storage: str
    prescriber: str
    liquid: bool = False
    extra_warnings: Sequence[str] = ()
    opioid_warning: str = OPIOID_WARNING

    @property
    def warnings(self) -> tuple[str, ...]:
        return (
            *((SHAKE,) if self.liquid else ()),
            *self.extra_warnings,
            self.opioid_warning,
            KEEP_AWAY,
        )

    def fields(self) -> dict[str, Any]:
        return {
            "pharmacy": self.pharmacy.name,
            "pharmacy_phone": self.pharmacy.phone,
            "rx_number": self.rx_number,
            "lot": self.lot,
            "patient": self.patient,
            "medicine": self.medicine,
            "compounded": True,
            "quantity": self.quantity,
            "directions": self.directions,
            "route": ROUTE,
            "compounded_on": self.compounded_on.isoformat(),
            "beyond_use": self.beyond_use.isoformat(),
            "storage": self.storage,
            "prescriber": self.prescriber,
            "warnings": list(self.warnings),
            "source_ids": list(LABEL_SOURCES),
        }

    def text(self) -> str:
        return "\n".join(
            [
                self.pharmacy.line(),
                f"{self.rx_number}   Lot {self.lot}   Compounded {self.compounded_on.isoformat()}",
                f"Patient: {self.patient}",
                f"{self.medicine} — COMPOUNDED — {self.quantity}",
                self.directions,
                f"Do not use after {self.beyond_use.isoformat()}. Store: {self.storage}.",
                f"Prescriber: {self.prescriber or '______________'}",
                *self.warnings,
            ]
        )
