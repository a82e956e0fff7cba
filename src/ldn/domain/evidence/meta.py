"""Meta-analysis of effect sizes y_i with sampling variances v_i (the metafor convention).

Fixed effect (:func:`fixed_effect`):
    mu_FE = sum w_i y_i / sum w_i,  w_i = 1 / v_i,  SE = (sum w_i)^-1/2
Random effects (:func:`random_effects`):  y_i ~ N(mu, v_i + tau^2),  w_i = 1 / (v_i + tau^2)
:func:`meta_analysis` dispatches on a method name ("FE" or one of the tau^2 estimators).

tau^2 estimators (all truncated at 0; likelihood.py):
  DL   DerSimonian-Laird: (Q - (k-1)) / (sum w - sum w^2 / sum w)
  PM   Paule-Mandel: solve Q_gen(tau^2) = k - 1 (Newton's method, likelihood.solve_q_gen)
  ML   maximum likelihood;  REML  restricted ML, both at the GLOBAL maximum of the profile
       likelihood (a scan of the score on a grid up to a bound from the data, Brent's method on
       the one bracket, the full search when there are several; ``converged`` / ``note`` say
       when the check failed)
Confidence intervals: Wald (normal) or Hartung-Knapp-Sidik-Jonkman (HKSJ: SE^2 x
sum w_i (y_i - mu)^2 / (k-1), t with k-1 df; as metafor's test="knha", not truncated).
Prediction interval mu +/- crit * sqrt(SE^2 + tau^2), ``pi``:
  "metafor" (default, unchanged)  crit = z, or t_{k-1} with HKSJ (metafor's predict())
  "higgins"  crit = t_{k-2} (Higgins, Thompson & Spiegelhalter 2009, source id higgins-2009),
             which allows for the uncertainty in tau^2; needs k >= 3 (else not estimable: NaN)
Heterogeneity (:func:`_heterogeneity`): Q = sum w_i^FE (y_i - mu_FE)^2; I^2 = tau^2 / (tau^2 + s^2)
and H^2 = (tau^2 + s^2) / s^2 with the typical within-study variance
s^2 = (k-1) sum w / ((sum w)^2 - sum w^2) (as metafor; the fixed-effect model uses Q:
I^2 = (Q - (k-1)) / Q, H^2 = Q / (k-1)); tau^2 CI by the Q-profile method (Viechtbauer 2007).

Lazy outputs: the tau^2 confidence interval (two root-findings) and the per-study weights and
labels are computed when first read (or shown: ``as_dict``), not by every fit.

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
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special

from ldn.domain.errors import InputError, Problem
from ldn.domain.evidence.likelihood import Profile, profile, solve_q_gen, tau2_fit

Floats = Sequence[float] | NDArray[np.float64]

__all__ = [
    "METHODS",
    "PI_METHODS",
    "RE_METHODS",
    "Floats",
    "MetaResult",
    "fixed_effect",
    "meta_analysis",
    "pi_crit",
    "q_profile_tau2_ci",
    "random_effects",
    "range_problems",
    "scaled",
    "tau2_estimate",
    "validate_effects",
]

#: the tau^2 estimators of the random-effects model
RE_METHODS = ("DL", "REML", "PM", "ML")
#: every model :func:`meta_analysis` fits: the fixed-effect model and the random-effects ones
METHODS = ("FE", *RE_METHODS)
#: prediction-interval methods and how the output states them
PI_METHODS = {
    "metafor": "normal (t with k-1 df under HKSJ) with SE² + τ², as metafor",
    "higgins": "t with k-2 df with SE² + τ² (Higgins 2009)",
}
#: the stated range (double precision): |yi|, vi, and the spread relative to the median
EFFECT_MAX = 1e100
VARIANCE_MAX = 1e200
SPREAD_MAX = 1e40


@dataclass(frozen=True, eq=False)
class _Data:
    """What the lazy outputs need: the scaled data, the scale s, tau^2 (scaled) and the labels."""

    z: np.ndarray
    u: np.ndarray
    s: float
    tau2: float
    level: float
    labels: Sequence[str] | None


@dataclass(frozen=True)
class MetaResult:
    """A pooled estimate. Effects, SEs and intervals are in the units of the input ``yi`` (e.g. a
    standardised mean difference), variances (``tau2``, its CI) in those units squared.

    ``tau2_ci``, ``weights`` and ``labels`` are computed on first use (cached)."""

    k: int  #: number of studies
    estimate: float  #: pooled effect mu (units of yi)
    se: float  #: its standard error (units of yi; HKSJ-adjusted when ``hksj``)
    ci_low: float  #: lower confidence limit at ``level`` (units of yi)
    ci_high: float  #: upper confidence limit (units of yi)
    tau2: float  #: between-study variance tau^2 (units of yi squared; 0 for FE)
    i2: float  #: I^2, a percentage (0-100) of the total variance that is between studies
    h2: float  #: H^2, a ratio (>= 1): total over within-study variance
    q: float  #: Cochran's Q (dimensionless, chi^2 with k-1 df under homogeneity)
    q_p: float  #: p-value of Q (NaN for one study)
    pi_low: float  #: lower prediction limit for a new study's true effect (units of yi)
    pi_high: float  #: upper prediction limit (units of yi)
    method: str  #: "FE" or the tau^2 estimator (DL, REML, PM, ML)
    hksj: bool  #: Hartung-Knapp-Sidik-Jonkman SE and t interval
    p_value: float = float("nan")  #: two-sided p-value of mu = 0
    pi_method: str = "metafor"  #: a key of PI_METHODS
    converged: bool = True  #: False when the tau^2 fit failed its check (``note`` says why)
    note: str = ""  #: why the fit did not converge ("" when it did)
    level: float = 0.95  #: confidence level of the intervals (a fraction)
    _data: _Data | None = field(default=None, repr=False, compare=False)

    @cached_property
    def weights(self) -> tuple[float, ...]:
        """Per study, its share of the total weight (fractions summing to 1, input order)."""
        if self._data is None:
            return ()
        w = 1.0 / (self._data.u + self._data.tau2)
        return tuple((w / w.sum()).tolist())

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """Per study, its label (1, 2, ... when none were given)."""
        if self._data is None:
            return ()
        if self._data.labels is not None:
            return tuple(self._data.labels)
        return tuple(str(i + 1) for i in range(self.k))

    @cached_property
    def tau2_ci(self) -> tuple[float, float] | None:
        """Q-profile confidence interval of tau^2 at ``level`` (units of yi squared; None for the
        fixed-effect model and for k <= 2)."""
        d = self._data
        if d is None or self.k <= 2 or self.method == "FE":
            return None
        lo, hi = _q_profile(d.z, d.u, d.level)
        return lo * d.s**2, hi * d.s**2

    @property
    def pi_label(self) -> str:
        """The prediction interval's method, as the output states it."""
        if self.pi_method == "higgins":
            return "t, k-2 df, Higgins 2009"
        return "t, k-1 df, metafor with HKSJ" if self.hksj else "normal, metafor's default"

    def as_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "estimate": self.estimate,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "tau2": self.tau2,
            "tau2_ci": list(self.tau2_ci) if self.tau2_ci else None,
            "i2": self.i2,
            "h2": self.h2,
            "q": self.q,
            "q_p": self.q_p,
            "p_value": self.p_value,
            "pi_low": self.pi_low,
            "pi_high": self.pi_high,
            "pi_method": self.pi_method,
            "pi_label": self.pi_label,
            "method": self.method,
            "hksj": self.hksj,
            "converged": self.converged,
            "note": self.note or None,
            "weights_percent": [100 * w for w in self.weights],
            "labels": list(self.labels),
        }


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
    return out


def _in_range(y: np.ndarray, v: np.ndarray) -> bool:
    """A sufficient check that no value is outside the stated range (min/max only: the median
    lies between them), so that :func:`range_problems` runs only when something may be."""
    v_min, v_max = float(v.min()), float(v.max())
    return (
        float(np.abs(y).max()) <= EFFECT_MAX
        and v_max <= VARIANCE_MAX
        and v_max <= SPREAD_MAX * v_min
        and float(np.ptp(y)) <= SPREAD_MAX * math.sqrt(v_min)
    )


def validate_effects(
    yi: Floats, vi: Floats, *, labels: Sequence[str] | None = None, min_k: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(yi, dtype=np.float64)
    v = np.asarray(vi, dtype=np.float64)
    if y.shape != v.shape or y.ndim != 1:
        raise InputError.at(
            "yi,vi",
            "effects and variances must be two lists of the same length",
            "give one yi and one vi per study",
        )
    finite = bool(np.isfinite(y).all()) and bool((np.isfinite(v) & (v > 0)).all())
    if not (finite and (len(y) == 0 or _in_range(y, v))):
        names = list(labels) if labels is not None else [str(i + 1) for i in range(len(y))]
        problems = [
            Problem(f"row {i + 1} ({names[i]}).yi", "is not a number", "give a finite effect")
            for i in np.flatnonzero(~np.isfinite(y))
        ]
        problems += [
            Problem(
                f"row {i + 1} ({names[i]}).vi",
                f"variance must be positive and finite, got {v[i]}",
                "give vi > 0",
            )
            for i in np.flatnonzero(~(np.isfinite(v) & (v > 0)))
        ]
        if not problems:
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


def _check_method(method: str, allowed: Sequence[str]) -> str:
    m = method.upper()
    if m not in allowed:
        raise InputError.at(
            "--method", f"unknown method {method!r}", f"use one of: {', '.join(allowed)}"
        )
    return m


def tau2_estimate(y: np.ndarray, v: np.ndarray, method: str) -> float:
    method = _check_method(method, METHODS)
    z, u, _, s = scaled(y, v)
    return tau2_fit(z, u, method).tau2 * s**2


def _chi2_ppf(q: float, df: int) -> float:
    """The chi^2 quantile (as scipy.stats.chi2.ppf, without its argument checking)."""
    return float(2.0 * special.gammaincinv(df / 2.0, q))


def _q_profile(z: np.ndarray, u: np.ndarray, level: float) -> tuple[float, float]:
    """Q_gen(tau^2) = the upper and lower chi^2_{k-1} quantiles (scaled data)."""
    k = len(z)
    lo = solve_q_gen(z, u, _chi2_ppf((1 + level) / 2, k - 1)).tau2
    hi = solve_q_gen(z, u, _chi2_ppf((1 - level) / 2, k - 1)).tau2
    return lo, hi


def q_profile_tau2_ci(y: np.ndarray, v: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Q-profile CI for tau^2: Q_gen(tau^2) = chi2_{k-1} quantiles (Viechtbauer 2007)."""
    z, u, _, s = scaled(y, v)
    lo, hi = _q_profile(z, u, level)
    return lo * s**2, hi * s**2


def pi_crit(pi: str, k: int, hksj: bool, level: float) -> float:
    """The prediction interval's critical value for ``k`` studies (NaN when not estimable)."""
    if pi == "higgins":
        return float(special.stdtrit(k - 2, (1 + level) / 2)) if k >= 3 else math.nan
    if hksj and k > 1:
        return float(special.stdtrit(k - 1, (1 + level) / 2))
    return float(special.ndtri((1 + level) / 2))


def _heterogeneity(p0: Profile, k: int, tau2: float | None) -> dict[str, float]:
    """Q, its p-value, I^2 (%) and H^2 from the sums at tau^2 = 0; ``tau2`` (scaled) for a
    random-effects model, None for the fixed-effect one (module docstring)."""
    q = float(p0.q[0])
    out = {"q": q, "q_p": float(special.chdtrc(k - 1, q)) if k > 1 else math.nan}
    if tau2 is None:
        out["i2"] = max(0.0, 100.0 * (q - (k - 1)) / q) if k > 1 and q > 0 else 0.0
        out["h2"] = q / (k - 1) if k > 1 else math.nan
    else:
        # s^2 = (k-1) sum w / ((sum w)^2 - sum w^2) = (k-1) / tr P at tau^2 = 0
        s2 = (k - 1) / float(p0.trp[0])
        out["i2"] = 100.0 * tau2 / (tau2 + s2)
        out["h2"] = (tau2 + s2) / s2
    return out


def _check_pi(pi: str) -> None:
    if pi not in PI_METHODS:
        raise InputError.at(
            "--pi", f"unknown prediction interval {pi!r}", f"use one of: {', '.join(PI_METHODS)}"
        )


def _pool(
    y: np.ndarray,
    v: np.ndarray,
    *,
    method: str,
    hksj: bool,
    labels: Sequence[str] | None,
    level: float,
    pi: str,
) -> MetaResult:
    """The pooled estimate, intervals and heterogeneity for validated data (either model)."""
    k = len(y)
    z, u, c, sc = scaled(y, v)
    fit = tau2_fit(z, u, method)
    p0 = profile(z, u, 0.0)
    p = p0 if fit.tau2 == 0.0 else profile(z, u, fit.tau2)
    mu, se = float(p.mu[0]), math.sqrt(1.0 / float(p.s[0]))
    if hksj and k > 1:
        se = se * math.sqrt(float(p.q[0]) / (k - 1))
        crit = float(special.stdtrit(k - 1, (1 + level) / 2))
        p_value = float(2 * special.stdtr(k - 1, -abs(mu / se))) if se > 0 else 0.0
    else:
        crit = float(special.ndtri((1 + level) / 2))
        p_value = float(2 * special.ndtr(-abs(mu / se))) if se > 0 else 0.0
    pi_half = sc * pi_crit(pi, k, hksj, level) * math.sqrt(se**2 + fit.tau2)
    est, se_y = c + sc * mu, sc * se
    return MetaResult(
        k=k,
        estimate=est,
        se=se_y,
        ci_low=est - crit * se_y,
        ci_high=est + crit * se_y,
        tau2=fit.tau2 * sc**2,
        **_heterogeneity(p0, k, None if method == "FE" else fit.tau2),
        pi_low=est - pi_half,
        pi_high=est + pi_half,
        method=method,
        hksj=hksj,
        p_value=p_value,
        pi_method=pi,
        converged=fit.converged,
        note=fit.note,
        level=level,
        _data=_Data(z, u, sc, fit.tau2, level, labels),
    )


def fixed_effect(
    yi: Floats,
    vi: Floats,
    *,
    hksj: bool = False,
    labels: Sequence[str] | None = None,
    level: float = 0.95,
    pi: str = "metafor",
) -> MetaResult:
    """The fixed-effect (common-effect, inverse-variance) pool of effects ``yi`` with variances
    ``vi`` (``method`` "FE", tau^2 = 0; I^2 and H^2 from Q)."""
    _check_pi(pi)
    y, v = validate_effects(yi, vi, labels=labels, min_k=1)
    return _pool(y, v, method="FE", hksj=hksj, labels=labels, level=level, pi=pi)


def random_effects(
    yi: Floats,
    vi: Floats,
    *,
    method: str = "REML",
    hksj: bool = False,
    labels: Sequence[str] | None = None,
    level: float = 0.95,
    pi: str = "metafor",
) -> MetaResult:
    """The random-effects pool of effects ``yi`` with variances ``vi``, tau^2 by ``method`` (one
    of RE_METHODS; the fixed-effect model is :func:`fixed_effect`). ``pi`` chooses the
    prediction interval: "metafor" (default) or "higgins" (t with k-2 df)."""
    method = _check_method(method, RE_METHODS)
    _check_pi(pi)
    y, v = validate_effects(yi, vi, labels=labels, min_k=2)
    return _pool(y, v, method=method, hksj=hksj, labels=labels, level=level, pi=pi)


def meta_analysis(
    yi: Floats,
    vi: Floats,
    *,
    method: str = "REML",
    hksj: bool = False,
    labels: Sequence[str] | None = None,
    level: float = 0.95,
    pi: str = "metafor",
) -> MetaResult:
    """The model named by ``method`` (one of METHODS): "FE" is :func:`fixed_effect`, every other
    name a tau^2 estimator of :func:`random_effects` (for callers that take a user's choice)."""
    if _check_method(method, METHODS) == "FE":
        return fixed_effect(yi, vi, hksj=hksj, labels=labels, level=level, pi=pi)
    return random_effects(yi, vi, method=method, hksj=hksj, labels=labels, level=level, pi=pi)
