"""A blinded trial's diary as the analysis reads it: the analysed days of every period (run-in
days excluded) as arrays, and the Bayesian analysis of them (:mod:`ldn.domain.nof1.analysis`)."""

from __future__ import annotations

from datetime import date

import numpy as np

from ldn.domain.diary import DiaryEntry
from ldn.domain.errors import InputError
from ldn.domain.nof1.analysis import Nof1Result, analyse_series
from ldn.domain.nof1.blinding import Allocation
from ldn.domain.nof1.design import TrialDesign
from ldn.domain.nof1.prior import NormalPrior

__all__ = ["analyse_design", "design_series"]


def analyse_design(
    diary: list[DiaryEntry], design: TrialDesign, allocation: Allocation, *, prior: NormalPrior
) -> Nof1Result:
    """The Bayesian analysis of the analysed days of every period (run-in days excluded)."""
    t, y, x, per = design_series(diary, design, allocation)
    return analyse_series(t, y, x, per, prior=prior)


def design_series(
    diary: list[DiaryEntry], design: TrialDesign, allocation: Allocation
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The analysed days of every period (run-in days excluded) as arrays: trial day, pain
    (NRS), on LDN (1.0) or placebo (0.0), period index; too few days is an InputError."""
    by_date = {e.date: e for e in diary}
    t, y, x, per = [], [], [], []
    for p in design.periods:
        d = p.analysed_from
        while d <= p.end:
            e = by_date.get(d)
            if e is not None:
                t.append((d - design.start).days)
                y.append(e.pain_avg)
                x.append(1.0 if p.bottle == allocation.ldn_bottle else 0.0)
                per.append(p.index)
            d = date.fromordinal(d.toordinal() + 1)
    if len(y) < 8 or len(set(x)) < 2:
        raise InputError.at(
            "diary",
            f"too few analysed diary days on both bottles ({len(y)})",
            "log the diary through the trial periods before analysing",
        )
    return np.array(t), np.array(y), np.array(x), np.array(per)
