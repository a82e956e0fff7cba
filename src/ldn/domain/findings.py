"""Findings: what a screen found, as data (after nibabel's battery-runner reports).

A finding has a stable ``code`` (e.g. ``SAFETY_OPIOID_WASHOUT``), a ``level`` (``info`` |
``caution`` | ``stop``), a clinician ``message``, a plain-language ``patient_message``, a ``fix``
(what to do next), the ``source_ids`` that back it, and the verdict it pushes toward.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

__all__ = ["VERDICT_ORDER", "Finding", "Level", "Verdict", "decide_verdict"]

Level = Literal["info", "caution", "stop"]
Verdict = Literal[
    "candidate",
    "candidate_with_cautions",
    "unlikely_to_benefit",
    "do_not_start_yet",
    "contraindicated",
    "needs_clinician_review",
]
#: strictest first: the verdict of a report is the strictest one any finding calls for
VERDICT_ORDER: tuple[Verdict, ...] = (
    "contraindicated",
    "do_not_start_yet",
    "needs_clinician_review",
    "unlikely_to_benefit",
    "candidate_with_cautions",
    "candidate",
)


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    level: Level
    message: str
    patient_message: str
    fix: str
    source_ids: tuple[str, ...]
    verdict: Verdict = "candidate"
    earliest_start: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "level": self.level,
            "message": self.message,
            "patient_message": self.patient_message,
            "fix": self.fix,
            "source_ids": list(self.source_ids),
            "verdict_effect": self.verdict,
            "earliest_start": self.earliest_start.isoformat() if self.earliest_start else None,
        }


def decide_verdict(findings: list[Finding]) -> tuple[Verdict, date | None]:
    """The strictest verdict any finding calls for; with ``do_not_start_yet``, the latest
    earliest-start date among the findings that hold the start back."""
    verdict: Verdict = "candidate"
    for v in VERDICT_ORDER:
        if any(f.verdict == v for f in findings):
            verdict = v
            break
    dates = [
        f.earliest_start for f in findings if f.verdict == "do_not_start_yet" and f.earliest_start
    ]
    return verdict, (max(dates) if verdict == "do_not_start_yet" and dates else None)
