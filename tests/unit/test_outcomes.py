"""Clinic outcomes in the domain: Wilson intervals, Kaplan-Meier, the small-number rule and the
per-patient definitions (response at the assessment date, time to response, stopping)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ldn.domain.diary import DiaryEntry
from ldn.domain.errors import InputError
from ldn.domain.outcomes import (
    SMALL_WORDS,
    STOP_REASONS,
    PatientCourse,
    proportion,
    summarise,
    wilson_interval,
)
from ldn.domain.outcomes_trials import side_effects_in_trials, stopping_in_trials
from ldn.domain.survival import kaplan_meier

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0000),
    ],
)
def test_wilson_interval_matches_newcombe_1998(k: int, n: int, low: float, high: float) -> None:
    """Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of
    seven methods. Stat Med 1998;17:857-872, Table I, method 3 (Wilson score, no continuity
    correction), to the 4 decimals printed there."""
    lo, hi = wilson_interval(k, n)
    assert (round(lo, 4), round(hi, 4)) == (low, high)


def test_wilson_interval_is_statsmodels_wilson_and_refuses_nonsense() -> None:
    from statsmodels.stats.proportion import proportion_confint

    assert wilson_interval(7, 17) == pytest.approx(proportion_confint(7, 17, method="wilson"))
    for k, n in ((1, 0), (-1, 5), (6, 5)):
        with pytest.raises(InputError):
            wilson_interval(k, n)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_holds_the_observed_share(kn: tuple[int, int]) -> None:
    k, n = kn
    lo, hi = wilson_interval(k, n)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


def test_small_numbers_are_shown_as_small() -> None:
    few, many, none = (
        proportion(3, 5, small_n=10),
        proportion(30, 50, small_n=10),
        proportion(0, 0, small_n=10),
    )
    assert (
        few.small
        and SMALL_WORDS in few.sentence("responded")
        and "5 patients" in few.sentence("responded")
    )
    assert not many.small and SMALL_WORDS not in many.sentence("responded")
    assert many.sentence("responded").startswith("30 of 50 patients (60%; 95% interval")
    assert none.low is None and none.sentence("responded").startswith("No patient counted here yet")
    assert proportion(9, 9, small_n=9).small is False
    assert "1 of 1 patient (100%" in proportion(1, 1, small_n=10).sentence("responded")


def test_kaplan_meier_equals_lifelines_on_the_waltons_data() -> None:
    """lifelines' own example data set (``lifelines.datasets.load_waltons``: 163 fruit flies,
    days to death, two groups; Davidson-Pilon 2019, lifelines docs 'Survival analysis with
    lifelines'): the wrapper's table is KaplanMeierFitter's, for all and for each group."""
    from lifelines import KaplanMeierFitter
    from lifelines.datasets import load_waltons

    df = load_waltons()
    for _, part in [("all", df), *df.groupby("group")]:
        curve = kaplan_meier(
            part["T"].tolist(),
            part["E"].astype(bool).tolist(),
            what="time to death",
            event="died",
            censoring="censored at the end of follow-up",
            small_n=10,
        )
        assert curve is not None
        kmf = KaplanMeierFitter().fit(part["T"], part["E"])
        assert list(curve.times_d) == kmf.survival_function_.index.tolist()
        assert list(curve.survival) == pytest.approx(kmf.survival_function_.iloc[:, 0].tolist())
        assert list(curve.ci_low) == pytest.approx(kmf.confidence_interval_.iloc[:, 0].tolist())
        assert list(curve.ci_high) == pytest.approx(kmf.confidence_interval_.iloc[:, 1].tolist())
        assert list(curve.at_risk) == kmf.event_table["at_risk"].tolist()
        assert curve.median_d == kmf.median_survival_time_
        assert curve.n == len(part) and curve.events == int(part["E"].sum())
    whole = kaplan_meier(
        df["T"].tolist(),
        df["E"].astype(bool).tolist(),
        what="t",
        event="died",
        censoring="-",
        small_n=10,
    )
    assert (
        whole is not None
        and whole.median_d == 56.0
        and whole.survival[1] == pytest.approx(162 / 163)
    )


def test_kaplan_meier_small_case_checked_by_hand() -> None:
    """Durations 1, 2, 2+, 3, 4+ (+ = censored): S(1) = 4/5 = 0.8; S(2) = 0.8 x 3/4 = 0.6
    (4 at risk, 1 death; the censored 2 leaves after); S(3) = 0.6 x 1/2 = 0.3 (2 at risk);
    S(4) = 0.3 (censored). Median: the first time S <= 0.5, day 3."""
    c = kaplan_meier(
        [1, 2, 2, 3, 4],
        [True, True, False, True, False],
        what="time to stopping",
        event="stopped",
        censoring="still on LDN: censored today",
        small_n=10,
    )
    assert c is not None
    assert c.times_d == (0.0, 1.0, 2.0, 3.0, 4.0)
    assert c.survival == pytest.approx((1.0, 0.8, 0.6, 0.3, 0.3))
    assert c.at_risk == (5, 5, 4, 2, 1)
    assert c.median_d == 3.0 and c.small and SMALL_WORDS in c.sentence()
    assert all(lo <= s <= hi for s, lo, hi in zip(c.survival, c.ci_low, c.ci_high, strict=True))
    assert c.at(2.5) == c.at(2.0) and "Censoring: still on LDN" in c.sentence()
    assert kaplan_meier([], [], what="t", event="e", censoring="-", small_n=1) is None
    with pytest.raises(InputError):
        kaplan_meier([1, -1], [True, True], what="t", event="e", censoring="-", small_n=1)


def _entries(start: date, days: int, pain: float, **extra: object) -> list[DiaryEntry]:
    return [
        DiaryEntry.model_validate({"date": start + timedelta(days=i), "pain_avg": pain, **extra})
        for i in range(days)
    ]


def test_course_definitions_response_time_to_response_and_stop() -> None:
    start = TODAY - timedelta(days=120)
    base = _entries(start - timedelta(days=14), 14, 6.0)
    # pain 3 from the first dose: the 14-day window holds 7 logged days (the minimum) on day 6
    responder = PatientCourse(
        "fibromyalgia",
        True,
        start,
        start + timedelta(days=84),
        dose_reached_mg=4.5,
        diary=tuple(base + _entries(start, 110, 3.0)),
    )
    assert responder.time_to_response(TODAY) == (6.0, True)
    report = responder.response()
    assert report is not None and report.reduction_percent == pytest.approx(50.0)
    assert responder.reached_assessment(TODAY) and responder.outcome_due(TODAY)
    stopped = PatientCourse(
        "fibromyalgia",
        True,
        start,
        start + timedelta(days=84),
        stopped_on=start + timedelta(days=30),
        stop_reason="side_effects",
        diary=tuple(base + _entries(start, 31, 6.0, side_effects=["nausea"])),
    )
    assert not stopped.reached_assessment(TODAY) and stopped.outcome_due(TODAY)
    assert stopped.time_to_response(TODAY) == (30.0, False) and stopped.response() is None
    nodiary = PatientCourse("fibromyalgia", True, start, start + timedelta(days=84))
    assert (
        nodiary.reached_assessment(TODAY)
        and nodiary.response() is None
        and nodiary.time_to_response(TODAY) is None
    )
    waiting = PatientCourse("fibromyalgia", True, TODAY + timedelta(days=3), None)
    assert not waiting.started(TODAY)
    s = summarise(
        [responder, stopped, nodiary, waiting, PatientCourse("fibromyalgia", False)],
        condition="fibromyalgia",
        today=TODAY,
        small_n=10,
    )
    d = s.as_dict()
    assert d["counts"] | {"sentence": ""} == {
        "patients": 5,
        "screened": 4,
        "started": 3,
        "reached_assessment": 2,
        "still_on": 2,
        "stopped": 1,
        "not_assessable": 1,
        "sentence": "",
    }
    assert (d["responders_30"]["k"], d["responders_30"]["n"]) == (1, 1)
    assert (d["responders_30_all"]["k"], d["responders_30_all"]["n"]) == (1, 3)
    assert d["time_to_stopping"]["events"] == 1 and d["time_to_response"]["n"] == 2
    assert d["stop_reasons"] == [
        {"reason": "side_effects", "words": STOP_REASONS["side_effects"], "patients": 1}
    ]
    nausea = next(e for e in d["side_effects"] if e["effect"] == "nausea")
    assert (nausea["k"], nausea["n"]) == (1, 2) and "No trial rate recorded" in nausea["in_trials"]
    assert d["dose_reached"]["n"] == 1 and "4.5 mg for 1" in d["dose_reached"]["sentence"]
    assert "Of 5 patients with fibromyalgia: 4 screened, 3 started" in d["counts"]["sentence"]


def test_trial_references_are_read_from_the_cited_data() -> None:
    rates = side_effects_in_trials()
    assert "2.41" in rates["vivid_dreams"][0] and rates["vivid_dreams"][1] == ("annmedsurg-2025",)
    assert "7 of 17" in rates["insomnia"][0] and "open-label" in rates["insomnia"][0]
    assert "tiredness" not in rates
    fm = stopping_in_trials("fibromyalgia")
    assert any(r["study"] == "bruun2024" and (r["events_ldn"], r["n_ldn"]) == (4, 49) for r in fm)
    assert stopping_in_trials("tension_type_headache") == [] and len(
        stopping_in_trials("all")
    ) >= len(fm)


def test_importing_the_domain_outcomes_loads_no_statistics_or_plotting_library() -> None:
    code = (
        "import sys, json, ldn.domain.outcomes, ldn.domain.outcomes_trials\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('lifelines', 'pandas', 'matplotlib', 'statsmodels'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
