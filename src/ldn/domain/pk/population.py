"""Virtual populations: log-normal inter-individual variability, seeded and reproducible.

Each patient's parameter is theta_i = theta * exp(eta_i), eta_i ~ N(-omega^2/2, omega^2) with
omega^2 = log(1 + CV^2) (mean-preserving). CV of clearance 50 % (Bertolotti 1997 AUC spread);
30 % assumed for the others (no published IIV).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ldn.domain.errors import InputError
from ldn.domain.pk.model import DoseGrid, bateman, exp_sum
from ldn.domain.pk.parameters import CV_CL, CV_OTHER, PkParameters
from ldn.domain.pk.regimen import Regimen

__all__ = ["MAX_POPULATION", "Simulation", "sample_parameters", "simulate"]

MAX_POPULATION = 100_000


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


def _lognormal(rng: np.random.Generator, typical: float, cv: float, n: int) -> np.ndarray:
    omega2 = np.log1p(cv * cv)
    return typical * np.exp(rng.normal(-omega2 / 2, np.sqrt(omega2), n))


def sample_parameters(p: PkParameters, *, n: int, seed: int) -> dict[str, np.ndarray]:
    """Per-patient parameters; ``n == 1`` with ``seed < 0`` gives the typical patient."""
    if not 1 <= n <= MAX_POPULATION:
        raise InputError.at(
            "--population", f"{n} is outside 1-{MAX_POPULATION}", "use a smaller population"
        )
    if seed < 0:
        one = np.ones(n)
        return {"ka": p.ka_per_h * one, "ntx_v": p.ntx_v_l * one, "ntx_cl": p.ntx_cl_l_per_h * one,
                "bn_v": p.bn_v_l * one, "bn_k": p.bn_kel_per_h * one}  # fmt: skip
    rng = np.random.default_rng(seed)
    cv = CV_OTHER.value
    return {"ka": _lognormal(rng, p.ka_per_h, cv, n), "ntx_v": _lognormal(rng, p.ntx_v_l, cv, n),
            "ntx_cl": _lognormal(rng, p.ntx_cl_l_per_h, CV_CL.value, n), "bn_v": _lognormal(rng, p.bn_v_l, cv, n),
            "bn_k": _lognormal(rng, p.bn_kel_per_h, cv, n)}  # fmt: skip


def simulate(regimen: Regimen, p: PkParameters, *, times_h: np.ndarray, n: int = 1, seed: int = -1, chunk: int = 2000,
             dtype: type[np.floating] = np.float64) -> Simulation:  # fmt: skip
    """Concentrations of both analytes for ``n`` patients (typical patient when ``seed < 0``)."""
    prm = sample_parameters(p, n=n, seed=seed)
    ntx = np.empty((n, len(times_h)), dtype=dtype)
    bn = np.empty((n, len(times_h)), dtype=dtype)
    grid = DoseGrid(times_h, regimen.times)
    doses = regimen.base_mg
    for lo in range(0, n, chunk):
        sl = slice(lo, min(lo + chunk, n))
        ka = prm["ka"][sl]
        ka_sum = exp_sum(grid, doses, ka)
        ntx[sl] = bateman(
            grid, doses, ka, ka_sum, prm["ntx_v"][sl], prm["ntx_cl"][sl] / prm["ntx_v"][sl]
        )
        bn[sl] = bateman(grid, doses, ka, ka_sum, prm["bn_v"][sl], prm["bn_k"][sl])
    return Simulation(np.asarray(times_h), ntx, bn, prm)
