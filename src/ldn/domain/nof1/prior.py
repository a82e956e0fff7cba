"""Priors on delta (LDN minus placebo, NRS points; negative = less pain on LDN)."""

from __future__ import annotations

from dataclasses import dataclass

from ldn.domain.facts import Fact

__all__ = ["NormalPrior", "evidence_prior", "sceptical_prior"]

SCEPTICAL_SD_NRS = Fact(
    1.0,
    unit="NRS points",
    sources=("ldn-assumption", "dworkin-2008"),
    note="Sceptical default N(0, 1): centred on no effect; effects beyond 2 points (IMMPACT 'moderate') a priori unlikely.",
)
MCID_NRS = Fact(
    1.0,
    unit="NRS points",
    sources=("dworkin-2008", "ldn-assumption"),
    note="Smallest change worth having: IMMPACT 'minimally important' is a 10-20 % decrease, about 1 point at a baseline of 5-7.",
)


@dataclass(frozen=True, slots=True)
class NormalPrior:
    mean: float
    sd: float
    label: str
    source_ids: tuple[str, ...]


def sceptical_prior() -> NormalPrior:
    return NormalPrior(0.0, SCEPTICAL_SD_NRS.value, "sceptical N(0, 1)", SCEPTICAL_SD_NRS.sources)


def evidence_prior(condition: str) -> NormalPrior:
    """The evidence engine's predictive distribution for a new trial in ``condition``."""
    from ldn.domain.evidence.prior import population_prior

    p = population_prior(condition)
    return NormalPrior(
        p.mean_nrs,
        p.sd_nrs,
        f"evidence ({condition}, k = {p.k}): N({p.mean_nrs:.2f}, {p.sd_nrs:.2f})",
        p.source_ids,
    )
