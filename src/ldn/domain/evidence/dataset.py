"""The curated LDN evidence data set (package data ``data/evidence/``), version and search date.

Four tables, each row with its provenance (docs/evidence/search.md describes how they were built):

* ``trials.csv`` — one row per included study: design, dose, condition, comparator, numbers;
* ``outcomes.csv`` — one row per study and outcome: the reported numbers, the sentence or table
  they came from (``locator``), the kind of text (``text_source``: full_text, registry_results,
  abstract, secondary_report), the source id and its verification;
* ``rob.csv`` — Risk of Bias 2 per study and outcome (:mod:`ldn.domain.evidence.rob`);
* ``screening.csv`` — every record found, with its decision and reason (:mod:`.prisma`).

Conversions to a standardized mean difference (negative = less pain, or better, on LDN) are in
:mod:`ldn.domain.evidence.effect_sizes`:

* ``smd_from_md_ci_and_d`` — SMD = direction x reported d; SE = SE(MD from its CI) x |d / MD|;
* ``smd_from_md_p_and_d`` — the same with SE(MD) = |MD| / z(p) when only p is reported;
* ``smd_paired_p`` — crossover: d from the two-sided p-value and the number of pairs, with the
  within-person correlation r (default 0.5, a parameter; sensitivity 0.3 to 0.7);
* ``rd_from_pct`` / ``rr_from_counts`` — responders and events; ``none`` — listed, not poolable.
"""

from __future__ import annotations

import csv
import io
import math
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ldn.domain.evidence.effect_sizes import (
    CROSSOVER_CORRELATION,
    log_risk_ratio,
    md_from_ci,
    paired_smd_from_p,
    smd_from_md_p_and_d,
)

__all__ = [
    "CONTINUOUS",
    "OUTCOMES",
    "DataSet",
    "Extraction",
    "Trial",
    "dataset",
    "load_trials",
    "outcome_rows",
    "poolable",
]

#: outcome domains, each pooled on its own ("like with like"); pain intensity is the primary one
OUTCOMES = {
    "pain_intensity": "pain intensity",
    "pain_interference": "pain interference",
    "function": "physical function / fibromyalgia impact",
    "global_impression": "global impression of change",
    "qol_pain": "quality-of-life pain subscale",
    "responders_30": "30% or more pain reduction",
    "pain_free_2h": "pain-free 2 hours after one dose",
    "adverse_events": "adverse events",
    "dropouts": "stopped because of side effects",
    "other": "other",
}
CONTINUOUS = ("pain_intensity", "pain_interference", "function", "global_impression", "qol_pain")
METHODS = (
    "smd_from_md_ci_and_d",
    "smd_from_md_p_and_d",
    "smd_paired_p",
    "rd_from_pct",
    "rr_from_counts",
    "none",
)
TEXT_SOURCES = (
    "full_text",
    "registry_results",
    "abstract",
    "abstract+registry",
    "abstract+registry_results",
    "secondary_report",
)
VERIFICATIONS = ("verified", "secondary", "unverified")


@dataclass(frozen=True, slots=True)
class Trial:
    """One included study (a row of trials.csv)."""

    row: dict[str, str]

    def __getattr__(self, name: str) -> str:
        try:
            return self.row[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def label(self) -> str:
        return self.row["id"]

    @property
    def year_int(self) -> int:
        return int(self.row["year"])

    @property
    def n_total(self) -> int:
        """People randomized, each counted once (a crossover's participants are not doubled)."""
        return int(self.row["n_randomized"] or 0)


@dataclass(frozen=True, slots=True)
class Extraction:
    """One study x outcome (a row of outcomes.csv) with its study."""

    row: dict[str, str]
    study: Trial

    def __getattr__(self, name: str) -> str:
        try:
            return self.row[name]
        except KeyError:
            return getattr(self.study, name)  # type: ignore[no-any-return]

    @property
    def id(self) -> str:
        return self.study.label

    @property
    def label(self) -> str:
        return self.study.label

    @property
    def poolable(self) -> bool:
        return self.row["poolable"] == "yes"

    @property
    def n_patients(self) -> int:
        """People contributing: pairs for a crossover, both arms for a parallel trial."""
        if self.row["n_paired"]:
            return int(self.row["n_paired"])
        n = int(self.row["n_ldn"] or 0) + int(self.row["n_control"] or 0)
        return n or self.study.n_total

    def _f(self, key: str) -> float:
        return float(self.row[key])

    def effect(self, *, r: float = CROSSOVER_CORRELATION.value) -> tuple[float, float] | None:
        """(effect, variance): SMD for continuous outcomes, risk difference (responders) or
        log risk ratio (events); negative = better on LDN; None when not poolable."""
        method = self.row["method"]
        if self.row["poolable"] != "yes" or method == "none":
            return None
        if method == "smd_from_md_ci_and_d":
            md, var_md = md_from_ci(
                estimate=self._f("estimate"), ci_low=self._f("ci_low"), ci_high=self._f("ci_high")
            )
            d = abs(self._f("reported_smd"))
            scale = abs(d / md)
            return math.copysign(d, md), var_md * scale * scale
        if method == "smd_from_md_p_and_d":
            return smd_from_md_p_and_d(
                md=self._f("estimate"), p_two_sided=self._f("p_value"), d=self._f("reported_smd")
            )
        if method == "smd_paired_p":
            return paired_smd_from_p(
                p_two_sided=self._f("p_value"),
                n=int(self.row["n_paired"]),
                direction=int(self.row["direction"]),
                r=r,
            )
        n1, n2 = int(self.row["n_ldn"]), int(self.row["n_control"])
        if method == "rd_from_pct":  # improvement: more on LDN is better, so negate
            p1, p2 = self._f("pct_ldn") / 100, self._f("pct_control") / 100
            return -(p1 - p2), p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
        if method == "rr_from_counts":
            return log_risk_ratio(
                events1=int(self.row["events_ldn"]),
                n1=n1,
                events2=int(self.row["events_control"]),
                n2=n2,
            )
        raise ValueError(f"{self.id}/{self.row['outcome']}: unknown method {method!r}")

    def smd(self, *, r: float = CROSSOVER_CORRELATION.value) -> tuple[float, float] | None:
        return self.effect(r=r) if self.row["outcome"] in CONTINUOUS else None


@dataclass(frozen=True, slots=True)
class DataSet:
    """The trials and their extracted outcomes, with the data set's version and search date."""

    trials: tuple[Trial, ...]
    outcomes: tuple[Extraction, ...]
    version: str
    last_searched: str

    def with_rows(
        self,
        trials: Iterable[dict[str, str]],
        outcomes: Iterable[dict[str, str]],
        *,
        version: str | None = None,
    ) -> DataSet:
        """A copy with further studies and outcome rows (``ldn evidence add``)."""
        new = tuple(Trial(dict(t)) for t in trials)
        by_id = {t.label: t for t in (*self.trials, *new)}
        extra = tuple(Extraction(dict(o), by_id[o["study_id"]]) for o in outcomes)
        return DataSet(
            (*self.trials, *new),
            (*self.outcomes, *extra),
            version or f"{self.version}+local",
            self.last_searched,
        )

    def select(
        self,
        condition: str | None = None,
        outcome: str = "pain_intensity",
        *,
        comparator: str = "placebo",
    ) -> list[Extraction]:
        """Extractions of one outcome (all, poolable or not) in a condition ('any' = all)."""
        return [
            e
            for e in self.outcomes
            if e.row["outcome"] == outcome
            and e.study.comparator == comparator
            and (condition in (None, "any") or e.study.condition == condition)
        ]


def _text(name: str) -> str:
    return resources.files("ldn.domain").joinpath("data", "evidence", name).read_text("utf-8")


def _csv(name: str) -> list[dict[str, str]]:
    return [dict(r) for r in csv.DictReader(io.StringIO(_text(name)))]


@lru_cache(maxsize=1)
def dataset() -> DataSet:
    meta = tomllib.loads(_text("dataset.toml"))
    trials = tuple(Trial(r) for r in _csv("trials.csv"))
    by_id = {t.label: t for t in trials}
    outcomes = tuple(Extraction(r, by_id[r["study_id"]]) for r in _csv("outcomes.csv"))
    return DataSet(trials, outcomes, str(meta["version"]), str(meta["last_searched"]))


def load_trials() -> tuple[Trial, ...]:
    return dataset().trials


def outcome_rows() -> tuple[Extraction, ...]:
    return dataset().outcomes


def poolable(
    condition: str | None = None,
    *,
    outcome: str = "pain_intensity",
    r: float = CROSSOVER_CORRELATION.value,
    data: DataSet | None = None,
    comparator: str = "placebo",
) -> list[tuple[Extraction, float, float]]:
    """Randomized LDN-alone trials of one outcome vs ``comparator`` in a condition, with the
    effect and its variance; never mixes outcomes, and never mixes comparators."""
    out = []
    for e in (data or dataset()).select(condition, outcome, comparator=comparator):
        es = e.effect(r=r)
        if es is not None and math.isfinite(es[0]):
            out.append((e, es[0], es[1]))
    return out
