"""What LDN costs a month: a configurable price table with cited defaults.

The article's reference point: compounded capsules cost about $40 a month and are rarely
insured; that figure is for capsules only, and the note of each form says where its price comes
from. The LDN Research Trust lists capsules at US$0.50-1.50 and liquid at about US$0.50 a
dose. Prices vary by pharmacy and country: pass your own table.
"""

from __future__ import annotations

from dataclasses import dataclass

from ldn.domain.facts import Fact
from ldn.domain.naltrexone import LDN_ARTICLE_MONTHLY_COST_USD

__all__ = ["DEFAULT_PRICES", "MonthlyCost", "PriceTable", "monthly_cost"]

CAPSULE_PER_DOSE_USD = Fact(
    (0.50, 1.50),
    unit="USD/dose",
    sources=("ldnrt-types",),
    note="Range quoted for compounded capsules.",
)
LIQUID_PER_DOSE_USD = Fact(
    0.50,
    unit="USD/dose",
    sources=("ldnrt-types",),
    note="Approximate price of compounded liquid per dose.",
)
DAYS_PER_MONTH = Fact(
    30.44, unit="d", sources=("ldn-assumption",), note="Average month (365.25/12)."
)


@dataclass(frozen=True, slots=True)
class PriceTable:
    capsule_usd_per_dose: float = LDN_ARTICLE_MONTHLY_COST_USD.value / 30.0
    liquid_usd_per_dose: float = LIQUID_PER_DOSE_USD.value
    dispensing_fee_usd_per_month: float = 0.0
    currency: str = "USD"


DEFAULT_PRICES = PriceTable()


@dataclass(frozen=True, slots=True)
class MonthlyCost:
    form: str
    per_dose: float
    per_month: float
    low_per_month: float
    high_per_month: float
    currency: str
    note: str


def monthly_cost(form: str, prices: PriceTable = DEFAULT_PRICES) -> MonthlyCost:
    """Monthly cost of one dose a day in ``form`` (``capsule`` or ``liquid``)."""
    per_dose = prices.capsule_usd_per_dose if form == "capsule" else prices.liquid_usd_per_dose
    month = DAYS_PER_MONTH.value
    lo, hi = CAPSULE_PER_DOSE_USD.value if form == "capsule" else (per_dose, per_dose)
    per_month = round(per_dose * month + prices.dispensing_fee_usd_per_month, 2)
    if form == "capsule":
        note = f"capsules: the article quotes about ${LDN_ARTICLE_MONTHLY_COST_USD.value:.0f} a month; rarely covered by insurance."
    else:
        note = (
            f"oral liquid: about ${per_dose:.2f} a dose, so about ${per_month:.0f} a month "
            "(LDN Research Trust price list); rarely covered by insurance."
        )
    return MonthlyCost(
        form,
        round(per_dose, 2),
        per_month,
        round(lo * month, 2),
        round(hi * month, 2),
        prices.currency,
        note,
    )
