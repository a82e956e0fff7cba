"""Charts for the diary and N-of-1 trials: pain over time with dose steps, rolling mean and
IMMPACT thresholds; trial pain by period with the posterior of the LDN effect."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from ldn.domain.diary import DiaryEntry
from ldn.domain.nof1.analysis import Nof1Result
from ldn.domain.nof1.blinding import Allocation
from ldn.domain.nof1.design import TrialDesign
from ldn.domain.response import ResponseReport

__all__ = ["MAX_GAP_D", "break_gaps", "full_window_mean", "plot_response", "plot_trial"]


#: a gap longer than this (days without a diary entry) breaks the lines of a chart
MAX_GAP_D = 3


def full_window_mean(days: np.ndarray, values: np.ndarray, *, window_d: int = 7) -> np.ndarray:
    """The mean over the ``window_d`` calendar days ending on each day, NaN unless every one of
    those days has an entry (no mean drawn across a gap or at the start of the diary)."""
    out = np.full(len(days), np.nan)
    by_day = dict(zip(days.astype(int).tolist(), values.tolist(), strict=True))
    for i, d in enumerate(days.astype(int)):
        window = [by_day.get(int(d) - k) for k in range(window_d)]
        if all(v is not None for v in window):
            out[i] = float(np.mean(np.asarray(window, dtype=float)))
    return out


def break_gaps(
    days: np.ndarray, *series: np.ndarray, max_gap_d: int = MAX_GAP_D
) -> tuple[np.ndarray, ...]:
    """Insert a NaN point wherever consecutive days are more than ``max_gap_d`` apart, so that a
    line is not drawn across the gap (matplotlib breaks a line at NaN)."""
    cuts = np.nonzero(np.diff(days) > max_gap_d)[0] + 1
    if len(cuts) == 0:
        return (days, *series)
    out_days = np.insert(days.astype(float), cuts, days[cuts - 1] + 1)
    return (out_days, *(np.insert(s.astype(float), cuts, np.nan) for s in series))


def plot_response(entries: list[DiaryEntry], report: ResponseReport, path: Path) -> str:
    days = np.array([e.date.toordinal() for e in entries], dtype=float)
    pain = np.array([e.pain_avg for e in entries])
    dose = np.array([e.dose_mg or 0.0 for e in entries])
    fig, ax = plt.subplots(figsize=(9, 4.2))
    ax.plot(days, pain, ".", color="#9bb7d4", ms=4, label="daily average pain")
    roll = full_window_mean(days, pain)
    line_days, roll_line, dose_line = break_gaps(days, roll, dose)
    ax.plot(line_days, roll_line, color="#1f5f99", lw=2, label="7-day mean (full weeks only)")
    b = report.baseline_pain
    for frac, name, style in (
        (0.7, "30% lower (moderate)", "--"),
        (0.5, "50% lower (substantial)", ":"),
    ):
        ax.axhline(b * frac, color="#a0522d", lw=1, ls=style, label=name)
    ax.axhline(b, color="#555", lw=1, label=f"baseline {b:.1f}")
    ax2 = ax.twinx()
    ax2.step(line_days, dose_line, where="post", color="#6a8f3a", lw=1.2)
    ax2.set_ylabel("LDN dose (mg)", color="#6a8f3a")
    ax2.set_ylim(0, max(6.0, float(dose.max()) * 1.5))
    ticks = days[:: max(1, len(days) // 8)]
    ax.set_xticks(
        ticks,
        [str(entries[int(i)].date) for i in range(0, len(entries), max(1, len(days) // 8))][
            : len(ticks)
        ],
        rotation=30,
        fontsize=8,
    )
    ax.set_ylim(0, 10)
    ax.set_ylabel("pain (0-10)")
    ax.legend(loc="lower left", fontsize=7, frameon=False)
    ax.set_title("Pain diary with LDN dose steps and IMMPACT thresholds", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return report.summary()


def plot_trial(
    entries: list[DiaryEntry],
    design: TrialDesign,
    allocation: Allocation,
    result: Nof1Result,
    path: Path,
) -> str:
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), width_ratios=[2.2, 1])
    by_date = {e.date: e.pain_avg for e in entries}
    for p in design.periods:
        on = p.bottle == allocation.ldn_bottle
        colour = "#1f5f99" if on else "#aaaaaa"
        x0 = (p.start - design.start).days
        ax1.axvspan(x0, x0 + design.period_days, color=colour, alpha=0.08)
        pts = [((d - design.start).days, v) for d, v in by_date.items() if p.start <= d <= p.end]
        if pts:
            xs, ys = zip(*pts, strict=True)
            ax1.plot(xs, ys, ".", color=colour, ms=3)
            ana = [v for d, v in by_date.items() if p.analysed_from <= d <= p.end]
            if ana:
                ax1.hlines(
                    np.mean(ana),
                    (p.analysed_from - design.start).days,
                    x0 + design.period_days,
                    color=colour,
                    lw=2.5,
                )
        ax1.text(x0 + 1, 9.6, f"{p.bottle}: {'LDN' if on else 'placebo'}", fontsize=7, color=colour)
    ax1.set_ylim(0, 10)
    ax1.set_xlabel("trial day (bars: mean of analysed days)")
    ax1.set_ylabel("pain (0-10)")
    grid = np.linspace(min(-4.0, result.delta_ci_low - 1), max(2.0, result.delta_ci_high + 1), 400)
    ax2.plot(
        grid,
        stats.norm.pdf(grid, result.prior.mean, result.prior.sd),
        color="#999",
        ls="--",
        label="prior",
    )
    ax2.plot(
        grid,
        stats.norm.pdf(grid, result.delta_mean, result.delta_sd),
        color="#1f5f99",
        label="posterior",
    )
    ax2.axvline(0, color="#555", lw=0.8)
    ax2.axvline(
        -result.mcid_nrs,
        color="#a0522d",
        lw=0.8,
        ls=":",
        label=f"-{result.mcid_nrs:g} (worth having)",
    )
    ax2.set_xlabel("LDN minus placebo (pain points)")
    ax2.legend(fontsize=7, frameon=False)
    ax2.set_title(f"P(LDN helps) = {result.p_benefit:.0%}", fontsize=10)
    head = result.conclusion.split(" Caution:")[0]  # warnings go in the text, not the figure title
    fig.suptitle(textwrap.fill(head, width=140), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return result.conclusion
