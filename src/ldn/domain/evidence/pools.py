"""Pools of like with like, one interval method per pool, and the sensitivity pools.

One outcome, one condition and one comparator per pool (:func:`ldn.domain.evidence.dataset.poolable`).
The interval method is fixed by k and stated with every result, so the headline, the table and the
forest plot show the same interval:

* k = 1 — the trial shown as one trial: its own estimate and 95 % Wald interval, no pooling;
* k = 2 — REML random effects with the Wald (normal) interval (HKSJ with 1 df is uninformative);
* k >= 3 — REML random effects with the Hartung-Knapp-Sidik-Jonkman interval (t, k-1 df).

Sensitivity pools for a condition and outcome: parallel trials only, low risk of bias only,
4.5 mg only, other doses only, the crossover correlation at 0.3 and 0.7, and leave-one-out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ldn.domain.evidence.dataset import DataSet, Extraction, poolable
from ldn.domain.evidence.effect_sizes import CROSSOVER_CORRELATION
from ldn.domain.evidence.meta import MetaResult, fixed_effect, meta_analysis
from ldn.domain.evidence.rob import judgement

__all__ = ["CORRELATION_RANGE", "Sensitivity", "interval_method", "pool", "sensitivity_pools"]

CORRELATION_RANGE = (0.3, 0.5, 0.7)
Row = tuple[Extraction, float, float]


def interval_method(k: int) -> str:
    if k == 1:
        return "single trial, not pooled (its own 95% Wald interval)"
    if k == 2:
        return "REML random effects, 95% Wald interval"
    return "REML random effects, 95% Hartung-Knapp (HKSJ) interval, t with k-1 df"


def pool(rows: Sequence[Row], *, method: str = "REML") -> MetaResult | None:
    """The pooled (or single-trial) result with the interval method of :func:`interval_method`."""
    if not rows:
        return None
    labels = [e.id for e, _, _ in rows]
    y, v = [y for _, y, _ in rows], [v for _, _, v in rows]
    if len(rows) == 1:
        return fixed_effect(y, v, labels=labels)
    return meta_analysis(y, v, method=method, hksj=len(rows) >= 3, labels=labels)


@dataclass(frozen=True, slots=True)
class Sensitivity:
    label: str
    k: int
    result: MetaResult | None

    def as_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "analysis": self.label,
            "k": self.k,
            "estimate": None if r is None else r.estimate,
            "ci_low": None if r is None else r.ci_low,
            "ci_high": None if r is None else r.ci_high,
            "interval": interval_method(self.k) if self.k else None,
        }

    def text(self) -> str:
        r = self.result
        if r is None:
            return f"{self.label}: no trial"
        return f"{self.label}: k = {self.k}, {r.estimate:.2f} ({r.ci_low:.2f} to {r.ci_high:.2f})"


def _low_rob(e: Extraction) -> bool:
    j = judgement(e.id, e.row["outcome"])
    return j is not None and j.overall == "low"


def sensitivity_pools(
    condition: str,
    outcome: str = "pain_intensity",
    *,
    data: DataSet | None = None,
    method: str = "REML",
) -> list[Sensitivity]:
    """The pre-stated sensitivity analyses for one condition and outcome."""
    base = poolable(condition, outcome=outcome, data=data)
    filters: list[tuple[str, Callable[[Extraction], bool]]] = [
        ("parallel trials only", lambda e: e.study.design == "parallel"),
        ("low risk of bias only", _low_rob),
        ("4.5 mg only", lambda e: e.study.dose_mg == "4.5"),
        ("doses other than 4.5 mg", lambda e: e.study.dose_mg != "4.5"),
    ]
    out = []
    for label, keep in filters:
        rows = [row for row in base if keep(row[0])]
        out.append(Sensitivity(label, len(rows), pool(rows, method=method)))
    if any(e.study.design == "crossover" for e, _, _ in base):
        for r in CORRELATION_RANGE:
            if r != CROSSOVER_CORRELATION.value:
                rows = poolable(condition, outcome=outcome, data=data, r=r)
                out.append(
                    Sensitivity(
                        f"crossover correlation r = {r}", len(rows), pool(rows, method=method)
                    )
                )
    if len(base) >= 2:
        for i, (e, _, _) in enumerate(base):
            rows = [row for j, row in enumerate(base) if j != i]
            out.append(Sensitivity(f"without {e.id}", len(rows), pool(rows, method=method)))
    return out
