"""Notification rules with a fixed clock: each rule before, on and after the day it fires, and
the dedupe key that keeps a rule from creating the same notification twice (issue #18).

The response rule's threshold is IMMPACT's 'moderately important' >= 30 % reduction in average
pain (Dworkin 2008); the other thresholds are clinic settings (``LDN_NOTIFY_*``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from ldn.domain import notifications as rules
from ldn.domain.diary import DiaryEntry

D0 = date(2026, 11, 25)


def _key(i: rules.Intent) -> tuple[str, str, date]:
    return (i.kind, i.subject_key, i.due_on)


def test_diary_reminder_fires_after_the_local_time_once_a_day() -> None:
    tz = ZoneInfo("Europe/Berlin")
    before = datetime(2026, 11, 25, 19, 59, tzinfo=tz)
    at = datetime(2026, 11, 25, 20, 0, tzinfo=tz)
    assert (
        rules.diary_reminder(
            patient_id=1, now_local=before, reminder_time="20:00", logged_today=False
        )
        is None
    )
    fired = rules.diary_reminder(
        patient_id=1, now_local=at, reminder_time="20:00", logged_today=False
    )
    assert (
        fired is not None
        and fired.due_on == D0
        and fired.recipient == "patient"
        and fired.link == "/me"
    )
    later = rules.diary_reminder(
        patient_id=1, now_local=at + timedelta(hours=3), reminder_time="20:00", logged_today=False
    )
    assert later is not None and _key(later) == _key(
        fired
    )  # the same notification: not created again
    assert (
        rules.diary_reminder(patient_id=1, now_local=at, reminder_time="20:00", logged_today=True)
        is None
    )


def test_diary_reminder_uses_the_patients_local_day() -> None:
    """23:30 in New York on 25 November is 26 November in UTC: the reminder is for the 25th."""
    utc = datetime(2026, 11, 26, 4, 30, tzinfo=UTC)
    local = utc.astimezone(ZoneInfo("America/New_York"))
    fired = rules.diary_reminder(
        patient_id=1, now_local=local, reminder_time="21:00", logged_today=False
    )
    assert fired is not None and fired.due_on == D0


def test_dose_step_day_says_tonight_and_the_dose() -> None:
    steps = [
        (D0, 1.5, "bedtime"),
        (D0 + timedelta(days=14), 3.0, "bedtime"),
        (D0 + timedelta(days=28), 4.5, "morning"),
    ]
    assert rules.dose_step_day(patient_id=1, steps=steps, today=D0 + timedelta(days=13)) is None
    step = rules.dose_step_day(patient_id=1, steps=steps, today=D0 + timedelta(days=14))
    assert step is not None and step.reason.startswith("Tonight: 3 mg")
    morning = rules.dose_step_day(patient_id=1, steps=steps, today=D0 + timedelta(days=28))
    assert morning is not None and morning.reason.startswith("This morning: 4.5 mg")
    assert rules.dose_step_day(patient_id=1, steps=steps, today=D0 + timedelta(days=15)) is None


def test_refill_due_within_the_lead_days_of_the_dispensed_fills_end() -> None:
    fills = [
        (1, D0, D0 + timedelta(days=29)),
        (2, D0 + timedelta(days=30), D0 + timedelta(days=59)),
    ]
    last = D0 + timedelta(days=29)
    kw = {"patient_id": 1, "prescription_id": 7, "fills": fills, "lead_days": 5}
    assert rules.refill_due(dispensed=[], today=last, **kw) is None  # nothing dispensed yet
    assert rules.refill_due(dispensed=[1], today=last - timedelta(days=6), **kw) is None
    due = rules.refill_due(dispensed=[1], today=last - timedelta(days=5), **kw)
    assert due is not None and "fill 2" in due.reason and due.subject_key == "rx:7:fill:2"
    assert (
        rules.refill_due(dispensed=[1, 2], today=D0 + timedelta(days=59), **kw) is None
    )  # no fill 3


def test_trial_period_change_names_the_bottle_only() -> None:
    periods = [(0, "A", D0), (1, "B", D0 + timedelta(days=28))]
    assert rules.trial_period_change(patient_id=1, trial_id=3, periods=periods, today=D0) is None
    change = rules.trial_period_change(
        patient_id=1, trial_id=3, periods=periods, today=D0 + timedelta(days=28)
    )
    assert change is not None and change.reason.startswith("Start bottle B tonight")
    assert "LDN" not in change.reason and "placebo" not in change.reason


def test_assessment_approaching_and_due() -> None:
    when = D0 + timedelta(days=10)
    assert (
        rules.assessment_approaching(patient_id=1, assessment_date=when, today=D0, lead_days=7)
        is None
    )
    soon = rules.assessment_approaching(
        patient_id=1, assessment_date=when, today=when - timedelta(days=7), lead_days=7
    )
    assert soon is not None and soon.recipient == "patient"
    assert (
        rules.assessment_due(
            patient_id=1, name="A", assessment_date=when, today=when - timedelta(days=1)
        )
        is None
    )
    due = rules.assessment_due(
        patient_id=1, name="A", assessment_date=when, today=when + timedelta(days=3)
    )
    assert due is not None and due.due_on == when and due.recipient == "clinician"


def test_diary_gap_once_per_silence() -> None:
    last = D0
    kw = {
        "patient_id": 1,
        "name": "Anna",
        "last_logged": last,
        "since": D0 - timedelta(days=30),
        "gap_days": 3,
    }
    assert rules.diary_gap(today=last + timedelta(days=3), **kw) is None
    first = rules.diary_gap(today=last + timedelta(days=4), **kw)
    again = rules.diary_gap(today=last + timedelta(days=9), **kw)
    assert first is not None and again is not None and _key(first) == _key(again)
    assert "no diary for 3 days" in first.reason
    # a new silence after a new entry is a new notification
    later = rules.diary_gap(
        **{**kw, "last_logged": last + timedelta(days=10)}, today=last + timedelta(days=14)
    )
    assert later is not None and _key(later) != _key(first)


def _entry(day: date, **kw: object) -> DiaryEntry:
    return DiaryEntry.model_validate({"date": day.isoformat(), "pain_avg": 5, **kw})


def test_side_effect_alerts_new_severe_and_flagged() -> None:
    earlier = [_entry(D0 - timedelta(days=1), side_effects=["vivid_dreams"])]
    same = rules.side_effect_alerts(
        patient_id=1, name="A", entry=_entry(D0, side_effects=["vivid_dreams"]), earlier=earlier
    )
    assert same == []  # not new, not severe
    new = rules.side_effect_alerts(
        patient_id=1, name="A", entry=_entry(D0, side_effects=["nausea"]), earlier=earlier
    )
    assert [i.kind for i in new] == ["side_effect_new"] and new[0].urgency == rules.HIGH
    severe = rules.side_effect_alerts(
        patient_id=1,
        name="A",
        entry=_entry(D0, side_effects=["nausea"]),
        earlier=earlier,
        severe=True,
    )
    assert [i.kind for i in severe] == ["side_effect_severe"] and severe[0].urgency == rules.URGENT
    flagged = rules.side_effect_alerts(
        patient_id=1, name="A", entry=_entry(D0, note="call me"), earlier=[], flagged=True
    )
    assert [i.kind for i in flagged] == ["note_flagged"]


def test_worst_pain_jump_against_the_window_mean() -> None:
    prior = [_entry(D0 - timedelta(days=d), pain_worst=5) for d in range(7, 0, -1)]
    kw = {"patient_id": 1, "name": "A", "jump_points": 2.0, "window_days": 7}
    assert rules.worst_pain_jump(entries=[*prior, _entry(D0, pain_worst=6.5)], **kw) is None
    jump = rules.worst_pain_jump(entries=[*prior, _entry(D0, pain_worst=7)], **kw)
    assert jump is not None and "7/10" in jump.reason
    sparse = [*prior[-3:], _entry(D0, pain_worst=9)]  # 3 of 7 days: no fair baseline
    assert rules.worst_pain_jump(entries=sparse, **kw) is None


def test_response_reached_at_the_immpact_moderate_threshold() -> None:
    """IMMPACT (Dworkin 2008): >= 30 % moderately important, >= 50 % substantial."""
    kw = {"patient_id": 1, "name": "A", "first_dose": D0}
    assert rules.response_reached(reduction_pct=29.9, **kw) is None
    assert rules.response_reached(reduction_pct=None, **kw) is None
    moderate = rules.response_reached(reduction_pct=30.0, **kw)
    substantial = rules.response_reached(reduction_pct=55.0, **kw)
    assert moderate is not None and substantial is not None
    assert moderate.subject_key.endswith("moderate") and substantial.subject_key.endswith(
        "substantial"
    )


def test_trial_ready_to_reveal_after_the_last_period() -> None:
    kw = {"patient_id": 1, "name": "A", "trial_id": 2, "last_day": D0}
    assert rules.trial_ready_to_reveal(status="running", today=D0, **kw) is None
    assert (
        rules.trial_ready_to_reveal(status="revealed", today=D0 + timedelta(days=1), **kw) is None
    )
    ready = rules.trial_ready_to_reveal(status="running", today=D0 + timedelta(days=1), **kw)
    assert ready is not None and ready.action == "Reveal the trial"


def test_prescription_waiting_and_new_prescription() -> None:
    kw = {"patient_id": 1, "name": "A", "prescription_id": 4, "issued_on": D0, "wait_days": 3}
    assert rules.prescription_waiting(status="issued", today=D0 + timedelta(days=2), **kw) is None
    assert (
        rules.prescription_waiting(status="dispensed", today=D0 + timedelta(days=9), **kw) is None
    )
    waiting = rules.prescription_waiting(status="issued", today=D0 + timedelta(days=3), **kw)
    assert waiting is not None and waiting.due_on == D0 + timedelta(days=3)
    nkw = {"patient_id": 1, "prescription_id": 4, "issued_on": D0, "window_days": 3}
    new = rules.new_prescription(status="issued", today=D0, **nkw)
    assert new is not None and new.recipient == "pharmacist"
    assert rules.new_prescription(status="issued", today=D0 + timedelta(days=3), **nkw) is None
    assert rules.new_prescription(status="ready", today=D0, **nkw) is None


def test_new_trial_and_beyond_use_date() -> None:
    assert (
        rules.new_trial(
            patient_id=1, trial_id=2, created_on=D0, status="running", today=D0, window_days=3
        )
        is not None
    )
    bud = D0 + timedelta(days=10)
    kw = {
        "patient_id": 1,
        "batch_id": 5,
        "lot": "L1",
        "beyond_use": bud,
        "lead_days": 7,
        "prescription_id": 4,
    }
    assert rules.batch_bud_near(today=bud - timedelta(days=8), **kw) is None
    near = rules.batch_bud_near(today=bud - timedelta(days=7), **kw)
    assert near is not None and near.recipient == "pharmacist"
    assert rules.batch_bud_near(today=bud + timedelta(days=1), **kw) is None


def test_quiet_hours_cross_midnight() -> None:
    def at(h: int, m: int = 0) -> datetime:
        return datetime(2026, 11, 25, h, m, tzinfo=UTC)

    assert rules.in_quiet_hours(at(23), start="22:00", end="07:00")
    assert rules.in_quiet_hours(at(6, 59), start="22:00", end="07:00")
    assert not rules.in_quiet_hours(at(7), start="22:00", end="07:00")
    assert rules.in_quiet_hours(at(13), start="12:00", end="14:00")
    assert not rules.in_quiet_hours(at(13), start=None, end="14:00")


@settings(max_examples=60, deadline=None)
@given(
    minutes=st.lists(st.integers(min_value=0, max_value=14 * 24 * 60), min_size=1, max_size=200),
    logged=st.sets(st.integers(min_value=0, max_value=13)),
)
def test_a_rule_never_fires_twice_for_one_key(minutes: list[int], logged: set[int]) -> None:
    """Evaluated at any moments (every minute, by several workers), the diary reminder and the
    diary gap produce at most one notification per key: one reminder a day, one per silence."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    store: dict[tuple[str, str, date], int] = {}
    for m in sorted(minutes):
        now = start + timedelta(minutes=m)
        day = (now.date() - start.date()).days
        reminder = rules.diary_reminder(
            patient_id=1, now_local=now, reminder_time="20:00", logged_today=day in logged
        )
        days = [d for d in logged if d < day]
        last = start.date() + timedelta(days=max(days)) if days else None
        gap = rules.diary_gap(
            patient_id=1,
            name="A",
            last_logged=last,
            since=start.date(),
            today=now.date(),
            gap_days=3,
        )
        for intent in (reminder, gap):
            if intent is not None:
                store[_key(intent)] = store.get(_key(intent), 0) + 1
    reminders = {k for k in store if k[0] == "diary_reminder"}
    assert len(reminders) == len({k[2] for k in reminders})  # one per day
    gaps = {k for k in store if k[0] == "diary_gap"}
    assert (
        len(gaps) <= len(logged) + 1
    )  # one per silence (after each logged day, or from the start)
