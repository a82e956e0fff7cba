"""The model's value for an observation, computed the way the study measured it.

Cmax and Tmax of the single-dose curve (Tmax: the root of dC/dt), AUC over the stated interval,
a half-life as the log-linear slope over the sampling window (t1/2 = -ln 2 / slope of ln C),
a concentration or occupancy at a time after the last dose, occupancy averaged over the scan
window, and the blockade half-time (occupancy falling to half its value 1 h after the dose).
Curves are superposed doses of ``dose_mg x SALT_TO_BASE`` mg base on a ``DT_H`` grid.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq

from ldn.domain.pk import parameters
from ldn.domain.pk.model import DoseGrid, auc_0_t, conc_at, superpose
from ldn.domain.pk.observations.record import Observation
from ldn.domain.pk.occupancy import OccupancyModel
from ldn.domain.pk.parameters import PkParameters

__all__ = ["DT_H", "predict"]

DT_H = 0.05


def _curves(
    obs: Observation, pk: PkParameters, horizon_h: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(times, NTX, 6BN) on a DT_H grid and the time of the last dose."""
    n, tau = obs.n_doses, obs.interval_h or 0.0
    dose_times = np.arange(n, dtype=np.float64) * tau
    t = np.arange(0.0, dose_times[-1] + horizon_h + 1e-9, DT_H)
    ir = pk.impulse()
    grid = DoseGrid(t, dose_times)
    ntx, bn = superpose(
        grid, np.full(n, obs.dose_mg * parameters.SALT_TO_BASE.value), ir.rates, [ir.ntx, ir.bn]
    )
    return t, ntx[0], bn[0], float(dose_times[-1])


def _peak(pk: PkParameters, coef: np.ndarray) -> tuple[float, float]:
    """(Tmax, Cmax per mg) of a single dose: the root of dC/dt near the grid maximum."""
    ir = pk.impulse()
    t = np.arange(0.0, 24.0, 0.02)
    c = conc_at(t, ir.rates, coef)[0]
    i = int(np.argmax(c))

    def slope(x: float) -> float:
        return float(-np.sum(coef[0] * ir.rates[0] * np.exp(-ir.rates[0] * x)))

    lo, hi = t[max(i - 1, 0)], t[min(i + 1, len(t) - 1)]
    tmax = brentq(slope, lo, hi, xtol=1e-10) if slope(lo) > 0 > slope(hi) else float(t[i])
    return tmax, float(conc_at(np.array([tmax]), ir.rates, coef)[0, 0])


def _half_life(t: np.ndarray, c: np.ndarray, window: tuple[float, float]) -> float:
    m = (t >= window[0] - 1e-9) & (t <= window[1] + 1e-9) & (c > 0)
    slope = np.polyfit(t[m], np.log(c[m]), 1)[0]
    return float(-math.log(2) / slope)


def predict(obs: Observation, pk: PkParameters, pd: OccupancyModel) -> float:
    """The model's value of ``obs`` (same units as ``obs.value``)."""
    q = obs.quantity
    if q == "disposition_half_life":
        return pk.bn_terminal_half_life_h
    base = obs.dose_mg * parameters.SALT_TO_BASE.value
    ir = pk.impulse()
    coef = {"ntx": ir.ntx, "6bn": ir.bn}
    if obs.analyte in ("ntx", "6bn") and obs.interval_h is None:
        c = coef[obs.analyte]
        if q in ("cmax", "tmax"):
            tmax, cmax = _peak(pk, c)
            return tmax if q == "tmax" else cmax * base
        if q in ("auc_0_24", "auc_0_t", "auc_0_inf"):
            end = {"auc_0_24": 24.0, "auc_0_inf": math.inf}.get(q, obs.time_h or math.inf)
            return float(auc_0_t(end, ir.rates, c)[0]) * base
        if q == "half_life" and obs.window_h:
            t = np.arange(obs.window_h[0], obs.window_h[1] + 1e-9, DT_H)
            return _half_life(t, conc_at(t, ir.rates, c)[0], obs.window_h)
    if q == "ratio_at" and obs.time_h is not None:
        t = np.array([obs.time_h])
        return float(conc_at(t, ir.rates, ir.bn)[0, 0] / conc_at(t, ir.rates, ir.ntx)[0, 0])
    if obs.analyte in ("ntx", "6bn", "ntx+6bn"):
        horizon = (obs.interval_h or 24.0) + 1.0
        t, ntx, bn, last = _curves(obs, pk, horizon)
        y = {"ntx": ntx, "6bn": bn, "ntx+6bn": ntx + bn}[obs.analyte]
        if q == "half_life" and obs.window_h:
            return _half_life(t - last, y, obs.window_h)
        if q == "conc_at" and obs.time_h is not None:
            return float(np.interp(last + obs.time_h, t, y))
    if obs.analyte == "mu":
        horizon = {
            "blockade_half_time": 400.0,
            "occupancy_mean": (obs.window_h or (0, 12))[1] + 1.0,
        }.get(q, (obs.time_h or 0) + 1.0)
        if obs.interval_h is not None:
            horizon = max(horizon, obs.interval_h + 1.0)
        t, ntx, _, last = _curves(obs, pk, horizon)
        occ = np.asarray(pd.occupancy(t, ntx)).reshape(-1)
        rel = t - last
        if q == "occupancy_mean" and obs.window_h:
            m = (rel >= obs.window_h[0] - 1e-9) & (rel <= obs.window_h[1] + 1e-9)
            return float(occ[m].mean())
        if q == "occupancy_at" and obs.time_h is not None:
            return float(np.interp(obs.time_h, rel, occ))
        if q == "blockade_half_time":
            half = float(np.interp(1.0, rel, occ)) / 2.0
            after = np.nonzero((rel > 1.0) & (occ < half))[0]
            if not after.size:
                return float(rel[-1])
            j = int(after[0])
            return float(rel[j - 1] + DT_H * (occ[j - 1] - half) / (occ[j - 1] - occ[j]))
    raise ValueError(f"{obs.id}: cannot predict {obs.analyte} {q}")
