"""Virtual populations: between-person variability and parameter uncertainty, sampled separately.

* Between-person variability (``variability=True``): each patient's parameter is
  theta_i = theta * exp(eta_i), eta_i ~ N(-omega^2/2, omega^2), omega^2 = log(1 + CV^2)
  (mean-preserving): CV 50 % for naltrexone clearance (Bertolotti 1997 AUC spread), 30 % assumed
  for ka, V1, Vm and CLm; the distribution parameters vary only through the uncertainty.
* Parameter uncertainty (``uncertainty=True``): theta itself is drawn from the fit's approximate
  posterior, with the between-study spread (:mod:`ldn.domain.pk.uncertainty`), and so are the
  binding rates kon, koff.

Typical patient: neither. Credible band of the typical patient: uncertainty only. Spread of
patients under the fitted model: variability only. Both: every virtual patient has their own draw.
Seeded and reproducible.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields

import numpy as np

from ldn.domain.errors import InputError
from ldn.domain.pk.model import DoseGrid, impulse_response, superpose
from ldn.domain.pk.occupancy import BINDING, binding_occupancy
from ldn.domain.pk.parameters import CV_CL, CV_OTHER, PkParameters
from ldn.domain.pk.regimen import Regimen
from ldn.domain.pk.uncertainty import draw

__all__ = [
    "MAX_POPULATION",
    "THREADS",
    "Simulation",
    "sample_parameters",
    "simulate",
    "threads_for",
]

MAX_POPULATION = 100_000
#: threads a large population is split across, each writing its own rows (numpy's exp and matrix
#: product release the GIL); at most the CPU count (a speed choice)
THREADS = 2
#: patients x time points below which one thread is quicker than starting more (a speed choice)
_THREADED_MIN_POINTS = 1 << 20
_NAMES = tuple(f.name for f in fields(PkParameters) if f.name != "name")
#: parameters with between-person variability and their CV
IIV = {
    "ka_per_h": CV_OTHER,
    "v1_l": CV_OTHER,
    "cl_l_per_h": CV_CL,
    "vm_l": CV_OTHER,
    "clm_l_per_h": CV_OTHER,
}


@dataclass(frozen=True, slots=True)
class Simulation:
    """Concentrations (ng/mL) of both analytes on a time grid, one row per patient."""

    times_h: np.ndarray
    ntx_ng_ml: np.ndarray
    bn_ng_ml: np.ndarray
    params: dict[str, np.ndarray]

    def percentiles(self, analyte: str, q: tuple[float, ...] = (5, 50, 95)) -> np.ndarray:
        data = self.ntx_ng_ml if analyte == "ntx" else self.bn_ng_ml
        return np.asarray(np.percentile(data, q, axis=0))

    def occupancy(self) -> np.ndarray:
        """Mu-receptor occupancy (0-1) of every patient on the grid (binding model)."""
        return binding_occupancy(
            self.times_h,
            self.ntx_ng_ml,
            kon_per_nm_h=self.params["kon_per_nm_h"],
            koff_per_h=self.params["koff_per_h"],
        )


def _lognormal(
    rng: np.random.Generator, typical: np.ndarray | float, cv: float, n: int
) -> np.ndarray:
    omega2 = np.log1p(cv * cv)
    return typical * np.exp(rng.normal(-omega2 / 2, np.sqrt(omega2), n))


def sample_parameters(
    p: PkParameters, *, n: int, seed: int, variability: bool = True, uncertainty: bool = False
) -> dict[str, np.ndarray]:
    """Per-patient parameters (keys: the PkParameters fields, kon_per_nm_h, koff_per_h);
    ``seed < 0`` gives the typical patient whatever the switches."""
    if not 1 <= n <= MAX_POPULATION:
        raise InputError.at(
            "--population", f"{n} is outside 1-{MAX_POPULATION}", "use a smaller population"
        )
    one = np.ones(n)
    if seed < 0 or not (variability or uncertainty):
        out = {k: getattr(p, k) * one for k in _NAMES}
        return out | {
            "kon_per_nm_h": BINDING.kon_per_nm_h * one,
            "koff_per_h": BINDING.koff_per_h * one,
        }
    if uncertainty:
        pk, kon, koff = draw(n, seed=seed + 7919, pk=p)
        out = pk | {"kon_per_nm_h": kon, "koff_per_h": koff}
    else:
        out = {k: getattr(p, k) * one for k in _NAMES}
        out |= {"kon_per_nm_h": BINDING.kon_per_nm_h * one, "koff_per_h": BINDING.koff_per_h * one}
    if variability:
        rng = np.random.default_rng(seed)
        for k, cv in IIV.items():
            out[k] = _lognormal(rng, out[k], cv.value, n)
    return out


def threads_for(points: int) -> int:
    """Threads ``simulate`` uses for ``points`` = patients x time points: one per
    _THREADED_MIN_POINTS, at most THREADS and the CPU count."""
    return max(1, min(THREADS, os.cpu_count() or 1, points // _THREADED_MIN_POINTS))


def simulate(
    regimen: Regimen,
    p: PkParameters,
    *,
    times_h: np.ndarray,
    n: int = 1,
    seed: int = -1,
    chunk: int = 2000,
    dtype: type[np.floating] = np.float64,
    variability: bool = True,
    uncertainty: bool = False,
) -> Simulation:
    """Concentrations of both analytes for ``n`` patients (typical patient when ``seed < 0``).

    Patients go in chunks of ``chunk`` (bounding the temporaries); a large population is split
    into contiguous parts, one per thread (threads_for), each writing only its own rows, so a
    patient's curve is the same whatever the split."""
    prm = sample_parameters(p, n=n, seed=seed, variability=variability, uncertainty=uncertainty)
    ntx = np.empty((n, len(times_h)), dtype=dtype)
    bn = np.empty((n, len(times_h)), dtype=dtype)
    grid = DoseGrid(times_h, regimen.times)
    doses = regimen.base_mg

    def run(start: int, stop: int) -> None:
        for lo in range(start, stop, chunk):
            sl = slice(lo, min(lo + chunk, stop))
            ir = impulse_response(**{k: prm[k][sl] for k in _NAMES})
            superpose(grid, doses, ir.rates, [ir.ntx, ir.bn], out=[ntx[sl], bn[sl]])

    threads = threads_for(n * len(times_h))
    bounds = [n * i // threads for i in range(threads + 1)]
    if threads == 1:
        run(0, n)
    else:  # each patient's rows are the same whichever thread writes them
        with ThreadPoolExecutor(threads) as pool:
            for done in [pool.submit(run, a, b) for a, b in itertools.pairwise(bounds)]:
                done.result()
    return Simulation(np.asarray(times_h), ntx, bn, prm)
