"""Weighing controls: the balance's minimum weight, and the aliquot method below it.

Minimum weighable quantity (MWQ) of a balance
---------------------------------------------
* Class III (formerly Class A) torsion prescription balance, USP <1176>: sensitivity
  requirement SR = 6 mg and at most 5 % error per weighing, so::

      MWQ = SR / 0.05 = 120 mg

* Electronic balance, USP <41>: repeatability is satisfactory when ``2 s / m <= 0.10 %``, so
  ``m_min = 2000 s``, with the standard deviation ``s`` taken as at least ``0.41 d`` (``d`` the
  readability)::

      m_min = 2 x max(s, 0.41 d) / 0.0010        (820 d at best: 82 mg for d = 0.1 mg)

  A pharmacy should use the minimum weight from its own repeatability test (``Balance``).

Aliquot (trituration) method, for an active mass ``R`` below the MWQ ``M``
--------------------------------------------------------------------------
Weigh a stock ``A >= M`` of the active powder, dilute it with the filler to ``D`` by geometric
dilution, and weigh the aliquot ``a`` that carries ``R``::

    A = ceil(M)                                   (or a given stock, e.g. all crushed tablets)
    D = max(ceil(M x A / R), A + ceil(M))         (so a >= M and the diluent D - A >= M)
    a = R x D / A

Every weighing (A, D - A, a, and the final blend) is then at or above the minimum weight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ldn.domain.errors import InputError
from ldn.domain.facts import Fact

__all__ = [
    "BALANCES",
    "CLASS_III_SENSITIVITY_MG",
    "USP41_MIN_SD_PER_READABILITY",
    "USP41_REPEATABILITY_LIMIT_PCT",
    "WEIGHING_MAX_ERROR_PCT",
    "Aliquot",
    "Balance",
    "WeighingPlan",
    "class_iii_balance",
    "electronic_balance",
    "plan_weighing",
    "resolve_balance",
]

CLASS_III_SENSITIVITY_MG = Fact(
    6.0,
    unit="mg",
    sources=("usp-1176",),
    note="Sensitivity requirement of a Class III (formerly Class A) prescription balance.",
)
WEIGHING_MAX_ERROR_PCT = Fact(
    5.0,
    unit="%",
    sources=("usp-1176",),
    note="Largest error tolerated in one weighing in compounding; MWQ = SR / 5 % = 120 mg.",
)
USP41_REPEATABILITY_LIMIT_PCT = Fact(
    0.10,
    unit="% (2 s / m)",
    sources=("usp-41",),
    note="Twice the standard deviation over the smallest net weight; m_min = 2000 s.",
)
USP41_MIN_SD_PER_READABILITY = Fact(
    0.41,
    unit="x readability d",
    sources=("usp-41", "sartorius-usp41-summary"),
    note="A standard deviation below 0.41 d is replaced by 0.41 d: m_min >= 820 d.",
)


@dataclass(frozen=True, slots=True)
class Balance:
    """A balance and its minimum weight (mg), with how that minimum was set."""

    name: str
    min_weight_mg: float
    basis: str = ""
    source_ids: tuple[str, ...] = ()


def class_iii_balance() -> Balance:
    """Class III torsion prescription balance: ``MWQ = SR / (5 %)`` (USP <1176>)."""
    mwq = CLASS_III_SENSITIVITY_MG.value / (WEIGHING_MAX_ERROR_PCT.value / 100.0)
    return Balance(
        "Class III (Class A) prescription balance",
        round(mwq, 6),
        f"USP <1176>: sensitivity {CLASS_III_SENSITIVITY_MG.value:g} mg, at most "
        f"{WEIGHING_MAX_ERROR_PCT.value:g} % error",
        ("usp-1176",),
    )


def electronic_balance(
    *, readability_mg: float, repeatability_sd_mg: float | None = None, name: str = ""
) -> Balance:
    """Electronic balance: ``m_min = 2 x max(s, 0.41 d) / 0.10 %`` (USP <41>)."""
    if readability_mg <= 0:
        raise InputError.at(
            "readability_mg", "the readability must be positive", "e.g. 0.1 for 0.1 mg"
        )
    floor_sd = USP41_MIN_SD_PER_READABILITY.value * readability_mg
    sd = max(repeatability_sd_mg or 0.0, floor_sd)
    m_min = 2.0 * sd / (USP41_REPEATABILITY_LIMIT_PCT.value / 100.0)
    basis = f"USP <41>: 2 s / m <= {USP41_REPEATABILITY_LIMIT_PCT.value:g} % with s = {sd:g} mg" + (
        "" if repeatability_sd_mg else " (0.41 d; use your balance's measured s)"
    )
    return Balance(
        name or f"electronic balance, readability {readability_mg:g} mg",
        round(m_min, 6),
        basis,
        ("usp-41", "sartorius-usp41-summary"),
    )


BALANCES: dict[str, Balance] = {
    "class_iii": class_iii_balance(),
    "analytical_0.1mg": electronic_balance(readability_mg=0.1),
    "semimicro_0.01mg": electronic_balance(readability_mg=0.01),
}


def resolve_balance(balance: Balance | str) -> Balance:
    """A :class:`Balance`, or one of :data:`BALANCES` by name."""
    if isinstance(balance, Balance):
        if balance.min_weight_mg <= 0:
            raise InputError.at(
                "balance",
                "the balance's minimum weight must be positive",
                "use the minimum weight from your balance's USP <41> repeatability test",
            )
        return balance
    if balance not in BALANCES:
        raise InputError.at(
            "balance", f"unknown balance {balance!r}", f"use one of {', '.join(BALANCES)}"
        )
    return BALANCES[balance]


@dataclass(frozen=True, slots=True)
class Aliquot:
    """Stock ``A`` of active powder, diluted to ``D``; the aliquot ``a`` carries the needed active."""

    stock_mg: float
    total_mg: float
    aliquot_mg: float

    @property
    def diluent_mg(self) -> float:
        return self.total_mg - self.stock_mg


@dataclass(frozen=True, slots=True)
class WeighingPlan:
    """How to weigh ``active_mg`` of active powder on ``balance``: directly, or by aliquot."""

    active_mg: float
    balance: Balance
    aliquot: Aliquot | None = None

    @property
    def portion_mg(self) -> float:
        """The powder that goes into the blend: the active itself, or the aliquot."""
        return self.aliquot.aliquot_mg if self.aliquot else self.active_mg

    def steps(self, *, active: str, diluent: str) -> tuple[str, ...]:
        b = self.balance
        if self.aliquot is None:
            return (
                f"Weigh {self.active_mg:.1f} mg {active} on the {b.name} (minimum weight {b.min_weight_mg:g} mg); record the weight.",
            )
        a = self.aliquot
        return (
            f"{self.active_mg:.2f} mg of {active} is below the minimum weight of the {b.name} ({b.min_weight_mg:g} mg): use the aliquot method.",
            f"Weigh {a.stock_mg:.1f} mg {active} (trituration stock); record the weight.",
            f"Weigh {a.diluent_mg:.1f} mg {diluent}; triturate the stock with it by geometric dilution to {a.total_mg:.1f} mg of uniform powder (1 in {a.total_mg / a.stock_mg:.2f}).",
            f"Weigh {a.aliquot_mg:.1f} mg of the trituration: it carries {self.active_mg:.2f} mg {active}. Discard the rest of the trituration (record it).",
        )


def plan_weighing(
    *, active_mg: float, balance: Balance, stock_mg: float | None = None
) -> WeighingPlan:
    """Direct weighing when ``active_mg`` >= the minimum weight, else the aliquot method."""
    m = balance.min_weight_mg
    if active_mg <= 0:
        raise ValueError("active_mg must be positive")
    if active_mg >= m:
        return WeighingPlan(active_mg, balance)
    stock = float(math.ceil(m - 1e-9)) if stock_mg is None else stock_mg
    if stock < m:
        raise InputError.at(
            "tablet_mass_mg",
            f"the stock powder ({stock:.1f} mg) is below the minimum weight {m:g} mg",
            "crush more tablets, or use a balance with a smaller minimum weight",
        )
    total = max(float(math.ceil(m * stock / active_mg - 1e-9)), stock + math.ceil(m - 1e-9))
    return WeighingPlan(active_mg, balance, Aliquot(stock, total, active_mg * total / stock))
