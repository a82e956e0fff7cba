"""Meta-analysis of effect sizes y_i with sampling variances v_i (the metafor convention).

Fixed effect:      mu_FE = sum w_i y_i / sum w_i,  w_i = 1 / v_i,  SE = (sum w_i)^-1/2
Random effects:    y_i ~ N(mu, v_i + tau^2),  w_i = 1 / (v_i + tau^2)

tau^2 estimators (all truncated at 0; likelihood.py):
  DL   DerSimonian-Laird: (Q - (k-1)) / (sum w - sum w^2 / sum w)
  PM   Paule-Mandel: solve Q_gen(tau^2) = k - 1
  ML   maximum likelihood;  REML  restricted ML, both at the GLOBAL maximum of the profile
       likelihood (tau^2 = 0 and a grid up to a bound from the data, then Brent's method on the
       score; verified, and ``converged`` / ``note`` say when the check failed)
Confidence intervals: Wald (normal) or Hartung-Knapp-Sidik-Jonkman (HKSJ: SE^2 x
sum w_i (y_i - mu)^2 / (k-1), t with k-1 df; as metafor's test="knha", not truncated).
Prediction interval mu +/- crit * sqrt(SE^2 + tau^2), ``pi``:
  "metafor" (default, unchanged)  crit = z, or t_{k-1} with HKSJ (metafor's predict())
  "higgins"  crit = t_{k-2} (Higgins, Thompson & Spiegelhalter 2009, source id higgins-2009),
             which allows for the uncertainty in tau^2; needs k >= 3 (else not estimable: NaN)
Heterogeneity: Q = sum w_i^FE (y_i - mu_FE)^2;  I^2 = tau^2 / (tau^2 + s^2) and H^2 = (tau^2 + s^2) / s^2
with the typical within-study variance s^2 = (k-1) sum w / ((sum w)^2 - sum w^2) (as metafor);
tau^2 CI by the Q-profile method (Viechtbauer 2007).

Stated range (double precision, not a clinical limit): |yi| <= 1e100 and vi <= 1e200; every vi
within a factor 1e40 of the median vi, every yi within 1e40 median standard errors of the
median yi. Inside it the data are centred and scaled (z = (y - median y) / s, u = v / s^2 with
s^2 ~ median v, a power of 2), which every estimator here is equivariant to, so no sum overflows or loses
digits; outside it validate_effects raises an InputError naming the row, the field and the fix.
References: DerSimonian & Laird 1986; Paule & Mandel 1982; Viechtbauer 2005, 2007, 2010 (metafor);
Hartung & Knapp 2001; IntHout 2014. Checked against metafor output (source id metafor-statsmodels-results;
REML and ML on multimodal likelihoods: tests/reference/evidence/make_metafor_reference.R).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

from ldn.domain.errors import InputError, Problem
from ldn.domain.evidence.likelihood import profile, tau2_fit

Floats = Sequence[float] | NDArray[np.float64]

__all__ = [
    "METHODS",
    "PI_METHODS",
    "Floats",
    "MetaResult",
    "pi_crit",
    "q_profile_tau2_ci",
    "random_effects",
    "range_problems",
    "scaled",
    "tau2_estimate",
    "validate_effects",
]

METHODS = ("FE", "DL", "REML", "PM", "ML")
#: prediction-interval methods and how the output states them
PI_METHODS = {
    "metafor": "normal (t with k-1 df under HKSJ) with SE² + τ², as metafor",
    "higgins": "t with k-2 df with SE² + τ² (Higgins 2009)",
}
#: the stated range (double precision): |yi|, vi, and the spread relative to the median
EFFECT_MAX = 1e100
VARIANCE_MAX = 1e200
SPREAD_MAX = 1e40


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
    pi_method: str = "metafor"
    converged: bool = True
    note: str = ""

    @property
    def pi_label(self) -> str:
        """The prediction interval's method, as the output states it."""
        if self.pi_method == "higgins":
            return "t, k-2 df, Higgins 2009"
        return "t, k-1 df, metafor with HKSJ" if self.hksj else "normal, metafor's default"

    def as_dict(self) -> dict[str, Any]:
        return {"k": self.k, "estimate": self.estimate, "se": self.se, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "tau2": self.tau2, "tau2_ci": list(self.tau2_ci) if self.tau2_ci else None, "i2": self.i2, "h2": self.h2,
                "q": self.q, "q_p": self.q_p, "p_value": self.p_value, "pi_low": self.pi_low, "pi_high": self.pi_high,
                "pi_method": self.pi_method, "pi_label": self.pi_label, "method": self.method, "hksj": self.hksj,
                "converged": self.converged, "note": self.note or None,
                "weights_percent": [100 * w for w in self.weights], "labels": list(self.labels)}  # fmt: skip


def range_problems(y: np.ndarray, v: np.ndarray, loc: Callable[[int, str], str]) -> list[Problem]:
    """Values outside the stated range (module docstring), at most one problem per cell;
    ``loc(i, "yi")`` names the cell (row i, 0-based)."""
    y_abs, v_abs = ~(np.abs(y) <= EFFECT_MAX), ~(v <= VARIANCE_MAX)
    c = float(np.median(y[~y_abs])) if not y_abs.all() else 0.0
    med_v = float(np.median(v[~v_abs])) if not v_abs.all() else 1.0
    sd = math.sqrt(med_v)
    with np.errstate(all="ignore"):
        y_rel = ~y_abs & (np.abs(y - c) > SPREAD_MAX * sd)
        v_rel = ~v_abs & ((v < med_v / SPREAD_MAX) | (v > med_v * SPREAD_MAX))
    fix = "check the value and its units"
    out = []
    for i in map(int, np.flatnonzero(y_abs | y_rel | v_abs | v_rel)):
        if y_abs[i]:
            out.append(
                Problem(
                    loc(i, "yi"),
                    f"{y[i]:g} is outside the range ldn computes with (|yi| <= {EFFECT_MAX:g})",
                    fix,
                )
            )
        elif y_rel[i]:
            out.append(
                Problem(
                    loc(i, "yi"),
                    f"{y[i]:g} is more than {SPREAD_MAX:g} median standard errors ({sd:.3g}) "
                    f"from the median effect {c:.3g}",
                    f"{fix}; ldn pools effects within that range",
                )
            )
        if v_abs[i]:
            out.append(
                Problem(
                    loc(i, "vi"),
                    f"{v[i]:g} is outside the range ldn computes with (vi <= {VARIANCE_MAX:g})",
                    fix,
                )
            )
        elif v_rel[i]:
            side = "smaller" if v[i] < med_v else "larger"
            out.append(
                Problem(
                    loc(i, "vi"),
                    f"{v[i]:g} is more than {SPREAD_MAX:g} times {side} than the median "
                    f"variance {med_v:.3g}",
                    f"{fix}; ldn pools variances within that factor",
                )
            )
    return out  # fmt: skip


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
    if not problems and len(y):
        problems = range_problems(y, v, lambda i, col: f"row {i + 1} ({names[i]}).{col}")
    if problems:
        raise InputError(problems)
    if len(y) < min_k:
        raise InputError.at(
            "k",
            f"{len(y)} studies; this model needs at least {min_k}",
            "add studies or use --method FE",
        )
    return y, v


def scaled(y: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(z, u, c, s): z = (y - c) / s, u = v / s^2 with c = median y and s the power of 2 nearest
    sqrt(median v) (so that dividing by s and s^2 is exact, even for subnormal variances)."""
    e = round(math.log2(float(np.median(v))) / 2)
    c, s = float(np.median(y)), math.ldexp(1.0, e)
    return (y - c) / s, v / math.ldexp(1.0, 2 * e), c, s


def tau2_estimate(y: np.ndarray, v: np.ndarray, method: str) -> float:
    if method not in METHODS:
        raise InputError.at(
            "--method", f"unknown method {method!r}", f"use one of: {', '.join(METHODS)}"
        )
    z, u, _, s = scaled(y, v)
    return tau2_fit(z, u, method).tau2 * s**2


def _q_profile(z: np.ndarray, u: np.ndarray, level: float) -> tuple[float, float]:
    k = len(z)
    lo_q, hi_q = stats.chi2.ppf([(1 + level) / 2, (1 - level) / 2], k - 1)

    def q_gen(t: float) -> float:
        return float(profile(z, u, t).q[0])

    def solve(target: float) -> float:
        if q_gen(0.0) < target:
            return 0.0
        hi = max(1.0, float(np.var(z)) * 10)
        while q_gen(hi) > target:
            hi *= 10
        return float(optimize.brentq(lambda t: q_gen(t) - target, 0.0, hi, xtol=1e-12))

    return solve(lo_q), solve(hi_q)


def q_profile_tau2_ci(y: np.ndarray, v: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Q-profile CI for tau^2: Q_gen(tau^2) = chi2_{k-1} quantiles (Viechtbauer 2007)."""
    z, u, _, s = scaled(y, v)
    lo, hi = _q_profile(z, u, level)
    return lo * s**2, hi * s**2


def pi_crit(pi: str, k: int, hksj: bool, level: float) -> float:
    """The prediction interval's critical value for ``k`` studies (NaN when not estimable)."""
    if pi == "higgins":
        return float(stats.t.ppf((1 + level) / 2, k - 2)) if k >= 3 else math.nan
    if hksj and k > 1:
        return float(stats.t.ppf((1 + level) / 2, k - 1))
    return float(stats.norm.ppf((1 + level) / 2))


def random_effects(yi: Floats, vi: Floats, *, method: str = "REML", hksj: bool = False,
                   labels: Sequence[str] | None = None, level: float = 0.95, pi: str = "metafor") -> MetaResult:  # fmt: skip
    """Pool effects ``yi`` with variances ``vi``; ``method='FE'`` gives the fixed-effect model.

    ``pi`` chooses the prediction interval: "metafor" (default) or "higgins" (t with k-2 df)."""
    method = method.upper()
    if method not in METHODS:
        raise InputError.at(
            "--method", f"unknown method {method!r}", f"use one of: {', '.join(METHODS)}"
        )
    if pi not in PI_METHODS:
        raise InputError.at(
            "--pi", f"unknown prediction interval {pi!r}", f"use one of: {', '.join(PI_METHODS)}"
        )
    y, v = validate_effects(yi, vi, labels=labels, min_k=1 if method == "FE" else 2)
    k = len(y)
    z, u, c, sc = scaled(y, v)
    fit = tau2_fit(z, u, method)
    p = profile(z, u, fit.tau2)
    w = 1.0 / (u + fit.tau2)
    mu, se = float(p.mu[0]), math.sqrt(1.0 / float(p.s[0]))
    if hksj and k > 1:
        se = se * math.sqrt(float(p.q[0]) / (k - 1))
        crit = float(stats.t.ppf((1 + level) / 2, k - 1))
        pv = float(2 * stats.t.sf(abs(mu / se), k - 1)) if se > 0 else 0.0
    else:
        crit = float(stats.norm.ppf((1 + level) / 2))
        pv = float(2 * stats.norm.sf(abs(mu / se))) if se > 0 else 0.0
    p0 = profile(z, u, 0.0)
    q = float(p0.q[0])
    q_p = float(stats.chi2.sf(q, k - 1)) if k > 1 else float("nan")
    # s^2 = (k-1) sum w / ((sum w)^2 - sum w^2) = (k-1) / tr P at tau^2 = 0
    s2 = (k - 1) / float(p0.trp[0]) if k > 1 else float("nan")
    if method == "FE":
        i2 = max(0.0, 100.0 * (q - (k - 1)) / q) if k > 1 and q > 0 else 0.0
        h2 = q / (k - 1) if k > 1 else float("nan")
    else:
        i2 = float(100.0 * fit.tau2 / (fit.tau2 + s2))
        h2 = float((fit.tau2 + s2) / s2)
    pi_half = pi_crit(pi, k, hksj, level) * math.sqrt(se**2 + fit.tau2)
    names = tuple(labels) if labels is not None else tuple(str(i + 1) for i in range(k))
    t_ci = None
    if k > 2 and method != "FE":
        lo, hi = _q_profile(z, u, level)
        t_ci = (lo * sc**2, hi * sc**2)
    est, se_y = c + sc * mu, sc * se
    return MetaResult(k, est, se_y, est - crit * se_y, est + crit * se_y, fit.tau2 * sc**2, i2, h2, q, q_p,
                      est - sc * pi_half, est + sc * pi_half, method, hksj, tuple(float(x) for x in w / np.sum(w)),
                      names, t_ci, pv, pi, fit.converged, fit.note)  # fmt: skip
