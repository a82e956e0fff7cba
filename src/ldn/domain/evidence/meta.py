"""Meta-analysis of effect sizes y_i with sampling variances v_i (the metafor convention).

Fixed effect:      mu_FE = sum w_i y_i / sum w_i,  w_i = 1 / v_i,  SE = (sum w_i)^-1/2
Random effects:    y_i ~ N(mu, v_i + tau^2),  w_i = 1 / (v_i + tau^2)

tau^2 estimators (all truncated at 0):
  DL   DerSimonian-Laird: (Q - (k-1)) / (sum w - sum w^2 / sum w)
  PM   Paule-Mandel: solve Q_gen(tau^2) = k - 1
  ML   maximum likelihood;  REML  restricted ML (Fisher scoring, as metafor)
Confidence intervals: Wald (normal) or Hartung-Knapp-Sidik-Jonkman (HKSJ: SE^2 x
sum w_i (y_i - mu)^2 / (k-1), t with k-1 df; as metafor's test="knha", not truncated).
Prediction interval (metafor): mu +/- crit * sqrt(SE^2 + tau^2), crit = z (Wald) or t_{k-1} (HKSJ).
Heterogeneity: Q = sum w_i^FE (y_i - mu_FE)^2;  I^2 = tau^2 / (tau^2 + s^2) and H^2 = (tau^2 + s^2) / s^2
with the typical within-study variance s^2 = (k-1) sum w / ((sum w)^2 - sum w^2) (as metafor);
tau^2 CI by the Q-profile method (Viechtbauer 2007).
References: DerSimonian & Laird 1986; Paule & Mandel 1982; Viechtbauer 2005, 2007, 2010 (metafor);
Hartung & Knapp 2001; IntHout 2014. Checked against metafor output (source id metafor-statsmodels-results).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

from ldn.domain.errors import InputError, Problem

Floats = Sequence[float] | NDArray[np.float64]

__all__ = [
    "METHODS",
    "Floats",
    "MetaResult",
    "q_profile_tau2_ci",
    "random_effects",
    "tau2_estimate",
    "validate_effects",
]

METHODS = ("FE", "DL", "REML", "PM", "ML")


@dataclass(frozen=True, slots=True)
class MetaResult:
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    tau2: float
    i2: float
    h2: float
    q: float
    q_p: float
    pi_low: float
    pi_high: float
    method: str
    hksj: bool
    weights: tuple[float, ...] = field(default=())
    labels: tuple[str, ...] = field(default=())
    tau2_ci: tuple[float, float] | None = None
    p_value: float = float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {"k": self.k, "estimate": self.estimate, "se": self.se, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "tau2": self.tau2, "tau2_ci": list(self.tau2_ci) if self.tau2_ci else None, "i2": self.i2, "h2": self.h2,
                "q": self.q, "q_p": self.q_p, "p_value": self.p_value, "pi_low": self.pi_low, "pi_high": self.pi_high,
                "method": self.method, "hksj": self.hksj,
                "weights_percent": [100 * w for w in self.weights], "labels": list(self.labels)}  # fmt: skip


def validate_effects(
    yi: Floats, vi: Floats, *, labels: Sequence[str] | None = None, min_k: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(yi, dtype=np.float64)
    v = np.asarray(vi, dtype=np.float64)
    names = list(labels) if labels is not None else [str(i + 1) for i in range(len(y))]
    if y.shape != v.shape or y.ndim != 1:
        raise InputError.at(
            "yi,vi",
            "effects and variances must be two lists of the same length",
            "give one yi and one vi per study",
        )
    problems = [
        Problem(f"row {i + 1} ({names[i]}).yi", "is not a number", "give a finite effect")
        for i in np.flatnonzero(~np.isfinite(y))
    ]
    problems += [Problem(f"row {i + 1} ({names[i]}).vi", f"variance must be positive and finite, got {v[i]}", "give vi > 0")
                 for i in np.flatnonzero(~(np.isfinite(v) & (v > 0)))]  # fmt: skip
    if problems:
        raise InputError(problems)
    if len(y) < min_k:
        raise InputError.at(
            "k",
            f"{len(y)} studies; this model needs at least {min_k}",
            "add studies or use --method FE",
        )
    return y, v


def _q_gen(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    w = 1.0 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    return float(np.sum(w * (y - mu) ** 2))


def _dl(y: np.ndarray, v: np.ndarray) -> float:
    w = 1.0 / v
    q = _q_gen(y, v, 0.0)
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    return max(0.0, float((q - (len(y) - 1)) / c))


def _pm(y: np.ndarray, v: np.ndarray) -> float:
    k = len(y)
    if _q_gen(y, v, 0.0) <= k - 1:
        return 0.0
    hi = max(1.0, float(np.var(y)) * 10)
    while _q_gen(y, v, hi) > k - 1:
        hi *= 10
    return float(
        optimize.brentq(
            lambda t: _q_gen(y, v, t) - (k - 1), 0.0, hi, xtol=1e-14, rtol=1e-14, maxiter=500
        )
    )


def _ml_reml(y: np.ndarray, v: np.ndarray, *, reml: bool) -> float:
    """(RE)ML tau^2 by Fisher scoring started at DL, truncated at 0 (as metafor).

    ML:   tau2 <- sum w^2 ((y - mu)^2 - v) / sum w^2
    REML: tau2 <- tau2 + (sum w^2 (y - mu)^2 - tr P) / tr(P P),  P = W - w w' / sum w
    """
    tau2 = _dl(y, v)
    for _ in range(1000):
        w = 1.0 / (v + tau2)
        sw = np.sum(w)
        mu = np.sum(w * y) / sw
        if reml:
            tr_p = np.sum(w) - np.sum(w**2) / sw
            tr_pp = np.sum(w**2) - 2 * np.sum(w**3) / sw + (np.sum(w**2) / sw) ** 2
            new = max(0.0, float(tau2 + (np.sum(w**2 * (y - mu) ** 2) - tr_p) / tr_pp))
        else:
            new = max(0.0, float(np.sum(w**2 * ((y - mu) ** 2 - v)) / np.sum(w**2)))
        if abs(new - tau2) < 1e-12 * max(1.0, tau2):
            return new
        tau2 = new
    return tau2


def tau2_estimate(y: np.ndarray, v: np.ndarray, method: str) -> float:
    if method == "FE":
        return 0.0
    if method == "DL":
        return _dl(y, v)
    if method == "PM":
        return _pm(y, v)
    if method in ("REML", "ML"):
        return _ml_reml(y, v, reml=method == "REML")
    raise InputError.at(
        "--method", f"unknown method {method!r}", f"use one of: {', '.join(METHODS)}"
    )


def q_profile_tau2_ci(y: np.ndarray, v: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Q-profile CI for tau^2: Q_gen(tau^2) = chi2_{k-1} quantiles (Viechtbauer 2007)."""
    k = len(y)
    lo_q, hi_q = stats.chi2.ppf([(1 + level) / 2, (1 - level) / 2], k - 1)

    def solve(target: float) -> float:
        if _q_gen(y, v, 0.0) < target:
            return 0.0
        hi = max(1.0, float(np.var(y)) * 10)
        while _q_gen(y, v, hi) > target:
            hi *= 10
        return float(optimize.brentq(lambda t: _q_gen(y, v, t) - target, 0.0, hi, xtol=1e-12))

    return solve(lo_q), solve(hi_q)


def random_effects(yi: Floats, vi: Floats, *, method: str = "REML", hksj: bool = False,
                   labels: Sequence[str] | None = None, level: float = 0.95) -> MetaResult:  # fmt: skip
    """Pool effects ``yi`` with variances ``vi``; ``method='FE'`` gives the fixed-effect model."""
    method = method.upper()
    if method not in METHODS:
        raise InputError.at(
            "--method", f"unknown method {method!r}", f"use one of: {', '.join(METHODS)}"
        )
    y, v = validate_effects(yi, vi, labels=labels, min_k=1 if method == "FE" else 2)
    k = len(y)
    tau2 = tau2_estimate(y, v, method)
    w = 1.0 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    se = math.sqrt(1.0 / float(np.sum(w)))
    if hksj and k > 1:
        se = se * math.sqrt(float(np.sum(w * (y - mu) ** 2)) / (k - 1))
        crit = float(stats.t.ppf((1 + level) / 2, k - 1))
        p = float(2 * stats.t.sf(abs(mu / se), k - 1)) if se > 0 else 0.0
    else:
        crit = float(stats.norm.ppf((1 + level) / 2))
        p = float(2 * stats.norm.sf(abs(mu / se))) if se > 0 else 0.0
    w_fe = 1.0 / v
    q = _q_gen(y, v, 0.0)
    q_p = float(stats.chi2.sf(q, k - 1)) if k > 1 else float("nan")
    s2 = (k - 1) * np.sum(w_fe) / (np.sum(w_fe) ** 2 - np.sum(w_fe**2)) if k > 1 else float("nan")
    if method == "FE":
        i2 = max(0.0, 100.0 * (q - (k - 1)) / q) if k > 1 and q > 0 else 0.0
        h2 = q / (k - 1) if k > 1 else float("nan")
    else:
        i2 = float(100.0 * tau2 / (tau2 + s2))
        h2 = float((tau2 + s2) / s2)
    pi_half = crit * math.sqrt(se**2 + tau2)
    names = tuple(labels) if labels is not None else tuple(str(i + 1) for i in range(k))
    tau2_ci = q_profile_tau2_ci(y, v, level) if k > 2 and method != "FE" else None
    return MetaResult(k, mu, se, mu - crit * se, mu + crit * se, tau2, i2, h2, q, q_p, mu - pi_half, mu + pi_half, method,
                      hksj, tuple(float(x) for x in w / np.sum(w)), names, tau2_ci, p)  # fmt: skip
