"""Response assessment: baseline vs treatment window, against published thresholds.

Pain: percent reduction of mean average-pain NRS, IMMPACT categories (>= 30 % moderate, >= 50 %
substantial; Dworkin 2008). Migraine: headache days per 28 days, >= 50 % reduction = responder
(trial convention, secondary source). PGIC: 'much improved' or better counts. Side-effect
burden: share of diary days with each side effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from ldn.domain.diary import DiaryEntry, missing_days
from ldn.domain.errors import InputError
from ldn.domain.facts import Fact
from ldn.domain.instruments.nrs import immpact_category
from ldn.domain.instruments.pgic import LABELS as PGIC_LABELS
from ldn.domain.instruments.pgic import PGIC_MEANINGFUL_MAX

__all__ = ["ResponseReport", "assess_response"]

MIGRAINE_RESPONDER_PCT = Fact(
    50.0,
    unit="% reduction in monthly migraine/headache days",
    sources=("ichd3-2018", "diener-2020"),
    note="Responder definition used in migraine prevention trials (IHS trial guidelines; wording not re-checked).",
)
DAYS_PER_MONTH_MIGRAINE = Fact(
    28,
    unit="d",
    sources=("ldn-assumption",),
    note="Monthly migraine days counted per 28 days (one convention, stated).",
)
MIN_WINDOW_DAYS = 7


@dataclass(frozen=True, slots=True)
class ResponseReport:
    baseline: tuple[date, date]
    treatment: tuple[date, date]
    baseline_pain: float
    treatment_pain: float
    reduction_percent: float | None
    immpact: str
    headache_days_baseline_per_28: float
    headache_days_treatment_per_28: float
    migraine_responder: bool | None
    pgic: str | None
    pgic_meaningful: bool | None
    side_effect_share: dict[str, float]
    missing_days: int
    days_logged: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "baseline": [d.isoformat() for d in self.baseline],
            "treatment": [d.isoformat() for d in self.treatment],
            "baseline_pain_nrs": self.baseline_pain,
            "treatment_pain_nrs": self.treatment_pain,
            "reduction_percent": self.reduction_percent,
            "immpact_category": self.immpact,
            "headache_days_per_28_baseline": self.headache_days_baseline_per_28,
            "headache_days_per_28_treatment": self.headache_days_treatment_per_28,
            "migraine_responder": self.migraine_responder,
            "pgic": self.pgic,
            "pgic_meaningful": self.pgic_meaningful,
            "side_effect_share": self.side_effect_share,
            "missing_days": self.missing_days,
            "days_logged": self.days_logged,
            "source_ids": ["dworkin-2008", *MIGRAINE_RESPONDER_PCT.sources],
        }

    def summary(self) -> str:
        if self.reduction_percent is None:
            return "Baseline pain was 0; a percent change cannot be computed."
        verdict = {
            "substantial": "a substantial",
            "moderate": "a moderate",
            "minimal": "a minimal",
            "none": "no meaningful",
        }[self.immpact]
        return (
            f"Average pain went from {self.baseline_pain:.1f} to {self.treatment_pain:.1f} out of 10 "
            f"({self.reduction_percent:.0f}% lower): {verdict} improvement by the IMMPACT thresholds."
        )


def _window(entries: list[DiaryEntry], start: date, end: date) -> list[DiaryEntry]:
    return [e for e in entries if start <= e.date <= end]


def assess_response(
    entries: list[DiaryEntry],
    *,
    baseline_days: int = 14,
    first_dose: date | None = None,
    assessment_from: date | None = None,
) -> ResponseReport:
    """Baseline = the ``baseline_days`` before the first dose (first dose = first day with a dose
    logged, unless given); treatment = from ``assessment_from`` (default: the last 28 days)."""
    first = first_dose or next((e.date for e in entries if e.dose_mg), None)
    if first is None:
        raise InputError.at(
            "dose_mg",
            "no dose logged in the diary",
            "log dose_mg from the first LDN day, or pass --first-dose",
        )
    base = _window(entries, first - timedelta(days=baseline_days), first - timedelta(days=1))
    last = entries[-1].date
    t_start = assessment_from or max(first, last - timedelta(days=27))
    treat = _window(entries, t_start, last)
    if len(base) < MIN_WINDOW_DAYS or len(treat) < MIN_WINDOW_DAYS:
        raise InputError.at(
            "diary",
            f"too few days to judge (baseline {len(base)}, treatment {len(treat)}; need {MIN_WINDOW_DAYS} each)",
            "log at least a week before starting and a week in the assessment window",
        )
    b = float(np.mean([e.pain_avg for e in base]))
    t = float(np.mean([e.pain_avg for e in treat]))
    pct = None if b == 0 else (b - t) / b * 100
    per = DAYS_PER_MONTH_MIGRAINE.value
    hb = sum(e.headache_day for e in base) / len(base) * per
    ht = sum(e.headache_day for e in treat) / len(treat) * per
    responder = None if hb == 0 else (hb - ht) / hb * 100 >= MIGRAINE_RESPONDER_PCT.value
    pg = next((e.pgic for e in reversed(treat) if e.pgic), None)
    on = [e for e in entries if e.date >= first]
    effects = sorted({s for e in on for s in e.side_effects})
    share: dict[str, float] = {
        str(s): sum(s in e.side_effects for e in on) / len(on) for s in effects
    }
    return ResponseReport(
        (base[0].date, base[-1].date),
        (treat[0].date, treat[-1].date),
        b,
        t,
        pct,
        immpact_category(pct),
        hb,
        ht,
        responder,
        PGIC_LABELS[pg] if pg else None,
        (pg <= PGIC_MEANINGFUL_MAX.value) if pg else None,
        share,
        len(missing_days(entries)),
        len(entries),
    )
