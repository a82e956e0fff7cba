"""The clinician's list columns (ldn.domain.dashboard), the list's page view (ldn.web.dashboard)
and the PWA icons (ldn.web.icons)."""

from __future__ import annotations

from datetime import date, timedelta
from importlib.resources import files
from typing import Any
from urllib.parse import parse_qs, urlparse

from hypothesis import given
from hypothesis import strategies as st

from ldn.domain.dashboard import ACTIONS, DashboardRow, PatientFacts, derive, sort_value
from ldn.services.clinic.dashboard import plan_facts
from ldn.web.dashboard import list_view
from ldn.web.icons import SIZES, draw_icon, png

TODAY = date(2026, 12, 6)


def _row(**facts: Any) -> DashboardRow:
    return derive(PatientFacts(**facts), today=TODAY, window_days=14, gap_days=3)


def test_days_missed_counts_the_window_before_today_or_since_the_start() -> None:
    # logged 10 of the 14 days before today: 4 missed (today is not counted)
    row = _row(first_diary_day=date(2026, 9, 1), last_diary_day=TODAY, days_logged_in_window=10)
    assert row.days_missed == 4
    # started 5 days ago and logged 3 of those days: 2 missed, not 11
    row = _row(
        first_diary_day=TODAY - timedelta(days=5),
        last_diary_day=TODAY - timedelta(days=1),
        days_logged_in_window=3,
    )
    assert row.days_missed == 2
    # a plan that started 7 days ago and no diary at all: 7 missed
    row = _row(plan_start=TODAY - timedelta(days=7), plan_dose_mg=1.5)
    assert row.days_missed == 7 and row.next_action == "diary_gap"
    # nothing to track yet (no diary, no plan started): no number
    assert _row(verdict="candidate").days_missed is None
    # started today: nothing missed yet
    assert _row(plan_start=TODAY, plan_dose_mg=1.5).days_missed == 0


@given(
    window=st.integers(1, 60),
    logged=st.integers(0, 60),
    started=st.integers(0, 400),
)
def test_days_missed_is_between_zero_and_the_window(window: int, logged: int, started: int) -> None:
    start = TODAY - timedelta(days=started)
    possible = min(window, started)
    facts = PatientFacts(
        first_diary_day=start, last_diary_day=TODAY, days_logged_in_window=min(logged, possible)
    )
    row = derive(facts, today=TODAY, window_days=window, gap_days=3)
    assert row.days_missed is not None and 0 <= row.days_missed <= possible
    assert row.days_missed == possible - min(logged, possible)


def test_next_action_follows_the_data() -> None:
    running = {"verdict": "candidate", "trial_status": "running", "last_diary_day": TODAY}
    assert _row(**running, trial_end=TODAY - timedelta(days=1)).next_action == "reveal_trial"
    assert _row(**running, trial_end=TODAY + timedelta(days=9)).next_action == "none"
    assert _row(trial_status="revealed").next_action == "analyse_trial"
    plan = {
        "verdict": "candidate",
        "plan_start": date(2026, 6, 15),
        "plan_dose_mg": 4.5,
        "last_diary_day": TODAY,
        "first_diary_day": date(2026, 6, 8),
    }
    assert _row(**plan, assessment_date=TODAY).next_action == "review_response"
    assert _row(**plan, assessment_date=TODAY + timedelta(days=10)).next_action == "assessment_due"
    assert _row(**plan, assessment_date=TODAY + timedelta(days=40)).next_action == "none"
    gap = {**plan, "last_diary_day": TODAY - timedelta(days=3)}
    assert _row(**gap, assessment_date=TODAY + timedelta(days=40)).next_action == "diary_gap"
    assert _row(verdict="candidate").next_action == "no_plan"
    assert _row(verdict="candidate_with_cautions").next_action == "no_plan"
    assert _row(verdict="needs_clinician_review").next_action == "review_screening"
    assert _row(verdict="contraindicated").next_action == "none"
    assert _row().next_action == "screen"
    later = {
        "verdict": "candidate",
        "plan_start": TODAY + timedelta(days=3),
        "plan_dose_mg": 0.0,
        "assessment_date": TODAY + timedelta(days=90),
    }
    row = _row(**later)
    assert row.next_action == "none" and row.current_dose_mg == 0.0


def test_the_columns_as_the_api_gives_them() -> None:
    row = _row(
        verdict="candidate",
        side_effect_day=TODAY - timedelta(days=2),
        side_effects=("vivid_dreams",),
        last_diary_day=TODAY,
    )
    out = row.as_dict()
    assert out["newest_side_effect"] == {"date": "2026-12-04", "side_effects": ["vivid_dreams"]}
    assert out["next_action"] == "no_plan" and out["next_action_text"] == "No plan yet"
    assert out["needs_attention"] is True and out["last_diary_day"] == "2026-12-06"
    assert out["diary_gap_days"] == 0


def test_sorting_values_and_urgency_order() -> None:
    urgent = _row(trial_status="revealed")
    calm = _row(verdict="contraindicated")
    assert sort_value(urgent, "next_action") < sort_value(calm, "next_action")
    assert sort_value(calm, "dose") is None
    assert [code for code, _ in ACTIONS][-1] == "none"


def test_plan_facts_read_the_stored_plan() -> None:
    plan = {
        "steps": [
            {"dose_mg": 1.5, "start": "2026-06-15"},
            {"dose_mg": 3.0, "start": "2026-06-29"},
            {"dose_mg": 4.5, "start": "2026-07-13"},
        ],
        "assessment_date": "2026-09-07",
    }
    assert plan_facts(plan, date(2026, 6, 30)) == (date(2026, 6, 15), 3.0, date(2026, 9, 7))
    assert plan_facts(plan, date(2026, 6, 1))[1] == 0.0


def test_the_list_view_reads_parameters_leniently_and_links_the_headers() -> None:
    view = list_view(q="an", sort="-days_missed", condition="fibromyalgia", attention="1", days="5")
    assert view.query == {
        "q": "an",
        "sort": "-days_missed",
        "condition": "fibromyalgia",
        "attention": True,
        "no_diary_days": 5,
    }
    assert view.aria_sort("days_missed") == "descending" and view.aria_sort("dose") == "none"
    flip = parse_qs(urlparse(view.links["days_missed"]).query)
    assert flip["sort"] == ["days_missed"] and flip["condition"] == ["fibromyalgia"]
    assert parse_qs(urlparse(view.links["last_diary_day"]).query)["sort"] == ["-last_diary_day"]
    odd = list_view(q="", sort="password", condition="", attention="maybe", days="-3")
    assert odd.query["sort"] == "name" and odd.query["attention"] is None
    assert odd.query["no_diary_days"] is None


def test_the_icons_on_disk_are_the_drawing() -> None:
    """`python -m ldn.web.icons` makes them again; a changed drawing must be written out."""
    for size in SIZES:
        path = files("ldn.web") / "static" / "icons" / f"icon-{size}.png"
        assert path.read_bytes() == png(draw_icon(size)), f"run python -m ldn.web.icons ({path})"
