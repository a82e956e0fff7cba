"""Pharmacokinetic parameter sets for oral naltrexone (NTX) and 6-beta-naltrexol (6BN).

The model (:mod:`ldn.domain.pk.model`) is two-compartment naltrexone with first-order absorption,
and two-compartment 6BN formed both during the first pass and from systemic naltrexone. Every value
is apparent (divided by the unknown oral bioavailability F; the 6BN values also by the unknown
fraction of naltrexone converted to 6BN) and is a :class:`Fact` with its unit and sources.

Sets:

* ``recommended`` — fitted by weighted least squares on the log scale, with weak priors, to the
  published summary values in :mod:`ldn.domain.pk.observations` (tests/reference/pk/fit_pk.py;
  method and per-observation fit in docs/pk.md). One low-dose study exists (Johnson 2010: 2.4 mg
  solution); everything else was measured at 50-100 mg.
* ``one_compartment`` — the earlier hand-tuned one-compartment set (ka 3 /h, NTX t1/2 4 h, V/F
  2860 L; 6BN t1/2 13 h, Vm/fm 760 L, all formed in the first pass), kept for comparison: it put
  6BN at 0.4-0.65x the published values and had no terminal naltrexone phase.
* ``fast_6bn`` and ``chinese_be`` — the earlier one-compartment alternatives (6BN t1/2 9 h;
  effective NTX t1/2 2 h fitted to the Chinese bioequivalence study), kept for comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from ldn.domain.errors import InputError
from ldn.domain.facts import Fact
from ldn.domain.pk.model import ImpulseResponse, impulse_response

__all__ = ["PARAMETER_SETS", "SALT_TO_BASE", "PkParameters", "get_parameters"]

SALT_TO_BASE = Fact(
    341.41 / 377.86,
    unit="mg base per mg HCl",
    sources=("dailymed-naltrexone-label",),
    note="Molar masses of C20H23NO4 and its hydrochloride.",
)
MW_NTX_G_MOL = Fact(341.41, unit="g/mol", sources=("dailymed-naltrexone-label",))
MW_6BN_G_MOL = Fact(
    343.42, unit="g/mol", sources=("naltrexol-wiki",), note="6-beta-naltrexol C20H25NO4."
)

_FIT = ("ldn-assumption",)
_FIT_NOTE = "Fitted (tests/reference/pk/fit_pk.py, docs/pk.md); posterior SD {se}."
_NTX_DATA = (
    "swiss-fachinfo-naltrexon",
    "openfda-naltrexone-label-2023",
    "chinese-be-naltrexone",
    "bertolotti-1997",
    "wall-1981",
    "johnson-2010",
)
_BN_DATA = (
    "swiss-fachinfo-naltrexon",
    "openfda-naltrexone-label-2023",
    "chinese-be-naltrexone",
    "bertolotti-1997",
    "yancey-wrona-2011",
)

# ---- fitted set: values pasted from tests/reference/pk/fit_pk_output.json (a test compares) ----
KA_PER_H = Fact(
    2.027, unit="1/h", sources=(*_NTX_DATA, *_FIT), note=_FIT_NOTE.format(se="0.30 (log)")
)
V1_L = Fact(
    2161.0, unit="L (V1/F)", sources=(*_NTX_DATA, *_FIT), note=_FIT_NOTE.format(se="0.24 (log)")
)
CL_L_PER_H = Fact(
    667.0, unit="L/h (CL/F)", sources=(*_NTX_DATA, *_FIT), note=_FIT_NOTE.format(se="0.11 (log)")
)
Q_L_PER_H = Fact(
    397.2, unit="L/h (Q/F)", sources=(*_NTX_DATA, *_FIT), note=_FIT_NOTE.format(se="0.45 (log)")
)
V2_L = Fact(
    2589.0, unit="L (V2/F)", sources=(*_NTX_DATA, *_FIT), note=_FIT_NOTE.format(se="0.38 (log)")
)
PHI = Fact(
    0.8385,
    unit="fraction of 6BN formed in the first pass",
    sources=(*_BN_DATA, *_FIT),
    note=_FIT_NOTE.format(se="1.46 (logit)"),
)
VM_L = Fact(
    235.8,
    unit="L (per unit of 6BN formed)",
    sources=(*_BN_DATA, *_FIT),
    note=_FIT_NOTE.format(se="0.33 (log)"),
)
CLM_L_PER_H = Fact(
    35.67,
    unit="L/h (per unit of 6BN formed)",
    sources=(*_BN_DATA, *_FIT),
    note=_FIT_NOTE.format(se="0.20 (log)"),
)
QM_L_PER_H = Fact(
    30.0,
    unit="L/h (per unit of 6BN formed)",
    sources=(*_BN_DATA, *_FIT),
    note=_FIT_NOTE.format(se="0.58 (log)"),
)
VM2_L = Fact(
    209.8,
    unit="L (per unit of 6BN formed)",
    sources=(*_BN_DATA, *_FIT),
    note=_FIT_NOTE.format(se="0.41 (log)"),
)

# ---- the earlier one-compartment sets (hand-tuned; kept for comparison) ----
OLD_KA_PER_H = Fact(
    3.0,
    unit="1/h",
    sources=("swiss-fachinfo-naltrexon", "ldn-assumption"),
    note="Chosen so Tmax is about 1 h with t1/2 4 h (label: peak within 1 h). Licko 1981 gives 0.72 /h from 3H data.",
)
OLD_NTX_HALF_LIFE_H = Fact(
    4.0,
    unit="h",
    sources=("openfda-naltrexone-label-2023", "swiss-fachinfo-naltrexon"),
    note="Label mean; range 2-4 h early phase.",
)
OLD_NTX_V_L = Fact(
    2860.0,
    unit="L (V/F)",
    sources=("swiss-fachinfo-naltrexon", "ldn-assumption"),
    note="Tuned to Cmax 13.3 ng/mL at 50 mg with ka 3 /h and t1/2 4 h.",
)
OLD_BN_HALF_LIFE_H = Fact(
    13.0,
    unit="h",
    sources=("openfda-naltrexone-label-2023", "swiss-fachinfo-naltrexon"),
    note="Label.",
)
OLD_BN_V_L = Fact(
    760.0,
    unit="L (Vm/fm)",
    sources=("bertolotti-1997", "ldn-assumption"),
    note="Tuned so the 6BN/NTX AUC(0-inf) ratio is about 12 (Bertolotti's 12.3 is an AUC(0-24) ratio).",
)
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

#: between-person variability (CV) — Bertolotti's AUC SD was about 50 % of the mean
CV_CL = Fact(
    0.5, unit="CV", sources=("bertolotti-1997",), note="AUC(0-24) 200 +/- 97 ng.h/mL in controls."
)
CV_OTHER = Fact(
    0.3,
    unit="CV",
    sources=("ldn-assumption",),
    note="No published between-person variability for ka, volumes and the 6BN parameters; 30 % assumed.",
)


@dataclass(frozen=True, slots=True)
class PkParameters:
    """Apparent parameters of the two-compartment NTX / two-compartment 6BN model (module doc)."""

    name: str
    ka_per_h: float
    v1_l: float
    cl_l_per_h: float
    q_l_per_h: float
    v2_l: float
    phi: float
    vm_l: float
    clm_l_per_h: float
    qm_l_per_h: float
    vm2_l: float

    def impulse(self) -> ImpulseResponse:
        """Per-mg responses (one patient) as sums of exponentials."""
        return impulse_response(
            **{f.name: np.array([getattr(self, f.name)]) for f in fields(self) if f.name != "name"}
        )

    @property
    def ntx_terminal_half_life_h(self) -> float:
        """ln 2 / the slowest NTX disposition rate b (module :mod:`~ldn.domain.pk.model`)."""
        return math.log(2) / float(self.impulse().rates[0, 2])

    @property
    def bn_terminal_half_life_h(self) -> float:
        """ln 2 / the slowest 6BN disposition rate l2 (what an intravenous 6BN study measures)."""
        return math.log(2) / float(self.impulse().rates[0, 4])

    def with_values(self, name: str, **values: float) -> PkParameters:
        return PkParameters(
            name,
            **{
                f.name: values.get(f.name, getattr(self, f.name))
                for f in fields(self)
                if f.name != "name"
            },
        )


def _one_compartment(
    name: str, *, ka: float, ntx_half_life_h: float, v_l: float, bn_half_life_h: float, vm_l: float
) -> PkParameters:
    """The earlier model: no peripheral compartments, all 6BN formed in the first pass."""
    return PkParameters(
        name,
        ka,
        v_l,
        v_l * math.log(2) / ntx_half_life_h,
        0.0,
        1.0,
        1.0,
        vm_l,
        vm_l * math.log(2) / bn_half_life_h,
        0.0,
        1.0,
    )


PARAMETER_SETS: dict[str, PkParameters] = {
    "recommended": PkParameters("recommended", KA_PER_H.value, V1_L.value, CL_L_PER_H.value, Q_L_PER_H.value,
                                V2_L.value, PHI.value, VM_L.value, CLM_L_PER_H.value, QM_L_PER_H.value, VM2_L.value),
    "one_compartment": _one_compartment("one_compartment", ka=OLD_KA_PER_H.value, ntx_half_life_h=OLD_NTX_HALF_LIFE_H.value,
                                        v_l=OLD_NTX_V_L.value, bn_half_life_h=OLD_BN_HALF_LIFE_H.value, vm_l=OLD_BN_V_L.value),
    "fast_6bn": _one_compartment("fast_6bn", ka=OLD_KA_PER_H.value, ntx_half_life_h=OLD_NTX_HALF_LIFE_H.value,
                                 v_l=OLD_NTX_V_L.value, bn_half_life_h=BN_HALF_LIFE_FAST_H.value, vm_l=BN_V_FAST_L.value),
    "chinese_be": _one_compartment("chinese_be", ka=OLD_KA_PER_H.value, ntx_half_life_h=CN_NTX_HALF_LIFE_H.value,
                                   v_l=CN_NTX_V_L.value, bn_half_life_h=BN_HALF_LIFE_FAST_H.value, vm_l=BN_V_FAST_L.value),
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


LINEAR_RANGE_MG = Fact(
    (50, 200),
    unit="mg",
    sources=("meyer-1984",),
    note="Dose-proportionality shown from 50 to 200 mg; one study at 2.4 mg (Johnson 2010) below that.",
)
