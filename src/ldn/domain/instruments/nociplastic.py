"""IASP clinical criteria and grading of nociplastic pain affecting the musculoskeletal system
(Kosek et al., Pain 2021).

Possible nociplastic pain — all four:
  1. pain for at least 3 months;
  2. regional (multifocal or widespread) rather than discrete distribution;
  3. pain that cannot entirely be explained by nociceptive or neuropathic mechanisms;
  4. clinical signs of pain hypersensitivity (evoked: allodynia, after-sensations) at least in
     the region of pain.
Probable — possible plus both:
  5. a history of pain hypersensitivity in the region of pain (touch, pressure, movement,
     heat, cold);
  6. at least one comorbidity: sensitivity to sound, light and/or odours; sleep disturbance with
     frequent awakenings; fatigue; cognitive problems.
"Definite" is not defined. Nociplastic pain can coexist with nociceptive or neuropathic pain.
Criteria 1-4 are verified in a faithful reproduction (Nijs 2021); the "probable" wording is from
secondary sources.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ldn.domain.facts import Fact
from ldn.domain.instruments.base import Answers, InstrumentResult, InstrumentSpec

SOURCES = ("kosek-2021", "nijs-2021")
NOCIPLASTIC_MIN_MONTHS = Fact(3, unit="months", sources=SOURCES, note="Criterion 1")

Comorbidity = Literal[
    "sensitivity_sound_light_odours", "sleep_disturbance", "fatigue", "cognitive_problems"
]


class NociplasticAnswers(Answers):
    pain_duration_over_3_months: bool
    regional_multifocal_or_widespread: bool
    not_entirely_explained_by_nociceptive: bool
    not_entirely_explained_by_neuropathic: bool
    evoked_hypersensitivity_in_painful_area: bool
    history_of_hypersensitivity_in_painful_region: bool = False
    comorbidities: list[Comorbidity] = Field(default_factory=list)


def score(a: NociplasticAnswers) -> InstrumentResult:
    criteria = {
        "1_duration": a.pain_duration_over_3_months,
        "2_regional": a.regional_multifocal_or_widespread,
        "3_not_nociceptive_or_neuropathic": a.not_entirely_explained_by_nociceptive
        and a.not_entirely_explained_by_neuropathic,
        "4_clinical_hypersensitivity": a.evoked_hypersensitivity_in_painful_area,
        "5_history_hypersensitivity": a.history_of_hypersensitivity_in_painful_region,
        "6_comorbidity": bool(a.comorbidities),
    }
    possible = all(criteria[k] for k in list(criteria)[:4])
    grade = (
        "probable"
        if possible and criteria["5_history_hypersensitivity"] and criteria["6_comorbidity"]
        else ("possible" if possible else "unlikely")
    )
    return InstrumentResult(
        "nociplastic",
        None,
        grade,
        SOURCES,
        {
            "grade": grade,
            "criteria": criteria,
            "failed": [k for k, v in list(criteria.items())[:4] if not v],
            "explained_by_nociceptive": not a.not_entirely_explained_by_nociceptive,
            "explained_by_neuropathic": not a.not_entirely_explained_by_neuropathic,
        },
    )


SPEC = InstrumentSpec(
    id="nociplastic",
    name="IASP nociplastic pain criteria and grading (Kosek 2021)",
    answers=NociplasticAnswers,
    scorer=score,
    source_ids=SOURCES,
    licence="logic_only",
    licence_note="Published clinical criteria; logic implemented.",
    item_text_shipped=True,
)
