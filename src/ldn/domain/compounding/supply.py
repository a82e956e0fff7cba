"""Quantities from the titration schedule to the assessment date; practical strength sets.

Supply covers every day from the first dose (or the compounding day, if later) to the
**assessment date inclusive** (at least 30 days, for a plan started in the past), so the patient
does not run out before response is judged::

    capsules(strength) = sum over days d of count(strength in the combination for dose(d))
    volume_mL          = sum over days d of dose_mg(d) / 1 mg/mL

Supply is split into fills when the beyond-use date ends before the assessment date: fill 1 is
compounded on ``compounded_on`` (or on the first dose day, if a batch made on ``compounded_on``
would be past its BUD by then); each refill is compounded on the day after the previous fill's
last day and covers at most its own BUD. Liquid fills are rounded up to whole 50 mg tablets
(50 mL at 1 mg/mL).

Strength sets: up to three strengths are made one capsule per dose (the common schedule 1.5 ->
3 -> 4.5 mg). When a schedule has more steps (the slow schedule, nine 0.5 mg steps), the
titration doses are combined from 0.5 and 1.5 mg capsules (the pharmacy order sheet ldn
cites), at most four capsules a dose, and the top dose keeps its own one-capsule strength.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from ldn.domain.compounding.chemistry import TABLET_STRENGTH_MG
from ldn.domain.compounding.dating import CAPSULE_STUDIES, LIQUID_STUDIES, Storage, beyond_use
from ldn.domain.errors import InputError
from ldn.domain.facts import Fact
from ldn.domain.titration import TitrationPlan

__all__ = [
    "LIQUID_CONC_MG_ML",
    "MAX_CAPSULES_PER_DOSE",
    "MAX_STRENGTHS_ONE_PER_DOSE",
    "MIN_SUPPLY_D",
    "TITRATION_CAPSULE_STRENGTHS_MG",
    "DoseCombination",
    "Fill",
    "Supply",
    "liquid_dose_ml",
    "plan_supply",
    "strength_combinations",
]

Form = Literal["capsule", "liquid"]

LIQUID_CONC_MG_ML = Fact(1.0, unit="mg/mL", sources=("fawcett-1997",))
TITRATION_CAPSULE_STRENGTHS_MG = Fact(
    (0.5, 1.5),
    unit="mg",
    sources=("norland-ldn-order-sheet",),
    note="Capsules of 0.5 and 1.5 mg for a titration in 0.5 mg steps.",
)
MAX_STRENGTHS_ONE_PER_DOSE = Fact(
    3,
    unit="strengths",
    sources=("ldn-assumption",),
    note="Up to three strengths are made one capsule per dose; beyond that the titration doses are "
    "combined from the cited 0.5 and 1.5 mg capsules (fewer batches, fewer weighings).",
)
MIN_SUPPLY_D = Fact(
    30,
    unit="d",
    sources=("ldn-assumption",),
    note="Shortest supply ldn plans: when the assessment date is less than 30 days after the first "
    "day to supply (a plan started in the past), ldn supplies 30 days of the current doses.",
)
MAX_CAPSULES_PER_DOSE = Fact(
    4,
    unit="capsules",
    sources=("ldn-assumption",),
    note="Most capsules ldn asks a patient to take for one dose (4 mg = 1.5 + 1.5 + 0.5 + 0.5).",
)


def liquid_dose_ml(*, dose_mg: float) -> float:
    """Volume of the 1 mg/mL liquid for ``dose_mg``: ``dose_mg / 1 mg/mL``."""
    return dose_mg / LIQUID_CONC_MG_ML.value


@dataclass(frozen=True, slots=True)
class DoseCombination:
    """The capsules that make one dose: ``((strength_mg, count), ...)``."""

    dose_mg: float
    capsules: tuple[tuple[float, int], ...]

    @property
    def count(self) -> int:
        return sum(n for _, n in self.capsules)

    def describe(self) -> str:
        return " + ".join(f"{n} x {s:g} mg" for s, n in self.capsules)


def _split(dose_mg: float, small: float, big: float) -> tuple[tuple[float, int], ...] | None:
    n_big = math.floor(dose_mg / big + 1e-9)
    rest = dose_mg - n_big * big
    n_small = round(rest / small)
    if abs(n_small * small - rest) > 1e-6:
        return None
    parts = ((big, n_big), (small, n_small))
    return tuple((s, n) for s, n in parts if n > 0)


def strength_combinations(doses_mg: Sequence[float]) -> tuple[DoseCombination, ...]:
    """One combination per distinct dose (see the module notes), smallest dose first."""
    distinct = sorted({round(d, 6) for d in doses_mg})
    simple = tuple(DoseCombination(d, ((d, 1),)) for d in distinct)
    if len(distinct) <= MAX_STRENGTHS_ONE_PER_DOSE.value:
        return simple
    small, big = TITRATION_CAPSULE_STRENGTHS_MG.value
    top = distinct[-1]
    combos = [DoseCombination(top, ((top, 1),))]
    for d in distinct[:-1]:
        parts = _split(d, small, big)
        if parts is None or sum(n for _, n in parts) > MAX_CAPSULES_PER_DOSE.value:
            return simple
        combos.append(DoseCombination(d, parts))
    return tuple(sorted(combos, key=lambda c: c.dose_mg))


@dataclass(frozen=True, slots=True)
class Fill:
    """One dispensing: compounded on ``compound_on``, covering ``first_day``..``last_day``."""

    number: int
    compound_on: date
    first_day: date
    last_day: date
    beyond_use: date
    capsules: tuple[tuple[float, int], ...] = ()
    volume_ml: float = 0.0
    need_ml: float = 0.0

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def describe(self) -> str:
        if self.capsules:
            return ", ".join(f"{n} x {s:g} mg capsules" for s, n in self.capsules)
        return f"{self.volume_ml:g} mL (needs {self.need_ml:g} mL)"

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "compound_on": self.compound_on.isoformat(),
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "beyond_use": self.beyond_use.isoformat(),
            "capsules": [{"strength_mg": s, "count": n} for s, n in self.capsules],
            "volume_ml": self.volume_ml,
            "need_ml": round(self.need_ml, 3),
        }


@dataclass(frozen=True, slots=True)
class Supply:
    """What to compound, and when, so the patient has doses up to the assessment date."""

    form: Form
    first_day: date
    through: date
    combinations: tuple[DoseCombination, ...]
    fills: tuple[Fill, ...]
    bud_days: int
    source_ids: tuple[str, ...]

    @property
    def refills(self) -> int:
        return len(self.fills) - 1

    def capsules_total(self) -> dict[float, int]:
        total: Counter[float] = Counter()
        for f in self.fills:
            for s, n in f.capsules:
                total[s] += n
        return dict(sorted(total.items()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "form": self.form,
            "first_day": self.first_day.isoformat(),
            "through": self.through.isoformat(),
            "bud_days": self.bud_days,
            "refills": self.refills,
            "combinations": [
                {
                    "dose_mg": c.dose_mg,
                    "dose_ml": liquid_dose_ml(dose_mg=c.dose_mg) if self.form == "liquid" else None,
                    "capsules": [{"strength_mg": s, "count": n} for s, n in c.capsules],
                }
                for c in self.combinations
            ],
            "fills": [f.as_dict() for f in self.fills],
            "source_ids": list(self.source_ids),
        }

    def as_markdown(self) -> str:
        if self.form == "liquid":
            doses = "\n".join(
                f"| {c.dose_mg:g} mg | {liquid_dose_ml(dose_mg=c.dose_mg):g} mL of 1 mg/mL |"
                for c in self.combinations
            )
            head = "| dose | measure with an oral syringe |\n|---|---|\n"
        else:
            doses = "\n".join(f"| {c.dose_mg:g} mg | {c.describe()} |" for c in self.combinations)
            head = "| dose | capsules per dose |\n|---|---|\n"
        fills = "\n".join(
            f"| {f.number} | {f.compound_on.isoformat()} | {f.first_day.isoformat()} to {f.last_day.isoformat()} ({f.days} d) | "
            f"{f.describe()} | {f.beyond_use.isoformat()} |"
            for f in self.fills
        )
        refills = (
            "One fill covers the schedule to the assessment date."
            if not self.refills
            else f"{self.refills} refill(s): each is compounded on its date, because the beyond-use date ({self.bud_days} days) ends before the assessment date."
        )
        return (
            f"## Supply to the assessment date\n\nDoses from {self.first_day.isoformat()} to {self.through.isoformat()} "
            f"(the assessment date, inclusive).\n\n{head}{doses}\n\n"
            f"| fill | compound on | covers | quantity | beyond-use date |\n|---|---|---|---|---|\n{fills}\n\n{refills}\n"
        )


def plan_supply(
    plan: TitrationPlan,
    *,
    form: Form,
    compounded_on: date,
    through: date | None = None,
    storage: Storage | None = None,
) -> Supply:
    """Fills (capsules per strength, or mL) covering ``plan`` from its start to ``through``.

    ``through`` defaults to the plan's assessment date (at least ``MIN_SUPPLY_D`` days from the
    first day supplied); ``storage`` to room temperature for capsules and the refrigerator for
    the liquid.
    """
    if form not in ("capsule", "liquid"):
        raise InputError.at("form", f"unknown form {form!r}", "use capsule or liquid")
    first = max(plan.start, compounded_on)
    end = through or max(plan.assessment_date, first + timedelta(days=MIN_SUPPLY_D.value - 1))
    if end < first:
        raise InputError.at(
            "through",
            f"{end.isoformat()} is before the first dose to supply ({first.isoformat()})",
            "give a later date, e.g. the assessment date",
        )
    where: Storage = storage or ("room" if form == "capsule" else "refrigerator")
    if form == "capsule":
        bud = beyond_use(
            category="nonaqueous_solid",
            storage=where,
            compounded_on=compounded_on,
            studies=CAPSULE_STUDIES,
        )
    else:
        bud = beyond_use(
            category="aqueous_preserved",
            storage=where,
            compounded_on=compounded_on,
            studies=LIQUID_STUDIES,
        )
    doses = [s.dose_mg for s in plan.steps if s.start <= end]
    combos = strength_combinations(doses)
    by_dose = {c.dose_mg: c for c in combos}
    fills: list[Fill] = []
    # compounded too early to last until the first dose: compound fill 1 on the first day instead
    compound = compounded_on if compounded_on + timedelta(days=bud.days - 1) >= first else first
    day = first
    while day <= end:
        last = min(end, compound + timedelta(days=bud.days - 1))
        caps: Counter[float] = Counter()
        need = 0.0
        d = day
        while d <= last:
            step = plan.dose_on(d)
            assert step is not None  # d >= plan.start
            for s, n in by_dose[round(step.dose_mg, 6)].capsules:
                caps[s] += n
            need += liquid_dose_ml(dose_mg=step.dose_mg)
            d += timedelta(days=1)
        per_tablet_ml = TABLET_STRENGTH_MG.value / LIQUID_CONC_MG_ML.value
        volume = math.ceil(need / per_tablet_ml - 1e-9) * per_tablet_ml if form == "liquid" else 0.0
        fills.append(
            Fill(
                len(fills) + 1,
                compound,
                day,
                last,
                compound + timedelta(days=bud.days - 1),
                tuple(sorted(caps.items())) if form == "capsule" else (),
                volume,
                need if form == "liquid" else 0.0,
            )
        )
        compound = day = last + timedelta(days=1)
    return Supply(
        form,
        first,
        end,
        combos,
        tuple(fills),
        bud.days,
        (*bud.source_ids, "norland-ldn-order-sheet"),
    )
