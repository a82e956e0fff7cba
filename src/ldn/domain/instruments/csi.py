"""Central Sensitization Inventory (CSI), part A: 25 items scored 0-4, total 0-100.

Never 0 / Rarely 1 / Sometimes 2 / Often 3 / Always 4 (Mayer 2012). Cut-off >= 40 (Neblett 2013:
AUC 0.86, sensitivity 81 %, specificity 75 %). Severity (Neblett 2017): 0-29 subclinical,
30-39 mild, 40-49 moderate, 50-59 severe, 60-100 extreme.

Licence: unknown — no licence statement was found, so **ldn does not ship the item text**;
answers are accepted by item number (``q1`` … ``q25``) from the patient's own paper or licensed
copy. The CSI correlates strongly with psychological constructs (Adams 2023), so ldn treats it as
a supporting signal, never as a measure of central sensitization on its own.
"""

from __future__ import annotations

from pydantic import Field, create_model

from ldn.domain.facts import Fact
from ldn.domain.instruments.base import Answers, InstrumentResult, InstrumentSpec

CSI_ITEMS = Fact(25, unit="items", sources=("mayer-2012",), note="Part A, each 0-4.")
CSI_CUTOFF = Fact(
    40, unit="points", sources=("neblett-2013",), note="Screen positive at >= 40 of 100."
)
CSI_BANDS = Fact(
    ((0, "subclinical"), (30, "mild"), (40, "moderate"), (50, "severe"), (60, "extreme")),
    unit="lower bound of band, points", sources=("neblett-2017",),
)  # fmt: skip
SOURCES = ("mayer-2012", "neblett-2013", "neblett-2017")

CsiAnswers: type[Answers] = create_model(  # type: ignore[call-overload]
    "CsiAnswers",
    __base__=Answers,
    **{
        f"q{i}": (int, Field(ge=0, le=4, description=f"CSI part A item {i}, 0-4"))
        for i in range(1, 26)
    },
)


def band(total: int) -> str:
    label = CSI_BANDS.value[0][1]
    for lower, name in CSI_BANDS.value:
        if total >= lower:
            label = name
    return label


def score(a: Answers) -> InstrumentResult:
    total = sum(int(getattr(a, f"q{i}")) for i in range(1, 26))
    return InstrumentResult(
        "csi",
        total,
        band(total),
        SOURCES,
        {"screen_positive": total >= CSI_CUTOFF.value, "cutoff": CSI_CUTOFF.value},
    )


SPEC = InstrumentSpec(
    id="csi",
    name="Central Sensitization Inventory (part A)",
    answers=CsiAnswers,
    scorer=score,
    source_ids=SOURCES,
    licence="unknown",
    licence_note="Licence not established; item text not shipped — enter answers by item number q1..q25.",
    item_text_shipped=False,
)
