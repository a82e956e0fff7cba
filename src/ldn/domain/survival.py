"""Kaplan-Meier estimates for the clinic outcomes, computed by ``lifelines``.

S(t) = prod over event times t_i <= t of (1 - d_i / n_i), with d_i events and n_i at risk at t_i
(Kaplan & Meier 1958). The pointwise 95% interval is lifelines' own: Greenwood's variance on the
log(-log) scale ("exponential Greenwood", Kalbfleisch & Prentice), so it stays inside 0..1.
lifelines is imported when a curve is computed (it brings pandas), never at import.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ldn.domain.errors import InputError
from ldn.domain.titration import ASSESS_WEEKS_FROM_START

__all__ = ["MILESTONE_D", "SMALL_WORDS", "KmCurve", "kaplan_meier"]

#: how a figure resting on few patients is labelled (the threshold is the clinic's setting)
SMALL_WORDS = "few patients: read with care"
#: the day a curve is read at in its sentence: the 12 weeks after which response is judged
MILESTONE_D = int(ASSESS_WEEKS_FROM_START.value) * 7


@dataclass(frozen=True, slots=True)
class KmCurve:
    """A Kaplan-Meier curve: S(t) at each time the estimate changes (t = 0 first)."""

    what: str
    event: str
    censoring: str
    n: int
    events: int
    times_d: tuple[float, ...]
    survival: tuple[float, ...]
    ci_low: tuple[float, ...]
    ci_high: tuple[float, ...]
    at_risk: tuple[int, ...]
    median_d: float | None
    small: bool

    def at(self, t_d: float) -> tuple[float, float, float]:
        """(S, low, high) at day ``t_d`` (a step function, continuous from the right)."""
        i = max(bisect_right(self.times_d, t_d) - 1, 0)
        return self.survival[i], self.ci_low[i], self.ci_high[i]

    def sentence(self) -> str:
        ev = self.event
        text = f"{self.what[:1].upper()}{self.what[1:]}: of {self.n} patient{'' if self.n == 1 else 's'}, {self.events} {ev}."
        if self.times_d[-1] >= MILESTONE_D:
            s, lo, hi = self.at(MILESTONE_D)
            text += (
                f" By day {MILESTONE_D} an estimated {100 * (1 - s):.0f}% had {ev} "
                f"(95% interval {100 * (1 - hi):.0f} to {100 * (1 - lo):.0f}%)."
            )
        else:
            text += f" Nobody has been followed to day {MILESTONE_D} yet."
        if self.median_d is not None:
            text += f" Half had {ev} by day {self.median_d:g}."
        else:
            text += f" Fewer than half have {ev} so far."
        text += f" Censoring: {self.censoring}."
        return (
            f"{text} ({SMALL_WORDS}: {self.n} patient{'' if self.n == 1 else 's'}.)"
            if self.small
            else text
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "event": self.event,
            "censoring": self.censoring,
            "n": self.n,
            "events": self.events,
            "censored": self.n - self.events,
            "median_d": self.median_d,
            "small": self.small,
            "method": "Kaplan-Meier (lifelines), 95% exponential Greenwood interval",
            "table": [
                {"t_d": t, "survival": s, "ci_low": lo, "ci_high": hi, "at_risk": r}
                for t, s, lo, hi, r in zip(
                    self.times_d,
                    self.survival,
                    self.ci_low,
                    self.ci_high,
                    self.at_risk,
                    strict=True,
                )
            ],
            "sentence": self.sentence(),
        }


def _clean(x: float, fallback: float) -> float:
    return fallback if math.isnan(x) else float(x)


def kaplan_meier(
    durations_d: Sequence[float],
    observed: Sequence[bool],
    *,
    what: str,
    event: str,
    censoring: str,
    small_n: int,
) -> KmCurve | None:
    """The Kaplan-Meier curve of ``durations_d`` (days; ``observed`` False = censored) by
    lifelines' ``KaplanMeierFitter``; None when there is nobody to follow."""
    if len(durations_d) != len(observed):
        raise InputError.at("observed", "one event flag per duration", "pass two equal lists")
    if not durations_d:
        return None
    if min(durations_d) < 0:
        raise InputError.at("durations_d", "a negative duration", "durations count from day 0")
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter().fit(list(durations_d), event_observed=[bool(o) for o in observed])
    sf = kmf.survival_function_.iloc[:, 0]
    ci = kmf.confidence_interval_
    table = kmf.event_table
    times = tuple(float(t) for t in sf.index)
    surv = tuple(float(s) for s in sf.to_numpy())
    low = tuple(_clean(v, s) for v, s in zip(ci.iloc[:, 0].to_numpy(), surv, strict=True))
    high = tuple(_clean(v, s) for v, s in zip(ci.iloc[:, 1].to_numpy(), surv, strict=True))
    at_risk = tuple(int(table.loc[t, "at_risk"]) for t in sf.index)
    median = float(kmf.median_survival_time_)
    return KmCurve(
        what,
        event,
        censoring,
        len(durations_d),
        int(sum(bool(o) for o in observed)),
        times,
        surv,
        low,
        high,
        at_risk,
        None if math.isinf(median) else median,
        len(durations_d) < small_n,
    )
