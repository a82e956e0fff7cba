"""Risk of Bias 2 (Sterne 2019, source id sterne-2019-rob2) per trial and outcome, from rob.csv.

Five domains — D1 randomization, D2 deviations from intended interventions (for crossovers also
period and carry-over effects), D3 missing outcome data, D4 measurement of the outcome, D5
selection of the reported result — each ``low``, ``some_concerns`` or ``high`` with its reason,
and an overall judgement with its reason. The overall judgement is at least the worst domain;
curators may raise it to ``high`` when several domains have some concerns (RoB 2 guidance),
and must say so in ``overall_reason``. :func:`check` enforces both rules.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["DOMAINS", "LEVELS", "RobJudgement", "check", "judgement", "load_rob", "parse_rows"]

DOMAINS = {
    "d1": "randomization process",
    "d2": "deviations from intended interventions (crossover: period and carry-over)",
    "d3": "missing outcome data",
    "d4": "measurement of the outcome",
    "d5": "selection of the reported result",
}
LEVELS = ("low", "some_concerns", "high")


@dataclass(frozen=True, slots=True)
class RobJudgement:
    study_id: str
    outcome: str
    domains: tuple[tuple[str, str, str], ...]  # (domain, level, reason)
    overall: str
    overall_reason: str

    @property
    def worst(self) -> str:
        return max((lvl for _, lvl, _ in self.domains), key=LEVELS.index)

    def as_dict(self) -> dict[str, object]:
        return {
            "study_id": self.study_id,
            "outcome": self.outcome,
            "overall": self.overall,
            "overall_reason": self.overall_reason,
            "domains": [
                {"domain": d, "name": DOMAINS[d], "judgement": lvl, "reason": why}
                for d, lvl, why in self.domains
            ],
        }


def _parse(row: dict[str, str]) -> RobJudgement:
    return RobJudgement(
        row["study_id"],
        row["outcome"],
        tuple((d, row[d], row[f"{d}_reason"]) for d in DOMAINS),
        row["overall"],
        row["overall_reason"],
    )


def check(j: RobJudgement) -> list[str]:
    """Problems with one judgement (empty when it follows the rules)."""
    out = [
        f"{j.study_id}/{j.outcome} {d}: {lvl!r} is not one of {LEVELS}"
        for d, lvl, _ in j.domains
        if lvl not in LEVELS
    ]
    out += [
        f"{j.study_id}/{j.outcome} {d}: no reason" for d, _, why in j.domains if not why.strip()
    ]
    if j.overall not in LEVELS:
        return [*out, f"{j.study_id}/{j.outcome}: overall {j.overall!r} not one of {LEVELS}"]
    if not out and LEVELS.index(j.overall) < LEVELS.index(j.worst):
        out.append(f"{j.study_id}/{j.outcome}: overall {j.overall} is better than the worst domain")
    if not j.overall_reason.strip():
        out.append(f"{j.study_id}/{j.outcome}: overall judgement needs a reason")
    return out


@lru_cache(maxsize=1)
def load_rob() -> dict[tuple[str, str], RobJudgement]:
    text = resources.files("ldn.domain").joinpath("data", "evidence", "rob.csv").read_text("utf-8")
    return {(j.study_id, j.outcome): j for j in map(_parse, csv.DictReader(io.StringIO(text)))}


def judgement(
    study_id: str, outcome: str, extra: dict[tuple[str, str], RobJudgement] | None = None
) -> RobJudgement | None:
    """The RoB 2 judgement for a study's outcome, or None when none was made."""
    return (extra or {}).get((study_id, outcome)) or load_rob().get((study_id, outcome))


def parse_rows(rows: list[dict[str, str]]) -> dict[tuple[str, str], RobJudgement]:
    """Judgements from rob-shaped rows (used by ``ldn evidence add``)."""
    return {(j.study_id, j.outcome): j for j in map(_parse, rows)}
