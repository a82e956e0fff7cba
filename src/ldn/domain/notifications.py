"""Notification rules: plain data and a clock in, notification intents out (issue #18).

Every rule is a pure function of the facts it needs and ``today`` (or a local ``now``); it
returns an :class:`Intent` or ``None``. An intent's dedupe key ``(kind, recipient, subject_key,
due_on)`` is the unique key of the ``notifications`` table, so evaluating a rule again (every
minute, by several workers) can never create a second notification for the same thing.

Thresholds are either cited facts (the IMMPACT response categories of
:mod:`ldn.domain.instruments.nrs`, the assessment date of :mod:`ldn.domain.titration`) or clinic
settings (``LDN_NOTIFY_*``, :class:`Thresholds`): a policy of the clinic, not a clinical fact.
The rules only say who should look at what; ldn supports clinical judgement and never replaces
it. The table with every rule is in docs/notifications.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from ldn.domain.diary import DiaryEntry
from ldn.domain.instruments.nrs import IMMPACT_MODERATE_PCT, immpact_category

__all__ = [
    "HIGH",
    "LOW",
    "NORMAL",
    "URGENT",
    "Intent",
    "Thresholds",
    "assessment_approaching",
    "assessment_due",
    "batch_bud_near",
    "diary_gap",
    "diary_reminder",
    "dose_step_day",
    "in_quiet_hours",
    "new_prescription",
    "new_trial",
    "prescription_waiting",
    "refill_due",
    "response_reached",
    "side_effect_alerts",
    "trial_period_change",
    "trial_ready_to_reveal",
    "worst_pain_jump",
]

Recipient = Literal["patient", "clinician", "pharmacist"]
#: urgency ranks (the inbox sorts by them, highest first)
URGENT, HIGH, NORMAL, LOW = 3, 2, 1, 0


@dataclass(frozen=True, slots=True)
class Intent:
    """What a rule asks for: one notification of ``kind`` to the ``recipient`` role (the patient
    themself, or the clinic's clinicians or pharmacists), with the reason shown in the app, a
    link and its one-click action, and the dedupe key (``kind``, ``subject_key``, ``due_on``)."""

    kind: str
    recipient: Recipient
    urgency: int
    reason: str
    link: str
    action: str
    subject_key: str
    due_on: date
    patient_id: int | None = None


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The clinic's settings for the rules (``LDN_NOTIFY_*``; policies, not clinical facts)."""

    diary_gap_days: int = 3
    pain_jump_points: float = 2.0
    pain_window_days: int = 7
    refill_lead_days: int = 5
    assessment_lead_days: int = 7
    rx_wait_days: int = 3
    bud_lead_days: int = 7
    new_item_days: int = 3


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(local: datetime, *, start: str | None, end: str | None) -> bool:
    """Whether the local time falls in the quiet hours ``start``..``end`` ("HH:MM"; a span may
    cross midnight, e.g. 22:00-07:00); no quiet hours when either is missing or they are equal."""
    if not start or not end or start == end:
        return False
    t, s, e = local.time().replace(second=0, microsecond=0), _hhmm(start), _hhmm(end)
    return s <= t < e if s < e else (t >= s or t < e)


# ---- the patient's own ----


def diary_reminder(
    *, patient_id: int, now_local: datetime, reminder_time: str, logged_today: bool
) -> Intent | None:
    """The daily diary reminder: once the patient's chosen local time has passed and today has
    no entry yet (one per local day)."""
    if logged_today or now_local.time() < _hhmm(reminder_time):
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


# ---- the clinician's ----


def diary_gap(
    *, patient_id: int, name: str, last_logged: date | None, since: date, today: date, gap_days: int
) -> Intent | None:
    """No diary for ``gap_days`` (clinic setting) of a patient on a plan or trial since ``since``
    (the plan's first day): one notification per silence (keyed by the last day logged)."""
    last = last_logged or since - timedelta(days=1)
    if today < since or (today - last).days <= gap_days:
        return None
    days = (today - last).days - 1
    return Intent(
        "diary_gap",
        "clinician",
        NORMAL,
        f"{name}: no diary for {days} days.",
        f"/clinic/patients/{patient_id}",
        "Open the record",
        f"patient:{patient_id}",
        last + timedelta(days=gap_days + 1),
        patient_id,
    )


def side_effect_alerts(
    *,
    patient_id: int,
    name: str,
    entry: DiaryEntry,
    earlier: Sequence[DiaryEntry],
    severe: bool = False,
    flagged: bool = False,
) -> list[Intent]:
    """A diary entry that needs a look: a side effect marked severe (urgent), a side effect this
    patient has not recorded before (high), a note the patient flagged for the clinician
    (high). ``earlier``: the patient's entries before ``entry``."""
    seen = {s for e in earlier if e.date < entry.date for s in e.side_effects}
    link, day = f"/clinic/patients/{patient_id}", entry.date
    effects = ", ".join(s.replace("_", " ") for s in entry.side_effects) or "a side effect"
    out: list[Intent] = []
    if severe:
        out.append(
            Intent(
                "side_effect_severe",
                "clinician",
                URGENT,
                f"{name}: severe side effect on {day.isoformat()} ({effects}).",
                link,
                "Review the record",
                f"patient:{patient_id}:diary:{day.isoformat()}",
                day,
                patient_id,
            )
        )
    new = [s for s in entry.side_effects if s not in seen]
    if new and not severe:
        what = ", ".join(s.replace("_", " ") for s in new)
        out.append(
            Intent(
                "side_effect_new",
                "clinician",
                HIGH,
                f"{name}: new side effect on {day.isoformat()} ({what}).",
                link,
                "Review the record",
                f"patient:{patient_id}:{'+'.join(new)}",
                day,
                patient_id,
            )
        )
    if flagged and entry.note.strip():
        out.append(
            Intent(
                "note_flagged",
                "clinician",
                HIGH,
                f"{name} flagged a diary note on {day.isoformat()}.",
                link,
                "Read the note",
                f"patient:{patient_id}:diary:{day.isoformat()}",
                day,
                patient_id,
            )
        )
    return out


def worst_pain_jump(
    *,
    patient_id: int,
    name: str,
    entries: Sequence[DiaryEntry],
    jump_points: float,
    window_days: int,
) -> Intent | None:
    """Worst pain on the latest day is ``jump_points`` or more (clinic setting) above the mean
    worst pain of the ``window_days`` before it (clinic setting). The window must have entries
    with worst pain on at least half its days (ldn convention: fewer give no fair baseline)."""
    last = entries[-1] if entries else None
    if last is None or last.pain_worst is None:
        return None
    worst = last.pain_worst
    start = last.date - timedelta(days=window_days)
    prior = [
        e.pain_worst for e in entries if start <= e.date < last.date and e.pain_worst is not None
    ]
    if len(prior) * 2 < window_days:
        return None
    mean = sum(prior) / len(prior)
    if worst - mean < jump_points:
        return None
    return Intent(
        "pain_jump",
        "clinician",
        HIGH,
        f"{name}: worst pain {worst:g}/10 on {last.date.isoformat()}, {window_days}-day mean {mean:.1f}.",
        f"/clinic/patients/{patient_id}",
        "Review the diary",
        f"patient:{patient_id}",
        last.date,
        patient_id,
    )


def response_reached(
    *, patient_id: int, name: str, reduction_pct: float | None, first_dose: date
) -> Intent | None:
    """Average pain fell by the IMMPACT 'moderately important' threshold or more (>= 30 %,
    Dworkin 2008: :data:`ldn.domain.instruments.nrs.IMMPACT_MODERATE_PCT`); once per category
    (moderate, substantial) and plan."""
    category = immpact_category(reduction_pct)
    if reduction_pct is None or reduction_pct < IMMPACT_MODERATE_PCT.value:
        return None
    return Intent(
        "response_reached",
        "clinician",
        NORMAL,
        f"{name}: average pain {reduction_pct:.0f}% lower than baseline ({category}, IMMPACT).",
        f"/clinic/patients/{patient_id}",
        "Review the response",
        f"patient:{patient_id}:{category}",
        first_dose,
        patient_id,
    )


def assessment_due(
    *, patient_id: int, name: str, assessment_date: date, today: date
) -> Intent | None:
    """The plan's assessment date (cited in :mod:`ldn.domain.titration`) has come."""
    if today < assessment_date:
        return None
    return Intent(
        "assessment_due",
        "clinician",
        NORMAL,
        f"{name}: the response assessment was due on {assessment_date.isoformat()}.",
        f"/clinic/patients/{patient_id}",
        "Assess the response",
        f"patient:{patient_id}",
        assessment_date,
        patient_id,
    )


def trial_ready_to_reveal(
    *, patient_id: int, name: str, trial_id: int, status: str, last_day: date, today: date
) -> Intent | None:
    """A running trial's last period has ended: ready to reveal and analyse."""
    if status != "running" or today <= last_day:
        return None
    return Intent(
        "trial_ended",
        "clinician",
        HIGH,
        f"{name}: the trial's last period ended on {last_day.isoformat()}; ready to reveal.",
        f"/clinic/patients/{patient_id}",
        "Reveal the trial",
        f"trial:{trial_id}",
        last_day,
        patient_id,
    )


def prescription_waiting(
    *,
    patient_id: int,
    name: str,
    prescription_id: int,
    status: str,
    issued_on: date,
    today: date,
    wait_days: int,
) -> Intent | None:
    """A prescription not yet dispensed ``wait_days`` (clinic setting) after it was issued."""
    if status not in ("issued", "compounding", "compounded", "ready"):
        return None
    due = issued_on + timedelta(days=wait_days)
    if today < due:
        return None
    return Intent(
        "rx_waiting",
        "clinician",
        NORMAL,
        f"{name}: prescription {prescription_id} still {status} after {(today - issued_on).days} days.",
        f"/clinic/prescriptions/{prescription_id}",
        "Open the prescription",
        f"rx:{prescription_id}",
        due,
        patient_id,
    )


# ---- the pharmacist's ----


def new_prescription(
    *,
    patient_id: int,
    prescription_id: int,
    issued_on: date,
    status: str,
    today: date,
    window_days: int,
) -> Intent | None:
    """A prescription to compound, issued within the last ``window_days`` (clinic setting: older
    ones are not announced again when notifications are first switched on)."""
    if status != "issued" or not (0 <= (today - issued_on).days < window_days):
        return None
    return Intent(
        "rx_new",
        "pharmacist",
        HIGH,
        f"New prescription {prescription_id} to compound.",
        f"/pharmacy/rx/{prescription_id}",
        "Open the worksheet",
        f"rx:{prescription_id}",
        issued_on,
        patient_id,
    )


def new_trial(
    *, patient_id: int, trial_id: int, created_on: date, status: str, today: date, window_days: int
) -> Intent | None:
    """A new trial allocation: bottles A and B to prepare."""
    if status != "running" or not (0 <= (today - created_on).days < window_days):
        return None
    return Intent(
        "trial_new",
        "pharmacist",
        HIGH,
        f"New trial {trial_id}: prepare bottles A and B.",
        f"/pharmacy/trials/{trial_id}",
        "Prepare the bottles",
        f"trial:{trial_id}",
        created_on,
        patient_id,
    )


def batch_bud_near(
    *,
    patient_id: int,
    batch_id: int,
    lot: str,
    beyond_use: date,
    today: date,
    lead_days: int,
    prescription_id: int,
) -> Intent | None:
    """A batch's beyond-use date is within ``lead_days`` (clinic setting) or has passed."""
    due = beyond_use - timedelta(days=lead_days)
    if today < due or today > beyond_use:
        return None
    return Intent(
        "bud_near",
        "pharmacist",
        NORMAL,
        f"Batch {lot}: beyond-use date {beyond_use.isoformat()}.",
        f"/pharmacy/rx/{prescription_id}",
        "Open the prescription",
        f"batch:{batch_id}",
        due,
        patient_id,
    )
