"""The exact posterior of the pooled N-of-1 model, by quadrature on a (Delta, tau) grid.

Model (NRS points; negative = less pain on LDN)::

    y_i | delta_i ~ the single-trial likelihood L_i(delta_i),  i = 1..n
    delta_i ~ N(Delta, tau^2),   Delta ~ N(m0, s0^2),   tau ~ half-normal(scale)

Each L_i is a normal mixture sum_k w_ik N(delta; a_ik, v_ik) (ldn.domain.nof1.hierarchy), so
p(y_i | Delta, tau) = sum_k w_ik N(Delta; a_ik, v_ik + tau^2) in closed form. The posterior of
(Delta, tau) is prior x prod_i p(y_i | Delta, tau) on a grid; each delta_i's posterior is
L_i(delta_i) m_-i(delta_i), m_-i(d) = int N(d; Delta, tau^2) p(Delta, tau | y_-i), the
population density the other trials and the prior give, with p(Delta, tau | y_-i) ∝
p(Delta, tau | y) / p(y_i | Delta, tau) (leave-one-out on the grid).

Quadrature. Delta and every delta_i share one equally spaced grid u (spacing h; Delta on a
stretch of it); tau takes N_TAU equally spaced nodes (trapezoid weights). For tau >= h,
p(y_i | u_j, tau) is the trapezoid rule over u of L_i(x) N(x; u_j, tau^2): one banded Toeplitz
product shared by all trials, L_i tabulated once. For a normal integrand of SD w the rule errs
by about 2 exp(-2 pi^2 w^2 / h^2) (Trefethen & Weideman 2014, SIAM Rev 56:385); here
w >= min(s_k, tau) / sqrt 2 with tau >= h and h a third of the typical component SD s_k. For
tau < h (tau = 0 included) the closed-form mixture is used. m_-i comes back through the same
stencils; for 0 < tau < h the stencil is replaced by its integral over a hat function,
(tau / h) [G(r(d + 1)) - 2 G(r d) + G(r(d - 1))], r = h / tau, G(z) = z Phi(z) + phi(z), which
tends to the identity as tau -> 0, where delta_i = Delta on the shared nodes. One-dimensional
marginals are read through a cubic spline of the log density (exact for a normal), refined
REFINE-fold for means and quantiles. h is a STEPS_PER_WIDTH-th of the narrowest width in play
(a trial's core width sum_k w_k s_k, or the SD of Delta given a tau with posterior weight); the
box comes from a closed-form pre-pass on the normal summaries (Delta analytic per tau, as in
ldn.domain.evidence.bayes) and is widened until the density at every edge is below EDGE_TOL of
its peak. Against a grid 4 times finer in h and tau the summaries moved by at most 2e-4 points
(or share) on simulated clinics of 3 and 12 trials (diaries and normal summaries);
tests/unit/nof1/test_hierarchy.py checks a halving, tests/reference/nof1 compares with NUTS.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import interpolate, optimize, special

__all__ = ["SeriesPosterior", "mixture_quantile", "series_grid"]

N_TAU = 49
STEPS_PER_WIDTH = 3
REFINE = 8
EDGE_TOL = 1e-6  # density at an edge of the box, relative to the peak
TAIL = 1e-7  # the pre-pass box holds tau and Delta within these tail probabilities
BAND_SDS = 10.0  # stencils are cut 10 tau from their centre (exp(-50) of the peak)
MAX_NODES = 3001
SMALL_MIXTURE = 16  # likelihoods with at most this many components: closed form throughout
CHUNK_ENTRIES = 4_000_000  # stencil entries per matrix product (32 MB)
_LOG_FLOOR = -745.0  # log of the smallest double: a likelihood below it counts as this
Mixture = tuple[np.ndarray, np.ndarray, np.ndarray]  # weights, means, variances


def _stencil(tau: float, h: float, half: int) -> np.ndarray:
    """k(d), d = -half..half: h N(d h; 0, tau^2) for tau >= h; the hat form below h."""
    d = np.arange(-half, half + 1, dtype=np.float64)
    if tau <= 0.0:
        return np.asarray((d == 0).astype(np.float64))
    r = h / tau
    if tau >= h:
        return np.asarray(r * np.exp(-0.5 * (d * r) ** 2) / np.sqrt(2 * np.pi))

    def g(z: np.ndarray) -> np.ndarray:
        return np.asarray(z * special.ndtr(z) + np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi))

    return np.asarray(np.clip((g(d * r + r) - 2.0 * g(d * r) + g(d * r - r)) / r, 0.0, None))


def _bands(
    tau: np.ndarray, h: float, j0: int, j1: int, n_u: int
) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
    """T[g, j, n] = k_g(n - j) for the Delta rows j0..j1, in chunks of consecutive tau nodes (one
    matrix product per chunk: many small products are slow on a busy machine). Columns reach
    BAND_SDS tau beyond the rows (the rest is below exp(-BAND_SDS^2 / 2) of the peak). Yields
    (node indices, T, first column)."""
    n_rows = j1 - j0
    start = 0
    while start < len(tau):
        stop = start + 1
        while stop < len(tau):
            reach = min(int(np.ceil(BAND_SDS * tau[stop] / h)) + 1, n_u)
            if (stop + 1 - start) * n_rows * (n_rows + 2 * reach) > CHUNK_ENTRIES:
                break
            stop += 1
        reach = min(int(np.ceil(BAND_SDS * tau[stop - 1] / h)) + 1, n_u)
        c0, c1 = max(j0 - reach, 0), min(j1 + reach, n_u)
        half = (c1 - c0) + n_rows
        k = np.array([_stencil(float(t), h, half) for t in tau[start:stop]])
        offset = np.arange(c0, c1)[None, None, :] - np.arange(j0, j1)[None, :, None] + half
        yield np.arange(start, stop), k[np.arange(stop - start)[:, None, None], offset], c0
        start = stop


def _log_mixture(x: np.ndarray, mix: Mixture) -> np.ndarray:
    """log sum_k w_k N(x; m_k, v_k); -inf where it underflows (far out in the tails)."""
    w, m, v = mix
    dens = (w / np.sqrt(2 * np.pi * v)) @ np.exp(
        -((x[None, :] - m[:, None]) ** 2) / (2 * v[:, None])
    )
    with np.errstate(divide="ignore"):
        return np.asarray(np.log(dens))


def _log_table(u: np.ndarray, mix: Mixture) -> np.ndarray:
    """log L on the nodes u within 12 SDs of the mixture's mean, -inf beyond (a mixture's tails
    are heavier than a normal's: at 12 SDs a diary's likelihood is still near e^-15 of its peak,
    which moves nothing, as the grid-refinement test checks)."""
    w, m, v = mix
    mean = float(w @ m)
    sd = float(np.sqrt(w @ (v + m * m) - mean**2))
    a, b = np.searchsorted(u, [mean - 12 * sd, mean + 12 * sd])
    out = np.full(len(u), -np.inf)
    out[a:b] = _log_mixture(u[a:b], mix)
    return out


def mixture_quantile(w: np.ndarray, m: np.ndarray, sd: np.ndarray, q: float) -> float:
    """x with sum_k w_k Phi((x - m_k) / sd_k) = q (weights summing to 1), by Brent's method."""
    lo, hi = float(np.min(m - 12 * sd)), float(np.max(m + 12 * sd))
    return float(
        optimize.brentq(lambda x: float(w @ special.ndtr((x - m) / sd)) - q, lo, hi, xtol=1e-10)
    )


def _refine(x: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f (rows of densities on nodes x) on a REFINE-fold finer grid, through a cubic spline of
    log f (floored 150 below each row's peak). Within a cell the spline is capped 0.05 above the
    larger of its two nodes: a smooth peak rises only about 0.014 above them at this spacing, but
    next to a cliff (a table cut where the density is already below e^-13) a spline rings."""
    with np.errstate(divide="ignore"):
        lf = np.log(np.maximum(f, 1e-300))
    lf = np.maximum(lf, lf.max(axis=-1, keepdims=True) - 150.0)
    xf = np.linspace(x[0], x[-1], (len(x) - 1) * REFINE + 1)
    cell = np.minimum(np.searchsorted(x, xf, side="right") - 1, len(x) - 2)
    cap = np.maximum(lf[..., cell], lf[..., cell + 1]) + 0.05
    return xf, np.exp(np.minimum(interpolate.CubicSpline(x, lf, axis=-1)(xf), cap))


def _cumulative(x: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Trapezoid cumulative integral along the last axis, normalised to end at 1."""
    cells = np.diff(x) * (f[..., :-1] + f[..., 1:]) / 2
    c = np.concatenate([np.zeros((*f.shape[:-1], 1)), np.cumsum(cells, axis=-1)], axis=-1)
    return np.asarray(c / c[..., -1:])


def _summary(x: np.ndarray, f: np.ndarray, lo: float, hi: float) -> tuple[float, float, float]:
    """Mean and the lo, hi quantiles of the density f on nodes x."""
    xf, ff = _refine(x, f)
    c = _cumulative(xf, ff)
    mean = float(np.trapezoid(xf * ff, xf) / np.trapezoid(ff, xf))
    return mean, float(np.interp(lo, c, xf)), float(np.interp(hi, c, xf))


def _trapezoid_weights(x: np.ndarray) -> np.ndarray:
    w = np.zeros_like(x)
    w[:-1] += np.diff(x) / 2
    w[1:] += np.diff(x) / 2
    return w


@dataclass(frozen=True, slots=True)
class SeriesPosterior:
    """p(Delta, tau | y) on the grid, and each delta_i's posterior density on u."""

    u: np.ndarray  # common nodes (NRS points), spacing h
    j0: int  # Delta's nodes are u[j0:j1]
    j1: int
    tau: np.ndarray
    joint: np.ndarray  # (n_tau, n_delta) density of (tau, Delta), integrating to 1
    patient_density: np.ndarray  # (n_trials, len(u)) densities of each delta_i
    widened: int  # how many times the pre-pass box had to be widened
    coarse: bool = False  # h was raised to keep MAX_NODES (trials of very different precision)

    @property
    def delta(self) -> np.ndarray:
        return self.u[self.j0 : self.j1]

    def delta_density(self) -> np.ndarray:
        return np.asarray(_trapezoid_weights(self.tau) @ self.joint)

    def tau_density(self) -> np.ndarray:
        return np.asarray(self.joint @ _trapezoid_weights(self.delta))

    def delta_summary(self, lo: float = 0.025, hi: float = 0.975) -> tuple[float, float, float]:
        return _summary(self.delta, self.delta_density(), lo, hi)

    def tau_summary(self, lo: float = 0.025, hi: float = 0.975) -> tuple[float, float, float]:
        return _summary(self.tau, self.tau_density(), lo, hi)

    def patient_summary(
        self, i: int, lo: float = 0.025, hi: float = 0.975
    ) -> tuple[float, float, float]:
        return _summary(self.u, self.patient_density[i], lo, hi)

    def share(
        self, threshold_nrs: float, *, lo: float = 0.025, hi: float = 0.975
    ) -> tuple[float, float, float]:
        """Posterior mean and lo, hi quantiles of the share of patients with delta <= -threshold,
        s(Delta, tau) = Phi((-threshold - Delta) / tau) (a step at tau = 0). Given tau the share
        falls as Delta rises, so P(s <= Phi(z)) = sum_g A_g (1 - F_g(-threshold - tau_g z)),
        A_g the posterior weight of the tau node and F_g the CDF of Delta given it."""
        xf, rows = _refine(self.delta, self.joint)
        tau = self.tau
        mass = np.trapezoid(rows, xf, axis=1)
        weight = _trapezoid_weights(tau) * mass
        weight /= weight.sum()
        cdf_rows = _cumulative(xf, rows)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = special.ndtr((-threshold_nrs - xf[None, :]) / tau[:, None])
        s = np.where(tau[:, None] > 0, s, (xf[None, :] < -threshold_nrs).astype(np.float64))
        mean = float(weight @ (np.trapezoid(rows * s, xf, axis=1) / mass))

        def cdf(z: float) -> float:
            xq = -threshold_nrs - tau * z
            k = np.clip(np.searchsorted(xf, xq) - 1, 0, len(xf) - 2)
            t = np.clip((xq - xf[k]) / (xf[k + 1] - xf[k]), 0.0, 1.0)
            rr = np.arange(len(tau))
            f = cdf_rows[rr, k] + t * (cdf_rows[rr, k + 1] - cdf_rows[rr, k])
            return float(weight @ (1.0 - f))

        def quantile(q: float) -> float:
            a, b = -12.0, 12.0
            if cdf(a) >= q:
                return 0.0
            if cdf(b) < q:
                return 1.0
            for _ in range(60):
                m = (a + b) / 2
                a, b = (m, b) if cdf(m) < q else (a, m)
            return float(special.ndtr((a + b) / 2))

        return mean, quantile(lo), quantile(hi)


@dataclass(frozen=True, slots=True)
class _Box:
    """Delta on [d_lo, d_hi], every delta_i on [u_lo, u_hi] (containing it), spacing h."""

    u_lo: float
    u_hi: float
    d_lo: float
    d_hi: float
    h: float
    tau_lo: float
    tau_hi: float
    coarse: bool = False  # h raised to keep MAX_NODES

    def nodes(self) -> tuple[np.ndarray, int, int]:
        n_u = int(np.ceil((self.u_hi - self.u_lo) / self.h)) + 1
        j0 = int(np.floor((self.d_lo - self.u_lo) / self.h))
        j1 = int(np.ceil((self.d_hi - self.u_lo) / self.h)) + 1
        return self.u_lo + self.h * np.arange(n_u), max(j0, 0), min(j1, n_u)

    def widen(self, *, lo: bool, hi: bool, tau_hi: bool, tau_lo: bool) -> _Box:
        half = (self.d_hi - self.d_lo) / 2
        d_lo = self.d_lo - half if lo else self.d_lo
        d_hi = self.d_hi + half if hi else self.d_hi
        t_lo = 0.0 if tau_lo else self.tau_lo
        t_hi = self.tau_hi * 1.5 if tau_hi else self.tau_hi
        return _Box(
            min(self.u_lo, d_lo), max(self.u_hi, d_hi), d_lo, d_hi, self.h, t_lo, t_hi, self.coarse
        )


def _prepass(mixes: Sequence[Mixture], m0: float, s0: float, tau_scale: float, steps: int) -> _Box:
    """The box from the likelihoods' normal summaries, Delta integrated in closed form per tau
    (as in ldn.domain.evidence.bayes): tau and Delta within their TAIL quantiles plus a margin for
    the mixtures' heavier tails; h a ``steps``-th of the narrowest width that carries weight (a
    trial's core width, or Delta's SD given a tau with density >= 1e-3 of the peak)."""
    est = np.array([float(np.sum(w * m)) for w, m, _ in mixes])
    se = np.sqrt([float(np.sum(w * (v + m * m))) - float(np.sum(w * m)) ** 2 for w, m, v in mixes])
    core = np.array([float(np.sum(w * np.sqrt(v))) for w, _, v in mixes])  # narrower than se
    cap = 8 * tau_scale + 3 * float(np.ptp(est)) + 3 * float(se.max())
    tau = np.linspace(0.0, cap, 2001)
    var = se[None, :] ** 2 + tau[:, None] ** 2
    prec = 1 / s0**2 + np.sum(1 / var, axis=1)
    mean = (m0 / s0**2 + np.sum(est / var, axis=1)) / prec
    quad = np.sum(est**2 / var, axis=1) + m0**2 / s0**2 - prec * mean**2
    logp = -0.5 * (np.sum(np.log(var), axis=1) + np.log(prec) + quad) - tau**2 / (2 * tau_scale**2)
    p = np.exp(logp - logp.max())
    c = np.cumsum(p) / p.sum()
    t_lo = float(tau[int(np.searchsorted(c, TAIL))])
    t_hi = float(tau[min(int(np.searchsorted(c, 1 - TAIL)) + 1, len(tau) - 1)])
    t_hi, t_lo = t_hi + 0.1 * (t_hi - t_lo), t_lo - 0.1 * (t_hi - t_lo)
    t_lo = 0.0 if t_lo < 0.25 * t_hi else t_lo
    sd = 1 / np.sqrt(prec)
    d_lo, d_hi = (mixture_quantile(p / p.sum(), mean, sd, q) for q in (TAIL, 1 - TAIL))
    d_lo, d_hi = d_lo - 0.1 * (d_hi - d_lo), d_hi + 0.1 * (d_hi - d_lo)
    h = min(float(core.min()), float(sd[p >= 1e-3].min())) / steps
    u_lo = min(d_lo, float(np.min(est - 8 * se)))
    u_hi = max(d_hi, float(np.max(est + 8 * se)))
    cap_h = (u_hi - u_lo) / (MAX_NODES - 1)
    return _Box(u_lo, u_hi, d_lo, d_hi, max(h, cap_h), t_lo, max(t_hi, 1e-9), cap_h > h)


def _log_lik(
    mixes: Sequence[Mixture],
    tau: np.ndarray,
    h: float,
    u: np.ndarray,
    j0: int,
    j1: int,
    log_l: np.ndarray,
) -> np.ndarray:
    """log p(y_i | u_j, tau_g) for the Delta rows: (n_tau, n_delta, n_trials). Trials with at
    most SMALL_MIXTURE components (normal summaries) and every tau < h take the closed form."""
    delta = u[j0:j1]
    out = np.empty((len(tau), j1 - j0, len(mixes)))
    small = [i for i, (w, _, _) in enumerate(mixes) if len(w) <= SMALL_MIXTURE]
    large = [i for i in range(len(mixes)) if i not in small]
    for i in small:
        w, m, v = mixes[i]
        var = v[None, :] + tau[:, None] ** 2  # (T, K)
        z = (delta[None, :, None] - m[None, None, :]) ** 2 / var[:, None, :]
        terms = np.log(w)[None, None, :] - 0.5 * (np.log(2 * np.pi * var)[:, None, :] + z)
        out[:, :, i] = special.logsumexp(terms, axis=2)
    if large:
        top = log_l[large].max(axis=1, keepdims=True)
        lt = np.exp(log_l[large] - top).T
        for idx, band, c0 in _bands(tau, h, j0, j1, len(u)):
            prod = band.reshape(-1, band.shape[2]) @ lt[c0 : c0 + band.shape[2]]
            with np.errstate(divide="ignore"):
                out[np.ix_(idx, np.arange(j1 - j0), np.array(large))] = (
                    np.log(prod.reshape(len(idx), j1 - j0, -1)) + top.T[None]
                )
        for g in np.flatnonzero(tau < h):
            t2 = float(tau[g]) ** 2
            out[g][:, large] = np.array(
                [_log_mixture(delta, (mixes[i][0], mixes[i][1], mixes[i][2] + t2)) for i in large]
            ).T
    return np.asarray(np.maximum(out, _LOG_FLOOR))


def series_grid(
    mixes: Sequence[Mixture],
    *,
    prior_mean: float,
    prior_sd: float,
    tau_prior_scale: float,
    resolution: int = 1,
) -> SeriesPosterior:
    """The posterior of (Delta, tau) and of every delta_i (module docstring). ``resolution`` > 1
    divides h and the tau spacing by that factor (for the convergence test)."""
    box = _prepass(mixes, prior_mean, prior_sd, tau_prior_scale, STEPS_PER_WIDTH * resolution)
    n_tau = (N_TAU - 1) * resolution + 1
    widened = 0
    while True:
        u, j0, j1 = box.nodes()
        log_l = np.array([_log_table(u, m) for m in mixes])  # (n, N)
        delta = u[j0:j1]
        tau = np.linspace(box.tau_lo, box.tau_hi, n_tau)
        log_p = _log_lik(mixes, tau, box.h, u, j0, j1, log_l)
        log_prior = -0.5 * ((delta - prior_mean) / prior_sd) ** 2
        log_joint = log_prior[None, :] - (tau**2 / (2 * tau_prior_scale**2))[:, None]
        log_joint = log_joint + log_p.sum(axis=2)
        joint = np.exp(log_joint - log_joint.max())
        post = SeriesPosterior(u, j0, j1, tau, joint, np.empty((0, len(u))), widened)
        d_marg, t_marg = post.delta_density(), post.tau_density()
        grow = {
            "lo": bool(d_marg[0] > EDGE_TOL * d_marg.max()),
            "hi": bool(d_marg[-1] > EDGE_TOL * d_marg.max()),
            "tau_hi": bool(t_marg[-1] > EDGE_TOL * t_marg.max()),
            "tau_lo": bool(box.tau_lo > 0 and t_marg[0] > EDGE_TOL * t_marg.max()),
        }
        if widened >= 4 or not any(grow.values()):
            break
        widened += 1
        box = box.widen(**grow)
    joint = joint / float(np.trapezoid(t_marg, tau))
    # each delta_i: L_i(u) x m_-i(u), m_-i from the leave-one-out posterior through the stencils
    loo = log_joint[:, :, None] - log_p  # (n_tau, n_delta, n)
    loo = np.exp(loo - loo.max(axis=(0, 1), keepdims=True))
    loo *= _trapezoid_weights(tau)[:, None, None] * _trapezoid_weights(delta)[None, :, None]
    m_loo = np.zeros((len(u), len(mixes)))
    for idx, band, c0 in _bands(tau, box.h, j0, j1, len(u)):
        flat = band.reshape(-1, band.shape[2])
        m_loo[c0 : c0 + band.shape[2]] += flat.T @ loo[idx].reshape(flat.shape[0], -1)
    dens = np.exp(log_l - log_l.max(axis=1, keepdims=True)).T * m_loo  # (N, n)
    dens = dens / np.trapezoid(dens, u, axis=0)[None, :]
    return SeriesPosterior(u, j0, j1, tau, joint, dens.T.copy(), widened, box.coarse)
