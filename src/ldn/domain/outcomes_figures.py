"""The figures of the clinic outcomes report (:mod:`ldn.domain.outcomes`): proportions of
patients with a Wilson score 95% interval (Wilson 1927; statsmodels ``proportion_confint``,
``method="wilson"``), each side effect's rate beside the trials' and the dose reached, each in
the words people read. A figure resting on fewer patients than the clinic's ``small_n`` setting
says so (:data:`ldn.domain.survival.SMALL_WORDS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ldn.domain.errors import InputError
from ldn.domain.survival import SMALL_WORDS

__all__ = [
    "DoseReached",
    "Proportion",
    "SideEffectRate",
    "patients",
    "proportion",
    "wilson_interval",
]


def wilson_interval(k: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for k events in n (statsmodels ``proportion_confint``)."""
    from statsmodels.stats.proportion import proportion_confint

    if n <= 0 or not 0 <= k <= n:
        raise InputError.at("n", f"{k} of {n} is not a proportion", "count 0 <= k <= n, n > 0")
    low, high = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    # exact ends at 0 and n (floating point leaves 5e-17 below a share of 0)
    return (0.0 if k == 0 else min(float(low), k / n)), (1.0 if k == n else max(float(high), k / n))


def patients(n: int) -> str:
    """'1 patient', '3 patients'."""
    return f"{n} patient{'' if n == 1 else 's'}"


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


@dataclass(frozen=True, slots=True)
class Proportion:
    """k of n patients, with the Wilson 95% interval (None when n is 0)."""

    k: int
    n: int
    low: float | None
    high: float | None
    small: bool

    @property
    def share(self) -> float | None:
        return self.k / self.n if self.n else None

    def sentence(self, what: str) -> str:
        """'7 of 12 patients (58%; 95% interval 32 to 81%) <what>.' with the small flag."""
        if self.n == 0 or self.low is None or self.high is None:
            return f"No patient counted here yet, so no estimate of how many {what}."
        text = (
            f"{self.k} of {patients(self.n)} ({_pct(self.k / self.n)}; "
            f"95% interval {_pct(self.low)} to {_pct(self.high)}) {what}."
        )
        return f"{text} ({SMALL_WORDS}: {patients(self.n)}.)" if self.small else text

    def as_dict(self, what: str = "") -> dict[str, Any]:
        return {
            "k": self.k,
            "n": self.n,
            "share": self.share,
            "ci_low": self.low,
            "ci_high": self.high,
            "small": self.small,
            "method": "Wilson score 95%",
            **({"sentence": self.sentence(what)} if what else {}),
        }


def proportion(k: int, n: int, *, small_n: int) -> Proportion:
    low, high = wilson_interval(k, n) if n else (None, None)
    return Proportion(k, n, low, high, n < small_n)


@dataclass(frozen=True, slots=True)
class SideEffectRate:
    effect: str
    patients: Proportion
    in_trials: str
    source_ids: tuple[str, ...]

    def sentence(self) -> str:
        return self.patients.sentence(
            f"reported {self.effect.replace('_', ' ')} at least once on LDN"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "effect": self.effect,
            **self.patients.as_dict(),
            "sentence": self.sentence(),
            "in_trials": self.in_trials,
            "source_ids": list(self.source_ids),
        }


@dataclass(frozen=True, slots=True)
class DoseReached:
    n: int
    median_mg: float | None
    counts: tuple[tuple[float, int], ...]
    small: bool

    def sentence(self) -> str:
        if not self.n:
            return "No patient has a dose recorded yet."
        parts = ", ".join(f"{mg:g} mg for {c}" for mg, c in sorted(self.counts, reverse=True))
        text = (
            f"Highest dose reached so far, of the {patients(self.n)} who started with a dose "
            f"recorded: {parts} (median {self.median_mg:g} mg)."
        )
        return f"{text} ({SMALL_WORDS}.)" if self.small else text

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "median_mg": self.median_mg,
            "small": self.small,
            "counts": [{"dose_mg": mg, "patients": c} for mg, c in self.counts],
            "sentence": self.sentence(),
        }
