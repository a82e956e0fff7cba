"""A series of N-of-1 trials pooled into a clinic's own population estimate, with the evidence
engine's random-effects model (each patient's posterior mean and SD as effect and SE)."""

from __future__ import annotations

from collections.abc import Sequence

from ldn.domain.evidence.meta import MetaResult, meta_analysis
from ldn.domain.nof1.analysis import Nof1Result

__all__ = ["pool_trials"]


def pool_trials(
    results: Sequence[Nof1Result], labels: Sequence[str], *, method: str = "REML"
) -> MetaResult:
    return meta_analysis(
        [r.delta_mean for r in results],
        [r.delta_sd**2 for r in results],
        method=method,
        hksj=len(results) >= 3,
        labels=labels,
    )
