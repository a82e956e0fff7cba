"""Migraine Disability Assessment (MIDAS): five day-counts over the last 3 months, summed.

Score = Q1 + ... + Q5 (supplementary questions A and B are not part of the score). Grades
(Stewart 2001; Lipton 2001): I 0-5 little or no disability, II 6-10 mild, III 11-20 moderate,
IV >= 21 severe. Licence not established: item text is not shipped; answers are day counts by
item number (q1..q5).
"""

from __future__ import annotations

from pydantic import Field

from ldn.domain.facts import Fact
from ldn.domain.instruments.base import Answers, InstrumentResult, InstrumentSpec

MIDAS_GRADES = Fact(
    ((0, "I", "little or no disability"), (6, "II", "mild disability"),
     (11, "III", "moderate disability"), (21, "IV", "severe disability")),
    unit="lower bound of grade, days", sources=("stewart-2001", "lipton-2001"),
)  # fmt: skip
MIDAS_RECALL_DAYS = Fact(
    90, unit="days", sources=("stewart-2001",), note="Each answer counts days in the last 3 months."
)
SOURCES = ("stewart-2001", "lipton-2001")

_DAYS = Field(ge=0, le=90, description="days in the last 3 months")


class MidasAnswers(Answers):
    q1: int = _DAYS
    q2: int = _DAYS
    q3: int = _DAYS
    q4: int = _DAYS
    q5: int = _DAYS
    headache_days_3_months: int | None = Field(
        default=None, ge=0, le=92, description="Supplementary A, not scored"
    )
    average_pain_0_10: int | None = Field(
        default=None, ge=0, le=10, description="Supplementary B, not scored"
    )


def grade(total: int) -> tuple[str, str]:
    g = MIDAS_GRADES.value[0]
    for row in MIDAS_GRADES.value:
        if total >= row[0]:
            g = row
    return g[1], g[2]


def score(a: MidasAnswers) -> InstrumentResult:
    total = a.q1 + a.q2 + a.q3 + a.q4 + a.q5
    g, label = grade(total)
    return InstrumentResult(
        "midas", total, f"grade {g}", SOURCES, {"grade": g, "grade_label": label}
    )


SPEC = InstrumentSpec(
    id="midas",
    name="Migraine Disability Assessment",
    answers=MidasAnswers,
    scorer=score,
    source_ids=SOURCES,
    licence="unknown",
    licence_note="Licence not established; item text not shipped — enter day counts q1..q5.",
    item_text_shipped=False,
)
