"""Naltrexone salt, base and hydrate, and the active powder to weigh after the certificate of analysis.

Doses are **naltrexone hydrochloride** (the salt in the 50 mg tablets and in LDN prescriptions).

Formulas
--------
Base in a salt mass::

    base_mg = salt_mg x M_base / M_HCl = salt_mg x 341.4 / 377.9

Content of the powder weighed (mg anhydrous naltrexone HCl per mg powder), ``f``:

* CoA potency ``P`` on the anhydrous basis and measured water ``W`` (Karl Fischer)::

      f = P/100 x (1 - W/100)

  The measured water already includes any water of hydration, so the dihydrate's molar-mass
  factor is **not** applied on top of it (that would correct twice).
* CoA potency without a water figure (theoretical composition of the form)::

      f = P/100 x M_HCl / M_form      (M_form = 377.9 anhydrous, 413.9 dihydrate)

* CoA potency on the "as is" basis (water already counted)::

      f = P/100

Powder to weigh for ``salt_mg`` of labelled salt: ``salt_mg / f``.

References
----------
Molar masses: naltrexone label (C20H23NO4, C20H23NO4.HCl) and the openFDA listing of the
dihydrate bulk powder. CoA plausibility ranges are ldn's own typo guards (``ldn-assumption``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ldn.domain.errors import InputError
from ldn.domain.facts import Fact

__all__ = [
    "COA_POTENCY_PLAUSIBLE_PCT",
    "COA_WATER_PLAUSIBLE_PCT",
    "M_BASE_G_MOL",
    "M_HCL_DIHYDRATE_G_MOL",
    "M_HCL_G_MOL",
    "TABLET_STRENGTH_MG",
    "ApiSource",
    "Assay",
    "PotencyBasis",
    "base_mg_from_salt",
    "check_assay",
    "salt_fraction",
]

ApiSource = Literal["powder_hcl", "powder_hcl_dihydrate", "tablets_50mg"]
PotencyBasis = Literal["anhydrous", "as_is"]

M_BASE_G_MOL = Fact(
    341.4,
    unit="g/mol",
    sources=("dailymed-naltrexone-label",),
    note="C20H23NO4 (formula from the label; mass computed).",
)
M_HCL_G_MOL = Fact(
    377.9,
    unit="g/mol",
    sources=("dailymed-naltrexone-label",),
    note="C20H23NO4.HCl, the salt in 50 mg tablets.",
)
M_HCL_DIHYDRATE_G_MOL = Fact(
    413.9,
    unit="g/mol",
    sources=("openfda-ndc-naltrexone-dihydrate",),
    note="Naltrexone HCl dihydrate bulk powder (listed for compounding); mass computed from the formula.",
)
TABLET_STRENGTH_MG = Fact(
    50.0, unit="mg naltrexone HCl", sources=("dailymed-naltrexone-label", "seed-article")
)
COA_POTENCY_PLAUSIBLE_PCT = Fact(
    (90.0, 110.0),
    unit="% of labelled content",
    sources=("ldn-assumption",),
    note="Typo guard for a certificate-of-analysis potency entry (e.g. 995 for 99.5); not a "
    "specification — check the CoA against the monograph and your supplier's limits.",
)
COA_WATER_PLAUSIBLE_PCT = Fact(
    (0.0, 15.0),
    unit="% w/w",
    sources=("ldn-assumption",),
    note="Typo guard for a CoA water (Karl Fischer) entry; the dihydrate's theoretical water is "
    "(413.9 - 377.9) / 413.9 = 8.7 %, so the range leaves room for it.",
)

_FORM_MASS_G_MOL = {"powder_hcl": M_HCL_G_MOL, "powder_hcl_dihydrate": M_HCL_DIHYDRATE_G_MOL}


def base_mg_from_salt(salt_mg: float) -> float:
    """Naltrexone base (mg) in ``salt_mg`` of naltrexone hydrochloride: ``salt x 341.4 / 377.9``."""
    return salt_mg * M_BASE_G_MOL.value / M_HCL_G_MOL.value


@dataclass(frozen=True, slots=True)
class Assay:
    """Certificate-of-analysis figures of one lot of naltrexone HCl bulk powder.

    ``potency_pct`` is the assay (% of C20H23NO4.HCl); ``basis`` says whether it is on the
    anhydrous basis (usual) or "as is"; ``water_pct`` is the measured water (Karl Fischer), or
    ``None`` to use the form's theoretical composition.
    """

    potency_pct: float = 100.0
    water_pct: float | None = None
    basis: PotencyBasis = "anhydrous"

    @property
    def is_default(self) -> bool:
        return self.potency_pct == 100.0 and self.water_pct is None and self.basis == "anhydrous"

    def describe(self) -> str:
        water = "no water figure" if self.water_pct is None else f"water {self.water_pct:g} %"
        return f"CoA potency {self.potency_pct:g} % ({self.basis.replace('_', ' ')} basis), {water}"


def check_assay(assay: Assay) -> None:
    """Refuse implausible CoA entries, naming the field and the fix."""
    lo, hi = COA_POTENCY_PLAUSIBLE_PCT.value
    if not lo <= assay.potency_pct <= hi:
        raise InputError.at(
            "potency_pct",
            f"a CoA potency of {assay.potency_pct:g} % is not plausible",
            f"enter the assay from the certificate of analysis, between {lo:g} and {hi:g} %",
        )
    if assay.water_pct is None:
        return
    if assay.basis == "as_is":
        raise InputError.at(
            "water_pct",
            "an 'as is' potency already includes the water",
            "leave water_pct empty, or give the potency on the anhydrous basis",
        )
    wlo, whi = COA_WATER_PLAUSIBLE_PCT.value
    if not wlo <= assay.water_pct <= whi:
        raise InputError.at(
            "water_pct",
            f"a CoA water content of {assay.water_pct:g} % is not plausible",
            f"enter the water (Karl Fischer) from the CoA, between {wlo:g} and {whi:g} %",
        )


def salt_fraction(*, api: ApiSource, assay: Assay) -> float:
    """mg of anhydrous naltrexone HCl per mg of bulk powder weighed (``f`` in the module notes)."""
    if api == "tablets_50mg":
        raise ValueError("tablets carry their labelled 50 mg; salt_fraction is for bulk powder")
    check_assay(assay)
    potency = assay.potency_pct / 100.0
    if assay.basis == "as_is":
        return potency
    if assay.water_pct is not None:
        return potency * (1.0 - assay.water_pct / 100.0)
    return potency * M_HCL_G_MOL.value / _FORM_MASS_G_MOL[api].value
