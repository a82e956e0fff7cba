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

The result and its lazy outputs (the tau^2 CI, the weights and labels, computed when first read)
are in meta_result.py; the input checks, the stated range and the scaling in meta_input.py.

Stated range (double precision, not a clinical limit; meta_input.py): |yi| <= 1e100, vi <= 1e200
and a spread of at most 1e40 about the medians; inside it the data are centred and scaled.
References: DerSimonian & Laird 1986; Paule & Mandel 1982; Viechtbauer 2005, 2007, 2010 (metafor);
Hartung & Knapp 2001; IntHout 2014. Checked against metafor output (source id metafor-statsmodels-results;
REML and ML on multimodal likelihoods: tests/reference/evidence/make_metafor_reference.R).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import special

from ldn.domain.errors import InputError
from ldn.domain.evidence.likelihood import Profile, profile, tau2_fit
from ldn.domain.evidence.meta_input import Floats, range_problems, scaled, validate_effects
from ldn.domain.evidence.meta_result import FitData, MetaResult, q_profile_tau2_ci

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
        _data=FitData(z, u, sc, fit.tau2, level, labels),
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
