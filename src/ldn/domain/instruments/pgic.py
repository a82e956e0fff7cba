"""Patient Global Impression of Change (PGIC): one item, seven points.

1 very much improved, 2 much improved, 3 minimally improved, 4 no change, 5 minimally worse,
6 much worse, 7 very much worse. Public domain (NINDS Common Data Elements). ldn stores the label
with the number because some versions reverse the order.
IMMPACT (Dworkin 2008): minimally improved = minimal, much improved = moderate (Bandolier prints
"moderately improved"; the mapping to "much improved" is unverified), very much improved =
substantial.
"""

from __future__ import annotations

from typing import Literal

from ldn.domain.facts import Fact
from ldn.domain.instruments.base import Answers, InstrumentResult, InstrumentSpec

LABELS: dict[int, str] = {
    1: "very much improved", 2: "much improved", 3: "minimally improved", 4: "no change",
    5: "minimally worse", 6: "much worse", 7: "very much worse",
}  # fmt: skip
PGIC_MEANINGFUL_MAX = Fact(
    2,
    unit="PGIC points",
    sources=("dworkin-2008", "ninds-pgic"),
    note="'Much improved' or better counts as a moderately important improvement (IMMPACT; the "
    "'much' vs 'moderately' wording is unverified).",
)
SOURCES = ("ninds-pgic", "dworkin-2008")


class PgicAnswers(Answers):
    pgic: Literal[1, 2, 3, 4, 5, 6, 7]


def immpact_level(pgic: int) -> str:
    return {1: "substantial", 2: "moderate", 3: "minimal"}.get(pgic, "none")


def score(a: PgicAnswers) -> InstrumentResult:
    return InstrumentResult(
        "pgic", a.pgic, LABELS[a.pgic], SOURCES, {"immpact_level": immpact_level(a.pgic)}
    )


SPEC = InstrumentSpec(
    id="pgic",
    name="Patient Global Impression of Change",
    answers=PgicAnswers,
    scorer=score,
    source_ids=SOURCES,
    licence="free",
    licence_note="Public domain (NINDS CDE).",
    item_text_shipped=True,
)
