"""The population prior for a personal (N-of-1) trial: the Bayesian predictive distribution of a
new study's LDN-minus-placebo effect, in points on a 0-10 pain NRS (negative = less pain)."""

from __future__ import annotations

from dataclasses import dataclass

from ldn.domain.errors import InputError
from ldn.domain.evidence.answer import CONDITIONS, NRS_SD_POINTS, answer

__all__ = ["PopulationPrior", "population_prior"]


@dataclass(frozen=True, slots=True)
class PopulationPrior:
    mean_nrs: float
    sd_nrs: float
    condition: str
    k: int
    description: str
    source_ids: tuple[str, ...]


def population_prior(condition: str) -> PopulationPrior:
    """Normal approximation of the predictive distribution for ``condition`` (or ``any``)."""
    if condition not in CONDITIONS:
        raise InputError.at(
            "--condition",
            f"no evidence prior for {condition!r}",
            f"use one of: {', '.join(CONDITIONS)}",
        )
    ans = answer(condition)
    if ans.bayes is None:
        raise InputError.at(
            "--condition",
            f"no poolable trials for {condition!r}",
            "use --prior sceptical or --condition any",
        )
    s = NRS_SD_POINTS.value
    b = ans.bayes
    return PopulationPrior(
        b.predictive_mean * s,
        b.predictive_sd * s,
        condition,
        ans.k,
        f"predictive distribution of a new trial's effect, {ans.k} trial(s), SMD x {s} NRS points",
        (*ans.source_ids, *NRS_SD_POINTS.sources),
    )
