"""Charts that do not mislead: no line across a diary gap, a moving mean only over full weeks."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np

from ldn.charts.tracking import break_gaps, full_window_mean, plot_response
from ldn.domain.diary import DiaryEntry
from ldn.domain.response import assess_response


def _days(start: date, n: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(n)]


def test_mean_needs_a_full_window_and_lines_break_at_gaps() -> None:
    days = np.array(
        [d.toordinal() for d in [*_days(date(2026, 1, 1), 10), *_days(date(2026, 4, 1), 10)]],
        dtype=float,
    )
    pain = np.full(len(days), 5.0)
    mean = full_window_mean(days, pain)
    assert np.isnan(mean[:6]).all() and mean[6] == 5.0  # first full week ends on day 7
    assert (
        np.isnan(mean[10:16]).all() and mean[16] == 5.0
    )  # after the 80-day gap: wait a full week again
    line_days, line = break_gaps(days, mean)
    assert len(line_days) == len(days) + 1 and np.isnan(line[10])


def test_the_rendered_svg_path_has_a_break_at_a_gap(tmp_path: Path) -> None:
    """An 85-day gap in the diary: the 7-day mean is drawn as two separate pieces (two moveto)."""
    first, second = _days(date(2026, 1, 1), 35), _days(date(2026, 5, 1), 35)
    entries = [
        DiaryEntry(date=d, pain_avg=6.0, dose_mg=0.0 if i < 14 else 4.5)
        for i, d in enumerate(first)
    ]
    entries += [DiaryEntry(date=d, pain_avg=4.0, dose_mg=4.5) for d in second]
    report = assess_response(entries, assessment_from=entries[-28].date)
    out = tmp_path / "chart.svg"
    plot_response(entries, report, out)
    svg = out.read_text()
    paths = [seg.split('"')[1] for seg in svg.split("<path")[1:] if "#1f5f99" in seg]
    mean_line = max(
        paths, key=len
    )  # the longest blue path is the mean (the other is its legend key)
    assert mean_line.count("M ") >= 2, "the line starts again after the gap"
