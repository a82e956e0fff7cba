"""Reading a user's effect-size CSV (columns study, yi, vi — the metafor convention).

A byte-order mark (Excel's "CSV UTF-8") is dropped, and values outside the engine's stated range
(ldn.domain.evidence.meta) are reported with their CSV row, like every other problem."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from ldn.domain.errors import DataFileError, InputError, Problem
from ldn.domain.evidence.meta import range_problems
from ldn.services.files import read_text

__all__ = ["read_effects_csv"]

REQUIRED = ("study", "yi", "vi")


def read_effects_csv(path: Path) -> tuple[list[str], list[float], list[float], list[str]]:
    """(studies, yi, vi, groups) from a CSV; optional column ``group`` for subgroups."""
    text = read_text(path).removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise DataFileError(
            Problem(
                "header",
                f"missing column(s) {', '.join(missing)}",
                "the CSV needs columns study,yi,vi",
            ),
            origin=str(path),
        )
    studies: list[str] = []
    yi: list[float] = []
    vi: list[float] = []
    groups: list[str] = []
    problems: list[Problem] = []
    for n, row in enumerate(reader, start=2):
        studies.append(row["study"] or f"row {n}")
        for col, target in (("yi", yi), ("vi", vi)):
            try:
                value = float(row[col])
            except (TypeError, ValueError):
                problems.append(
                    Problem(
                        f"row {n}, column {col}",
                        f"{row[col]!r} is not a number",
                        "write a decimal number",
                    )
                )
                value = math.nan
            else:
                if math.isnan(value):
                    problems.append(Problem(f"row {n}, column {col}", "is NaN", "give a number"))
                elif col == "vi" and value <= 0:
                    problems.append(
                        Problem(
                            f"row {n}, column vi",
                            f"variance must be positive, got {value:g}",
                            "give vi > 0",
                        )
                    )
            target.append(value)
        groups.append(row.get("group") or "")
    if not problems and studies:
        problems = range_problems(
            np.array(yi), np.array(vi), lambda i, col: f"row {i + 2}, column {col}"
        )
    if problems:
        raise InputError(problems, origin=str(path))
    if not studies:
        raise DataFileError(
            Problem("(file)", "no data rows", "add one row per study"), origin=str(path)
        )
    return studies, yi, vi, groups
