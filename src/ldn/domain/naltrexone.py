"""What low-dose naltrexone *is*: the doses and facts every capability shares.

The article (``seed-article``) frames LDN: naltrexone 1.5-4.5 mg a day, most often 4.5 mg once
daily, against the standard 50 mg dose used for opioid and alcohol dependence. These constants
are the single place those numbers live; titration, pharmacology and screening import them.
"""

from __future__ import annotations

from ldn.domain.facts import Fact

__all__ = [
    "LDN_ARTICLE_MONTHLY_COST_USD",
    "LDN_DOSE_RANGE_MG",
    "LDN_MAX_DOSE_MG",
    "LDN_USUAL_DOSE_MG",
    "STANDARD_DOSE_MG",
    "is_low_dose",
]

LDN_DOSE_RANGE_MG = Fact(
    (1.5, 4.5),
    unit="mg/day",
    sources=("seed-article",),
    note="The article's usual LDN range; lower and higher or more frequent dosing has been used.",
)
LDN_USUAL_DOSE_MG = Fact(
    4.5, unit="mg/day", sources=("seed-article",), note="Most common LDN dose, once daily."
)
LDN_MAX_DOSE_MG = Fact(
    4.5,
    unit="mg/day",
    sources=("seed-article", "ldn-assumption"),
    note="ldn treats 4.5 mg/day as the ceiling of a default plan (top of the article's range); "
    "trials have used up to 6 mg, which the plan allows only as an explicit custom target.",
)
STANDARD_DOSE_MG = Fact(
    50.0,
    unit="mg",
    sources=("seed-article",),
    note="The normal (opioid/alcohol dependence) naltrexone dose; not LDN.",
)
LDN_ARTICLE_MONTHLY_COST_USD = Fact(
    40.0,
    unit="USD/month",
    sources=("seed-article",),
    note="Compounded capsules, about $40 a month, rarely insured.",
)


def is_low_dose(dose_mg: float) -> bool:
    """True when a daily dose is in low-dose territory (below the 50 mg standard dose)."""
    return dose_mg < STANDARD_DOSE_MG.value


LDN_MEDIAN_PRESCRIBED_NORWAY_MG = Fact(
    3.7,
    unit="mg/day",
    sources=("raknes-2017",),
    note="Median prescribed LDN dose in a Norwegian national sample (15,297 patients): practice, not efficacy.",
)
