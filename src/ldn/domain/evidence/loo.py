"""All k leave-one-out fits at once, in O(k) memory (on scaled data, see likelihood.py).

At one t, the profile sums of every data set "all but study i" follow from the full data's
in O(k) (prefix + suffix sums; the mean shifts by d_i = w_i e_i / S_-i, so
sum_-i w (z - mu_-i)^2 = sum_-i w e^2 + 2 d_i sum_-i w e + d_i^2 S_-i, likewise for w^2 e^2).
The study with the largest weight is left out exactly (one O(k) pass), and any i whose downdate
loses more than 6 digits to cancellation is refitted on its own.

The k tau^2 then come from the same global search as a single fit (likelihood.py): the grid
t_j is shared, so the scores of all k data sets at t_j cost O(k); every interval where a score
changes sign is solved on a Chebyshev interpolant of 16 nodes in t (shared by all i in that
interval; the functions are analytic with poles at t = -u_i, at least 13 interval half-widths
away, so the interpolant is exact to rounding, and the tail of its coefficients is checked).
The candidate with the largest likelihood wins, as in a single fit. DL and FE are closed forms
at t = 0, evaluated at each tau^2 the same way.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ldn.domain.evidence.likelihood import GRID_RATIO, excl, grid, profile, score_ll, tau2_fit

__all__ = ["LooFits", "loo_fits", "loo_sums"]

CHEB_NODES = 16
_CANCEL_MAX = 1e6
_TAIL_MAX = 1e-9
_X = np.cos(np.pi * (np.arange(CHEB_NODES) + 0.5) / CHEB_NODES)
_C = (2.0 / CHEB_NODES) * np.cos(
    np.pi * np.outer(np.arange(CHEB_NODES), np.arange(CHEB_NODES) + 0.5) / CHEB_NODES
)
_C[0] /= 2


class LooSums(NamedTuple):
    """k-arrays at one t: the profile sums of the data without study i (``bad``: cancellation)."""

    s: np.ndarray
    mu: np.ndarray
    q: np.ndarray
    t2: np.ndarray
    trp: np.ndarray
    logdet: np.ndarray
    bad: np.ndarray


class LooFits(NamedTuple):
    """Per left-out study: tau^2, mu, sum w and sum w e^2 at tau^2, and whether the fit converged."""

    tau2: np.ndarray
    mu: np.ndarray
    s: np.ndarray
    q: np.ndarray
    converged: np.ndarray


def loo_sums(z: np.ndarray, u: np.ndarray, t: float) -> LooSums:
    w = 1.0 / (u + t)
    sx, bx = excl(w), excl(w * z)
    e = (z * sx - bx) / w.sum()
    we = w * e
    d = we / sx
    qa, e1, ta, w2e, s2 = excl(we * e), excl(we), excl(we * we), excl(w * we), excl(w * w)
    q = qa + 2 * d * e1 + d * d * sx
    t2 = ta + 2 * d * w2e + d * d * s2
    i0 = int(np.argmin(u))
    rest = np.arange(len(z)) != i0
    srx, s2rx = excl(w[rest]), excl(w[rest] ** 2)
    trp = np.empty_like(w)
    trp[rest] = srx - s2rx / sx[rest] + w[i0] * srx / sx[rest]
    tiny = np.finfo(float).tiny
    bad = (qa + 2 * np.abs(d * e1) + d * d * sx > _CANCEL_MAX * np.maximum(q, tiny)) | (
        ta + 2 * np.abs(d * w2e) + d * d * s2 > _CANCEL_MAX * np.maximum(trp, tiny)
    )
    out = LooSums(sx, bx / sx, q, t2, trp, excl(np.log(u + t)), bad)
    p = profile(z[rest], u[rest], t)  # the heaviest study left out, exactly
    for name in ("s", "mu", "q", "t2", "trp", "logdet"):
        getattr(out, name)[i0] = getattr(p, name)[0]
    bad[i0] = False
    return out


def _f_ll(n: LooSums, method: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The function whose root is tau^2 (the ML/REML score; PM's Q - df, also used for DL and
    FE, where only its interpolant's convergence is checked) and the log-likelihood."""
    if method in ("REML", "ML"):
        return score_ll(n, method)
    return n.q - (k - 2), np.zeros_like(n.q)


def _clenshaw(c: np.ndarray, x: np.ndarray) -> np.ndarray:
    b1 = np.zeros_like(x)
    b2 = np.zeros_like(x)
    for j in range(len(c) - 1, 0, -1):
        b1, b2 = 2 * x * b1 - b2 + c[j], b1
    out: np.ndarray = x * b1 - b2 + c[0]
    return out


def _cell(
    z: np.ndarray, u: np.ndarray, a: float, b: float, idx: np.ndarray, method: str, k: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Chebyshev coefficients on [a, b] of f, ll, mu, s, q for the studies idx, and a bad mask."""
    vals: dict[str, list[np.ndarray]] = {n: [] for n in ("f", "ll", "mu", "s", "q")}
    bad = np.zeros(len(idx), dtype=bool)
    for t in (a + b) / 2 + (b - a) / 2 * _X:
        n = loo_sums(z, u, float(t))
        f, ll = _f_ll(n, method, k)
        for name, arr in (("f", f), ("ll", ll), ("mu", n.mu), ("s", n.s), ("q", n.q)):
            vals[name].append(arr[idx])
        bad |= n.bad[idx]
    coef = {name: _C @ np.array(v) for name, v in vals.items()}
    # the interpolants of the root's function and of mu must have converged (to rounding)
    for name, floor in (("f", np.abs(coef["s"][0])), ("mu", 1.0 + np.abs(coef["mu"][0]))):
        c = np.abs(coef[name])
        bad |= c[-2:].max(axis=0) > _TAIL_MAX * c.max(axis=0) + 1e-13 * floor
    return coef, bad


def loo_fits(z: np.ndarray, u: np.ndarray, method: str) -> LooFits:
    """tau^2 and the sums at tau^2 of the k data sets without one study each."""
    k = len(z)
    n0 = loo_sums(z, u, 0.0)
    exact = n0.bad.copy()
    best = LooFits(np.full(k, np.nan), n0.mu.copy(), n0.s.copy(), n0.q.copy(), np.ones(k, bool))
    if method in ("FE", "DL"):
        tau2 = np.zeros(k) if method == "FE" else np.maximum(0.0, (n0.q - (k - 2)) / n0.trp)
        best.tau2[:] = tau2
        g = grid(z, u)
        if tau2.max() > g[-1]:
            n = math.ceil(math.log1p(tau2.max() / u.min()) / math.log(GRID_RATIO)) + 1
            g = u.min() * np.expm1(np.arange(n + 1) * math.log(GRID_RATIO))
        cell = np.clip(np.searchsorted(g, tau2, side="right") - 1, 0, len(g) - 2)
        for j in np.unique(cell[tau2 > 0]):
            idx = np.flatnonzero((cell == j) & (tau2 > 0))
            a, b = float(g[j]), float(g[j + 1])
            coef, bad = _cell(z, u, a, b, idx, method, k)
            x = (2 * tau2[idx] - a - b) / (b - a)
            for name in ("mu", "s", "q"):
                getattr(best, name)[idx] = _clenshaw(coef[name], x)
            exact[idx[bad]] = True
    else:
        best_ll = np.full(k, -np.inf)
        g = grid(z, u)
        prev, ll0 = _f_ll(n0, method, k)
        at0 = prev <= 0
        best.tau2[at0] = 0.0
        best_ll[at0] = ll0[at0]
        for j in range(1, len(g)):
            nj = loo_sums(z, u, float(g[j]))
            exact |= nj.bad
            f = _f_ll(nj, method, k)[0]
            idx = np.flatnonzero((prev > 0) & (f <= 0))
            prev = f
            if len(idx) == 0:
                continue
            a, b = float(g[j - 1]), float(g[j])
            coef, bad = _cell(z, u, a, b, idx, method, k)
            lo, hi = -np.ones(len(idx)), np.ones(len(idx))
            for _ in range(64):
                mid = (lo + hi) / 2
                pos = _clenshaw(coef["f"], mid) > 0
                lo, hi = np.where(pos, mid, lo), np.where(pos, hi, mid)
            x = (lo + hi) / 2
            ll = _clenshaw(coef["ll"], x)
            win = ll > best_ll[idx]
            sel = idx[win]
            best_ll[sel] = ll[win]
            best.tau2[sel] = (a + b) / 2 + (b - a) / 2 * x[win]
            for name in ("mu", "s", "q"):
                getattr(best, name)[sel] = _clenshaw(coef[name], x)[win]
            exact[idx[bad]] = True
        exact |= np.isnan(best.tau2)
    for i in np.flatnonzero(exact):
        zi, ui = np.delete(z, i), np.delete(u, i)
        fit = tau2_fit(zi, ui, method)
        p = profile(zi, ui, fit.tau2)
        best.tau2[i], best.mu[i], best.s[i], best.q[i] = fit.tau2, p.mu[0], p.s[0], p.q[0]
        best.converged[i] = fit.converged
    return best
