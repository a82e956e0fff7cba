"""How long a dose keeps mu-opioid receptors blocked, with the fit's uncertainty.

For a dose (mg naltrexone HCl), after one dose and at steady state of once-daily dosing (day 28),
the binding model (:mod:`ldn.domain.pk.occupancy`) gives the occupancy curve of the typical
patient and of ``draws`` draws from the approximate posterior with the between-study spread
(:mod:`ldn.domain.pk.uncertainty`). Reported: peak occupancy, hours at or above 50 %, when it
falls below 50 % and below 10 % after the peak (hours after the dose; after the last dose at
steady state), the steady-state trough, as the typical value and the 5th-95th percentiles of the
draws (a 90 % credible band). Between-person variability is not in these bands.

No study has measured occupancy over time at 1-5 mg: this is the fitted model's extrapolation
from PET after single 2-50 mg doses (within 8 h) and 50 mg (48-168 h).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ldn.domain.pk import parameters
from ldn.domain.pk.model import DoseGrid, impulse_response, superpose
from ldn.domain.pk.occupancy import BINDING, binding_occupancy, blockade_summary
from ldn.domain.pk.parameters import PkParameters, get_parameters
from ldn.domain.pk.population import simulate
from ldn.domain.pk.regimen import Regimen
from ldn.domain.pk.uncertainty import PK_ORDER, draw

__all__ = ["STEADY_STATE_DAY", "UNCERTAINTY_DRAWS", "blockade", "occupancy_band"]

STEADY_STATE_DAY = 28
DT_H = 0.1
AFTER_H = 14 * 24.0
#: draws from the fit's posterior for credible bands (more draws: less Monte Carlo error, slower)
UNCERTAINTY_DRAWS = 200


def _curves(
    dose_mg: float, n_doses: int, pk: dict[str, np.ndarray], kon: np.ndarray, koff: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    dose_times = np.arange(n_doses, dtype=np.float64) * 24.0
    t = np.arange(0.0, dose_times[-1] + AFTER_H + 1e-9, DT_H)
    ir = impulse_response(**pk)
    (ntx,) = superpose(
        DoseGrid(t, dose_times),
        np.full(n_doses, dose_mg * parameters.SALT_TO_BASE.value),
        ir.rates,
        [ir.ntx],
    )
    return t, binding_occupancy(t, ntx, kon_per_nm_h=kon, koff_per_h=koff), float(dose_times[-1])


def _summaries(t: np.ndarray, occ: np.ndarray, last: float) -> list[dict[str, Any]]:
    out = []
    after = t >= last
    day = after & (t < last + 24.0 - 1e-9)
    for row in occ:
        s = blockade_summary(t[after] - last, row[after])
        if last > 0:
            s["trough_percent"] = float(100.0 * row[np.argmin(np.abs(t - last))])
            s["hours_above_50_per_day"] = float(np.sum(row[day] >= 0.5) * DT_H)
        out.append(s)
    return out


def _band(values: list[float | None], typical: float | None) -> dict[str, float | None]:
    arr = np.array([np.nan if v is None else v for v in values], dtype=float)
    never = int(np.sum(np.isnan(arr)))
    lo, mid, hi = (None, None, None)
    if never < len(arr):
        lo, mid, hi = (float(x) for x in np.nanpercentile(arr, (5, 50, 95)))
    return {"typical": typical, "p5": lo, "median": mid, "p95": hi, "share_never": never / len(arr)}


def blockade(
    dose_mg: float,
    *,
    steady_state: bool = False,
    draws: int = 200,
    seed: int = 1,
    params: PkParameters | None = None,
) -> dict[str, Any]:
    """Blockade summary of ``dose_mg`` once (or daily to day 28): typical value and 90 % band."""
    p = params or get_parameters("recommended")
    n_doses = STEADY_STATE_DAY if steady_state else 1
    typ = {k: np.array([getattr(p, k)]) for k in PK_ORDER}
    t, occ_typ, last = _curves(
        dose_mg, n_doses, typ, np.array([BINDING.kon_per_nm_h]), np.array([BINDING.koff_per_h])
    )
    pk, kon, koff = draw(draws, seed=seed, pk=p)
    _, occ, _ = _curves(dose_mg, n_doses, pk, kon, koff)
    typical = _summaries(t, occ_typ, last)[0]
    rows = _summaries(t, occ, last)
    out: dict[str, Any] = {
        "dose_mg": dose_mg,
        "regimen": f"once daily, day {n_doses}" if steady_state else "single dose",
        "draws": draws,
    }
    for key in typical:
        out[key] = _band([r[key] for r in rows], typical[key])
    return out


def occupancy_band(
    regimen: Regimen,
    p: PkParameters,
    times_h: np.ndarray,
    *,
    draws: int = UNCERTAINTY_DRAWS,
    seed: int = 1,
) -> dict[str, np.ndarray]:
    """Mu occupancy (%) on ``times_h`` for a regimen: the typical patient and the 5th/50th/95th
    percentiles of draws from the fit's posterior (parameter uncertainty and between-study spread,
    not between-person variability), computed on a DT_H grid and interpolated."""
    fine = np.arange(0.0, float(times_h[-1]) + 1e-9, DT_H)
    typ = simulate(regimen, p, times_h=fine).occupancy()[0]
    unc = simulate(
        regimen, p, times_h=fine, n=draws, seed=seed, variability=False, uncertainty=True
    ).occupancy()
    lo, mid, hi = np.percentile(unc, (5, 50, 95), axis=0)
    return {
        name: 100.0 * np.interp(times_h, fine, y)
        for name, y in (("typical", typ), ("p5", lo), ("median", mid), ("p95", hi))
    }
