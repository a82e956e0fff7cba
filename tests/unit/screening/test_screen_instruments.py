"""Instrument thresholds at and around their boundaries, and scoring invariants (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ldn.domain.errors import InputError
from ldn.domain.instruments import INSTRUMENTS, get_instrument
from ldn.domain.instruments.acr_fibromyalgia import generalized_regions, psd_category
from ldn.domain.instruments.csi import band
from ldn.domain.instruments.fiqr import state
from ldn.domain.instruments.ichd3 import MohUse, classify, moh_subtypes
from ldn.domain.instruments.midas import grade
from ldn.domain.instruments.nrs import immpact_category
from ldn.domain.vocabulary import WPI_AREAS

# Areas that count for the 2016 generalized-pain rule, one per region, then fillers.
SPREAD = ["shoulder_girdle_left", "shoulder_girdle_right", "hip_left", "hip_right", "neck"]
FILL = [a for a in WPI_AREAS if a not in SPREAD]


def acr(version: str, wpi: int, sss: int, **extra: Any) -> dict[str, Any]:
    areas = (SPREAD + FILL)[:wpi]
    base: dict[str, Any] = {
        "wpi_areas": areas,
        "fatigue": min(sss, 3),
        "waking_unrefreshed": min(max(sss - 3, 0), 3),
        "cognitive_symptoms": min(max(sss - 6, 0), 3),
        "symptoms_at_least_3_months": True,
    }
    rest = max(sss - 9, 0)
    if version == "acr_2010":
        base["somatic_symptoms"] = rest
    else:
        base |= {
            "headaches": rest >= 1,
            "lower_abdominal_pain_or_cramps": rest >= 2,
            "depression": rest >= 3,
        }
    return base | extra


def met(version: str, wpi: int, sss: int, **extra: Any) -> bool:
    return bool(
        get_instrument(version).score(acr(version, wpi, sss, **extra)).details["criteria_met"]
    )


@pytest.mark.parametrize(
    ("wpi", "sss", "expected"),
    [
        (7, 5, True),
        (7, 4, False),
        (6, 9, True),
        (6, 8, False),
        (4, 9, True),
        (3, 9, False),
        (3, 12, False),
        (19, 5, True),
    ],
)
def test_acr2016_thresholds(wpi: int, sss: int, expected: bool) -> None:
    """Wolfe 2016: (WPI >= 7 & SSS >= 5) or (WPI 4-6 & SSS >= 9), generalized pain required."""
    assert met("acr_2016", wpi, sss) is expected


@pytest.mark.parametrize(
    ("wpi", "sss", "expected"), [(3, 9, True), (2, 9, False), (7, 5, True), (6, 8, False)]
)
@pytest.mark.parametrize("version", ["acr_2010", "acr_2011"])
def test_acr2010_2011_thresholds(version: str, wpi: int, sss: int, expected: bool) -> None:
    """Wolfe 2010/2011: the low-WPI band is 3-6 (not 4-6 as in 2016)."""
    assert met(version, wpi, sss) is expected


def test_acr2016_needs_generalized_pain() -> None:
    """Jaw, chest and abdomen do not count toward the 5 regions (Wolfe 2016)."""
    areas = [
        "jaw_left",
        "jaw_right",
        "chest",
        "abdomen",
        "upper_arm_left",
        "lower_arm_left",
        "upper_arm_right",
    ]
    assert generalized_regions(areas) == 2
    answers = acr("acr_2016", 0, 9) | {"wpi_areas": areas}
    assert get_instrument("acr_2016").score(answers).details["criteria_met"] is False


def test_acr_duration_and_other_disorder() -> None:
    assert not met("acr_2016", 12, 9, symptoms_at_least_3_months=False)
    assert not met("acr_2011", 12, 9, other_disorder_explains_pain=True)
    assert met("acr_2016", 12, 9)  # 2016: other diagnoses do not exclude


@pytest.mark.parametrize(
    ("fs", "cat"),
    [
        (0, "none"),
        (3, "none"),
        (4, "mild"),
        (7, "mild"),
        (8, "moderate"),
        (11, "moderate"),
        (12, "severe"),
        (19, "severe"),
        (20, "very severe"),
        (31, "very severe"),
    ],
)
def test_psd_categories(fs: int, cat: str) -> None:
    assert psd_category(fs) == cat


@pytest.mark.parametrize(
    ("total", "label"),
    [
        (0, "subclinical"),
        (29, "subclinical"),
        (30, "mild"),
        (39, "mild"),
        (40, "moderate"),
        (49, "moderate"),
        (50, "severe"),
        (59, "severe"),
        (60, "extreme"),
        (100, "extreme"),
    ],
)
def test_csi_bands(total: int, label: str) -> None:
    assert band(total) == label


def test_csi_screen_at_40() -> None:
    spec = get_instrument("csi")
    at_39 = {f"q{i}": (4 if i <= 9 else 0) for i in range(1, 26)} | {"q10": 3}
    at_40 = at_39 | {"q11": 1}
    assert spec.score(at_39).details["screen_positive"] is False
    assert spec.score(at_40).details["screen_positive"] is True


@pytest.mark.parametrize(
    ("score", "g"),
    [(0, "I"), (5, "I"), (6, "II"), (10, "II"), (11, "III"), (20, "III"), (21, "IV"), (270, "IV")],
)
def test_midas_grades(score: int, g: str) -> None:
    assert grade(score)[0] == g


@pytest.mark.parametrize(
    ("total", "s"),
    [
        (30, "remission"),
        (30.01, "mild"),
        (45, "mild"),
        (45.5, "moderate"),
        (65, "moderate"),
        (65.1, "high severity"),
    ],
)
def test_fiqr_states(total: float, s: str) -> None:
    assert state(total) == s


def test_fiqr_scoring_and_missing_items() -> None:
    """fiqr.info: function/3 + overall + symptoms/2; all 10s -> 30 + 20 + 50 = 100."""
    spec = get_instrument("fiqr")
    full = (
        {f"f{i}": 10 for i in range(1, 10)}
        | {"o1": 10, "o2": 10}
        | {f"s{i}": 10 for i in range(1, 11)}
    )
    assert spec.score(full).total == 100
    one_missing = {k: v for k, v in full.items() if k != "f3"}
    assert spec.score(one_missing).total == 100  # weighted by 9/8
    with pytest.raises(InputError, match="too many FIQR items missing"):
        spec.score({k: v for k, v in full.items() if k not in ("f3", "f4")})
    with pytest.raises(InputError, match="o1"):
        spec.score({k: v for k, v in full.items() if k != "o1"})


@pytest.mark.parametrize(
    ("pct", "cat"),
    [
        (9.99, "none"),
        (10, "minimal"),
        (29.9, "minimal"),
        (30, "moderate"),
        (49.9, "moderate"),
        (50, "substantial"),
    ],
)
def test_immpact_boundaries(pct: float, cat: str) -> None:
    assert immpact_category(pct) == cat


MIGRAINE = {"headache_days_per_month": 6, "migraine_days_per_month": 6, "months_with_this_frequency": 12, "attacks_lifetime": 30,
            "typical_attack_duration_h": 12, "unilateral": True, "pulsating": True, "moderate_or_severe": True,
            "aggravated_by_activity": False, "nausea_or_vomiting": True, "photophobia_and_phonophobia": False}  # fmt: skip


def ichd(**kw: Any) -> Any:
    spec = get_instrument("ichd3")
    return spec.validate(MIGRAINE | kw)


def test_ichd3_migraine_without_aura_and_probable() -> None:
    assert classify(ichd()).details["migraine_without_aura"]
    assert classify(ichd(attacks_lifetime=4)).details["probable_migraine"]
    assert not classify(ichd(typical_attack_duration_h=3)).details["migraine_without_aura"]
    assert classify(ichd(typical_attack_duration_h=3, under_18=True)).details[
        "migraine_without_aura"
    ]
    assert not classify(ichd(nausea_or_vomiting=False)).details["migraine_without_aura"]


def test_ichd3_chronic_migraine_boundaries() -> None:
    """1.3: >= 15 headache days for > 3 months with >= 8 migraine days."""
    assert classify(
        ichd(headache_days_per_month=15, migraine_days_per_month=8, months_with_this_frequency=4)
    ).details["chronic_migraine"]
    assert not classify(
        ichd(headache_days_per_month=14, migraine_days_per_month=8, months_with_this_frequency=4)
    ).details["chronic_migraine"]
    assert not classify(
        ichd(headache_days_per_month=15, migraine_days_per_month=7, months_with_this_frequency=4)
    ).details["chronic_migraine"]
    assert not classify(
        ichd(headache_days_per_month=15, migraine_days_per_month=8, months_with_this_frequency=3)
    ).details["chronic_migraine"]


def test_ichd3_tension_type_differential() -> None:
    tth = ichd(
        unilateral=False,
        pulsating=False,
        moderate_or_severe=False,
        nausea_or_vomiting=False,
        headache_days_per_month=20,
    )
    res = classify(tth)
    assert res.details["tension_type"] == "2.3"
    assert not res.details["migraine_without_aura"]


@pytest.mark.parametrize(
    ("cls", "days", "months", "expected"),
    [
        ("codeine", 10, 4, ["8.2.4"]),
        ("codeine", 9, 4, []),
        ("codeine", 10, 3, []),
        ("triptan", 10, 6, ["8.2.2"]),
        ("simple_analgesic", 14, 6, []),
        ("simple_analgesic", 15, 6, ["8.2.3"]),
        ("ergotamine", 10, None, ["8.2.1"]),
        ("combination_analgesic", 10, 12, ["8.2.5"]),
    ],
)
def test_moh_thresholds(cls: str, days: int, months: float | None, expected: list[str]) -> None:
    """ICHD-3 8.2: >= 10 days/month (>= 15 for non-opioid analgesics) for > 3 months."""
    assert moh_subtypes(20, True, MohUse({cls: days}, {cls: months})) == expected


def test_moh_multiple_classes_and_requirements() -> None:
    use = MohUse({"triptan": 6, "simple_analgesic": 6}, {"triptan": 6, "simple_analgesic": 6})
    assert moh_subtypes(20, True, use) == ["8.2.6"]
    assert moh_subtypes(14, True, use) == []  # needs >= 15 headache days
    assert moh_subtypes(20, False, use) == []  # needs a pre-existing headache disorder


def test_nociplastic_grading() -> None:
    spec = get_instrument("nociplastic")
    base = {
        "pain_duration_over_3_months": True,
        "regional_multifocal_or_widespread": True,
        "not_entirely_explained_by_nociceptive": True,
        "not_entirely_explained_by_neuropathic": True,
        "evoked_hypersensitivity_in_painful_area": True,
    }
    assert spec.score(base).category == "possible"
    assert (
        spec.score(
            base
            | {"history_of_hypersensitivity_in_painful_region": True, "comorbidities": ["fatigue"]}
        ).category
        == "probable"
    )
    assert (
        spec.score(base | {"history_of_hypersensitivity_in_painful_region": True}).category
        == "possible"
    )
    assert (
        spec.score(base | {"not_entirely_explained_by_nociceptive": False}).category == "unlikely"
    )


def test_bad_answers_name_the_item() -> None:
    with pytest.raises(InputError) as info:
        get_instrument("csi").score(
            {f"q{i}": 2 for i in range(1, 26)} | {"q7": 5}, loc="questionnaires.csi.answers"
        )
    assert info.value.lines()[0].startswith("questionnaires.csi.answers.q7:")
    with pytest.raises(InputError, match="q25"):
        get_instrument("csi").score({f"q{i}": 2 for i in range(1, 25)})
    with pytest.raises(InputError, match="unknown instrument 'bpi'"):
        get_instrument("bpi")


def test_licensed_item_text_is_not_shipped() -> None:
    for key in ("csi", "fiqr", "midas"):
        assert INSTRUMENTS[key].item_text_shipped is False


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(WPI_AREAS), unique=True),
    st.integers(0, 3),
    st.integers(0, 3),
    st.integers(0, 3),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.sampled_from(WPI_AREAS),
    st.sampled_from(["fatigue", "headaches"]),
)
def test_acr_scores_in_range_and_monotone(
    areas: list[str],
    fa: int,
    wu: int,
    co: int,
    h: bool,
    ab: bool,
    de: bool,
    extra_area: str,
    sym: str,
) -> None:
    """WPI 0-19, SSS 0-12, FS 0-31; adding a painful area or a symptom never lowers WPI/SSS."""
    spec = get_instrument("acr_2016")
    answers: dict[str, Any] = {
        "wpi_areas": areas,
        "fatigue": fa,
        "waking_unrefreshed": wu,
        "cognitive_symptoms": co,
        "headaches": h,
        "lower_abdominal_pain_or_cramps": ab,
        "depression": de,
        "symptoms_at_least_3_months": True,
    }
    r = spec.score(answers)
    assert (
        0 <= r.details["wpi"] <= 19 and 0 <= r.details["sss"] <= 12 and 0 <= r.details["fs"] <= 31
    )
    more_areas = answers | {"wpi_areas": sorted(set(areas) | {extra_area})}
    assert spec.score(more_areas).details["wpi"] >= r.details["wpi"]
    more_symptoms = answers | (
        {"fatigue": min(fa + 1, 3)} if sym == "fatigue" else {"headaches": True}
    )
    r2 = spec.score(more_symptoms)
    assert r2.details["sss"] >= r.details["sss"]
    assert r2.details["criteria_met"] or not r.details["criteria_met"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=25, max_size=25), st.integers(0, 24))
def test_csi_in_range_and_monotone(items: list[int], bump: int) -> None:
    spec = get_instrument("csi")
    answers = {f"q{i + 1}": v for i, v in enumerate(items)}
    total = spec.score(answers).total
    assert total is not None and 0 <= total <= 100
    higher = answers | {f"q{bump + 1}": min(items[bump] + 1, 4)}
    assert (spec.score(higher).total or 0) >= total
