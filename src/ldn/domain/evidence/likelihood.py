"""tau^2 estimators of the normal random-effects model on centred, scaled data, with ML and REML
at the global maximum of the profile likelihood.

Input is dimensionless: z = (y - c) / s and u = v / s^2 (:func:`ldn.domain.evidence.meta.scaled`
chooses c and s and checks the stated range), so every sum below stays far from overflow.

With w_i = 1 / (u_i + t), mu(t) = sum w_i z_i / sum w_i and e_i = z_i - mu(t) (metafor's
definitions, Viechtbauer 2005, source id viechtbauer-2005):

  ML    l(t)   = -1/2 [ sum log(u_i + t) + sum w_i e_i^2 ]
        score  =  1/2 [ sum w_i^2 e_i^2 - sum w_i ]
  REML  l_R(t) = l(t) - 1/2 log sum w_i
        score  =  1/2 [ sum w_i^2 e_i^2 - tr P ],   tr P = sum w_i - sum w_i^2 / sum w_i
  PM    Q(t) = sum w_i e_i^2 = k - 1;   DL  (Q(0) - (k - 1)) / tr P(0), truncated at 0

Precision: only the study with the smallest variance (the largest weight at every t) can hold
more than half the weight; its residual and its share of tr P are computed from the other
studies, e_i0 = sum_{j != i0} w_j (z_i0 - z_j) / S and 1 - p_i0 = S_-i0 / S (S = sum w), so a
study holding nearly all the weight loses nothing; every other term is a sum of positive parts.
Sums "over all but i" (leave-one-out, ``excl``) are a prefix plus a suffix sum, never a total
minus a term.

Global maximum. Both scores are negative for t > t_max = max(4 R^2, max u), R = max z - min z:
tr P >= sum w - max w >= (k - 1) min w >= (k - 1) / (2t) for t >= max u, while
sum w^2 e^2 <= k R^2 / t^2 (and ML's sum w >= tr P), so every maximum lies in [0, t_max].
The score's only singularities are the poles at t = -u_i, so a grid uniform in log(t + min u),
t_j = min u (r^j - 1) with r = 10^(1/16), resolves it evenly. Candidates: t = 0 when the
score there is <= 0 (the boundary maximum), and every grid interval where the score changes
sign from + to -, solved by Brent's method; the largest likelihood wins. Fast path (the usual
case): a lean scan of the score on the grid finds exactly one candidate, whose bracket is
confirmed with the precise sums and solved by Brent's method; the full search (precise sums and
likelihoods on the grid) runs only when the scan finds several candidates or a grid score too
close to 0 to trust. The result is then verified: the score is ~0 at an interior maximum, and no grid point has a larger likelihood
(else a bounded search around that point); a fit that fails either check says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np
from scipy import optimize

__all__ = [
    "GRID_RATIO",
    "Fit",
    "Profile",
    "Sums",
    "excl",
    "grid",
    "profile",
    "score_ll",
    "tau2_fit",
]

#: grid spacing in log(t + min u): 16 points per decade (a numerical choice, not a clinical one)
GRID_RATIO = 10 ** (1 / 16)
#: elements per vectorised block (grid points x studies)
_BLOCK = 1 << 20
_SCORE_TOL = 1e-8
_NEWTON_MAX = 100


@dataclass(frozen=True, slots=True)
class Fit:
    tau2: float
    converged: bool = True
    note: str = ""


class Profile(NamedTuple):
    """Sums at each t (arrays over t): sum w, mu, sum w e^2, sum w^2 e^2, tr P, sum log(u + t)."""

    s: np.ndarray
    mu: np.ndarray
    q: np.ndarray
    t2: np.ndarray
    trp: np.ndarray
    logdet: np.ndarray


class Sums(Protocol):
    """The sums a score and a likelihood need (a :class:`Profile` or leave-one-out sums)."""

    @property
    def s(self) -> np.ndarray: ...
    @property
    def q(self) -> np.ndarray: ...
    @property
    def t2(self) -> np.ndarray: ...
    @property
    def trp(self) -> np.ndarray: ...
    @property
    def logdet(self) -> np.ndarray: ...


def excl(a: np.ndarray) -> np.ndarray:
    """Along the last axis: the sum of all elements but the i-th (prefix + suffix sums)."""
    out = np.zeros_like(a)
    out[..., 1:] += np.cumsum(a[..., :-1], axis=-1)
    out[..., :-1] += np.cumsum(a[..., :0:-1], axis=-1)[..., ::-1]
    return out


def profile(z: np.ndarray, u: np.ndarray, t: float | np.ndarray) -> Profile:
    """The profile sums at every t (vectorised over t, in blocks)."""
    ts = np.atleast_1d(np.asarray(t, dtype=np.float64))
    i0 = int(np.argmin(u))  # the heaviest study at every t; only its residual can lose digits
    d0 = z[i0] - z
    rows = max(1, _BLOCK // len(z))
    parts = []
    for b in range(0, len(ts), rows):
        tt = ts[b : b + rows, None]
        w = 1.0 / (u + tt)
        s = w.sum(-1)
        mu = (w * z).sum(-1) / s
        e = z - mu[:, None]
        e[:, i0] = (w * d0).sum(-1) / s  # = sum_{j != i0} w_j (z_i0 - z_j) / S
        om = 1.0 - w / s[:, None]  # 1 - p_i >= 1/2 for every i but i0
        om[:, i0] = (w[:, :i0].sum(-1) + w[:, i0 + 1 :].sum(-1)) / s
        we = w * e
        parts.append(
            (s, mu, (we * e).sum(-1), (we * we).sum(-1), (w * om).sum(-1), np.log(u + tt).sum(-1))
        )
    return Profile(*(np.concatenate(c) for c in zip(*parts, strict=True)))


def score_ll(p: Sums, method: str) -> tuple[np.ndarray, np.ndarray]:
    """(score, log-likelihood) of ML or REML from the profile sums."""
    if method == "REML":
        return 0.5 * (p.t2 - p.trp), -0.5 * (p.logdet + np.log(p.s) + p.q)
    return 0.5 * (p.t2 - p.s), -0.5 * (p.logdet + p.q)


def grid(z: np.ndarray, u: np.ndarray) -> np.ndarray:
    """0 = t_0 < t_1 < ... with t_j = min u (r^j - 1), up to the first point >= t_max."""
    t_max = max(4.0 * float(np.ptp(z)) ** 2, float(u.max()))
    u_min = float(u.min())
    n = math.ceil(math.log1p(t_max / u_min) / math.log(GRID_RATIO))
    out: np.ndarray = u_min * np.expm1(np.arange(n + 1) * math.log(GRID_RATIO))
    return out


def _dl(z: np.ndarray, u: np.ndarray) -> float:
    p = profile(z, u, 0.0)
    return max(0.0, float((p.q[0] - (len(z) - 1)) / p.trp[0]))


def _q_t2(z: np.ndarray, u: np.ndarray, t: float) -> tuple[float, float]:
    """(Q_gen(t), sum w^2 e^2) at one t; -dQ_gen/dt = sum w^2 e^2 (sum w e = 0)."""
    w = 1.0 / (u + t)
    s = float(w.sum())
    e = z - float(w @ z) / s
    we = w * e
    return float(we @ e), float(we @ we)


def solve_q_gen(z: np.ndarray, u: np.ndarray, target: float) -> Fit:
    """The t >= 0 with Q_gen(t) = target (0 when Q_gen(0) <= target): Paule-Mandel (target k - 1)
    and the Q-profile interval (chi^2 quantiles).

    Q_gen is decreasing and convex in t (Q'' = 2 sum w^3 e^2 - 2 (sum w^2 e)^2 / sum w >= 0 by
    Cauchy-Schwarz), so Newton's method from t = 0 climbs to the root from the left without
    overshooting, quadratically near it; it stops when a step is below 4 ulp of t."""
    t = 0.0
    q, t2 = _q_t2(z, u, t)
    if q <= target:
        return Fit(0.0)
    for _ in range(_NEWTON_MAX):
        step = (q - target) / t2 if t2 > 0 else math.inf
        if not math.isfinite(step) or step <= 4 * np.finfo(float).eps * t:
            if math.isfinite(step):
                return Fit(t + max(step, 0.0))
            break
        t += step
        q, t2 = _q_t2(z, u, t)
    # a Newton run that does not settle (never seen): bracket and bisect with Brent's method
    hi = max(2.0 * float(np.ptp(z)) ** 2, 1.0)  # Q(t) <= k R^2 / t
    while _q_t2(z, u, hi)[0] > target:
        hi *= 2.0
    try:
        root = optimize.brentq(
            lambda x: _q_t2(z, u, x)[0] - target, 0.0, hi, xtol=1e-300, rtol=1e-14, maxiter=500
        )
    except (RuntimeError, ValueError) as exc:
        return Fit(t, False, f"Q_gen(tau^2) = {target:.6g} was not solved ({exc})")
    return Fit(float(root))


def _pm(z: np.ndarray, u: np.ndarray) -> Fit:
    fit = solve_q_gen(z, u, len(z) - 1.0)
    if fit.converged:
        return fit
    return Fit(_grid_best(z, u, "REML"), False, f"Paule-Mandel did not converge ({fit.note})")


def _grid_best(z: np.ndarray, u: np.ndarray, method: str) -> float:
    g = grid(z, u)
    return float(g[int(np.argmax(score_ll(profile(z, u, g), method)[1]))])


def _scan(z: np.ndarray, u: np.ndarray, g: np.ndarray, method: str) -> tuple[np.ndarray, bool]:
    """The score at every grid point, lean: the sums come from two matrix products, sum w^2 e^2
    as sum w^2 z^2 - 2 mu sum w^2 z + mu^2 sum w^2 (no log terms, no exact residual of the
    heaviest study). Used only to find where the score changes sign, and trusted only when no
    grid point's score is within 1e-6 of the size of its terms (else ``False``: the caller does
    the precise search); every bracket is re-checked precisely."""
    out = np.empty(len(g))
    clear = True
    rows = max(1, _BLOCK // len(z))
    m1, m2 = np.stack([np.ones_like(z), z]).T, np.stack([np.ones_like(z), z, z * z]).T
    for b in range(0, len(g), rows):
        w = np.add.outer(g[b : b + rows], u)
        np.reciprocal(w, out=w)
        s, sz = np.einsum("ij,jk->ki", w, m1)
        s2, s2z, s2zz = np.einsum("ij,jk->ki", np.square(w, out=w), m2)
        mu = sz / s
        t2 = s2zz - 2.0 * mu * s2z + mu * mu * s2
        minus = s - s2 / s if method == "REML" else s
        out[b : b + rows] = t2 - minus
        clear &= bool(np.all(np.abs(t2 - minus) > 1e-6 * (s2zz + mu * mu * s2 + minus)))
    return out, clear


def _ml_reml(z: np.ndarray, u: np.ndarray, method: str) -> Fit:
    """ML or REML at the global maximum (module docstring); ``converged`` is False, and ``note``
    says why, when the result fails its check (the score is not ~0 at an interior maximum or
    > 0 at the boundary, or a grid point has a larger likelihood).

    Fast path: the lean score on the grid changes sign (+ to -) once and is > 0 at t = 0, or never
    and is <= 0 at t = 0: a single candidate, confirmed by the precise score at the bracket's
    ends and polished by Brent's method. Otherwise the full search of :func:`_global`."""
    g = grid(z, u)
    sc, clear = _scan(z, u, g, method)
    ups = np.flatnonzero((sc[:-1] > 0) & (sc[1:] <= 0))
    if clear and len(ups) + (sc[0] <= 0) == 1:

        def score(t: float) -> float:
            return float(score_ll(profile(z, u, t), method)[0][0])

        if len(ups) == 0:
            s0 = score(0.0)
            if s0 <= 0:
                return _checked(z, u, method, 0.0, [])
        else:
            a, b = float(g[ups[0]]), float(g[ups[0] + 1])
            if score(a) > 0 and score(b) <= 0:
                try:
                    root = float(optimize.brentq(score, a, b, xtol=1e-300, rtol=1e-15, maxiter=200))
                except (RuntimeError, ValueError):  # pragma: no cover - a bracket converges
                    return _global(z, u, method, g)
                return _checked(z, u, method, root, [])
    return _global(z, u, method, g)


def _global(z: np.ndarray, u: np.ndarray, method: str, g: np.ndarray) -> Fit:
    """Every candidate maximum on the grid, the largest likelihood wins, then verified."""
    sc, ll = score_ll(profile(z, u, g), method)

    def at(t: float) -> tuple[float, float]:
        s, lik = score_ll(profile(z, u, t), method)
        return float(s[0]), float(lik[0])

    cands: list[tuple[float, float]] = [(float(ll[0]), 0.0)] if sc[0] <= 0 else []
    notes = []
    for j in np.flatnonzero((sc[:-1] > 0) & (sc[1:] <= 0)):
        try:
            root = float(
                optimize.brentq(
                    lambda t: at(t)[0], g[j], g[j + 1], xtol=1e-300, rtol=1e-15, maxiter=200
                )
            )
        except RuntimeError as exc:  # pragma: no cover - Brent converges on a bracket
            notes.append(f"Brent's method failed on [{g[j]:.3g}, {g[j + 1]:.3g}]: {exc}")
            continue
        cands.append((at(root)[1], root))
    best_ll, tau2 = max(cands) if cands else (-math.inf, float(g[int(np.argmax(ll))]))
    top = int(np.argmax(ll))
    if ll[top] > best_ll + 1e-12 * (1.0 + abs(float(ll[top]))):
        # a maximum the score's sign changes did not bracket (two sign changes in one interval)
        lo, hi = float(g[max(top - 1, 0)]), float(g[min(top + 1, len(g) - 1)])
        r = optimize.minimize_scalar(
            lambda t: -at(t)[1],
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-14 * max(hi, 1e-300)},
        )
        if -float(r.fun) >= best_ll:
            best_ll, tau2 = -float(r.fun), float(r.x)
    return _checked(z, u, method, tau2, notes, best_ll, float(ll.max()))


def _checked(
    z: np.ndarray,
    u: np.ndarray,
    method: str,
    tau2: float,
    notes: list[str],
    best_ll: float = math.inf,
    grid_max: float = -math.inf,
) -> Fit:
    """The score is ~0 at an interior maximum (<= 0 at the boundary) and no grid point is higher
    (when the full search compared them)."""
    p = profile(z, u, tau2)
    score = float(score_ll(p, method)[0][0])
    scale = float(p.trp[0] if method == "REML" else p.s[0])
    if tau2 > 0 and abs(score) > _SCORE_TOL * scale:
        notes.append(f"the score at tau^2 = {tau2:.6g} is {score:.3g}, not 0")
    if tau2 == 0 and score > _SCORE_TOL * scale:
        notes.append(f"the score at tau^2 = 0 is {score:.3g} > 0")
    if best_ll < grid_max - 1e-9 * (1.0 + abs(grid_max)):
        notes.append("a grid point has a larger likelihood than the solution")
    if notes:
        return Fit(tau2, False, f"{method} did not converge: " + "; ".join(notes))
    return Fit(tau2)


def tau2_fit(z: np.ndarray, u: np.ndarray, method: str) -> Fit:
    """tau^2 on scaled data by ``method`` (FE, DL, PM, ML, REML)."""
    if method == "FE":
        return Fit(0.0)
    if method == "DL":
        return Fit(_dl(z, u))
    if method == "PM":
        return _pm(z, u)
    return _ml_reml(z, u, method)
