"""What to change when something happens: side effects, a missed dose, planned surgery.

All rules here are practice-based (no trial tested them) and say so:

* vivid dreams or insomnia -> move the dose to the morning; if already in the morning, step
  back to the previous dose for one interval, then resume (clinic FAQ; in trials these effects
  were "rare, minor, transient", Younger & Mackey 2009);
* headache, nausea or tiredness -> hold the current step one more interval; ``severe`` -> step
  back to the previous dose for one interval;
* a missed dose -> skip it and take the next at the usual time; never double up (ldn
  assumption consistent with once-daily dosing);
* planned surgery that may need opioids -> stop LDN 3 days before (see
  :data:`ldn.domain.safety.STOP_BEFORE_SURGERY_D`), restart at the first step after the same
  opioid-free interval the screen requires (:data:`ldn.domain.safety.WASHOUT_SHORT_ACTING_D`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from ldn.domain.errors import InputError
from ldn.domain.facts import Fact
from ldn.domain.safety import STOP_BEFORE_SURGERY_D, WASHOUT_SHORT_ACTING_D
from ldn.domain.titration import TitrationPlan, TitrationStep

__all__ = ["SIDE_EFFECTS", "AdjustmentRule", "adjust", "missed_dose_advice", "surgery_advice"]

SideEffect = Literal["vivid_dreams", "insomnia", "headache", "nausea", "tiredness"]
SIDE_EFFECTS: tuple[str, ...] = ("vivid_dreams", "insomnia", "headache", "nausea", "tiredness")

SLEEP_EFFECTS_RULE = Fact(
    "morning dosing, then step back",
    unit="",
    sources=("drginevra-faq", "younger-2009"),
    note="Practice-based: vivid dreams/insomnia -> take LDN in the morning.",
)
HOLD_RULE = Fact(
    "hold one interval; severe: step back",
    unit="",
    sources=("drginevra-faq", "ldn-assumption"),
    note="Practice-based; the hold length of one titration interval is an ldn assumption.",
)
SLEEP_DISTURBANCE_OPEN_LABEL = Fact(
    (7, 17),
    unit="patients",
    sources=("smith-2007",),
    note="Sleep disturbance in 7 of 17 patients on 4.5 mg in an open-label Crohn's study: the most common LDN side effect.",
)
MISSED_DOSE_RULE = Fact(
    "skip, do not double",
    unit="",
    sources=("ldn-assumption",),
    note="No LDN-specific source found; standard once-daily advice.",
)


@dataclass(frozen=True, slots=True)
class AdjustmentRule:
    side_effect: str
    action: str
    patient_advice: str
    practice_based: bool
    source_ids: tuple[str, ...]


RULES: dict[str, AdjustmentRule] = {
    "vivid_dreams": AdjustmentRule("vivid_dreams", "switch to morning dosing; if already morning, step back one interval",
                                   "Take your LDN dose in the morning instead of at bedtime. Dreams usually settle within a few weeks.",
                                   True, SLEEP_EFFECTS_RULE.sources),
    "insomnia": AdjustmentRule("insomnia", "switch to morning dosing; if already morning, step back one interval",
                               "Take your LDN dose in the morning instead of at bedtime.", True, SLEEP_EFFECTS_RULE.sources),
    "headache": AdjustmentRule("headache", "hold the current dose one more interval (severe: step back)",
                               "Stay on your current dose a little longer before going up.", True, HOLD_RULE.sources),
    "nausea": AdjustmentRule("nausea", "hold the current dose one more interval (severe: step back)",
                             "Stay on your current dose a little longer before going up.", True, HOLD_RULE.sources),
    "tiredness": AdjustmentRule("tiredness", "hold the current dose one more interval (severe: step back)",
                                "Stay on your current dose a little longer before going up.", True, HOLD_RULE.sources),
}  # fmt: skip


def _shift_future(steps: tuple[TitrationStep, ...], after: date, days: int) -> list[TitrationStep]:
    return [
        replace(s, start=s.start + timedelta(days=days)) if s.start > after else s for s in steps
    ]


def adjust(
    plan: TitrationPlan, *, side_effect: str, on: date, severe: bool = False
) -> TitrationPlan:
    """The plan after responding to ``side_effect`` reported on ``on``."""
    if side_effect not in RULES:
        raise InputError.at(
            "--side-effect",
            f"unknown side effect {side_effect!r}",
            f"use one of: {', '.join(SIDE_EFFECTS)}",
        )
    current = plan.dose_on(on)
    if current is None:
        raise InputError.at(
            "--on",
            f"{on.isoformat()} is before the plan starts ({plan.start.isoformat()})",
            "give a date within the plan",
        )
    idx = plan.steps.index(current)
    interval = plan.interval_days
    if side_effect in ("vivid_dreams", "insomnia") and current.timing == "bedtime" and not severe:
        steps = [replace(s, timing="morning") if s.start > on else s for s in plan.steps]
        steps.insert(
            idx + 1,
            TitrationStep(
                current.dose_mg, on + timedelta(days=1), "morning", f"{side_effect}: morning dosing"
            ),
        )
        note = f"{on.isoformat()}: {side_effect} -> morning dosing from {(on + timedelta(days=1)).isoformat()}"
    elif side_effect in ("vivid_dreams", "insomnia") or severe:
        back = plan.steps[idx - 1].dose_mg if idx > 0 else current.dose_mg
        steps = _shift_future(plan.steps, on, interval)
        steps.insert(
            idx + 1,
            TitrationStep(
                back, on + timedelta(days=1), current.timing, f"{side_effect}: step back"
            ),
        )
        steps.insert(
            idx + 2,
            TitrationStep(
                current.dose_mg, on + timedelta(days=1 + interval), current.timing, "resume"
            ),
        )
        note = f"{on.isoformat()}: {side_effect} -> step back to {back:g} mg for {interval} days, then resume"
    else:
        steps = _shift_future(plan.steps, on, interval)
        note = (
            f"{on.isoformat()}: {side_effect} -> hold {current.dose_mg:g} mg {interval} more days"
        )
    steps.sort(key=lambda s: s.start)
    dedup: list[TitrationStep] = []
    for s in steps:
        if dedup and s.start == dedup[-1].start:
            dedup[-1] = s
        else:
            dedup.append(s)
    return plan.with_steps(tuple(dedup), note)


def missed_dose_advice() -> str:
    return "If you miss a dose, skip it and take the next one at the usual time. Do not take two at once."


def surgery_advice(surgery_date: date) -> str:
    stop = surgery_date - timedelta(days=STOP_BEFORE_SURGERY_D.value)
    days = WASHOUT_SHORT_ACTING_D.value
    return (
        f"Stop LDN no later than {stop.isoformat()} ({STOP_BEFORE_SURGERY_D.value} days before surgery on {surgery_date.isoformat()}) "
        f"so that opioid pain relief works. Restart at the first step only when you have taken no opioid painkiller for "
        f"{days} days (the same opioid-free interval as before the first start). Tell your surgical team you take LDN."
    )
