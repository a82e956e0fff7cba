"""PRISMA 2020 flow counts (Page 2021, source id page-2021-prisma), computed from screening.csv.

Each row of screening.csv is one distinct report (a bibliographic record, a registry record, a
preprint, a secondary report) with the route it was first found by (``database``: bibliographic
records in the stored literature; ``register``: trial registries; ``citation``: reference lists
of reviews), the number of further copies of the same record found (removed as duplicates), the
title/abstract decision and reason, and for reports sought for retrieval the eligibility decision
and reason. Reports excluded at eligibility are grouped by reason; included reports are grouped
into studies (``study_id``). Nothing is dropped: every count below is a sum over these rows.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["PrismaCounts", "load_screening", "prisma_counts"]

ROUTES = ("database", "register", "citation")
SCREEN = ("include", "exclude")
ELIGIBILITY = ("include", "exclude", "ongoing", "not_retrieved")


@dataclass(frozen=True, slots=True)
class PrismaCounts:
    identified: dict[str, int]  # by route, copies included
    duplicates: int
    screened: int
    excluded_screening: int
    screening_reasons: dict[str, int]
    sought: int
    not_retrieved: int
    assessed: int
    excluded_eligibility: dict[str, int]
    ongoing: int
    included_reports: int
    included_studies: int
    studies_in_meta_analysis: int

    @property
    def total_identified(self) -> int:
        return sum(self.identified.values())

    def check(self) -> list[str]:
        """Arithmetic the diagram must satisfy (empty when it adds up)."""
        out = []
        if self.total_identified - self.duplicates != self.screened:
            out.append("identified - duplicates != screened")
        if self.screened - self.excluded_screening != self.sought:
            out.append("screened - excluded != sought")
        if self.sought - self.not_retrieved != self.assessed:
            out.append("sought - not retrieved != assessed")
        if (
            self.assessed - sum(self.excluded_eligibility.values()) - self.ongoing
            != self.included_reports
        ):
            out.append("assessed - excluded - ongoing != included reports")
        if sum(self.screening_reasons.values()) != self.excluded_screening:
            out.append("screening reasons do not add up")
        if self.studies_in_meta_analysis > self.included_studies:
            out.append("more studies in the meta-analysis than included")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "identified": self.identified,
            "total_identified": self.total_identified,
            "duplicates_removed": self.duplicates,
            "screened": self.screened,
            "excluded_at_screening": self.excluded_screening,
            "screening_reasons": self.screening_reasons,
            "sought_for_retrieval": self.sought,
            "not_retrieved": self.not_retrieved,
            "assessed_for_eligibility": self.assessed,
            "excluded_with_reasons": self.excluded_eligibility,
            "ongoing": self.ongoing,
            "included_reports": self.included_reports,
            "included_studies": self.included_studies,
            "studies_in_meta_analysis": self.studies_in_meta_analysis,
        }


@lru_cache(maxsize=1)
def load_screening() -> tuple[dict[str, str], ...]:
    text = (
        resources.files("ldn.domain")
        .joinpath("data", "evidence", "screening.csv")
        .read_text("utf-8")
    )
    return tuple(dict(r) for r in csv.DictReader(io.StringIO(text)))


def _short(reason: str) -> str:
    """Group reasons by their lead phrase (before a colon or parenthesis)."""
    return reason.split(":")[0].split("(")[0].split(";")[0].strip()


def prisma_counts(rows: tuple[dict[str, str], ...] | None = None) -> PrismaCounts:
    rows = rows if rows is not None else load_screening()
    for r in rows:
        if r["route"] not in ROUTES or r["screen"] not in SCREEN:
            raise ValueError(
                f"{r['record_id']}: route {r['route']!r} / screen {r['screen']!r} not allowed"
            )
        if r["screen"] == "include" and r["eligibility"] not in ELIGIBILITY:
            raise ValueError(f"{r['record_id']}: eligibility {r['eligibility']!r} not allowed")
        if not (
            r["screen_reason"] if r["screen"] == "exclude" else r["eligibility_reason"]
        ).strip():
            raise ValueError(f"{r['record_id']}: every decision needs a reason")
    identified = {
        route: sum(1 + int(r["copies"] or 0) for r in rows if r["route"] == route)
        for route in ROUTES
    }
    duplicates = sum(int(r["copies"] or 0) for r in rows)
    screened = list(rows)
    excluded = [r for r in screened if r["screen"] == "exclude"]
    sought = [r for r in screened if r["screen"] == "include"]
    not_retrieved = [r for r in sought if r["eligibility"] == "not_retrieved"]
    assessed = [r for r in sought if r["eligibility"] != "not_retrieved"]
    excl = Counter(
        _short(r["eligibility_reason"]) for r in assessed if r["eligibility"] == "exclude"
    )
    included = [r for r in assessed if r["eligibility"] == "include"]
    return PrismaCounts(
        identified,
        duplicates,
        len(screened),
        len(excluded),
        dict(Counter(_short(r["screen_reason"]) for r in excluded)),
        len(sought),
        len(not_retrieved),
        len(assessed),
        dict(excl),
        sum(1 for r in assessed if r["eligibility"] == "ongoing"),
        len(included),
        len({r["study_id"] for r in included}),
        len({r["study_id"] for r in included if r["synthesis"] == "meta_analysis"}),
    )
