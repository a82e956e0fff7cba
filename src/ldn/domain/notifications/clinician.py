"""The clinicians' notifications: a diary gone silent, side effects and flagged notes, a jump in
worst pain, a response reached (IMMPACT), the assessment due, a trial ready to reveal, a
prescription still waiting.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from ldn.domain.diary import DiaryEntry
from ldn.domain.instruments.nrs import IMMPACT_MODERATE_PCT, immpact_category
from ldn.domain.notifications.intent import HIGH, NORMAL, URGENT, Intent

__all__ = [
    "assessment_due",
    "diary_gap",
    "prescription_waiting",
    "response_reached",
    "side_effect_alerts",
    "trial_ready_to_reveal",
    "worst_pain_jump",
]


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
