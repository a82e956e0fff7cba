"""iCalendar (RFC 5545) export of a titration plan: daily dose reminders, step changes, refill
days and the assessment check-in, built with the ``icalendar`` library."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from icalendar import Alarm, Calendar, Event

from ldn.domain.titration import TitrationPlan

__all__ = ["DOSE_TIMES", "plan_calendar"]

#: reminder clock times by timing (local, floating time)
DOSE_TIMES = {"bedtime": time(22, 0), "morning": time(8, 0)}


def _event(
    uid: str, summary: str, start: date | datetime, description: str, *, stamp: datetime
) -> Event:
    ev = Event()
    ev.add("uid", uid)
    ev.add("dtstamp", stamp)
    ev.add("summary", summary)
    ev.add("dtstart", start)
    if isinstance(start, datetime):
        ev.add("dtend", start + timedelta(minutes=10))
    else:
        ev.add("dtend", start + timedelta(days=1))
    ev.add("description", description)
    return ev


def plan_calendar(
    plan: TitrationPlan,
    *,
    patient_id: str,
    stamp: datetime | None = None,
    refills: Sequence[tuple[int, date, date]] = (),
) -> bytes:
    """The plan as an .ics file; ``refills`` are (fill number, first day, last day) of the fills
    after the first (:class:`ldn.domain.compounding.Fill`), each a day to collect the refill."""
    stamp = stamp or datetime.combine(plan.start, time(0, 0))
    cal = Calendar()
    cal.add("prodid", "-//ldn//low-dose naltrexone plan//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "LDN plan")
    end = plan.assessment_date
    for i, step in enumerate(plan.steps):
        until = plan.steps[i + 1].start - timedelta(days=1) if i + 1 < len(plan.steps) else end
        start_dt = datetime.combine(step.start, DOSE_TIMES[step.timing])
        rem = _event(
            f"{patient_id}-dose-{i}@ldn",
            f"Take LDN {step.dose_mg:g} mg",
            start_dt,
            f"Low-dose naltrexone {step.dose_mg:g} mg ({step.timing}). If you miss a dose, skip it; do not double up.",
            stamp=stamp,
        )
        rem.add(
            "rrule", {"freq": "daily", "until": datetime.combine(until, DOSE_TIMES[step.timing])}
        )
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Take LDN {step.dose_mg:g} mg")
        alarm.add("trigger", timedelta(0))
        rem.add_component(alarm)
        cal.add_component(rem)
        if i > 0:
            cal.add_component(
                _event(
                    f"{patient_id}-step-{i}@ldn",
                    f"LDN dose change: {step.dose_mg:g} mg from today",
                    step.start,
                    f"Today your LDN dose becomes {step.dose_mg:g} mg ({step.reason or 'step'}).",
                    stamp=stamp,
                )
            )
    for number, first, last in refills:
        cal.add_component(
            _event(
                f"{patient_id}-refill-{number}@ldn",
                f"Collect your LDN refill (batch {number})",
                first,
                f"Batch {number} covers {first.isoformat()} to {last.isoformat()}. The pharmacy makes it fresh: "
                "ask them a few days ahead.",
                stamp=stamp,
            )
        )
    cal.add_component(
        _event(
            f"{patient_id}-assessment@ldn",
            "LDN check-in: is it helping?",
            plan.assessment_date,
            "Review your pain diary with your clinician: has LDN helped enough to continue?",
            stamp=stamp,
        )
    )
    return bytes(cal.to_ical())
