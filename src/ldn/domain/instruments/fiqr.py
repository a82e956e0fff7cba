"""Revised Fibromyalgia Impact Questionnaire (FIQR): 21 items, each 0-10, past 7 days.

Scoring (Bennett 2009; fiqr.info): function sum (9 items, 0-90) / 3 -> 0-30; overall impact sum
(2 items, 0-20) / 1 -> 0-20; symptom sum (10 items, 0-100) / 2 -> 0-50; total = 0-100.
Missing items: a domain sum is weighted by 9/x, 2/x or 10/x (x = items answered); the
questionnaire is invalid when >= 2 function items or any overall or symptom item is missing.
Disease states (Salaffi 2018): <= 30 remission, > 30-45 mild, > 45-65 moderate, > 65 high
(published as ">46-<=65"; ldn closes the 45-46 gap by treating > 45 as moderate and says so).

Licence: FIQR terms not established — item text is not shipped; answers by item number
(f1..f9 function, o1..o2 overall, s1..s10 symptoms).
"""

from __future__ import annotations

from pydantic import Field, create_model

from ldn.domain.errors import InputError
from ldn.domain.facts import Fact
from ldn.domain.instruments.base import Answers, InstrumentResult, InstrumentSpec

FIQR_STATES = Fact(
    ((30.0, "remission"), (45.0, "mild"), (65.0, "moderate"), (100.0, "high severity")),
    unit="upper bound of state, points", sources=("salaffi-2018", "ldn-assumption"),
    note="Published cut-offs <=30 / >30-<=45 / >46-<=65 / >65; the 45-46 gap is closed at 45 (ldn assumption).",
)  # fmt: skip
FIQR_DOMAIN_DIVISORS = Fact(
    (3.0, 1.0, 2.0), unit="function, overall, symptoms", sources=("bennett-2009",)
)
SOURCES = ("bennett-2009", "salaffi-2018")

_ITEMS = {
    "function": [f"f{i}" for i in range(1, 10)],
    "overall": ["o1", "o2"],
    "symptoms": [f"s{i}" for i in range(1, 11)],
}
FiqrAnswers: type[Answers] = create_model(  # type: ignore[call-overload]
    "FiqrAnswers",
    __base__=Answers,
    **{
        k: (float | None, Field(default=None, ge=0, le=10, description=f"FIQR item {k}, 0-10"))
        for items in _ITEMS.values()
        for k in items
    },
)


def state(total: float) -> str:
    for upper, name in FIQR_STATES.value:
        if total <= upper:
            return name
    return FIQR_STATES.value[-1][1]


def score(a: Answers) -> InstrumentResult:
    values = {k: getattr(a, k) for items in _ITEMS.values() for k in items}
    missing = {d: [k for k in items if values[k] is None] for d, items in _ITEMS.items()}
    if len(missing["function"]) >= 2 or missing["overall"] or missing["symptoms"]:
        first = (missing["overall"] + missing["symptoms"] + missing["function"])[0]
        raise InputError.at(
            first,
            "too many FIQR items missing (invalid if >= 2 function items or any overall or symptom item is missing)",
            "answer every overall and symptom item and at least 8 of 9 function items",
        )
    sums: dict[str, float] = {}
    for domain, items in _ITEMS.items():
        answered = [values[k] for k in items if values[k] is not None]
        sums[domain] = sum(answered) * len(items) / len(answered)
    div_f, div_o, div_s = FIQR_DOMAIN_DIVISORS.value
    function, overall, symptoms = (
        sums["function"] / div_f,
        sums["overall"] / div_o,
        sums["symptoms"] / div_s,
    )
    total = function + overall + symptoms
    return InstrumentResult(
        "fiqr",
        round(total, 2),
        state(total),
        SOURCES,
        {
            "function": round(function, 2),
            "overall": round(overall, 2),
            "symptoms": round(symptoms, 2),
        },
    )


SPEC = InstrumentSpec(
    id="fiqr",
    name="Revised Fibromyalgia Impact Questionnaire",
    answers=FiqrAnswers,
    scorer=score,
    source_ids=SOURCES,
    licence="unknown",
    licence_note="FIQR licence terms not established (FIQ: free academic/clinical, commercial via MAPI); item text not shipped.",
    item_text_shipped=False,
)
