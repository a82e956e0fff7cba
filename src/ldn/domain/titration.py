"""Titration: from a start dose to a target, in dated steps, never above the maximum.

Schedules (all practice-based — no trial compared titration schedules):

* ``common``: 1.5 -> 3 -> 4.5 mg at bedtime, a step every 14 days (clinic FAQ).
* ``slow``: 0.5 mg steps every 7 days, for sensitive patients such as those with thyroid disease
  on replacement (pharmacy order sheet).
* ``custom``: start, step, interval and target chosen by the clinician.

When to judge response: the trials judged LDN after 12 weeks (Younger 2013; FINAL, Bruun 2024,
12 weeks including a 4-week titration, i.e. 8 weeks at target). ldn's assessment date is the
later of 12 weeks after the first dose and 8 weeks at the target dose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Literal

from ldn.domain.errors import ClinicalRefusal, InputError
from ldn.domain.facts import Fact
from ldn.domain.naltrexone import LDN_MAX_DOSE_MG, LDN_USUAL_DOSE_MG, STANDARD_DOSE_MG

__all__ = ["SCHEDULES", "TitrationPlan", "TitrationStep", "build_plan"]

Timing = Literal["bedtime", "morning"]
Schedule = Literal["common", "slow", "custom"]

COMMON_START_MG = Fact(
    1.5,
    unit="mg",
    sources=("drginevra-faq",),
    note="Practice-based: 1.5 -> 3 -> 4.5 mg at bedtime.",
)
COMMON_STEP_MG = Fact(1.5, unit="mg", sources=("drginevra-faq",), note="Practice-based.")
COMMON_INTERVAL_D = Fact(
    14, unit="d", sources=("drginevra-faq",), note="Practice-based; guides range 7-14 days."
)
SLOW_START_MG = Fact(
    0.5,
    unit="mg",
    sources=("norland-ldn-order-sheet",),
    note="Practice-based: 0.5 mg capsules for thyroid patients.",
)
SLOW_STEP_MG = Fact(
    0.5,
    unit="mg",
    sources=("norland-ldn-order-sheet",),
    note="Practice-based: +0.5 mg every 7 days.",
)
SLOW_INTERVAL_D = Fact(7, unit="d", sources=("norland-ldn-order-sheet",))
LDN_HIGHEST_STUDIED_MG = Fact(
    6.0,
    unit="mg/day",
    sources=("bruun-2024",),
    note="Highest daily dose in a randomized LDN pain trial (FINAL, 6 mg); ldn refuses custom targets above it.",
)
ASSESS_WEEKS_FROM_START = Fact(
    12,
    unit="weeks",
    sources=("younger-2013", "bruun-2024"),
    note="Trial duration before response was judged.",
)
ASSESS_WEEKS_AT_TARGET = Fact(
    8,
    unit="weeks",
    sources=("bruun-2024",),
    note="FINAL: 12 weeks including a 4-week titration = 8 weeks at target dose.",
)
DEFAULT_TIMING = Fact(
    "bedtime",
    unit="",
    sources=("drginevra-faq", "younger-2013"),
    note="LDN is usually taken at bedtime.",
)

SCHEDULES: dict[str, tuple[Fact[float], Fact[float], Fact[int]]] = {
    "common": (COMMON_START_MG, COMMON_STEP_MG, COMMON_INTERVAL_D),
    "slow": (SLOW_START_MG, SLOW_STEP_MG, SLOW_INTERVAL_D),
}


@dataclass(frozen=True, slots=True)
class TitrationStep:
    dose_mg: float
    start: date
    timing: Timing = "bedtime"
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "dose_mg": self.dose_mg,
            "start": self.start.isoformat(),
            "timing": self.timing,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class TitrationPlan:
    schedule: str
    steps: tuple[TitrationStep, ...]
    target_mg: float
    max_mg: float
    interval_days: int
    adjustments: tuple[str, ...] = ()
    source_ids: tuple[str, ...] = field(
        default=("drginevra-faq", "norland-ldn-order-sheet", "seed-article")
    )

    @property
    def start(self) -> date:
        return self.steps[0].start

    @property
    def target_reached(self) -> date:
        """First day on the highest dose of the plan."""
        top = max(s.dose_mg for s in self.steps)
        return next(s.start for s in self.steps if s.dose_mg == top)

    @property
    def assessment_date(self) -> date:
        """When to judge response: max(start + 12 weeks, target + 8 weeks)."""
        return max(
            self.start + timedelta(weeks=ASSESS_WEEKS_FROM_START.value),
            self.target_reached + timedelta(weeks=ASSESS_WEEKS_AT_TARGET.value),
        )

    def dose_on(self, day: date) -> TitrationStep | None:
        """The step in force on ``day`` (None before the start)."""
        current = None
        for s in self.steps:
            if s.start <= day:
                current = s
        return current

    def as_dict(self) -> dict[str, Any]:
        return {
            "schedule": self.schedule,
            "target_mg": self.target_mg,
            "max_mg": self.max_mg,
            "interval_days": self.interval_days,
            "start": self.start.isoformat(),
            "target_reached": self.target_reached.isoformat(),
            "assessment_date": self.assessment_date.isoformat(),
            "steps": [s.as_dict() for s in self.steps],
            "adjustments": list(self.adjustments),
            "source_ids": list(self.source_ids),
        }

    @classmethod
    def from_dict(cls, data: Any) -> TitrationPlan:
        try:
            steps = tuple(
                TitrationStep(
                    float(s["dose_mg"]),
                    date.fromisoformat(s["start"]),
                    s.get("timing", "bedtime"),
                    s.get("reason", ""),
                )
                for s in data["steps"]
            )
            plan = cls(
                str(data["schedule"]),
                steps,
                float(data["target_mg"]),
                float(data["max_mg"]),
                int(data["interval_days"]),
                tuple(data.get("adjustments", ())),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError.at(
                "plan",
                f"not a plan file ({type(exc).__name__}: {exc})",
                "pass the plan.json that `ldn plan` wrote",
            ) from None
        _check(plan)
        return plan

    def with_steps(self, steps: tuple[TitrationStep, ...], note: str) -> TitrationPlan:
        return replace(self, steps=steps, adjustments=(*self.adjustments, note))


def _check(plan: TitrationPlan) -> None:
    for i, s in enumerate(plan.steps):
        if s.dose_mg > plan.max_mg + 1e-9:
            raise InputError.at(
                f"steps[{i}].dose_mg",
                f"{s.dose_mg:g} mg exceeds the plan maximum {plan.max_mg:g} mg",
                "lower the dose",
            )
        if i and s.start <= plan.steps[i - 1].start:
            raise InputError.at(
                f"steps[{i}].start", "step dates must strictly increase", "fix the step dates"
            )


def _check_target(target_mg: float, max_mg: float) -> None:
    if target_mg >= STANDARD_DOSE_MG.value:
        raise ClinicalRefusal(
            f"{target_mg:g} mg is the standard addiction-treatment dose, not low-dose naltrexone",
            fix=f"choose a target between 0.5 and {LDN_MAX_DOSE_MG.value:g} mg",
        )
    if max_mg > LDN_HIGHEST_STUDIED_MG.value:
        raise InputError.at(
            "--max-mg",
            f"{max_mg:g} mg is above the highest LDN dose studied in a pain trial ({LDN_HIGHEST_STUDIED_MG.value:g} mg)",
            f"use at most {LDN_HIGHEST_STUDIED_MG.value:g} mg",
        )
    if target_mg > max_mg:
        raise InputError.at(
            "--target-mg",
            f"target {target_mg:g} mg is above the maximum {max_mg:g} mg",
            f"choose a target of at most {max_mg:g} mg, or raise --max-mg (at most {LDN_HIGHEST_STUDIED_MG.value:g})",
        )
    if target_mg <= 0:
        raise InputError.at("--target-mg", "the target must be positive", "e.g. --target-mg 4.5")


def build_plan(
    *,
    start: date,
    schedule: str = "common",
    target_mg: float = LDN_USUAL_DOSE_MG.value,
    max_mg: float = LDN_MAX_DOSE_MG.value,
    start_mg: float | None = None,
    step_mg: float | None = None,
    interval_days: int | None = None,
    timing: Timing = "bedtime",
) -> TitrationPlan:
    """Dated steps from ``start_mg`` to ``target_mg`` (never above ``max_mg``)."""
    _check_target(target_mg, max_mg)
    if schedule in SCHEDULES:
        s0, st, iv = SCHEDULES[schedule]
        start_mg = start_mg if start_mg is not None else s0.value
        step_mg = step_mg if step_mg is not None else st.value
        interval_days = interval_days if interval_days is not None else iv.value
    elif schedule == "custom":
        missing = [
            n
            for n, v in (
                ("--start-mg", start_mg),
                ("--step-mg", step_mg),
                ("--interval-days", interval_days),
            )
            if v is None
        ]
        if missing:
            raise InputError.at(
                missing[0],
                "a custom schedule needs a start dose, a step and an interval",
                f"add {missing[0]}",
            )
    else:
        raise InputError.at(
            "--schedule", f"unknown schedule {schedule!r}", "use common, slow or custom"
        )
    if (
        start_mg is None or step_mg is None or interval_days is None
    ):  # narrowed above; keeps mypy honest
        raise InputError.at(
            "--schedule", "incomplete schedule", "give --start-mg, --step-mg and --interval-days"
        )
    if start_mg <= 0 or step_mg <= 0:
        raise InputError.at(
            "--start-mg" if start_mg <= 0 else "--step-mg", "doses must be positive", "use e.g. 1.5"
        )
    if interval_days < 1:
        raise InputError.at(
            "--interval-days", "the interval must be at least 1 day", "e.g. --interval-days 14"
        )
    first = min(start_mg, target_mg)
    n_steps = 1 + max(0, math.ceil(round((target_mg - first) / step_mg, 9)))
    doses = [min(round(first + i * step_mg, 4), target_mg) for i in range(n_steps)]
    steps = tuple(
        TitrationStep(
            d, start + timedelta(days=i * interval_days), timing, "start" if i == 0 else "step up"
        )
        for i, d in enumerate(doses)
    )
    plan = TitrationPlan(schedule, steps, target_mg, max_mg, interval_days)
    _check(plan)
    return plan
