"""Opioid-receptor occupancy: the published dose model, and a fitted receptor-binding time course.

**Dose-occupancy model** (Trøstheim et al. 2022, fitted to Rabiner 2011 PET), valid within about
8 h of a dose, with no time course::

    occupancy_mu(%) = 100 * D / (D + ED50),  ED50 = 5.592841 mg naltrexone HCl
    kappa: ED50 x 2;  delta: ED50 x 79

**Receptor-binding model** (the time course ldn uses). Brain mu-receptor occupancy by naltrexone
follows mass-action binding with slow dissociation (the structure Kim et al. 1997, ``kim-1997``, used
to explain why blockade by nalmefene outlasts its plasma half-life 20-fold)::

    d occ / dt = kon * C(t) * (1 - occ) - koff * occ,          occ(0) = 0

with C the plasma naltrexone concentration (nmol/L), kon the apparent association rate
(1/(nM h)) and koff the apparent dissociation rate (1/h); at equilibrium occ = C / (C + Kd) with
Kd = koff / kon. kon and koff were fitted (weighted least squares on the logit scale, with weak
priors; tests/reference/pk/fit_pk.py) to Rabiner 2011 (2-50 mg, < 8 h), the Swiss label (70-80 %
blocked 48 h after 50 mg), Lee 1988 (blockade half-time 72-108 h after 50 mg) and Weerts 2008
(94.9 % on 50 mg/day). An effect compartment (Sheiner et al. 1979, ``sheiner-1979``: d Ce/dt = ke0 (C - Ce),
occ = Ce / (Ce + EC50)) fitted the same data worse (weighted SSE 31.9 vs 24.2, AIC 35.9 vs 28.2);
a direct model without delay failed (SSE 223). 6-beta-naltrexol is left out of the driving
concentration: 20 mg of it intravenously did not change morphine analgesia or miosis
(Yancey-Wrona et al. 2011), and adding it did not improve the fit (its weight went to zero).

Between exact steps the concentration is taken as constant (the mean of its two ends), so each
step of length h is exact: occ <- eq + (occ - eq) exp(-(kon C + koff) h), eq = kon C / (kon C +
koff). With h <= 0.05 h the error against solve_ivp is below 1e-4 (tests/unit/pk).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from ldn.domain.facts import Fact
from ldn.domain.pk import parameters

__all__ = [
    "BINDING",
    "KOFF_PER_H",
    "KON_PER_NM_H",
    "MU_ED50_MG",
    "BindingParameters",
    "OccupancyModel",
    "binding_occupancy",
    "blockade_summary",
    "dose_occupancy",
]

MU_ED50_MG = Fact(
    5.592841,
    unit="mg naltrexone HCl",
    sources=("trostheim-2022", "rabiner-2011"),
    note="Valid < 8 h after a dose.",
)
KAPPA_RATIO = Fact(2.0, unit="x mu ED50", sources=("trostheim-2022",))
DELTA_RATIO = Fact(79.0, unit="x mu ED50", sources=("trostheim-2022",))
OCCUPANCY_VALID_H = Fact(8.0, unit="h after dose", sources=("trostheim-2022", "rabiner-2011"))

KON_PER_NM_H = Fact(
    0.0542,
    unit="1/(nM h)",
    sources=(
        "rabiner-2011",
        "trostheim-2022",
        "swiss-fachinfo-naltrexon",
        "lee-1988",
        "weerts-2008",
        "ldn-assumption",
    ),
    note="Apparent association rate, fitted; see docs/pk.md.",
)
KOFF_PER_H = Fact(
    0.0149,
    unit="1/h",
    sources=(
        "rabiner-2011",
        "swiss-fachinfo-naltrexon",
        "lee-1988",
        "weerts-2008",
        "ldn-assumption",
    ),
    note="Apparent dissociation rate, fitted; see docs/pk.md.",
)

FloatArray = NDArray[np.float64]


class OccupancyModel(Protocol):
    """Anything that turns plasma naltrexone (ng/mL, (P, T) or (T,)) into mu occupancy (0-1)."""

    def occupancy(self, times_h: FloatArray, ntx_ng_ml: FloatArray) -> FloatArray: ...


@dataclass(frozen=True, slots=True)
class BindingParameters:
    """kon (1/(nM h)) and koff (1/h) of the receptor-binding model."""

    kon_per_nm_h: float
    koff_per_h: float

    @property
    def kd_nm(self) -> float:
        return self.koff_per_h / self.kon_per_nm_h

    @property
    def dissociation_half_life_h(self) -> float:
        return float(np.log(2) / self.koff_per_h)

    def occupancy(self, times_h: FloatArray, ntx_ng_ml: FloatArray) -> FloatArray:
        """Fraction occupied on the grid for one or more concentration curves (see binding_occupancy)."""
        return binding_occupancy(
            times_h, ntx_ng_ml, kon_per_nm_h=self.kon_per_nm_h, koff_per_h=self.koff_per_h
        )


def dose_occupancy(dose_mg: float) -> dict[str, float]:
    """Percent occupancy of mu, kappa and delta receptors within ~8 h of ``dose_mg``."""
    ed50 = MU_ED50_MG.value
    out = {}
    for name, ratio in (("mu", 1.0), ("kappa", KAPPA_RATIO.value), ("delta", DELTA_RATIO.value)):
        out[f"{name}_percent"] = 100.0 * dose_mg / (dose_mg + ed50 * ratio)
    return out


def binding_occupancy(
    times_h: FloatArray,
    ntx_ng_ml: FloatArray,
    *,
    kon_per_nm_h: FloatArray | float,
    koff_per_h: FloatArray | float,
) -> FloatArray:
    """Fraction of mu receptors occupied (0-1) on the grid ``times_h`` for concentrations (P, T)
    of naltrexone in ng/mL; kon, koff scalars or (P,) arrays. Starts unoccupied at times_h[0].

    Each step is occ <- A occ + B with A = exp(-r), r = (kon C + koff) h, B = eq (1 - A). Runs of
    m steps are done at once: with R_j the cumulative sum of r over the run,
    occ_j = exp(-R_j) (occ_start + sum_{i <= j} B_i exp(R_i)); m keeps R below 300 (no overflow;
    every term is positive, so nothing cancels)."""
    c = np.atleast_2d(np.asarray(ntx_ng_ml, dtype=np.float64)) * (
        1000.0 / parameters.MW_NTX_G_MOL.value
    )
    kon = np.broadcast_to(np.asarray(kon_per_nm_h, dtype=np.float64), (c.shape[0],))
    koff = np.broadcast_to(np.asarray(koff_per_h, dtype=np.float64), (c.shape[0],))
    t = np.asarray(times_h, dtype=np.float64)
    out = np.zeros_like(c)
    if len(t) < 2:
        return out
    a = kon[:, None] * 0.5 * (c[:, 1:] + c[:, :-1])  # kon * mean C over each step, (P, T-1)
    rate = a + koff[:, None]
    r = rate * np.diff(t)[None, :]
    b = a / rate * -np.expm1(-r)
    m = int(np.clip(300.0 / max(float(r.max()), 1e-12), 1, 512))
    occ = np.zeros(c.shape[0])
    for lo in range(0, r.shape[1], m):
        hi = min(lo + m, r.shape[1])
        big_r = np.cumsum(r[:, lo:hi], axis=1)
        acc = np.cumsum(b[:, lo:hi] * np.exp(big_r), axis=1)
        block = np.exp(-big_r) * (occ[:, None] + acc)
        out[:, lo + 1 : hi + 1] = block
        occ = block[:, -1]
    return out


def _crossings(t: FloatArray, y: FloatArray, level: float) -> tuple[float, float | None, float]:
    """(hours with y >= level, first time y falls below level after its peak, peak time)."""
    above = y >= level
    dt = np.diff(t, append=t[-1])
    i_peak = int(np.argmax(y))
    after = np.nonzero((~above) & (np.arange(len(t)) > i_peak))[0]
    fall = None
    if after.size and y[i_peak] >= level:  # a peak below the level never falls below it
        j = int(after[0])
        y0, y1 = float(y[j - 1]), float(y[j])
        # linear interpolation between the last point at or above the level and the first below
        fall = (
            float(t[j - 1] + (t[j] - t[j - 1]) * (y0 - level) / (y0 - y1))
            if y0 >= level > y1
            else float(t[j])
        )
    return float(np.sum(dt * above)), fall, float(t[i_peak])


def blockade_summary(t: FloatArray, occ: FloatArray) -> dict[str, float | None]:
    """Peak, hours above 50 %, and when occupancy falls below 50 % and 10 % after its peak."""
    h50, fall50, tpeak = _crossings(t, occ, 0.5)
    _, fall10, _ = _crossings(t, occ, 0.1)
    return {
        "peak_percent": float(100.0 * occ.max()),
        "peak_h": tpeak,
        "hours_above_50": h50,
        "below_50_after_h": fall50 if occ.max() >= 0.5 else None,
        "below_10_after_h": fall10 if occ.max() >= 0.1 else 0.0,
    }


BINDING = BindingParameters(KON_PER_NM_H.value, KOFF_PER_H.value)
