"""Pharmacology use cases: a dose's concentration curves, exposure metrics, occupancy and blockade."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from ldn.domain.naltrexone import STANDARD_DOSE_MG
from ldn.domain.pk import BLOCKADE_CAVEAT, EXTRAPOLATION_CAVEAT
from ldn.domain.pk.blockade import STEADY_STATE_DAY, UNCERTAINTY_DRAWS, blockade, occupancy_band
from ldn.domain.pk.metrics import typical_metrics
from ldn.domain.pk.observations import OBSERVATIONS, predict
from ldn.domain.pk.occupancy import BINDING, OCCUPANCY_VALID_H, dose_occupancy
from ldn.domain.pk.parameters import get_parameters
from ldn.domain.pk.population import Simulation, simulate
from ldn.domain.pk.regimen import Regimen, daily

__all__ = ["LDN_CEILING_MG", "blockade_table", "fit_table", "occupancy_band", "run_simulation"]

LDN_CEILING_MG = 5.0


def caveats(dose_mg: float) -> list[str]:
    out = [
        EXTRAPOLATION_CAVEAT,
        BLOCKADE_CAVEAT,
        f"The dose-occupancy figure (Trøstheim 2022) holds within about {OCCUPANCY_VALID_H.value:g} h of a dose.",
    ]
    if dose_mg > LDN_CEILING_MG:
        out.append(
            f"{dose_mg:g} mg is not low-dose naltrexone (LDN is 1.5-4.5 mg; {STANDARD_DOSE_MG.value:g} mg is the standard dose)."
        )
    return out


@lru_cache(maxsize=256)
def _blockade(dose_mg: float, steady_state: bool, params: str) -> dict[str, Any]:
    return blockade(
        dose_mg,
        steady_state=steady_state,
        draws=UNCERTAINTY_DRAWS,
        seed=1,
        params=get_parameters(params),
    )


@lru_cache(maxsize=1)
def _fit_rows() -> tuple[dict[str, Any], ...]:
    p = get_parameters("recommended")
    rows = []
    for o in OBSERVATIONS:
        pred = predict(o, p, BINDING)
        rows.append(
            {
                "id": o.id,
                "study": o.study,
                "sources": list(o.sources),
                "dose_mg": o.dose_mg,
                "formulation": o.formulation,
                "analyte": o.analyte,
                "quantity": o.quantity,
                "observed": o.value,
                "low": o.low,
                "high": o.high,
                "unit": o.unit,
                "use": o.use,
                "predicted": pred,
                "ratio": pred / o.value if o.value is not None else None,
                "quote": o.quote,
            }
        )
    return tuple(rows)


def fit_table() -> list[dict[str, Any]]:
    """Every published observation with the fitted model's prediction (ratio = model / published)."""
    return [dict(r) for r in _fit_rows()]


def blockade_table(doses_mg: list[float], *, params: str = "recommended") -> list[dict[str, Any]]:
    """Single-dose and steady-state blockade (typical value and 90 % band) for each dose."""
    return [
        {
            "dose_mg": d,
            "single_dose": _blockade(d, False, params),
            "steady_state": _blockade(d, True, params),
        }
        for d in doses_mg
    ]


def run_simulation(
    *, dose_mg: float, interval_h: float, days: int, population: int, seed: int, params: str
) -> tuple[dict[str, Any], Simulation, Regimen]:
    p = get_parameters(params)
    single = daily(dose_mg=dose_mg, days=1, interval_h=max(interval_h, 24.0))
    t1 = np.arange(0.0, 96.0 + 1e-9, 0.02)
    s1 = simulate(single, p, times_h=t1)
    result: dict[str, Any] = {
        "dose_mg": dose_mg,
        "interval_h": interval_h,
        "days": days,
        "params": params,
    }
    result |= typical_metrics(p, t1, s1.ntx_ng_ml[0], s1.bn_ng_ml[0], float(single.base_mg[0]))
    result["occupancy"] = dose_occupancy(dose_mg) | {
        "valid_within_h_after_dose": OCCUPANCY_VALID_H.value
    }
    result["blockade"] = {
        "single_dose": _blockade(dose_mg, False, params),
        f"day_{STEADY_STATE_DAY}_once_daily": _blockade(dose_mg, True, params),
    }
    regimen = daily(dose_mg=dose_mg, days=days, interval_h=interval_h)
    step = 0.05 if days <= 3 else 0.25
    t = np.arange(0.0, days * 24.0 + 1e-9, step)
    sim = simulate(regimen, p, times_h=t, n=population, seed=seed if population > 1 else -1)
    if days > 1:
        last = t >= (days - 1) * 24.0
        typ = simulate(regimen, p, times_h=t)
        first = t < 24.0
        result["steady_state"] = {
            "ntx_cmax_ng_ml": float(typ.ntx_ng_ml[0][last].max()), "nbx_cmax_ng_ml": float(typ.bn_ng_ml[0][last].max()),
            "nbx_trough_ng_ml": float(typ.bn_ng_ml[0][last][-1]),
            "nbx_accumulation_ratio": float(typ.bn_ng_ml[0][last].max() / typ.bn_ng_ml[0][first].max()),
        }  # fmt: skip
    if population > 1:
        cmax = sim.ntx_ng_ml.max(axis=1)
        result["population"] = {
            "n": population,
            "seed": seed,
            "ntx_cmax_ng_ml_p5_p50_p95": [float(x) for x in np.percentile(cmax, (5, 50, 95))],
            "nbx_cmax_ng_ml_p5_p50_p95": [
                float(x) for x in np.percentile(sim.bn_ng_ml.max(axis=1), (5, 50, 95))
            ],
        }
    result["caveats"] = caveats(dose_mg)
    return result, sim, regimen
