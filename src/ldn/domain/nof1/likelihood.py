"""Exact Gaussian likelihood of a linear regression with stationary AR(1) errors on any days.

Model, on the observed days t_1 < ... < t_n (integer day numbers, any gaps)::

    y = X b + e,   e_t = rho e_{t-1} + u_t on every calendar day,  u_t ~ N(0, sigma^2),  |rho| < 1

so ``Cov(e_i, e_j) = sigma^2 / (1 - rho^2) * rho^|t_i - t_j|``: one stationary process over the
whole trial, whether or not a day was logged.

Why the factorisation below is exact (not an approximation): the joint density always
factorises as ``p(e_1) prod_k p(e_k | e_1, ..., e_{k-1})``, and AR(1) is Markov, so each factor
is ``p(e_k | e_{k-1})``. Iterating the recursion over a gap of g = t_k - t_{k-1} >= 1 days gives
``e_{t_k} = rho^g e_{t_{k-1}} + sum_{j<g} rho^j u_{t_k - j}``, hence::

    e_1           ~ N(0, sigma^2 / (1 - rho^2))                              (stationary start)
    e_k | e_{k-1} ~ N(rho^g e_{k-1}, sigma^2 (1 - rho^(2g)) / (1 - rho^2))   (gap bridged by rho^g)

No day is conditioned away. This is the Prais-Winsten transformation (Prais & Winsten 1954)
extended to gaps; a Kalman filter on the daily state (Harvey 1989, sec. 3.4; Jones 1980 for
missing observations) produces exactly these one-step prediction errors. The conditional
(Cochrane-Orcutt) likelihood that ldn used before issue 24 kept only pairs of consecutive days: it dropped
the first day of every run, which for the level carries (1 + rho) / (1 - rho) times the
information of a later day (19x at rho = 0.9), and it never bridged a gap.

Whitening: with c_1 = sqrt(1 - rho^2), c_k = sqrt((1 - rho^2) / (1 - rho^(2 g_k))),
``w_1 = c_1 e_1`` and ``w_k = c_k (e_k - rho^g_k e_{k-1})`` are iid N(0, sigma^2), so::

    log p(y | b, rho, sigma) = -n/2 log(2 pi) - n log sigma + sum_k log c_k - |W (y - X b)|^2 / (2 sigma^2)

W depends on rho alone and is linear, so ``W y = W X b + w`` is an ordinary Gaussian regression
in b: with a normal prior b ~ N(m0, S0) the posterior given (rho, sigma) is normal and the
marginal likelihood is ``N(y; X m0, Sigma + X S0 X^T)``, both in closed form (Bayesian linear
regression, e.g. Bishop 2006, sec. 3.3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ldn.domain.errors import InputError

__all__ = [
    "GridPosterior",
    "ar1_covariance",
    "ar1_log_likelihood",
    "regression_posterior_grid",
    "whiten",
]

LOG_2PI = float(np.log(2 * np.pi))


def _gaps(day: np.ndarray) -> np.ndarray:
    gap = np.diff(np.asarray(day, dtype=np.int64))
    if np.any(gap < 1):
        raise InputError.at(
            "diary", "days must be distinct and in order", "log each day at most once"
        )
    return gap


def whiten(
    day: np.ndarray, values: np.ndarray, *, rho: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(W v, log c) for every rho: ``values`` is (n,) or (n, p); returns (R, n[, p]) and (R, n).

    ``W v_1 = c_1 v_1``, ``W v_k = c_k (v_k - rho^g_k v_{k-1})`` (see the module docstring).
    """
    rho = np.atleast_1d(np.asarray(rho, dtype=np.float64))
    gap = _gaps(day)
    v = np.asarray(values, dtype=np.float64)
    one_minus_r2 = 1.0 - rho**2  # (R,)
    phi = np.power(rho[:, None], gap[None, :])  # rho^g, exact sign for negative rho: (R, n-1)
    log_c = np.empty((len(rho), len(gap) + 1))
    log_c[:, 0] = 0.5 * np.log(one_minus_r2)
    log_c[:, 1:] = 0.5 * (np.log(one_minus_r2)[:, None] - np.log1p(-(phi**2)))
    c = np.exp(log_c)
    extra = (None,) * (v.ndim - 1)
    out = np.empty((len(rho), *v.shape))
    out[:, 0] = c[(slice(None), 0, *extra)] * v[0]
    out[:, 1:] = c[(slice(None), slice(1, None), *extra)] * (
        v[None, 1:] - phi[(slice(None), slice(None), *extra)] * v[None, :-1]
    )
    return out, log_c


def ar1_covariance(day: np.ndarray, *, rho: float, sigma: float) -> np.ndarray:
    """Dense ``sigma^2 / (1 - rho^2) * rho^|t_i - t_j|`` (for checks; O(n^2) memory)."""
    t = np.asarray(day, dtype=np.int64)
    lag = np.abs(t[:, None] - t[None, :])
    return np.asarray(sigma**2 / (1.0 - rho**2) * np.power(rho, lag))


def ar1_log_likelihood(
    day: np.ndarray,
    y: np.ndarray,
    design_x: np.ndarray,
    coef: np.ndarray,
    *,
    rho: float,
    sigma: float,
) -> float:
    """Exact ``log N(y; X b, Sigma(rho, sigma))`` in O(n), by the factorisation above."""
    resid = np.asarray(y, dtype=np.float64) - np.asarray(design_x) @ np.asarray(coef)
    w, log_c = whiten(day, resid, rho=np.array([rho]))
    n = len(resid)
    return float(
        -0.5 * n * LOG_2PI - n * np.log(sigma) + log_c.sum() - 0.5 * (w @ w.T).item() / sigma**2
    )


@dataclass(frozen=True, slots=True)
class GridPosterior:
    """Closed-form results at every (rho, log sigma) node: arrays of shape (R, S[, p])."""

    log_marginal: np.ndarray  # log p(y | rho, sigma), b integrated out
    mean: np.ndarray  # E[b | y, rho, sigma]
    var: np.ndarray  # Var[b_k | y, rho, sigma] (diagonal)


def regression_posterior_grid(
    day: np.ndarray,
    y: np.ndarray,
    design_x: np.ndarray,
    *,
    prior_mean: np.ndarray,
    prior_sd: np.ndarray,
    rho: np.ndarray,
    log_sigma: np.ndarray,
) -> GridPosterior:
    """Posterior of b ~ N(prior_mean, diag(prior_sd^2)) and marginal likelihood, on the grid.

    Per rho, with whitened Xw, yw: A = Xw'Xw, c = Xw'yw, D = diag(prior_sd) and the eigen-
    decomposition D A D = V diag(lambda) V'. Then for every sigma (s2 = sigma^2, all vectorised)::

        P = S0^-1 + A/s2 = D^-1 V diag(1 + lambda/s2) V' D^-1        (posterior precision)
        num = V'(m0 / sd) + V'(D c) / s2,  z = num / (1 + lambda/s2),  E[b] = D V z
        Var[b_i] = sum_j (D V)_ij^2 / (1 + lambda_j/s2)
        log p(y) = -n/2 log 2 pi - n log sigma + sum log c_k - 1/2 sum log(1 + lambda/s2)
                   - 1/2 (|yw|^2 / s2 + |m0 / sd|^2 - sum num^2 / (1 + lambda/s2))
    """
    m0 = np.asarray(prior_mean, dtype=np.float64)
    sd = np.asarray(prior_sd, dtype=np.float64)
    rho = np.asarray(rho, dtype=np.float64)
    log_sigma = np.asarray(log_sigma, dtype=np.float64)
    yw, log_c = whiten(day, y, rho=rho)  # (R, n), (R, n)
    xw, _ = whiten(day, design_x, rho=rho)  # (R, n, p)
    n = yw.shape[1]
    gram = np.einsum("rni,rnj->rij", xw, xw)
    cross = np.einsum("rni,rn->ri", xw, yw)
    yy = np.einsum("rn,rn->r", yw, yw)
    lam, vec = np.linalg.eigh(sd[None, :, None] * gram * sd[None, None, :])
    lam = np.clip(lam, 0.0, None)  # A is positive semi-definite; drop rounding below zero
    dv = sd[None, :, None] * vec  # D V: (R, p, p)
    u0 = np.einsum("rji,j->ri", vec, m0 / sd)
    uc = np.einsum("rji,rj->ri", vec, sd[None, :] * cross)
    inv_s2 = np.exp(-2.0 * log_sigma)  # (S,)
    denom = 1.0 + lam[:, None, :] * inv_s2[None, :, None]  # (R, S, p)
    num = u0[:, None, :] + uc[:, None, :] * inv_s2[None, :, None]
    z = num / denom
    mean = np.einsum("rij,rsj->rsi", dv, z)
    var = np.einsum("rij,rsj->rsi", dv**2, 1.0 / denom)
    quad = yy[:, None] * inv_s2[None, :] + float(np.sum((m0 / sd) ** 2)) - np.sum(num * z, axis=2)
    log_marginal = (
        -0.5 * n * LOG_2PI
        - n * log_sigma[None, :]
        + log_c.sum(axis=1)[:, None]
        - 0.5 * np.log(denom).sum(axis=2)
        - 0.5 * quad
    )
    return GridPosterior(log_marginal, mean, var)
