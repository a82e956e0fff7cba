"""Charts for people to look at: SVG text and a text alternative, drawn server-side (matplotlib)."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ldn.domain.diary import DiaryEntry
from ldn.domain.errors import InputError
from ldn.domain.evidence.answer import ConditionAnswer, answer
from ldn.domain.evidence.dataset import poolable
from ldn.domain.evidence.prisma import prisma_counts
from ldn.domain.response import assess_response
from ldn.services.standalone.pharmacology import run_simulation

__all__ = ["Chart", "evidence_chart", "pain_chart", "pk_chart", "prisma_chart", "trial_chart"]


@dataclass(frozen=True, slots=True)
class Chart:
    svg: str
    alt: str


_LOCK = threading.Lock()  # pyplot is not thread-safe; web requests run in threads


def _svg(draw: Callable[[Path], str]) -> Chart:
    with _LOCK, tempfile.TemporaryDirectory() as d:
        path = Path(d) / "chart.svg"
        alt = draw(path)
        svg = path.read_text(encoding="utf-8")
    start = svg.find("<svg")
    return Chart(svg[start:] if start >= 0 else svg, alt)


def pain_chart(entries: list[DiaryEntry]) -> tuple[Chart | None, dict[str, Any] | None]:
    """Pain over time with dose steps and the response thresholds (None until enough days).

    The response window is the last 28 days; after a gap in the diary, the last 28 logged days."""
    from ldn.charts.tracking import plot_response

    try:
        report = assess_response(entries)
    except InputError:
        if len(entries) < 35:
            return None, None
        try:  # a gap in the diary: judge the last 28 days that were logged
            report = assess_response(entries, assessment_from=entries[-28].date)
        except InputError:
            return None, None
    return _svg(lambda p: plot_response(entries, report, p)), report.as_dict()


def evidence_chart(condition: str) -> tuple[Chart | None, ConditionAnswer]:
    """The answer for ``condition`` and its forest plot, drawn from the same pooled result (one
    interval method on the page); no chart when no trial gives a pain-intensity result."""
    from ldn.charts.evidence import forest_plot

    ans = answer(condition)
    rows, res = poolable(condition), ans.primary.meta
    if res is None or not rows:
        return None, ans
    labels, yi, vi = [e.id for e, _, _ in rows], [y for _, y, _ in rows], [v for _, _, v in rows]
    title = f"LDN vs placebo, pain intensity, {condition.replace('_', ' ')}"
    return _svg(lambda p: forest_plot(labels, yi, vi, res, p, title=title)), ans


def prisma_chart() -> Chart:
    """The PRISMA 2020 flow of the evidence review, from its screening records."""
    from ldn.charts.evidence import prisma_diagram

    counts = prisma_counts()
    return _svg(
        lambda p: prisma_diagram(counts, p, title="How the trials were found (PRISMA 2020)")
    )


def pk_chart(*, dose_mg: float, days: int) -> tuple[Chart, dict[str, Any]]:
    from ldn.charts.pk import plot_simulation

    result, sim, regimen = run_simulation(
        dose_mg=dose_mg, interval_h=24.0, days=days, population=200, seed=1, params="recommended"
    )
    title = f"Naltrexone {dose_mg:g} mg once daily, {days} days (200 virtual patients)"
    return _svg(lambda p: plot_simulation(sim, regimen, p, title=title)), result


def trial_chart(entries: list[DiaryEntry], trial: dict[str, Any]) -> Chart | None:
    """A revealed and analysed trial: pain by period (LDN vs placebo) and the posterior."""
    from ldn.charts.tracking import plot_trial
    from ldn.domain.nof1.blinding import Allocation
    from ldn.domain.nof1.design import TrialDesign
    from ldn.domain.nof1.prior import NormalPrior
    from ldn.services.standalone.trials import analyse_design

    analysis = trial.get("analysis")
    if not analysis or "allocation" not in trial:
        return None
    design = TrialDesign.from_public(trial["design"])
    allocation = Allocation.from_dict(trial["allocation"])
    p = analysis["prior"]
    result = analyse_design(
        entries,
        design,
        allocation,
        prior=NormalPrior(p["mean"], p["sd"], p["label"], tuple(p["source_ids"])),
    )
    return _svg(lambda path: plot_trial(entries, design, allocation, result, path))
