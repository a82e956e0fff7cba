"""One guard for every start: a plan, a trial or a dose step begins only where the screen allows.

``decide_start(report, requested=..., today=..., acknowledged=...)`` applies the screening verdict
to a requested start date, the same way for every door (API, web, CLI, FHIR):

* ``contraindicated`` → refused (:class:`ClinicalRefusal`), with the reasons;
* a medicine ldn cannot identify → refused until the clinician records what it contains (an
  acknowledgement is not enough: the answer decides the washout);
* ``needs_clinician_review`` → refused unless the clinician acknowledges the listed findings;
* ``do_not_start_yet`` → a requested date before the earliest start is refused naming that date;
  with no requested date the start is the earliest date, and the decision says why;
* otherwise the requested date (or today).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ldn.domain.errors import ClinicalRefusal
from ldn.domain.screening import ScreeningReport

__all__ = ["UNACKNOWLEDGEABLE", "StartDecision", "decide_start"]

#: review findings that only a recorded answer can settle (never a bare acknowledgement)
UNACKNOWLEDGEABLE = frozenset({"MEDICATION_NOT_IDENTIFIED"})


@dataclass(frozen=True, slots=True)
class StartDecision:
    """The start date the screen allows, and why it differs from what was asked (if it does)."""

    start: date
    moved_because: str = ""
    acknowledged: tuple[str, ...] = ()


def _reasons(report: ScreeningReport, verdict: str) -> str:
    return "; ".join(f.message for f in report.findings if f.verdict == verdict) or verdict


def decide_start(
    report: ScreeningReport,
    *,
    requested: date | None,
    today: date,
    acknowledged: bool = False,
    what: str = "LDN",
) -> StartDecision:
    """Where ``what`` (LDN, a trial, a dose step) may start; :class:`ClinicalRefusal` if it may not."""
    if report.verdict == "contraindicated":
        raise ClinicalRefusal(
            f"{what} cannot start: LDN is contraindicated ({_reasons(report, 'contraindicated')})",
            fix="see the screening findings; nothing can be started",
        )
    unknown = [f for f in report.findings if f.code in UNACKNOWLEDGEABLE]
    if unknown:
        raise ClinicalRefusal(
            f"{what} cannot start: {unknown[0].message}",
            fix="record whether the medicine contains an opioid (medicine review), then screen again",
        )
    review = [f for f in report.findings if f.verdict == "needs_clinician_review"]
    if review and not acknowledged:
        raise ClinicalRefusal(
            f"{what} needs a clinician's review first: " + "; ".join(f.message for f in review),
            fix="review these findings, then confirm (acknowledge_review: true) to go ahead",
        )
    earliest = report.earliest_start if report.verdict == "do_not_start_yet" else None
    if earliest is not None and requested is not None and requested < earliest:
        raise ClinicalRefusal(
            f"{what} cannot start on {requested.isoformat()}: the earliest safe start is {earliest.isoformat()} "
            f"({_reasons(report, 'do_not_start_yet')})",
            fix=f"choose {earliest.isoformat()} or later",
        )
    if requested is None and earliest is not None and earliest > today:
        return StartDecision(
            earliest,
            f"starts {earliest.isoformat()}, not today: {_reasons(report, 'do_not_start_yet')}",
            tuple(f.code for f in review),
        )
    return StartDecision(requested or today, "", tuple(f.code for f in review))
