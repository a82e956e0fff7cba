"""Titration, adjustments, compounding and calendar: expectations and invariants."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from ldn.domain.adjustments import adjust
from ldn.domain.compounding import capsule_batch, liquid_batch
from ldn.domain.cost import monthly_cost
from ldn.domain.errors import ClinicalRefusal, InputError
from ldn.domain.titration import TitrationPlan, build_plan
from ldn.interop.ical import plan_calendar

D0 = date(2026, 12, 1)


def test_common_schedule() -> None:
    plan = build_plan(start=D0)
    assert [(s.dose_mg, s.start) for s in plan.steps] == [
        (1.5, D0),
        (3.0, D0 + timedelta(14)),
        (4.5, D0 + timedelta(28)),
    ]
    assert all(s.timing == "bedtime" for s in plan.steps)
    # max(start + 12 weeks, target + 8 weeks)
    assert plan.assessment_date == max(D0 + timedelta(weeks=12), D0 + timedelta(days=28, weeks=8))


def test_slow_schedule() -> None:
    plan = build_plan(start=D0, schedule="slow")
    assert [s.dose_mg for s in plan.steps] == [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5]
    assert plan.steps[1].start - plan.steps[0].start == timedelta(days=7)


def test_custom_needs_its_parameters() -> None:
    with pytest.raises(InputError, match="--start-mg"):
        build_plan(start=D0, schedule="custom")
    plan = build_plan(
        start=D0, schedule="custom", start_mg=1.0, step_mg=1.0, interval_days=10, target_mg=3.0
    )
    assert [s.dose_mg for s in plan.steps] == [1.0, 2.0, 3.0]


def test_fifty_mg_is_not_ldn() -> None:
    with pytest.raises(ClinicalRefusal, match="not low-dose naltrexone"):
        build_plan(start=D0, target_mg=50)


def test_target_above_maximum() -> None:
    with pytest.raises(InputError, match="above the maximum"):
        build_plan(start=D0, target_mg=6)
    assert build_plan(start=D0, target_mg=6, max_mg=6).steps[-1].dose_mg == 6
    with pytest.raises(InputError, match="highest LDN dose studied"):
        build_plan(start=D0, target_mg=8, max_mg=8)
    with pytest.raises(InputError, match="unknown schedule"):
        build_plan(start=D0, schedule="fast")


@settings(max_examples=80, deadline=None)
@given(
    st.floats(0.25, 3.0),
    st.floats(0.25, 2.0),
    st.integers(1, 28),
    st.floats(0.5, 6.0),
    st.integers(0, 400),
)
def test_plan_invariants(
    start_mg: float, step_mg: float, interval: int, target: float, offset: int
) -> None:
    """No step exceeds the maximum, doses never decrease, dates strictly increase, the target is reached."""
    plan = build_plan(
        start=D0 + timedelta(offset),
        schedule="custom",
        start_mg=start_mg,
        step_mg=step_mg,
        interval_days=interval,
        target_mg=target,
        max_mg=6.0,
    )
    doses = [s.dose_mg for s in plan.steps]
    assert max(doses) <= plan.max_mg
    assert doses == sorted(doses)
    assert all(b.start > a.start for a, b in zip(plan.steps, plan.steps[1:], strict=False))
    assert doses[-1] == pytest.approx(target, abs=1e-4)
    assert TitrationPlan.from_dict(plan.as_dict()) == plan


def test_vivid_dreams_moves_to_morning_then_steps_back() -> None:
    plan = build_plan(start=D0)
    once = adjust(plan, side_effect="vivid_dreams", on=D0 + timedelta(3))
    assert all(s.timing == "morning" for s in once.steps if s.start > D0 + timedelta(3))
    twice = adjust(once, side_effect="vivid_dreams", on=D0 + timedelta(16))
    back = [s for s in twice.steps if "step back" in s.reason]
    assert back
    assert back[0].dose_mg == 1.5
    assert len(twice.adjustments) == 2


def test_hold_delays_future_steps() -> None:
    plan = build_plan(start=D0)
    held = adjust(plan, side_effect="nausea", on=D0 + timedelta(20))
    assert held.steps[2].start == plan.steps[2].start + timedelta(days=14)
    with pytest.raises(InputError, match="unknown side effect"):
        adjust(plan, side_effect="itching", on=D0)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["vivid_dreams", "insomnia", "headache", "nausea", "tiredness"]),
    st.integers(0, 60),
    st.booleans(),
)
def test_adjustments_keep_invariants(effect: str, day: int, severe: bool) -> None:
    """Adjusted plans stay under the maximum, dates strictly increase; a dose only decreases on a step back."""
    plan = adjust(build_plan(start=D0), side_effect=effect, on=D0 + timedelta(day), severe=severe)
    assert max(s.dose_mg for s in plan.steps) <= plan.max_mg
    assert all(b.start > a.start for a, b in zip(plan.steps, plan.steps[1:], strict=False))
    for a, b in zip(plan.steps, plan.steps[1:], strict=False):
        assert b.dose_mg >= a.dose_mg or "step back" in b.reason


@settings(max_examples=50, deadline=None)
@given(st.floats(0.5, 6.0), st.integers(1, 120))
def test_capsule_quantities_sum(strength: float, count: int) -> None:
    """capsules x strength = active ingredient; active portion + filler = capsules x fill weight."""
    b = capsule_batch(strength_mg=strength, count=count, compounded_on=D0)
    assert b.fill is not None and b.weighing is not None
    assert b.api_salt_mg == pytest.approx(strength * count)
    assert b.active_mg == pytest.approx(strength * count)
    filler = b.ingredients[-1]
    assert b.weighing.portion_mg + filler.quantity == pytest.approx(b.fill.fill_mg * count, abs=0.1)


def test_tablet_source_counts_whole_tablets() -> None:
    b = capsule_batch(
        strength_mg=4.5, count=30, compounded_on=D0, api="tablets_50mg", tablet_mass_mg=200
    )
    assert b.ingredients[0].quantity == 3  # 135 mg needs 3 x 50 mg tablets


def test_liquid_batch() -> None:
    """USP <795> preserved aqueous: 35 days (day 1 = compounding day); Fawcett's 30 days at 25 C."""
    b = liquid_batch(volume_ml=100, compounded_on=D0)
    assert b.api_salt_mg == 100
    assert b.ingredients[0].quantity == 2  # two 50 mg tablets
    assert (b.beyond_use - D0).days == 35 - 1
    assert (
        liquid_batch(volume_ml=100, compounded_on=D0, refrigerated=False).beyond_use - D0
    ).days == 30 - 1


def test_cost_near_article_reference() -> None:
    c = monthly_cost("capsule")
    assert 35 <= c.per_month <= 45
    assert c.low_per_month < c.per_month <= c.high_per_month


def test_calendar_parses_back() -> None:
    plan = build_plan(start=D0)
    cal = Calendar.from_ical(plan_calendar(plan, patient_id="p1"))
    events = list(cal.walk("VEVENT"))
    summaries = [str(e["SUMMARY"]) for e in events]
    assert summaries.count("Take LDN 1.5 mg") == 1
    assert sum(s.startswith("LDN dose change") for s in summaries) == len(plan.steps) - 1
    assert "LDN check-in: is it helping?" in summaries
    changes = sorted(
        e.decoded("DTSTART") for e in events if str(e["SUMMARY"]).startswith("LDN dose change")
    )
    assert changes == [s.start for s in plan.steps[1:]]
