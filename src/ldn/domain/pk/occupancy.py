"""Opioid-receptor occupancy.

Dose-occupancy model (Trøstheim et al. 2022, fitted to Rabiner 2011 PET), valid within about
8 h of a dose, with no time course::

    occupancy_mu(%) = 100 * D / (D + ED50),  ED50 = 5.592841 mg naltrexone HCl
    kappa: ED50 x 2;  delta: ED50 x 79

Optional plasma-driven Emax model (LOW CONFIDENCE): occupancy(t) = 100 C(t) / (C(t) + EC50)
with EC50 = the model's NTX Cmax at the ED50 dose (about 1.5 ng/mL); back-calculated, ignores
6BN and hysteresis (Rabiner calls the concentration-occupancy relation indirect).
"""

from __future__ import annotations

import numpy as np

from ldn.domain.facts import Fact

__all__ = ["EC50_NTX_NG_ML", "MU_ED50_MG", "dose_occupancy", "plasma_occupancy"]

MU_ED50_MG = Fact(
    5.592841,
    unit="mg naltrexone HCl",
    sources=("trostheim-2022", "rabiner-2011"),
    note="Valid < 8 h after a dose.",
)
KAPPA_RATIO = Fact(2.0, unit="x mu ED50", sources=("trostheim-2022",))
DELTA_RATIO = Fact(79.0, unit="x mu ED50", sources=("trostheim-2022",))
OCCUPANCY_VALID_H = Fact(8.0, unit="h after dose", sources=("trostheim-2022", "rabiner-2011"))
EC50_NTX_NG_ML = Fact(1.5, unit="ng/mL", sources=("ldn-assumption", "trostheim-2022"),
                      note="Back-calculated: NTX Cmax at the ED50 dose in the recommended set (1.5-1.9 ng/mL). Low confidence.")  # fmt: skip


def dose_occupancy(dose_mg: float) -> dict[str, float]:
    """Percent occupancy of mu, kappa and delta receptors within ~8 h of ``dose_mg``."""
    ed50 = MU_ED50_MG.value
    out = {}
    for name, ratio in (("mu", 1.0), ("kappa", KAPPA_RATIO.value), ("delta", DELTA_RATIO.value)):
        out[f"{name}_percent"] = 100.0 * dose_mg / (dose_mg + ed50 * ratio)
    return out


def plasma_occupancy(conc_ng_ml: np.ndarray) -> np.ndarray:
    """Low-confidence plasma-driven mu occupancy (%) from NTX concentration."""
    c = np.asarray(conc_ng_ml, dtype=np.float64)
    return np.asarray(100.0 * c / (c + EC50_NTX_NG_ML.value))
