"""Pain intensity numerical rating scale (NRS 0-10) and the IMMPACT change thresholds.

0 = no pain, 10 = worst pain imaginable (IMMPACT core outcome). Percent change =
(baseline - follow-up) / baseline x 100. IMMPACT (Dworkin 2008): 10-20 % decrease minimally
important, >= 30 % moderately important, >= 50 % substantial. The 20-30 % band is not labelled by
IMMPACT; ldn shows it as "minimal".
"""

from __future__ import annotations

from pydantic import Field

from ldn.domain.facts import Fact
from ldn.domain.instruments.base import Answers, InstrumentResult, InstrumentSpec

NRS_RANGE = Fact(
    (0, 10), unit="points", sources=("dworkin-2008",), note="0 = no pain, 10 = worst imaginable"
)
IMMPACT_MINIMAL_PCT = Fact(
    10.0, unit="% decrease", sources=("dworkin-2008",), note="Minimally important: 10-20 %."
)
IMMPACT_MODERATE_PCT = Fact(
    30.0, unit="% decrease", sources=("dworkin-2008",), note="Moderately important: >= 30 %."
)
IMMPACT_SUBSTANTIAL_PCT = Fact(
    50.0, unit="% decrease", sources=("dworkin-2008",), note="Substantial: >= 50 %."
)

SOURCES = ("dworkin-2008",)


class NrsAnswers(Answers):
    pain_nrs: float = Field(ge=0, le=10, description="Pain now or average pain, 0-10")
    baseline_nrs: float | None = Field(
        default=None, ge=0, le=10, description="Baseline for percent change"
    )


def percent_reduction(*, baseline_nrs: float, follow_up_nrs: float) -> float | None:
    """(baseline - follow-up) / baseline x 100; None when the baseline is 0."""
    if baseline_nrs <= 0:
        return None
    return (baseline_nrs - follow_up_nrs) / baseline_nrs * 100.0


def immpact_category(reduction_pct: float | None) -> str:
    """IMMPACT label for a percent reduction in pain."""
    if reduction_pct is None:
        return "not_assessable"
    if reduction_pct >= IMMPACT_SUBSTANTIAL_PCT.value:
        return "substantial"
    if reduction_pct >= IMMPACT_MODERATE_PCT.value:
        return "moderate"
    if reduction_pct >= IMMPACT_MINIMAL_PCT.value:
        return "minimal"
    return "none"


def score(a: NrsAnswers) -> InstrumentResult:
    pct = (
        None
        if a.baseline_nrs is None
        else percent_reduction(baseline_nrs=a.baseline_nrs, follow_up_nrs=a.pain_nrs)
    )
    category = immpact_category(pct) if a.baseline_nrs is not None else "single_rating"
    return InstrumentResult("nrs", a.pain_nrs, category, SOURCES, {"reduction_percent": pct})


SPEC = InstrumentSpec(
    id="nrs",
    name="Pain intensity NRS 0-10 (IMMPACT change thresholds)",
    answers=NrsAnswers,
    scorer=score,
    source_ids=SOURCES,
    licence="free",
    licence_note="Generic 0-10 scale; no owner.",
    item_text_shipped=True,
)
