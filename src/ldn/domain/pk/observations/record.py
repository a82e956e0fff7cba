"""The record of one published summary value (:class:`Observation`) and its vocabularies.

See :mod:`ldn.domain.pk.observations` for what the fields mean and how the fit uses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["DAILY_50MG", "SINGLE_50MG", "Analyte", "Observation", "Quantity"]

Analyte = Literal["ntx", "6bn", "ntx+6bn", "6bn/ntx", "mu"]
Quantity = Literal[
    "cmax",
    "tmax",
    "auc_0_24",
    "auc_0_t",
    "auc_0_inf",
    "half_life",
    "disposition_half_life",
    "ratio_at",
    "conc_at",
    "occupancy_mean",
    "occupancy_at",
    "blockade_half_time",
]


@dataclass(frozen=True, slots=True)
class Observation:
    """One published summary value (see the module doc)."""

    id: str
    study: str
    sources: tuple[str, ...]
    population: str
    dose_mg: float
    formulation: str
    analyte: Analyte
    quantity: Quantity
    value: float | None
    unit: str
    quote: str
    use: Literal["fit", "held-out"]
    sd: float | None = None
    n: int | None = None
    low: float | None = None
    high: float | None = None
    interval_h: float | None = (
        None  # repeated dosing every interval_h (steady state), else one dose
    )
    n_doses: int = 1
    time_h: float | None = None  # after the (last) dose
    window_h: tuple[float, float] | None = None
    note: str = ""

    @property
    def scale(self) -> Literal["log", "logit"]:
        return "logit" if self.analyte == "mu" and self.quantity != "blockade_half_time" else "log"


#: one 50 mg naltrexone HCl tablet
SINGLE_50MG: dict[str, Any] = {"dose_mg": 50.0, "formulation": "tablet"}
#: 50 mg naltrexone HCl tablets every 24 h, compared after the 14th dose (steady state)
DAILY_50MG: dict[str, Any] = {
    "dose_mg": 50.0,
    "formulation": "tablet",
    "interval_h": 24.0,
    "n_doses": 14,
}
