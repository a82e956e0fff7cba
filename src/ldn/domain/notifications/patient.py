"""The patient's own notifications: the daily diary reminder, a new titration step, the next
fill of a prescription, a new period of a blinded trial, the assessment date approaching.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from ldn.domain.notifications.intent import LOW, NORMAL, Intent, parse_hhmm

__all__ = [
    "assessment_approaching",
    "diary_reminder",
    "dose_step_day",
    "refill_due",
    "trial_period_change",
]


def diary_reminder(
    *, patient_id: int, now_local: datetime, reminder_time: str, logged_today: bool
) -> Intent | None:
    """The daily diary reminder: once the patient's chosen local time has passed and today has
    no entry yet (one per local day)."""
    if logged_today or now_local.time() < parse_hhmm(reminder_time):
        return None
    return Intent(
        "diary_reminder",
        "patient",
        NORMAL,
        "Time for today's diary: it takes a minute.",
        "/me",
        "Log today",
        f"patient:{patient_id}",
        now_local.date(),
        patient_id,
    )


def dose_step_day(
    *, patient_id: int, steps: Sequence[tuple[date, float, str]], today: date
) -> Intent | None:
    """A new step of the titration starts today: 'tonight: 3 mg' (``steps``: start, dose in mg,
    timing 'bedtime' or 'morning', as in :class:`ldn.domain.titration.TitrationPlan`)."""
    for start, dose_mg, timing in steps:
        if start == today:
            when = "Tonight" if timing == "bedtime" else "This morning"
            return Intent(
                "dose_step",
                "patient",
                NORMAL,
                f"{when}: {dose_mg:g} mg (a new step of your plan).",
                "/me/plan",
                "See my plan",
                f"patient:{patient_id}",
                today,
                patient_id,
            )
    return None


def refill_due(
    *,
    patient_id: int,
    prescription_id: int,
    fills: Sequence[tuple[int, date, date]],
    dispensed: Sequence[int],
    today: date,
    lead_days: int,
) -> Intent | None:
    """The next fill of a prescription is due: the last dispensed fill (``fills``: number, first
    day, last day; the quantity and schedule of the supply plan) ends within ``lead_days``
    (clinic setting) and a further fill exists."""
    if not dispensed:
        return None
    by_number = {n: (first, last) for n, first, last in fills}
    current, nxt = max(dispensed), max(dispensed) + 1
    if current not in by_number or nxt not in by_number:
        return None
    last = by_number[current][1]
    if not (last - timedelta(days=lead_days) <= today <= last):
        return None
    first = by_number[nxt][0]
    return Intent(
        "refill_due",
        "patient",
        NORMAL,
        f"Your next supply (fill {nxt}) starts on {first.isoformat()}: ask the pharmacy to prepare it.",
        "/me/plan",
        "See my plan",
        f"rx:{prescription_id}:fill:{nxt}",
        last,
        patient_id,
    )


def trial_period_change(
    *, patient_id: int, trial_id: int, periods: Sequence[tuple[int, str, date]], today: date
) -> Intent | None:
    """A period of a blinded trial starts today (``periods``: index, bottle label, start): 'start
    bottle B tonight' (the label only; never what it holds)."""
    for index, bottle, start in periods:
        if start == today and index > 0:
            return Intent(
                "trial_period",
                "patient",
                NORMAL,
                f"Start bottle {bottle} tonight (the next period of your trial).",
                "/me/trial",
                "See my trial",
                f"trial:{trial_id}:period:{index}",
                today,
                patient_id,
            )
    return None


def assessment_approaching(
    *, patient_id: int, assessment_date: date, today: date, lead_days: int
) -> Intent | None:
    """The plan's assessment date (:attr:`ldn.domain.titration.TitrationPlan.assessment_date`,
    cited there) is within ``lead_days`` (clinic setting)."""
    if not (assessment_date - timedelta(days=lead_days) <= today < assessment_date):
        return None
    return Intent(
        "assessment_soon",
        "patient",
        LOW,
        f"Your review is due on {assessment_date.isoformat()}: keep your diary going until then.",
        "/me/progress",
        "See my progress",
        f"patient:{patient_id}",
        assessment_date,
        patient_id,
    )
