"""The curated LDN trial dataset (package data ``data/evidence/trials.csv``).

One row per trial contrast (LDN vs comparator). Each row carries its registry ``source_id``, the
reported numbers, the conversion ``method`` that turns them into a standardized mean difference
(negative = less pain on LDN), risk-of-bias notes and how the row was verified. Conversions are
in :mod:`ldn.domain.evidence.effect_sizes`:

* ``smd_from_md_ci_and_d`` — SMD = direction x reported d; SE = SE(MD) x |d| / |MD|;
* ``smd_paired_p`` — crossover: d from the two-sided p-value and n, with within-person
  correlation r (default 0.5, changeable);
* ``none`` — listed for completeness, not poolable (reason given).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ldn.domain.evidence.effect_sizes import CROSSOVER_CORRELATION, md_from_ci, paired_smd_from_p

__all__ = ["Trial", "load_trials", "poolable"]


@dataclass(frozen=True, slots=True)
class Trial:
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
    def primary(self) -> bool:
        return self.row["include_primary"] == "true"

    @property
    def n_total(self) -> int:
        n1 = int(self.row["n_ldn"] or 0)
        n2 = int(self.row["n_control"] or 0)
        return n1 if self.row["design"] == "crossover" else n1 + n2

    def smd(self, *, r: float = CROSSOVER_CORRELATION.value) -> tuple[float, float] | None:
        """(SMD, variance), negative = less pain on LDN; None when not poolable."""
        method = self.row["method"]
        if method == "smd_from_md_ci_and_d":
            md, var_md = md_from_ci(
                estimate=float(self.row["estimate"]),
                ci_low=float(self.row["ci_low"]),
                ci_high=float(self.row["ci_high"]),
            )
            d = float(self.row["reported_smd"])
            scale = abs(d / md)
            return -abs(d) if md < 0 else abs(d), var_md * scale * scale
        if method == "smd_paired_p":
            return paired_smd_from_p(
                p_two_sided=float(self.row["p_value"]),
                n=int(self.row["n_paired"]),
                direction=int(self.row["direction"]),
                r=r,
            )
        return None


@lru_cache(maxsize=1)
def load_trials() -> tuple[Trial, ...]:
    text = (
        resources.files("ldn.domain")
        .joinpath("data", "evidence", "trials.csv")
        .read_text(encoding="utf-8")
    )
    return tuple(Trial(dict(row)) for row in csv.DictReader(io.StringIO(text)))


def poolable(
    condition: str | None = None, *, r: float = CROSSOVER_CORRELATION.value
) -> list[tuple[Trial, float, float]]:
    """Primary-analysis trials (randomized, LDN alone vs placebo, pain outcome) with SMD and variance."""
    out = []
    for t in load_trials():
        if not t.primary or (condition not in (None, "any") and t.condition != condition):
            continue
        es = t.smd(r=r)
        if es is not None and math.isfinite(es[0]):
            out.append((t, es[0], es[1]))
    return out
