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
from ldn.services.standalone.files import read_text

__all__ = ["read_effects_csv", "read_study_file"]

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


STUDY_COLUMNS = (
    "id",
    "source_id",
    "registry",
    "year",
    "condition",
    "comparator",
    "design",
    "dose_mg",
    "duration",
    "n_randomized",
    "n_analysed",
    "notes",
)
OUTCOME_COLUMNS = ("outcome", "measure", "timepoint", "method", "estimate", "ci_low", "ci_high", "p_value",
                   "n_ldn", "n_control", "n_paired", "direction", "reported_smd", "pct_ldn", "pct_control",
                   "events_ldn", "events_control", "poolable", "reason", "text_source", "locator",
                   "verification")  # fmt: skip
ROB_COLUMNS = (
    "d1",
    "d1_reason",
    "d2",
    "d2_reason",
    "d3",
    "d3_reason",
    "d4",
    "d4_reason",
    "d5",
    "d5_reason",
    "overall",
    "overall_reason",
)
REQUIRED_STUDY = (
    "id",
    "source_id",
    "year",
    "condition",
    "comparator",
    "design",
    "dose_mg",
    "n_randomized",
)
REQUIRED_OUTCOME = (
    "outcome",
    "measure",
    "method",
    "poolable",
    "text_source",
    "locator",
    "verification",
)


def read_study_file(
    path: Path,
) -> tuple[list[dict[str, str]], list[dict[str, str]], list[dict[str, str]]]:
    """A new study for ``ldn evidence add``: one CSV row per outcome, with the study's columns
    repeated (trials.csv), the outcome's columns (outcomes.csv) and optionally the RoB 2 columns
    (rob.csv). Returns (trial rows, outcome rows, rob rows) after checking schema and provenance."""
    from ldn.domain.evidence.dataset import (
        METHODS,
        OUTCOMES,
        TEXT_SOURCES,
        VERIFICATIONS,
        Extraction,
        Trial,
        dataset,
    )
    from ldn.domain.evidence.rob import check, parse_rows
    from ldn.domain.sources import unresolved

    text = read_text(path).removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    cols = reader.fieldnames or []
    missing = [c for c in (*REQUIRED_STUDY, *REQUIRED_OUTCOME) if c not in cols]
    if missing:
        raise DataFileError(
            Problem(
                "header",
                f"missing column(s) {', '.join(missing)}",
                "see docs/evidence/search.md, 'Adding a study'",
            ),
            origin=str(path),
        )
    known = {t.label for t in dataset().trials}
    problems: list[Problem] = []
    trials: dict[str, dict[str, str]] = {}
    outcomes: list[dict[str, str]] = []
    robs: list[dict[str, str]] = []
    for n, raw in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        at = f"row {n}"
        for c in (*REQUIRED_STUDY, *REQUIRED_OUTCOME):
            if not row.get(c):
                problems.append(
                    Problem(
                        f"{at}, column {c}",
                        "is empty",
                        "every number needs its study, outcome and provenance",
                    )
                )
        if row.get("id") in known:
            problems.append(
                Problem(
                    f"{at}, column id",
                    f"{row['id']!r} is already in the data set",
                    "use a new study id",
                )
            )
        for col, allowed in (
            ("outcome", tuple(OUTCOMES)),
            ("method", METHODS),
            ("text_source", TEXT_SOURCES),
            ("verification", VERIFICATIONS),
            ("design", ("parallel", "crossover")),
            ("poolable", ("yes", "no")),
        ):
            if row.get(col) and row[col] not in allowed:
                problems.append(
                    Problem(
                        f"{at}, column {col}",
                        f"{row[col]!r} is not allowed",
                        f"use one of: {', '.join(allowed)}",
                    )
                )
        if row.get("source_id") and unresolved([row["source_id"]]):
            problems.append(
                Problem(
                    f"{at}, column source_id",
                    f"{row['source_id']!r} is not in the source registry",
                    "add it to src/ldn/domain/data/sources/evidence.toml first",
                )
            )
        if problems:
            continue
        study = {c: row.get(c, "") for c in STUDY_COLUMNS}
        out = {
            "study_id": row["id"],
            **{c: row.get(c, "") for c in OUTCOME_COLUMNS},
            "source_id": row["source_id"],
        }
        try:
            es = Extraction(out, Trial(study)).effect()
        except (ValueError, KeyError, InputError) as exc:
            problems.append(
                Problem(
                    at, f"the numbers do not give an effect ({exc})", "check method and its columns"
                )
            )
            continue
        if out["poolable"] == "yes" and (es is None or not all(math.isfinite(x) for x in es)):
            problems.append(
                Problem(at, "poolable but no finite effect", "give the columns the method needs")
            )
            continue
        trials.setdefault(row["id"], study)
        outcomes.append(out)
        if row.get("overall"):
            rob = {
                "study_id": row["id"],
                "outcome": row["outcome"],
                **{c: row.get(c, "") for c in ROB_COLUMNS},
            }
            problems += [
                Problem(at, msg, "fix the RoB 2 columns")
                for j in parse_rows([rob]).values()
                for msg in check(j)
            ]
            robs.append(rob)
    if problems:
        raise InputError(problems, origin=str(path))
    if not outcomes:
        raise DataFileError(
            Problem("(file)", "no data rows", "add one row per outcome"), origin=str(path)
        )
    return list(trials.values()), outcomes, robs
