"""ACR fibromyalgia criteria: 2010, 2011 (self-report) and 2016 (Wolfe et al.).

Widespread Pain Index (WPI): painful areas in the past week out of 19, 0-19.
Symptom Severity Scale (SSS), 0-12: fatigue, waking unrefreshed, cognitive symptoms, each 0-3,
plus 0-3 for somatic symptoms — in 2010 the physician's rating of somatic symptoms (0-3); in
2011 and 2016 the count of headaches, lower-abdominal pain or cramps and depression in the
previous 6 months.
Fibromyalgia severity (FS) = polysymptomatic distress (PSD) = WPI + SSS, 0-31; categories
(Wolfe 2015): 0-3 none, 4-7 mild, 8-11 moderate, 12-19 severe, 20-31 very severe.

Criteria met when:

* 2016:  (WPI >= 7 and SSS >= 5) or (WPI 4-6 and SSS >= 9); generalized pain in >= 4 of 5
  regions (jaw, chest and abdomen do not count); symptoms >= 3 months; other diagnoses do not
  exclude fibromyalgia.
* 2010/2011: (WPI >= 7 and SS >= 5) or (WPI 3-6 and SS >= 9); symptoms at a similar level
  >= 3 months; no other disorder that would otherwise explain the pain.

The criteria are for classification by a clinician and "are not to be used for
self-diagnosis" (Wolfe 2011). The logic is implemented; the criteria text is paraphrased.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ldn.domain.facts import Fact
from ldn.domain.instruments.base import Answers, InstrumentResult, InstrumentSpec
from ldn.domain.vocabulary import WPI_REGIONS, WpiArea

WPI_AREA_COUNT = Fact(19, unit="areas", sources=("wolfe-2010", "wolfe-2016"))
FM2016_WPI_HIGH = Fact(7, unit="WPI", sources=("wolfe-2016",), note="WPI >= 7 with SSS >= 5")
FM2016_SSS_WITH_HIGH_WPI = Fact(5, unit="SSS", sources=("wolfe-2016",))
FM2016_WPI_LOW_RANGE = Fact(
    (4, 6), unit="WPI", sources=("wolfe-2016",), note="WPI 4-6 with SSS >= 9 (not 3-6 as in 2010)"
)
FM2010_WPI_LOW_RANGE = Fact(
    (3, 6), unit="WPI", sources=("wolfe-2010", "wolfe-2011"), note="WPI 3-6 with SS >= 9"
)
FM_SSS_WITH_LOW_WPI = Fact(9, unit="SSS", sources=("wolfe-2010", "wolfe-2016"))
FM2016_GENERALIZED_REGIONS = Fact(
    4,
    unit="of 5 regions",
    sources=("wolfe-2016",),
    note="Jaw, chest and abdomen do not count toward a region.",
)
FM_MIN_DURATION_MONTHS = Fact(3, unit="months", sources=("wolfe-2010", "wolfe-2016"))
PSD_CATEGORIES = Fact(
    ((0, "none"), (4, "mild"), (8, "moderate"), (12, "severe"), (20, "very severe")),
    unit="lower bound of category, FS points", sources=("wolfe-2015",),
)  # fmt: skip
FS_2011_SCREEN = Fact(
    13,
    unit="FS points",
    sources=("wolfe-2011",),
    note="FS >= 13 best separated criteria-positive patients (sens 96.6 %, spec 91.8 %).",
)

#: WPI areas that do not count toward the 2016 generalized-pain regions
_NOT_GENERALIZED = frozenset({"jaw_left", "jaw_right", "chest", "abdomen"})
_Severity = Field(ge=0, le=3, description="0 none, 1 mild, 2 moderate, 3 severe (past week)")


class _Common(Answers):
    wpi_areas: list[WpiArea] = Field(
        default_factory=list, description="Painful areas in the past week"
    )
    fatigue: int = _Severity
    waking_unrefreshed: int = _Severity
    cognitive_symptoms: int = _Severity
    symptoms_at_least_3_months: bool

    @field_validator("wpi_areas")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("an area is listed twice | fix: list each painful area once")
        return v


class Acr2016Answers(_Common):
    headaches: bool = Field(description="Bothered by headaches in the previous 6 months")
    lower_abdominal_pain_or_cramps: bool
    depression: bool


class Acr2011Answers(Acr2016Answers):
    other_disorder_explains_pain: bool = False


class Acr2010Answers(_Common):
    somatic_symptoms: int = Field(
        ge=0, le=3, description="Physician: 0 none, 1 few, 2 moderate number, 3 a great deal"
    )
    other_disorder_explains_pain: bool = False


def wpi(areas: list[str]) -> int:
    return len(set(areas))


def generalized_regions(areas: list[str]) -> int:
    """Regions (of 5) with pain in a qualifying site (2016)."""
    painful = set(areas) - _NOT_GENERALIZED
    return sum(bool(painful & set(sites)) for sites in WPI_REGIONS.values())


def psd_category(fs: int) -> str:
    label = PSD_CATEGORIES.value[0][1]
    for lower, name in PSD_CATEGORIES.value:
        if fs >= lower:
            label = name
    return label


def _thresholds_met(w: int, s: int, low_range: tuple[int, int]) -> bool:
    lo, hi = low_range
    return (w >= FM2016_WPI_HIGH.value and s >= FM2016_SSS_WITH_HIGH_WPI.value) or (
        lo <= w <= hi and s >= FM_SSS_WITH_LOW_WPI.value
    )


def _result(
    version: Literal["2010", "2011", "2016"],
    a: _Common,
    somatic: int,
    met: bool,
    extra: dict[str, object],
) -> InstrumentResult:
    w = wpi(list(a.wpi_areas))
    s = a.fatigue + a.waking_unrefreshed + a.cognitive_symptoms + somatic
    fs = w + s
    ids = {
        "2010": ("wolfe-2010", "wolfe-2015"),
        "2011": ("wolfe-2011", "wolfe-2015"),
        "2016": ("wolfe-2016", "wolfe-2015"),
    }[version]
    return InstrumentResult(
        f"acr_{version}",
        fs,
        psd_category(fs),
        ids,
        {
            "criteria_met": met,
            "wpi": w,
            "sss": s,
            "fs": fs,
            "psd_category": psd_category(fs),
            **extra,
        },
    )


def score_2016(a: Acr2016Answers) -> InstrumentResult:
    w = wpi(list(a.wpi_areas))
    s = a.fatigue + a.waking_unrefreshed + a.cognitive_symptoms
    somatic = int(a.headaches) + int(a.lower_abdominal_pain_or_cramps) + int(a.depression)
    regions = generalized_regions(list(a.wpi_areas))
    generalized = regions >= FM2016_GENERALIZED_REGIONS.value
    met = (
        _thresholds_met(w, s + somatic, FM2016_WPI_LOW_RANGE.value)
        and generalized
        and a.symptoms_at_least_3_months
    )
    return _result(
        "2016", a, somatic, met, {"generalized_regions": regions, "generalized_pain": generalized}
    )


def score_2011(a: Acr2011Answers) -> InstrumentResult:
    s = a.fatigue + a.waking_unrefreshed + a.cognitive_symptoms
    somatic = int(a.headaches) + int(a.lower_abdominal_pain_or_cramps) + int(a.depression)
    w = wpi(list(a.wpi_areas))
    met = (
        _thresholds_met(w, s + somatic, FM2010_WPI_LOW_RANGE.value)
        and a.symptoms_at_least_3_months
        and not a.other_disorder_explains_pain
    )
    return _result(
        "2011", a, somatic, met, {"fs_screen_positive": w + s + somatic >= FS_2011_SCREEN.value}
    )


def score_2010(a: Acr2010Answers) -> InstrumentResult:
    s = a.fatigue + a.waking_unrefreshed + a.cognitive_symptoms + a.somatic_symptoms
    w = wpi(list(a.wpi_areas))
    met = (
        _thresholds_met(w, s, FM2010_WPI_LOW_RANGE.value)
        and a.symptoms_at_least_3_months
        and not a.other_disorder_explains_pain
    )
    return _result("2010", a, a.somatic_symptoms, met, {})


_LOGIC = "Published criteria: logic implemented, text paraphrased with attribution."
SPEC_2016 = InstrumentSpec(
    id="acr_2016",
    name="ACR 2016 fibromyalgia criteria (WPI, SSS, FS/PSD)",
    answers=Acr2016Answers,
    scorer=score_2016,
    source_ids=("wolfe-2016", "wolfe-2015"),
    licence="logic_only",
    licence_note=_LOGIC,
    item_text_shipped=True,
)
SPEC_2011 = InstrumentSpec(
    id="acr_2011",
    name="ACR 2010/2011 self-report modification (survey criteria)",
    answers=Acr2011Answers,
    scorer=score_2011,
    source_ids=("wolfe-2011", "wolfe-2015"),
    licence="logic_only",
    licence_note=_LOGIC,
    item_text_shipped=True,
)
SPEC_2010 = InstrumentSpec(
    id="acr_2010",
    name="ACR 2010 preliminary fibromyalgia criteria",
    answers=Acr2010Answers,
    scorer=score_2010,
    source_ids=("wolfe-2010", "wolfe-2015"),
    licence="logic_only",
    licence_note=_LOGIC,
    item_text_shipped=True,
)
