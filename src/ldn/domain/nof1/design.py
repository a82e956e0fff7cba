"""N-of-1 trial design: k cycles of paired periods (LDN, placebo), order randomized in each pair.

Defaults and why:
* 3 cycles — the common minimum in N-of-1 practice (CENT 2015 reporting guidance; AHRQ user's
  guide, Kravitz & Duan 2014); fewer than 2 cycles is refused (no replication).
* 28-day periods with the first 14 days of each period discarded from the analysis: LDN's
  clinical onset is slow (trials judged it after 8-12 weeks at dose; Younger 2009 saw effects
  build over 8 weeks), while pharmacological carry-over is short (6-beta-naltrexol t1/2 13 h, so
  under 3 days). A 14-day run-in per period covers onset and carry-over; the last 14 days are
  analysed. This is an ldn design choice built on those sources, not a validated protocol.
* Total: 3 x 2 x 28 = 168 days (24 weeks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from ldn.domain.errors import InputError
from ldn.domain.facts import Fact

__all__ = ["Period", "TrialDesign", "design_trial"]

DEFAULT_CYCLES = Fact(
    3, unit="cycles", sources=("vohra-2015", "kravitz-2014"), note="Paired periods LDN/placebo."
)
MIN_CYCLES = Fact(
    2,
    unit="cycles",
    sources=("kravitz-2014", "ldn-assumption"),
    note="At least two cycles for replication.",
)
DEFAULT_PERIOD_DAYS = Fact(
    28,
    unit="d",
    sources=("younger-2009", "ldn-assumption"),
    note="Slow onset of LDN; 4-week periods.",
)
DEFAULT_RUN_IN_DAYS = Fact(
    14,
    unit="d",
    sources=("openfda-naltrexone-label-2023", "younger-2009", "ldn-assumption"),
    note="Discarded at the start of each period: onset and carry-over (6BN t1/2 13 h).",
)


@dataclass(frozen=True, slots=True)
class Period:
    index: int
    cycle: int
    bottle: str
    start: date
    end: date
    analysed_from: date


@dataclass(frozen=True, slots=True)
class TrialDesign:
    start: date
    cycles: int
    period_days: int
    run_in_days: int
    periods: tuple[Period, ...]

    @property
    def end(self) -> date:
        return self.periods[-1].end

    def public_dict(self) -> dict[str, Any]:
        """What patient and clinician may see: bottles and dates, never the contents."""
        return {
            "start": self.start.isoformat(),
            "cycles": self.cycles,
            "period_days": self.period_days,
            "run_in_days": self.run_in_days,
            "periods": [
                {
                    "index": p.index,
                    "cycle": p.cycle,
                    "bottle": p.bottle,
                    "start": p.start.isoformat(),
                    "end": p.end.isoformat(),
                    "analysed_from": p.analysed_from.isoformat(),
                }
                for p in self.periods
            ],
        }

    @classmethod
    def from_public(cls, d: dict[str, Any]) -> TrialDesign:
        periods = tuple(
            Period(
                p["index"],
                p["cycle"],
                p["bottle"],
                date.fromisoformat(p["start"]),
                date.fromisoformat(p["end"]),
                date.fromisoformat(p["analysed_from"]),
            )
            for p in d["periods"]
        )
        return cls(
            date.fromisoformat(d["start"]),
            int(d["cycles"]),
            int(d["period_days"]),
            int(d["run_in_days"]),
            periods,
        )


def design_trial(
    *,
    start: date,
    seed: int,
    cycles: int = DEFAULT_CYCLES.value,
    period_days: int = DEFAULT_PERIOD_DAYS.value,
    run_in_days: int = DEFAULT_RUN_IN_DAYS.value,
) -> tuple[TrialDesign, tuple[str, ...]]:
    """The public design and the secret per-period bottle order. Bottle A and B are the two
    preparations; within each cycle one period gets A and the other B, in random order."""
    if cycles < MIN_CYCLES.value:
        raise InputError.at(
            "--cycles",
            f"{cycles} cycle(s) cannot show a replicated effect",
            f"use at least {MIN_CYCLES.value} cycles",
        )
    if not 7 <= period_days <= 120:
        raise InputError.at("--period-days", f"{period_days} days is outside 7-120", "use e.g. 28")
    if not 0 <= run_in_days < period_days - 3:
        raise InputError.at(
            "--run-in-days",
            "the run-in must leave at least 4 analysed days per period",
            f"use fewer than {period_days - 3}",
        )
    rng = np.random.default_rng(seed)
    order: list[str] = []
    for _ in range(cycles):
        order += ["A", "B"] if rng.random() < 0.5 else ["B", "A"]
    periods = []
    for i, bottle in enumerate(order):
        s = start + timedelta(days=i * period_days)
        periods.append(
            Period(
                i + 1,
                i // 2 + 1,
                bottle,
                s,
                s + timedelta(days=period_days - 1),
                s + timedelta(days=run_in_days),
            )
        )
    return TrialDesign(start, cycles, period_days, run_in_days, tuple(periods)), tuple(order)
