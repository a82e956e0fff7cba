"""Capsule fill by volume: shell sizes, filler bulk densities, fill weight, the size that fits.

A capsule holds a **volume**; how many milligrams of blend that is depends on the blend's bulk
density. ldn plans the fill at the filler grade's *lowest* loose bulk density, so the planned
mass fits the shell even with the lightest lot::

    capacity_mg(size, rho) = V_size [mL] x rho [g/mL] x 1000
    fill_mg                = floor(capacity_mg(size, rho_low), 0.1 mg)
    fill_volume_mL         = fill_mg / (rho_low x 1000)  <=  V_size

A denser lot then leaves the shell slightly under-full at the same (correct) mass. The blend is
assumed to have the filler's bulk density (LDN is a few % of the fill); the calibration step of
the worksheet measures the real fill of the lot, and a calibrated fill replaces the planned one.

A size *fits* when the active powder of one capsule is no more than the fill, and the fill is at
least the balance's minimum weight (so each capsule's fill can be checked on that balance).

References
----------
Shell volumes: capsule makers' charts (Capsule CN; ACG as transcribed) — where they differ
(#5: 0.13 vs 0.10 mL) ldn takes the smaller. Bulk densities: IFF product data for Avicel PH-102,
PH-112 and PH-301. Filler choice: The Compounder (Avicel usual; avoid calcium carbonate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from ldn.domain.errors import InputError
from ldn.domain.facts import Fact

__all__ = [
    "AVOID_FILLER",
    "CAPSULE_SIZES",
    "CAPSULE_VOLUME_ML",
    "FILLERS",
    "FILLER_BULK_DENSITY_G_ML",
    "FILLER_NAMES",
    "IMMEDIATE_RELEASE_ONLY",
    "CapsuleFill",
    "CapsuleSize",
    "FillerGrade",
    "capsule_capacity_mg",
    "plan_fill",
]

CapsuleSize = Literal["000", "00", "0", "1", "2", "3", "4", "5"]
FillerGrade = Literal["avicel_ph102", "avicel_ph112", "avicel_ph301"]

#: smallest first: the order in which ldn tries sizes
CAPSULE_SIZES: tuple[CapsuleSize, ...] = ("5", "4", "3", "2", "1", "0", "00", "000")
_SIZE_SOURCES = ("capsulcn-capsule-sizes", "acg-capsule-sizes")
CAPSULE_VOLUME_ML: dict[str, Fact[float]] = {
    "000": Fact(1.37, unit="mL", sources=_SIZE_SOURCES),
    "00": Fact(0.95, unit="mL", sources=_SIZE_SOURCES),
    "0": Fact(0.68, unit="mL", sources=_SIZE_SOURCES),
    "1": Fact(0.50, unit="mL", sources=_SIZE_SOURCES),
    "2": Fact(0.37, unit="mL", sources=_SIZE_SOURCES),
    "3": Fact(0.30, unit="mL", sources=_SIZE_SOURCES),
    "4": Fact(0.21, unit="mL", sources=_SIZE_SOURCES),
    "5": Fact(0.10, unit="mL", sources=_SIZE_SOURCES,
              note="Charts differ (0.13 and 0.10 mL); ldn takes the smaller so a fill never exceeds the shell."),
}  # fmt: skip
FILLERS: tuple[FillerGrade, ...] = ("avicel_ph102", "avicel_ph112", "avicel_ph301")
FILLER_BULK_DENSITY_G_ML: dict[str, Fact[tuple[float, float]]] = {
    "avicel_ph102": Fact((0.28, 0.33), unit="g/mL (loose bulk, low-high)", sources=("iff-avicel-ph102",),
                         note="Microcrystalline cellulose, 100 um; the usual LDN filler."),
    "avicel_ph112": Fact((0.28, 0.34), unit="g/mL (bulk, low-high)", sources=("iff-avicel-ph112",),
                         note="Microcrystalline cellulose, 100 um, low moisture."),
    "avicel_ph301": Fact((0.34, 0.45), unit="g/mL (bulk, low-high)", sources=("iff-avicel-ph301",),
                         note="High-density microcrystalline cellulose, 50 um."),
}  # fmt: skip
FILLER_NAMES: dict[str, str] = {
    "avicel_ph102": "microcrystalline cellulose (Avicel PH-102)",
    "avicel_ph112": "microcrystalline cellulose (Avicel PH-112)",
    "avicel_ph301": "microcrystalline cellulose (Avicel PH-301)",
}
AVOID_FILLER = Fact(
    "calcium carbonate",
    unit="",
    sources=("thecompounder-fillers", "swidan-ldn-chapter"),
    note="Reported to reduce absorption or interfere.",
)
IMMEDIATE_RELEASE_ONLY = Fact(
    True,
    unit="",
    sources=("ifmsynergy-ldnrt",),
    note="LDN Research Trust: immediate release, not slow release.",
)


def _check_filler(filler: str) -> None:
    if filler not in FILLER_BULK_DENSITY_G_ML:
        raise InputError.at(
            "filler", f"unknown filler grade {filler!r}", f"use one of {', '.join(FILLERS)}"
        )


def capsule_capacity_mg(*, size: str, filler: str) -> tuple[float, float]:
    """Blend mass (mg) one shell holds at the filler's low and high bulk density: ``V x rho x 1000``."""
    if size not in CAPSULE_VOLUME_ML:
        raise InputError.at(
            "capsule_size",
            f"unknown capsule size {size!r}",
            f"use one of {', '.join(CAPSULE_SIZES)}",
        )
    _check_filler(filler)
    volume_ml = CAPSULE_VOLUME_ML[size].value
    lo, hi = FILLER_BULK_DENSITY_G_ML[filler].value
    return volume_ml * lo * 1000.0, volume_ml * hi * 1000.0


@dataclass(frozen=True, slots=True)
class CapsuleFill:
    """The shell, filler and blend mass per capsule chosen for a batch."""

    size: str
    volume_ml: float
    filler: str
    density_g_ml: tuple[float, float]
    fill_mg: float
    calibrated: bool = False

    @property
    def capacity_mg(self) -> tuple[float, float]:
        """What the shell holds at the filler's low and high bulk density."""
        return capsule_capacity_mg(size=self.size, filler=self.filler)

    @property
    def fill_volume_ml(self) -> float:
        """Volume of the fill at the lowest bulk density (the worst case): ``fill / (rho_low x 1000)``."""
        return self.fill_mg / (self.density_g_ml[0] * 1000.0)

    @property
    def filler_name(self) -> str:
        return FILLER_NAMES[self.filler]


def _planned_fill_mg(size: str, filler: str) -> float:
    low, _ = capsule_capacity_mg(size=size, filler=filler)
    return math.floor(low * 10.0 + 1e-6) / 10.0


def plan_fill(
    *,
    active_per_capsule_mg: float,
    filler: str = "avicel_ph102",
    size: str | None = None,
    min_fill_mg: float = 0.0,
    calibrated_fill_mg: float | None = None,
) -> CapsuleFill:
    """The smallest shell that fits (or check the one asked for).

    ``active_per_capsule_mg`` is the active powder in one capsule (API powder, or crushed tablet
    powder); ``min_fill_mg`` the balance's minimum weight. A ``calibrated_fill_mg`` (mean net
    fill of 10 shells filled with the filler, measured for this lot) needs its ``size``.
    """
    _check_filler(filler)
    if calibrated_fill_mg is not None:
        if size is None:
            raise InputError.at(
                "capsule_size",
                "a calibrated fill belongs to one capsule size",
                "give the size you calibrated, e.g. capsule_size='3'",
            )
        if calibrated_fill_mg <= 0:
            raise InputError.at(
                "calibrated_fill_mg",
                "the calibrated fill must be positive",
                "weigh 10 filled shells, subtract 10 empty ones, divide by 10",
            )
    candidates = CAPSULE_SIZES if size is None else (size,)
    for s in candidates:
        capsule_capacity_mg(size=s, filler=filler)  # validates the size
        fill = calibrated_fill_mg if calibrated_fill_mg is not None else _planned_fill_mg(s, filler)
        if active_per_capsule_mg <= fill and fill >= min_fill_mg:
            return CapsuleFill(
                s,
                CAPSULE_VOLUME_ML[s].value,
                filler,
                FILLER_BULK_DENSITY_G_ML[filler].value,
                round(fill, 3),
                calibrated=calibrated_fill_mg is not None,
            )
    fitting = [
        s
        for s in CAPSULE_SIZES
        if active_per_capsule_mg <= _planned_fill_mg(s, filler)
        and _planned_fill_mg(s, filler) >= min_fill_mg
    ]
    holds_active = [
        s for s in CAPSULE_SIZES if active_per_capsule_mg <= _planned_fill_mg(s, filler)
    ]
    use_fitting = (
        f"use size #{fitting[0]} (the smallest that fits) or leave the size to ldn"
        if fitting
        else ""
    )
    if size is not None:
        fill = (
            calibrated_fill_mg if calibrated_fill_mg is not None else _planned_fill_mg(size, filler)
        )
        if active_per_capsule_mg > fill:
            why = f"holds {fill:g} mg of blend, less than the {active_per_capsule_mg:.1f} mg of active powder per capsule"
            fix = use_fitting or (
                f"use size #{holds_active[0]} with a more sensitive balance"
                if holds_active
                else "split the dose over two capsules or choose a smaller strength"
            )
        else:
            why = f"holds {fill:g} mg of blend, below the balance's minimum weight {min_fill_mg:g} mg, so the fill cannot be checked"
            fix = use_fitting or "use a balance with a smaller minimum weight"
        raise InputError.at("capsule_size", f"a size #{size} capsule {why}", fix)
    raise InputError.at(
        "strength_mg",
        f"no capsule size holds {active_per_capsule_mg:.1f} mg of active powder with "
        f"a fill of at least {min_fill_mg:g} mg",
        "split the dose over two capsules or choose a smaller strength",
    )
