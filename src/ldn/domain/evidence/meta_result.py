"""The result of a meta-analysis (:mod:`ldn.domain.evidence.meta`) and its lazy outputs.

Lazy outputs: the tau^2 confidence interval (two root-findings) and the per-study weights and
labels are computed when first read (or shown: ``as_dict``), not by every fit. The tau^2
confidence interval is the Q-profile one (Viechtbauer 2007): Q_gen(tau^2) equal to the upper
and lower chi^2_{k-1} quantiles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from scipy import special

from ldn.domain.evidence.likelihood import solve_q_gen
from ldn.domain.evidence.meta_input import scaled

__all__ = ["FitData", "MetaResult", "q_profile_tau2_ci"]


@dataclass(frozen=True, eq=False)
class FitData:
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
    _data: FitData | None = field(default=None, repr=False, compare=False)

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
