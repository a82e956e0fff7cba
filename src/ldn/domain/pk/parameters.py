"""Pharmacokinetic parameter sets for oral naltrexone (NTX) and 6-beta-naltrexol (6BN).

Apparent (F-normalised) one-compartment parameters. Every value is a :class:`Fact` with its
unit and sources. No human plasma PK study exists at 1-5 mg: all low-dose exposure is a linear
extrapolation from 50-200 mg data (dose-proportionality shown only from 50 to 200 mg, Meyer 1984).

Sets:

* ``recommended`` — ka 3 /h (Tmax about 1 h), NTX t1/2 4 h, V/F 2860 L (tuned to Cmax
  13.3 ng/mL at 50 mg), 6BN t1/2 13 h, Vm/fm 760 L (tuned to a 6BN/NTX AUC ratio of about 12).
* ``fast_6bn`` — 6BN t1/2 9 h, Vm/fm 520 L: a higher 6BN peak at the same AUC ratio.
* ``chinese_be`` — fitted to the Chinese bioequivalence study (AUC 65, Cmax 17.2 ng/mL):
  effective NTX t1/2 about 2 h, V/F 1970 L.

The tuned values are the research notes' derivations ([I]), cited to the data they were tuned to
plus ``ldn-assumption`` for the tuning itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ldn.domain.errors import InputError
from ldn.domain.facts import Fact

__all__ = ["PARAMETER_SETS", "SALT_TO_BASE", "PkParameters", "get_parameters"]

SALT_TO_BASE = Fact(341.41 / 377.86, unit="mg base per mg HCl", sources=("dailymed-naltrexone-label",),
                    note="Molar masses of C20H23NO4 and its hydrochloride.")  # fmt: skip
MW_NTX_G_MOL = Fact(341.41, unit="g/mol", sources=("dailymed-naltrexone-label",))
MW_6BN_G_MOL = Fact(
    343.42, unit="g/mol", sources=("naltrexol-wiki",), note="6-beta-naltrexol C20H25NO4."
)

KA_PER_H = Fact(3.0, unit="1/h", sources=("swiss-fachinfo-naltrexon", "ldn-assumption"),
                note="Chosen so Tmax is about 1 h with t1/2 4 h (label: peak within 1 h). Licko 1981 gives 0.72 /h from 3H data.")  # fmt: skip
NTX_HALF_LIFE_H = Fact(
    4.0,
    unit="h",
    sources=("openfda-naltrexone-label-2023", "swiss-fachinfo-naltrexon"),
    note="Label mean; range 2-4 h early phase.",
)
NTX_V_L = Fact(2860.0, unit="L (V/F)", sources=("swiss-fachinfo-naltrexon", "ldn-assumption"),
               note="Tuned to Cmax 13.3 ng/mL at 50 mg with ka 3 /h and t1/2 4 h; plausible 1800-4000 L.")  # fmt: skip
BN_HALF_LIFE_H = Fact(
    13.0,
    unit="h",
    sources=("openfda-naltrexone-label-2023", "swiss-fachinfo-naltrexon"),
    note="Label; 9-18 h in studies.",
)
BN_V_L = Fact(760.0, unit="L (Vm/fm)", sources=("bertolotti-1997", "ldn-assumption"),
              note="Tuned so the 6BN/NTX AUC ratio is about 12 (Bertolotti 1997: 2467/200 = 12.3).")  # fmt: skip
BN_HALF_LIFE_FAST_H = Fact(
    9.0,
    unit="h",
    sources=("chinese-be-naltrexone", "ldn-assumption"),
    note="Alternative: 6BN t1/2 7.6-9.9 h in the Chinese study.",
)
BN_V_FAST_L = Fact(
    520.0,
    unit="L (Vm/fm)",
    sources=("ldn-assumption",),
    note="Keeps the AUC ratio about 12 with t1/2 9 h.",
)
CN_NTX_HALF_LIFE_H = Fact(
    2.0,
    unit="h",
    sources=("chinese-be-naltrexone", "ldn-assumption"),
    note="Effective t1/2 fitting AUC 65 and Cmax 17.2 ng/mL.",
)
CN_NTX_V_L = Fact(1970.0, unit="L (V/F)", sources=("chinese-be-naltrexone", "ldn-assumption"))

#: inter-individual variability (CV) of each parameter: Bertolotti's AUC SD was about 50 % of the mean
CV_CL = Fact(
    0.5, unit="CV", sources=("bertolotti-1997",), note="AUC(0-24) 200 +/- 97 ng.h/mL in controls."
)
CV_OTHER = Fact(
    0.3,
    unit="CV",
    sources=("ldn-assumption",),
    note="No published IIV for ka, V, 6BN parameters; 30 % assumed.",
)


@dataclass(frozen=True, slots=True)
class PkParameters:
    """Apparent one-compartment parameters (F-normalised)."""

    name: str
    ka_per_h: float
    ntx_v_l: float
    ntx_half_life_h: float
    bn_v_l: float
    bn_half_life_h: float

    @property
    def ntx_kel_per_h(self) -> float:
        return math.log(2) / self.ntx_half_life_h

    @property
    def bn_kel_per_h(self) -> float:
        return math.log(2) / self.bn_half_life_h

    @property
    def ntx_cl_l_per_h(self) -> float:
        return self.ntx_v_l * self.ntx_kel_per_h


PARAMETER_SETS: dict[str, PkParameters] = {
    "recommended": PkParameters("recommended", KA_PER_H.value, NTX_V_L.value, NTX_HALF_LIFE_H.value, BN_V_L.value, BN_HALF_LIFE_H.value),
    "fast_6bn": PkParameters("fast_6bn", KA_PER_H.value, NTX_V_L.value, NTX_HALF_LIFE_H.value, BN_V_FAST_L.value, BN_HALF_LIFE_FAST_H.value),
    "chinese_be": PkParameters("chinese_be", KA_PER_H.value, CN_NTX_V_L.value, CN_NTX_HALF_LIFE_H.value, BN_V_FAST_L.value, BN_HALF_LIFE_FAST_H.value),
}  # fmt: skip


def get_parameters(name: str) -> PkParameters:
    try:
        return PARAMETER_SETS[name]
    except KeyError:
        raise InputError.at(
            "--params",
            f"unknown parameter set {name!r}",
            f"use one of: {', '.join(PARAMETER_SETS)}",
        ) from None


LINEAR_RANGE_MG = Fact((50, 200), unit="mg", sources=("meyer-1984",),
                       note="Dose-proportionality shown only from 50 to 200 mg; below 50 mg it is an extrapolation.")  # fmt: skip
