"""Leave-one-out, cumulative meta-analysis, subgroup analysis with the between-group test, and
Egger's regression test for funnel-plot asymmetry (Egger et al. 1997: regress y/se on 1/se; the
intercept measures asymmetry; t-test with k-2 df).

Leave-one-out keeps only the few numbers it reports per study (loo.py computes all k fits at
once in O(k) memory): 10,000 studies take well under a second."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from ldn.domain.errors import InputError
from ldn.domain.evidence.loo import loo_fits
from ldn.domain.evidence.meta import (
    METHODS,
    Floats,
    MetaResult,
    fixed_effect,
    meta_analysis,
    scaled,
    validate_effects,
)

__all__ = [
    "EggerResult",
    "LeaveOneOut",
    "SubgroupResult",
    "cumulative",
    "egger_test",
    "leave_one_out",
    "subgroups",
]


@dataclass(frozen=True, slots=True)
class LeaveOneOut:
    """The pool without one study: its label, estimate, CI and tau^2."""

    label: str
    estimate: float
    ci_low: float
    ci_high: float
    tau2: float
    converged: bool = True


def leave_one_out(
    yi: Floats,
    vi: Floats,
    labels: Sequence[str],
    *,
    method: str = "REML",
    hksj: bool = False,
    level: float = 0.95,
) -> list[LeaveOneOut]:
    """The k pools without one study each (the same estimator, CI and HKSJ as the full pool)."""

    method = method.upper()
    if method not in METHODS:
        raise InputError.at(
            "--method", f"unknown method {method!r}", f"use one of: {', '.join(METHODS)}"
        )
    y, v = validate_effects(yi, vi, labels=labels, min_k=3 if method != "FE" else 2)
    k = len(y)
    z, u, c, s = scaled(y, v)
    f = loo_fits(z, u, method)
    se = s / np.sqrt(f.s)
    if hksj:
        se = se * np.sqrt(np.maximum(f.q, 0.0) / (k - 2))
        crit = float(special.stdtrit(k - 2, (1 + level) / 2))
    else:
        crit = float(special.ndtri((1 + level) / 2))
    est = c + s * f.mu
    return [
        LeaveOneOut(
            str(labels[i]),
            float(est[i]),
            float(est[i] - crit * se[i]),
            float(est[i] + crit * se[i]),
            float(f.tau2[i]) * s**2,
            bool(f.converged[i]),
        )
        for i in range(k)
    ]


def cumulative(
    yi: Sequence[float],
    vi: Sequence[float],
    labels: Sequence[str],
    years: Sequence[int],
    *,
    method: str = "REML",
) -> list[tuple[str, MetaResult]]:
    """Pool the studies in order of publication year, adding one at a time (first pool: 2 studies)."""
    order = np.argsort(np.asarray(years), kind="stable")
    y, v = (np.asarray(yi)[order], np.asarray(vi)[order])
    names = [labels[i] for i in order]
    start = 1 if method == "FE" else 2
    return [
        (names[n - 1], meta_analysis(y[:n], v[:n], method=method, labels=names[:n]))
        for n in range(start, len(y) + 1)
    ]


@dataclass(frozen=True, slots=True)
class SubgroupResult:
    groups: dict[str, MetaResult]
    q_between: float
    df: int
    p_between: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "groups": {k: v.as_dict() for k, v in self.groups.items()},
            "q_between": self.q_between,
            "df": self.df,
            "p_between": self.p_between,
        }


def subgroups(
    yi: Floats, vi: Floats, groups: Sequence[str], *, method: str = "REML"
) -> SubgroupResult:
    """Separate pools per group and the test of differences between them (Q_between on the
    group estimates with their SEs, chi^2 with G-1 df — the 'separate tau^2' approach)."""
    from scipy import stats  # imported when used: it costs the CLI ~1 s

    y, v = validate_effects(yi, vi)
    res: dict[str, MetaResult] = {}
    for g in sorted(set(groups)):
        idx = [i for i, x in enumerate(groups) if x == g]
        res[g] = (
            meta_analysis(y[idx], v[idx], method=method)
            if len(idx) > 1
            else fixed_effect(y[idx], v[idx])
        )
    if len(res) < 2:
        raise InputError.at(
            "groups",
            "subgroup analysis needs at least two groups",
            "add a grouping with two or more values",
        )
    est = np.array([r.estimate for r in res.values()])
    var = np.array([r.se**2 for r in res.values()])
    w = 1 / var
    mu = np.sum(w * est) / np.sum(w)
    qb = float(np.sum(w * (est - mu) ** 2))
    df = len(res) - 1
    return SubgroupResult(res, qb, df, float(stats.chi2.sf(qb, df)))


@dataclass(frozen=True, slots=True)
class EggerResult:
    intercept: float
    se: float
    t: float
    p: float
    k: int


def egger_test(yi: Floats, vi: Floats) -> EggerResult:
    from scipy import stats  # imported when used: it costs the CLI ~1 s

    y, v = validate_effects(yi, vi, min_k=3)
    se = np.sqrt(v)
    x = 1 / se
    z = y / se
    res = stats.linregress(x, z)
    k = len(y)
    t = res.intercept / res.intercept_stderr
    return EggerResult(
        float(res.intercept),
        float(res.intercept_stderr),
        float(t),
        float(2 * stats.t.sf(abs(t), k - 2)),
        k,
    )
