"""A prescription's way through the pharmacy: status, per-strength progress, fills.

::

    issued ──batch──▶ compounding ──every strength made──▶ ready ──dispense──▶ dispensed
       │                  │   ▲ void                          │                  │ refill due:
       └──────────────────┴───┴──── cancel (with a reason) ───┘                  ▼ next batch
                                                                     compounding (fill 2) ...

The prescription covers the schedule to the assessment date in one or more *fills* (refills
when the beyond-use date ends first; :func:`ldn.domain.compounding.plan_supply`). The status is
that of the current fill: it is **ready** only when every strength of the fill has been made in
the quantity the fill needs (void batches do not count), and **dispensed** when the pharmacist
hands it over; a batch for the next fill starts that fill. A fully dispensed or cancelled
prescription takes no more batches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ldn.domain.errors import ConflictError, InputError

__all__ = [
    "RX_STATUSES",
    "StrengthProgress",
    "check_can_cancel",
    "check_can_dispense",
    "fill_needs",
    "fill_progress",
    "status_for",
    "strength_key",
]

RX_STATUSES = ("issued", "compounding", "ready", "dispensed", "cancelled")
#: rows written before the status list: "compounded" meant "a batch was recorded"
LEGACY = {"compounded": "compounding"}


def strength_key(value: float) -> str:
    """How a strength is named everywhere: ``1.5`` -> ``"1.5"`` (the liquid is ``"liquid"``)."""
    return f"{value:g}"


@dataclass(frozen=True, slots=True)
class StrengthProgress:
    """One strength of the current fill: what it needs, what has been made."""

    key: str  # "1.5" (mg capsules) or "liquid"
    label: str  # "1.5 mg capsules" or "1 mg/mL oral liquid"
    needed: float
    made: float
    unit: str

    @property
    def done(self) -> bool:
        return self.made >= self.needed - 1e-9

    @property
    def remaining(self) -> float:
        return max(0.0, self.needed - self.made)

    @property
    def status(self) -> str:
        return "made" if self.done else ("in progress" if self.made > 0 else "to make")

    def as_dict(self) -> dict[str, Any]:
        return {
            "strength": self.key,
            "label": self.label,
            "needed": self.needed,
            "made": self.made,
            "unit": self.unit,
            "remaining": self.remaining,
            "status": self.status,
        }


def fill_needs(fill: dict[str, Any], *, form: str) -> dict[str, float]:
    """Quantity per strength key of one fill (``Fill.as_dict()``)."""
    if form == "liquid":
        return {"liquid": float(fill["volume_ml"])}
    return {strength_key(float(c["strength_mg"])): float(c["count"]) for c in fill["capsules"]}


def fill_progress(
    needs: dict[str, float], made: Iterable[tuple[str, float]], *, form: str
) -> tuple[StrengthProgress, ...]:
    """Progress of each strength: ``made`` is (key, units) of each valid batch of the fill."""
    total: dict[str, float] = {}
    for key, units in made:
        total[key] = total.get(key, 0.0) + units
    if form == "liquid":
        return (
            StrengthProgress(
                "liquid",
                "1 mg/mL oral liquid",
                needs.get("liquid", 0.0),
                total.get("liquid", 0.0),
                "mL",
            ),
        )
    return tuple(
        StrengthProgress(k, f"{k} mg capsules", n, total.get(k, 0.0), "capsules")
        for k, n in sorted(needs.items(), key=lambda kv: float(kv[0]))
    )


def status_for(progress: Iterable[StrengthProgress], *, dispensed: bool = False) -> str:
    """The status of the current fill from its progress."""
    items = tuple(progress)
    if dispensed:
        return "dispensed"
    if items and all(p.done for p in items):
        return "ready"
    return "compounding" if any(p.made > 0 for p in items) else "issued"


def check_can_dispense(status: str) -> None:
    status = LEGACY.get(status, status)
    if status != "ready":
        raise ConflictError(
            f"a prescription that is {status} cannot be dispensed",
            fix="make every strength of this fill first (the status must be ready)",
        )


def check_can_cancel(status: str, *, reason: str, refills_left: int) -> str:
    """The reason, stripped, if the prescription may be cancelled."""
    status = LEGACY.get(status, status)
    if status == "cancelled":
        raise ConflictError("this prescription is already cancelled", fix="nothing to do")
    if status == "dispensed" and refills_left == 0:
        raise ConflictError(
            "this prescription has been dispensed in full", fix="nothing is left to cancel"
        )
    if not reason.strip():
        raise InputError.at(
            "reason", "say why the prescription is cancelled", "e.g. 'plan changed: liquid instead'"
        )
    return reason.strip()
