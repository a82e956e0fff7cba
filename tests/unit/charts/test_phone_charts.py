"""The diary and trial charts are legible on a phone: an SVG sized by the page (``width="100%"``
and a viewBox), text kept as text, and no text under 11 px when the figure is shown 324 px wide
(a 390 px screen less the page's margins: 2 x 1 rem of the page, 2 x (1 rem + 1 px) of the
card)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from ldn.charts.tracking import plot_response, plot_trial
from ldn.domain.diary import DiaryEntry
from ldn.domain.nof1.blinding import make_allocation
from ldn.domain.nof1.design import design_trial
from ldn.domain.nof1.prior import sceptical_prior
from ldn.domain.response import assess_response
from ldn.services.standalone.trials import analyse_design

PHONE_CHART_PX = 390 - 2 * 16 - 2 * 17


def _sizes(svg: str) -> tuple[float, list[float]]:
    """The viewBox width and the font size (SVG units) of every text element."""
    root = svg[svg.index("<svg") : svg.index(">", svg.index("<svg"))]
    assert 'width="100%"' in root and "height=" not in root
    view_w = float(re.search(r'viewBox="0 0 ([\d.]+) [\d.]+"', root).group(1))  # type: ignore[union-attr]
    texts = re.findall(r"<text\b[^>]*>", svg)
    sizes = [float(m) for t in texts for m in re.findall(r"font[^;\"]*?([\d.]+)px", t)]
    assert texts and len(sizes) == len(texts), "every text has its size in the SVG"
    return view_w, sizes


def _diary() -> list[DiaryEntry]:
    start = date(2026, 1, 1)
    return [
        DiaryEntry(
            date=start + timedelta(days=i),
            pain_avg=6.0 if i < 14 else 4.0,
            dose_mg=0.0 if i < 14 else 4.5,
        )
        for i in range(60)
    ]


def test_the_diary_chart_text_is_at_least_11_px_on_a_phone(tmp_path: Path) -> None:
    entries = _diary()
    out = tmp_path / "diary.svg"
    plot_response(entries, assess_response(entries), out)
    view_w, sizes = _sizes(out.read_text())
    assert min(sizes) * PHONE_CHART_PX / view_w >= 11.0


def test_the_trial_chart_text_is_at_least_11_px_on_a_phone(tmp_path: Path) -> None:
    design, _ = design_trial(start=date(2026, 1, 1), seed=3)
    allocation = make_allocation(trial_id="t-1", seed=3)
    days = (design.periods[-1].end - design.start).days + 1
    entries = []
    for i in range(days):
        d = design.start + timedelta(days=i)
        period = next(p for p in design.periods if p.start <= d <= p.end)
        on = period.bottle == allocation.ldn_bottle
        entries.append(DiaryEntry(date=d, pain_avg=4.0 if on else 6.0))
    result = analyse_design(entries, design, allocation, prior=sceptical_prior())
    out = tmp_path / "trial.svg"
    assert plot_trial(entries, design, allocation, result, out) == result.conclusion
    view_w, sizes = _sizes(out.read_text())
    assert min(sizes) * PHONE_CHART_PX / view_w >= 11.0


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_the_command_line_still_writes_either_format(tmp_path: Path, suffix: str) -> None:
    entries = _diary()
    out = tmp_path / f"diary{suffix}"
    plot_response(entries, assess_response(entries), out)
    assert out.stat().st_size > 1000
