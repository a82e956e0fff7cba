"""Exposure metrics from simulated curves: Cmax, Tmax, AUC, trough, half-lives, time above."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ldn.domain.pk import parameters
from ldn.domain.pk.model import auc_0_t
from ldn.domain.pk.parameters import PkParameters

__all__ = ["HALF_LIFE_WINDOWS_H", "curve_metrics", "ng_ml_to_nm", "time_above", "typical_metrics"]

#: windows (h after a dose) over which the apparent half-life is the log-linear slope, as the
#: labels report it (4 h for naltrexone, 13 h for 6BN)
HALF_LIFE_WINDOWS_H = {"ntx": (2.0, 12.0), "6bn": (8.0, 48.0)}


def ng_ml_to_nm(conc_ng_ml: Any, *, analyte: str) -> Any:
    """ng/mL -> nmol/L."""
    mw = parameters.MW_NTX_G_MOL.value if analyte == "ntx" else parameters.MW_6BN_G_MOL.value
    return np.asarray(conc_ng_ml) * 1000.0 / mw


def time_above(times_h: np.ndarray, values: np.ndarray, threshold: float) -> float:
    """Hours (on the grid) with ``values`` >= ``threshold``."""
    dt = np.diff(times_h, append=times_h[-1])
    return float(np.sum(dt * (values >= threshold)))


def _window_half_life(times_h: np.ndarray, conc: np.ndarray, window: tuple[float, float]) -> float:
    m = (times_h >= window[0]) & (times_h <= window[1]) & (conc > 0)
    if m.sum() < 2:
        return math.nan
    return float(-math.log(2) / np.polyfit(times_h[m], np.log(conc[m]), 1)[0])


def curve_metrics(
    times_h: np.ndarray,
    conc: np.ndarray,
    *,
    analyte: str,
    auc_inf_ng_h_ml: float,
    terminal_half_life_h: float,
    window_h: tuple[float, float] = (0.0, 24.0),
) -> dict[str, float]:
    """Metrics of one single-dose curve; AUC(0-inf) and the terminal half-life are passed in
    (analytic: sum_j c_j / rate_j, and ln 2 over the slowest disposition rate)."""
    i = int(np.argmax(conc))
    lo, hi = window_h
    m = (times_h >= lo) & (times_h <= hi)
    return {
        "cmax_ng_ml": float(conc[i]),
        "cmax_nm": float(ng_ml_to_nm(conc[i], analyte=analyte)),
        "tmax_h": float(times_h[i]),
        "auc_0_24_ng_h_ml": float(np.trapezoid(conc[m], times_h[m])),
        "auc_0_inf_ng_h_ml": auc_inf_ng_h_ml,
        "trough_ng_ml": float(conc[m][-1]),
        "half_life_h": _window_half_life(times_h, conc, HALF_LIFE_WINDOWS_H[analyte]),
        "terminal_half_life_h": terminal_half_life_h,
    }


def typical_metrics(
    p: PkParameters, times_h: np.ndarray, ntx: np.ndarray, bn: np.ndarray, dose_base_mg: float
) -> dict[str, Any]:
    """Single-dose metrics of both analytes; ``half_life_h`` is the apparent half-life over the
    labels' windows (HALF_LIFE_WINDOWS_H), ``terminal_half_life_h`` the slowest disposition phase."""
    ir = p.impulse()
    auc_ntx = float(auc_0_t(math.inf, ir.rates, ir.ntx)[0]) * dose_base_mg
    auc_bn = float(auc_0_t(math.inf, ir.rates, ir.bn)[0]) * dose_base_mg
    a = curve_metrics(
        times_h,
        ntx,
        analyte="ntx",
        auc_inf_ng_h_ml=auc_ntx,
        terminal_half_life_h=p.ntx_terminal_half_life_h,
    )
    b = curve_metrics(
        times_h,
        bn,
        analyte="6bn",
        auc_inf_ng_h_ml=auc_bn,
        terminal_half_life_h=p.bn_terminal_half_life_h,
    )
    return {"ntx": a, "nbx": b, "auc_ratio_nbx_to_ntx": auc_bn / auc_ntx}
