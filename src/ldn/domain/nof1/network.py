"""Several clinics' N-of-1 series pooled by one three-level model (issue 22, network pool).

Model (NRS points; negative = less pain on LDN)::

    y_ij ~ N(delta_ij, v_ij)        trial i of clinic j: its normal summary (estimate, SE^2),
                                    EffectLikelihood.summary(), what a clinic may share
    delta_ij ~ N(Delta_j, tau^2)    patients within a clinic
    Delta_j ~ N(Delta, omega^2)     clinics around the network's average
    Delta ~ N(m0, s0^2)             the evidence prior; tau, omega ~ half-normal (ldn assumptions)

Given (tau, omega) everything else is normal and integrates out in closed form. Within clinic
j, with w_ij = 1/(v_ij + tau^2), W_j = sum_i w_ij and ybar_j = sum_i w_ij y_ij / W_j::

    prod_i N(y_ij; Delta_j, v_ij + tau^2) = C_j N(ybar_j; Delta_j, 1/W_j),
    log C_j = -1/2 sum_i [log 2 pi (v_ij + tau^2) + w_ij (y_ij - ybar_j)^2] + 1/2 log(2 pi / W_j)

then ybar_j ~ N(Delta, 1/U_j) with U_j = W_j / (1 + W_j omega^2), and with the prior on Delta,
P = 1/s0^2 + sum U_j, M = (m0/s0^2 + sum U_j ybar_j) / P, Delta | tau, omega, y ~ N(M, 1/P) and

    log p(y | tau, omega) = sum log C_j + 1/2 sum log(U_j / 2 pi) - 1/2 log(s0^2 P)
                            - 1/2 (sum U_j ybar_j^2 + m0^2/s0^2 - P M^2).

(tau, omega) go on a 2-D trapezoid grid; Delta, each Delta_j (normal given tau, omega:
mean (1 - B_j) ybar_j + B_j M, variance (1 - B_j)/W_j + B_j^2/P, B_j = 1/(1 + W_j omega^2)) and
the share are normal mixtures over it, exact up to that quadrature. The share is for a patient
of a clinic drawn from the network, delta ~ N(Delta, tau^2 + omega^2):
share = Phi((-MCID - Delta) / sqrt(tau^2 + omega^2)).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from ldn.domain.errors import InputError
from ldn.domain.facts import Fact
from ldn.domain.nof1.hierarchy import (
    TAU_PRIOR_SCALE_NRS,
    EffectLikelihood,
    check_pool_inputs,
    prior_dict,
)
from ldn.domain.nof1.hierarchy_grid import mixture_quantile
from ldn.domain.nof1.hierarchy_text import HALF_NORMAL_95_WIDTH, network_sentence
from ldn.domain.nof1.prior import MCID_NRS, NormalPrior

__all__ = ["OMEGA_PRIOR_SCALE_NRS", "NetworkResult", "pool_network"]

OMEGA_PRIOR_SCALE_NRS = Fact(
    0.5,
    unit="NRS points",
    sources=("ldn-assumption", "roever-2021"),
    note="Half-normal(0.5 point) prior on omega, the SD of clinics' average LDN effects "
    "around the network's: a modelling choice, not a clinical fact. Clinics differ in "
    "patients and practice, but average effects 1 point apart (P(omega > 1) = 4.6 %) "
    "are a priori unlikely.",
)
N_GRID = 97
TAIL = 1e-9


@dataclass(frozen=True, slots=True)
class NetworkResult:
    n_clinics: int
    n_trials: int
    delta_mean_nrs: float
    delta_ci_nrs: tuple[float, float]
    tau_mean_nrs: float  # within-clinic SD between patients
    tau_ci_nrs: tuple[float, float]
    omega_mean_nrs: float  # between-clinic SD
    omega_ci_nrs: tuple[float, float]
    share_benefit_mcid: float
    share_benefit_mcid_ci: tuple[float, float]
    mcid_nrs: float
    clinics: tuple[tuple[str, float, tuple[float, float], int], ...]  # label, mean, CI, n trials
    sentence: str
    warnings: tuple[str, ...]
    prior: NormalPrior | None = None
    tau_prior_scale_nrs: float = TAU_PRIOR_SCALE_NRS.value
    omega_prior_scale_nrs: float = OMEGA_PRIOR_SCALE_NRS.value

    def as_dict(self) -> dict[str, Any]:
        return {
            "n_clinics": self.n_clinics,
            "n_trials": self.n_trials,
            "delta_mean_nrs": self.delta_mean_nrs,
            "delta_ci_nrs": list(self.delta_ci_nrs),
            "tau_mean_nrs": self.tau_mean_nrs,
            "tau_ci_nrs": list(self.tau_ci_nrs),
            "omega_mean_nrs": self.omega_mean_nrs,
            "omega_ci_nrs": list(self.omega_ci_nrs),
            "share_benefit_mcid": self.share_benefit_mcid,
            "share_benefit_mcid_ci": list(self.share_benefit_mcid_ci),
            "mcid_nrs": self.mcid_nrs,
            "mcid_source_ids": list(MCID_NRS.sources),
            "clinics": [
                {"label": c[0], "mean_nrs": c[1], "ci_nrs": list(c[2]), "n_trials": c[3]}
                for c in self.clinics
            ],
            "prior": None if self.prior is None else prior_dict(self.prior),
            "tau_prior": f"half-normal({self.tau_prior_scale_nrs:g} NRS points)",
            "omega_prior": f"half-normal({self.omega_prior_scale_nrs:g} NRS points)",
            "prior_scale_source_ids": sorted(
                {*TAU_PRIOR_SCALE_NRS.sources, *OMEGA_PRIOR_SCALE_NRS.sources}
            ),
            "sentence": self.sentence,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True, slots=True)
class _Grid:
    tau: np.ndarray  # (T,)
    omega: np.ndarray  # (O,)
    weight: np.ndarray  # (T, O) posterior masses (quadrature weights included), sum 1
    mean: np.ndarray  # (T, O) M
    prec: np.ndarray  # (T, O) P
    ybar: np.ndarray  # (T, J)
    big_w: np.ndarray  # (T, J)


def _trap(x: np.ndarray) -> np.ndarray:
    w = np.zeros_like(x)
    w[:-1] += np.diff(x) / 2
    w[1:] += np.diff(x) / 2
    return w


def _grid(
    y: np.ndarray,
    v: np.ndarray,
    clinic: np.ndarray,
    n_clinics: int,
    prior: NormalPrior,
    tau_hi: float,
    omega_hi: float,
    tau_scale: float,
    omega_scale: float,
) -> _Grid:
    tau = np.linspace(0.0, tau_hi, N_GRID)
    omega = np.linspace(0.0, omega_hi, N_GRID)
    w = 1 / (v[None, :] + tau[:, None] ** 2)  # (T, n)

    one_hot = (clinic[:, None] == np.arange(n_clinics)[None, :]).astype(np.float64)  # (n, J)

    def by_clinic(a: np.ndarray) -> np.ndarray:  # sum over each clinic's trials: (T, J)
        return np.asarray(a @ one_hot)

    big_w = by_clinic(w)
    ybar = by_clinic(w * y[None, :]) / big_w
    resid = by_clinic(w * (y[None, :] - ybar[:, clinic]) ** 2)
    log_c = 0.5 * by_clinic(np.log(w)) - 0.5 * resid - 0.5 * np.log(big_w)  # (T, J), 2 pi dropped
    u = big_w[:, None, :] / (1 + big_w[:, None, :] * omega[None, :, None] ** 2)  # (T, O, J)
    m0, s0 = prior.mean, prior.sd
    prec = 1 / s0**2 + u.sum(axis=2)
    mean = (m0 / s0**2 + np.sum(u * ybar[:, None, :], axis=2)) / prec
    quad = np.sum(u * ybar[:, None, :] ** 2, axis=2) + m0**2 / s0**2 - prec * mean**2
    log_post = (
        log_c.sum(axis=1)[:, None] + 0.5 * np.log(u).sum(axis=2) - 0.5 * np.log(prec) - 0.5 * quad
    )
    log_post += -(tau[:, None] ** 2) / (2 * tau_scale**2) - omega[None, :] ** 2 / (
        2 * omega_scale**2
    )
    weight = np.exp(log_post - log_post.max()) * _trap(tau)[:, None] * _trap(omega)[None, :]
    return _Grid(tau, omega, weight / weight.sum(), mean, prec, ybar, big_w)


def _marginal(x: np.ndarray, mass: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95 % interval of a grid marginal (node masses -> density -> linear CDF)."""
    dens = mass / _trap(x)
    cells = np.diff(x) * (dens[:-1] + dens[1:]) / 2
    cdf = np.concatenate([[0.0], np.cumsum(cells)]) / cells.sum()
    return float(mass @ x), float(np.interp(0.025, cdf, x)), float(np.interp(0.975, cdf, x))


def _upper(x: np.ndarray, mass: np.ndarray) -> float:
    return float(x[min(int(np.searchsorted(np.cumsum(mass), 1 - TAIL)) + 1, len(x) - 1)])


def pool_network(
    clinics: Mapping[str, Sequence[EffectLikelihood]],
    *,
    prior: NormalPrior,
    tau_prior_scale_nrs: float = TAU_PRIOR_SCALE_NRS.value,
    omega_prior_scale_nrs: float = OMEGA_PRIOR_SCALE_NRS.value,
    mcid_nrs: float = MCID_NRS.value,
) -> NetworkResult:
    """The three-level pool of several clinics' trials (module docstring)."""
    labels = list(clinics)
    if len(labels) < 2 or any(len(clinics[c]) == 0 for c in labels):
        raise InputError.at(
            "clinics",
            f"a network pool needs at least 2 clinics, each with at least 1 trial; got {len(labels)}",
            "pool a single clinic's trials with the series pool",
        )
    every = [lk for c in labels for lk in clinics[c]]
    scales = {
        "tau_prior_scale_nrs": tau_prior_scale_nrs,
        "omega_prior_scale_nrs": omega_prior_scale_nrs,
        "mcid_nrs": mcid_nrs,
    }
    check_pool_inputs([f"{c}/{lk.label}" for c in labels for lk in clinics[c]], prior, scales)
    summaries = np.array([lk.summary() for lk in every])
    y, v = summaries[:, 0], summaries[:, 1] ** 2
    clinic = np.repeat(np.arange(len(labels)), [len(clinics[c]) for c in labels])
    spread = float(np.ptp(y)) + float(np.sqrt(v.max()))
    tau_hi, omega_hi = 8 * tau_prior_scale_nrs + 2 * spread, 8 * omega_prior_scale_nrs + 2 * spread
    for _ in range(
        6
    ):  # fit the box to the posterior (1e-9 tails + 20 %), widen if it touches an edge
        g = _grid(
            y,
            v,
            clinic,
            len(labels),
            prior,
            tau_hi,
            omega_hi,
            tau_prior_scale_nrs,
            omega_prior_scale_nrs,
        )
        t_mass, o_mass = g.weight.sum(axis=1), g.weight.sum(axis=0)
        t_new, o_new = 1.2 * _upper(g.tau, t_mass), 1.2 * _upper(g.omega, o_mass)
        if t_mass[-1] > TAIL or o_mass[-1] > TAIL:
            tau_hi, omega_hi = (
                tau_hi * (2 if t_mass[-1] > TAIL else 1),
                omega_hi * (2 if o_mass[-1] > TAIL else 1),
            )
        elif t_new < 0.5 * tau_hi or o_new < 0.5 * omega_hi:
            tau_hi, omega_hi = max(t_new, 1e-6), max(o_new, 1e-6)
        else:
            break
    w = g.weight.ravel()
    m, sd = g.mean.ravel(), 1 / np.sqrt(g.prec.ravel())
    d_mean = float(w @ m)
    d_ci = (mixture_quantile(w, m, sd, 0.025), mixture_quantile(w, m, sd, 0.975))
    t_mean, t_lo, t_hi = _marginal(g.tau, g.weight.sum(axis=1))
    o_mean, o_lo, o_hi = _marginal(g.omega, g.weight.sum(axis=0))
    spread_sd = np.sqrt(g.tau[:, None] ** 2 + g.omega[None, :] ** 2).ravel()
    s_mean = float(w @ special.ndtr((-mcid_nrs - m) / np.sqrt(spread_sd**2 + sd**2)))

    def share_cdf(z: float) -> float:  # P(share <= Phi(z)) = sum w P(Delta >= -mcid - sigma z)
        return float(w @ special.ndtr((m + mcid_nrs + spread_sd * z) / sd))

    def share_q(q: float) -> float:
        a, b = -12.0, 12.0
        if share_cdf(a) >= q:
            return 0.0
        for _ in range(60):
            a, b = ((a + b) / 2, b) if share_cdf((a + b) / 2) < q else (a, (a + b) / 2)
        return float(special.ndtr((a + b) / 2))

    out_clinics = []
    for j, label in enumerate(labels):
        b = 1 / (1 + g.big_w[:, j][:, None] * g.omega[None, :] ** 2)  # (T, O)
        cm = ((1 - b) * g.ybar[:, j][:, None] + b * g.mean).ravel()
        cs = np.sqrt(((1 - b) / g.big_w[:, j][:, None] + b**2 / g.prec).ravel())
        ci = (mixture_quantile(w, cm, cs, 0.025), mixture_quantile(w, cm, cs, 0.975))
        out_clinics.append((label, float(w @ cm), ci, len(clinics[label])))
    share = (s_mean, share_q(0.025), share_q(0.975))
    warnings = _warnings(
        labels, clinics, (t_lo, t_hi), (o_lo, o_hi), tau_prior_scale_nrs, omega_prior_scale_nrs
    )
    sentence = network_sentence(
        n_clinics=len(labels),
        n_trials=len(every),
        delta=(d_mean, *d_ci),
        share=share,
        mcid_nrs=mcid_nrs,
    )
    return NetworkResult(
        len(labels),
        len(every),
        d_mean,
        d_ci,
        t_mean,
        (t_lo, t_hi),
        o_mean,
        (o_lo, o_hi),
        share[0],
        (share[1], share[2]),
        mcid_nrs,
        tuple(out_clinics),
        sentence,
        warnings,
        prior,
        tau_prior_scale_nrs,
        omega_prior_scale_nrs,
    )


def _warnings(
    labels: list[str],
    clinics: Mapping[str, Sequence[EffectLikelihood]],
    tau_ci: tuple[float, float],
    omega_ci: tuple[float, float],
    tau_scale: float,
    omega_scale: float,
) -> tuple[str, ...]:
    out = []
    if len(labels) < 3:
        out.append(
            f"Only {len(labels)} clinics: how much clinics differ rests mostly on ldn's assumed prior "
            f"(half-normal, scale {omega_scale:g} points)."
        )
    elif omega_ci[1] - omega_ci[0] > 0.8 * HALF_NORMAL_95_WIDTH * omega_scale:
        out.append(
            "The trials say little about how much clinics differ: that spread is largely ldn's assumed prior."
        )
    if all(len(clinics[c]) == 1 for c in labels):
        out.append(
            "Each clinic has one trial, so differences between patients and between clinics cannot be told "
            "apart; the split between them comes from the priors."
        )
    elif tau_ci[1] - tau_ci[0] > 0.8 * HALF_NORMAL_95_WIDTH * tau_scale:
        out.append(
            "The trials say little about how much patients differ: that spread is largely ldn's assumed prior."
        )
    return tuple(out)
