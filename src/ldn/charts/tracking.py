"""Charts for the diary and N-of-1 trials: pain over time with dose steps, rolling mean and
IMMPACT thresholds; trial pain by period with the posterior of the LDN effect.

Drawn for a phone first: a narrow figure (:data:`FIGURE_WIDTH_IN`) whose smallest text is
:data:`MIN_FONT_PT`, so that scaled to the width of a 390 px screen (about 324 px once the page's
margins are taken) no text is smaller than 11 px; the same figure is shown at most 40 rem wide on
a desk. An SVG keeps its text as text (searchable, read by the browser's font) and is written
with ``width="100%"`` and its ``viewBox``, so the page sizes it to the screen.

The lines do not mislead: no line is drawn across a gap of more than :data:`MAX_GAP_D` days
without an entry, and the moving mean is drawn only where its whole window was logged.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from scipy import stats

from ldn.domain.diary import DiaryEntry
from ldn.domain.nof1.analysis import Nof1Result
from ldn.domain.nof1.blinding import Allocation
from ldn.domain.nof1.design import TrialDesign
from ldn.domain.response import ResponseReport

__all__ = [
    "FIGURE_WIDTH_IN",
    "MAX_GAP_D",
    "MIN_FONT_PT",
    "break_gaps",
    "full_window_mean",
    "plot_response",
    "plot_trial",
]


#: a gap longer than this (days without a diary entry) breaks the lines of a chart
MAX_GAP_D = 3
#: the figures' width: 302 SVG units, about 1.07 px per unit at 324 px (a 390 px phone)
FIGURE_WIDTH_IN = 4.2
#: the smallest text in a figure: 11 pt = 11 SVG units, at least 11 px on that phone
MIN_FONT_PT = 11.0
#: the SVG root's fixed size, replaced by the screen's width (the viewBox keeps the proportions)
_SVG_SIZE = re.compile(r'(<svg\b[^>]*?)\swidth="[^"]*"\s+height="[^"]*"')


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


def _style() -> AbstractContextManager[None]:
    """Text no smaller than :data:`MIN_FONT_PT`, kept as text in an SVG."""
    return plt.rc_context(
        {
            "font.size": MIN_FONT_PT + 1,
            "axes.titlesize": MIN_FONT_PT + 1,
            "axes.labelsize": MIN_FONT_PT,
            "xtick.labelsize": MIN_FONT_PT,
            "ytick.labelsize": MIN_FONT_PT,
            "legend.fontsize": MIN_FONT_PT,
            "svg.fonttype": "none",
            "font.family": ["DejaVu Sans", "sans-serif"],
        }
    )


def _save(fig: Figure, path: Path) -> None:
    """Write ``fig``; an SVG fills the width it is given (``width="100%"`` and its viewBox)."""
    fig.savefig(path, dpi=150)
    plt.close(fig)
    if path.suffix.lower() == ".svg":
        svg = path.read_text(encoding="utf-8")
        path.write_text(_SVG_SIZE.sub(r'\1 width="100%" class="fluid"', svg, count=1), "utf-8")


def _day_label(x: float, _pos: object = None) -> str:
    """A tick on a day axis (``date.toordinal`` numbers): "3 Jan"."""
    d = date.fromordinal(max(1, round(x)))
    return f"{d.day} {d:%b}"


def plot_response(entries: list[DiaryEntry], report: ResponseReport, path: Path) -> str:
    """Daily pain, its 7-day mean over full weeks, the dose steps (right axis) and the IMMPACT
    thresholds (30 % and 50 % below the baseline); returns the report's summary (the text
    alternative)."""
    days = np.array([e.date.toordinal() for e in entries], dtype=float)
    pain = np.array([e.pain_avg for e in entries])
    dose = np.array([e.dose_mg or 0.0 for e in entries])
    with _style():
        fig, ax = plt.subplots(figsize=(FIGURE_WIDTH_IN, 4.9), layout="constrained")
        ax.plot(days, pain, ".", color="#7f9fc4", ms=4, label="daily pain")
        roll = full_window_mean(days, pain)
        line_days, roll_line, dose_line = break_gaps(days, roll, dose)
        ax.plot(line_days, roll_line, color="#1f5f99", lw=2, label="7-day mean")
        b = report.baseline_pain
        for frac, name, style in ((0.7, "30% lower", "--"), (0.5, "50% lower", ":")):
            ax.axhline(b * frac, color="#a0522d", lw=1.2, ls=style, label=name)
        ax.axhline(b, color="#555", lw=1, label=f"baseline {b:.1f}")
        ax2 = ax.twinx()
        ax2.step(line_days, dose_line, where="post", color="#4f7a24", lw=1.4, label="dose")
        ax2.set_ylabel("LDN dose (mg)", color="#4f7a24")
        ax2.set_ylim(0, max(6.0, float(dose.max()) * 1.5))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(_day_label))
        first, last = entries[0].date, entries[-1].date
        years = f"{first.year}" if first.year == last.year else f"{first.year}-{last.year}"
        ax.set_xlabel(years)
        ax.set_ylim(0, 10)
        ax.set_ylabel("pain (0-10)")
        ax.set_title("Pain and LDN dose")
        handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
        fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
        _save(fig, path)
    return report.summary()


def plot_trial(
    entries: list[DiaryEntry],
    design: TrialDesign,
    allocation: Allocation,
    result: Nof1Result,
    path: Path,
) -> str:
    """Pain by period (blue: LDN, grey: placebo; bars: the mean of the analysed days) above the
    prior and posterior of the LDN effect; returns the conclusion (the text alternative)."""
    with _style():
        fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(FIGURE_WIDTH_IN, 6.6), layout="constrained")
        by_date = {e.date: e.pain_avg for e in entries}
        for p in design.periods:
            on = p.bottle == allocation.ldn_bottle
            colour = "#1f5f99" if on else "#6b6b6b"
            x0 = (p.start - design.start).days
            ax1.axvspan(x0, x0 + design.period_days, color=colour, alpha=0.08)
            pts = [
                ((d - design.start).days, v) for d, v in by_date.items() if p.start <= d <= p.end
            ]
            if pts:
                xs, ys = zip(*pts, strict=True)
                ax1.plot(xs, ys, ".", color=colour, ms=3)
                ana = [v for d, v in by_date.items() if p.analysed_from <= d <= p.end]
                if ana:
                    start = (p.analysed_from - design.start).days
                    end = x0 + design.period_days
                    ax1.hlines(np.mean(ana), start, end, color=colour, lw=2.5)
            ax1.text(x0 + design.period_days / 2, 9.3, p.bottle, color=colour, ha="center")
        ax1.plot([], [], "s", color="#1f5f99", label="LDN")
        ax1.plot([], [], "s", color="#6b6b6b", label="placebo")
        ax1.legend(loc="lower right", ncols=2, frameon=False)
        ax1.set_ylim(0, 10)
        ax1.set_xlabel("trial day (bars: period means)")
        ax1.set_ylabel("pain (0-10)")
        ax1.set_title("Pain by bottle and period")
        low = min(-4.0, result.delta_ci_low - 1)
        grid = np.linspace(low, max(2.0, result.delta_ci_high + 1), 400)
        prior = stats.norm.pdf(grid, result.prior.mean, result.prior.sd)
        ax2.plot(grid, prior, color="#6b6b6b", ls="--", label="prior")
        posterior = stats.norm.pdf(grid, result.delta_mean, result.delta_sd)
        ax2.plot(grid, posterior, color="#1f5f99", label="posterior")
        ax2.axvline(0, color="#555", lw=0.8)
        mcid = f"-{result.mcid_nrs:g} (worth having)"
        ax2.axvline(-result.mcid_nrs, color="#a0522d", lw=1, ls=":", label=mcid)
        ax2.set_xlabel("LDN minus placebo (pain points)")
        ax2.set_yticks([])
        ax2.legend(loc="upper left", frameon=False)
        ax2.set_title(f"P(LDN helps) = {result.p_benefit:.0%}")
        _save(fig, path)
    return result.conclusion
