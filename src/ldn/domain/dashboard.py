"""The clinician's patient list (issue #18): what each column says, and the next action, derived
from what the clinic has stored (diary, plan, screening, trial). Pure: the services read the
facts in a few aggregated queries and hand them here.

Columns:

* **last diary day** — the newest day with an entry;
* **days missed** — days without an entry among the last *N* days before today (today is not
  counted: it may still be logged), or since tracking started if that is later (the first
  diary day, or the plan's first dose if earlier). *N* is the clinic's setting
  ``LDN_DASHBOARD_WINDOW_DAYS`` (default 14): a clinic policy, not a clinical number;
* **newest side effect** — the newest diary day with a side effect ticked, and what was ticked;
* **current dose** — the dose of the plan's step in force today (0 before the first dose);
* **next action** — the first that applies of :data:`ACTIONS` (their order is the urgency the
  list sorts by). The response is judged on the plan's assessment date (``TitrationPlan.
  assessment_date``, sourced in :mod:`ldn.domain.titration`); "assessment due" shows from
  *N* days before it; a diary gap is flagged after ``LDN_DASHBOARD_GAP_DAYS`` days without an
  entry (a clinic policy).

These columns support clinical judgement and never replace it: they say where to look first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

__all__ = ["ACTIONS", "SORTS", "DashboardRow", "PatientFacts", "derive", "sort_value"]

#: next actions, most urgent first: (code, words on the page)
ACTIONS: tuple[tuple[str, str], ...] = (
    ("reveal_trial", "Reveal the trial (all periods are over)"),
    ("analyse_trial", "Analyse the revealed trial"),
    ("review_response", "Review response (assessment date reached)"),
    ("review_screening", "Review the screening"),
    ("diary_gap", "Contact about the diary"),
    ("assessment_due", "Assessment due"),
    ("no_plan", "No plan yet"),
    ("screen", "Screen the record"),
    ("none", "Nothing due"),
)
_URGENCY = {code: i for i, (code, _) in enumerate(ACTIONS)}
_WORDS = dict(ACTIONS)
#: the sort keys the list accepts (a leading "-" sorts descending)
SORTS = ("name", "last_diary_day", "days_missed", "side_effect", "dose", "next_action")
_STARTABLE = ("candidate", "candidate_with_cautions")


@dataclass(frozen=True, slots=True)
class PatientFacts:
    """What the clinic has stored about one patient, as the list needs it."""

    verdict: str | None = None
    plan_start: date | None = None
    plan_dose_mg: float | None = None
    assessment_date: date | None = None
    first_diary_day: date | None = None
    last_diary_day: date | None = None
    days_logged_in_window: int = 0
    side_effect_day: date | None = None
    side_effects: tuple[str, ...] = ()
    trial_status: str | None = None
    trial_end: date | None = None
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DashboardRow:
    """The derived columns of one patient."""

    last_diary_day: date | None
    days_missed: int | None
    diary_gap_days: int | None
    side_effect_day: date | None
    side_effects: tuple[str, ...]
    current_dose_mg: float | None
    next_action: str
    tracking: bool

    @property
    def needs_attention(self) -> bool:
        return self.next_action != "none"

    def as_dict(self) -> dict[str, Any]:
        return {
            "last_diary_day": self.last_diary_day.isoformat() if self.last_diary_day else None,
            "days_missed": self.days_missed,
            "diary_gap_days": self.diary_gap_days,
            "newest_side_effect": (
                {"date": self.side_effect_day.isoformat(), "side_effects": list(self.side_effects)}
                if self.side_effect_day
                else None
            ),
            "current_dose_mg": self.current_dose_mg,
            "next_action": self.next_action,
            "next_action_text": _WORDS[self.next_action],
            "needs_attention": self.needs_attention,
        }


def _tracking_start(f: PatientFacts, today: date) -> date | None:
    starts = [d for d in (f.first_diary_day, f.plan_start) if d is not None and d <= today]
    return min(starts) if starts else None


def _days_missed(f: PatientFacts, today: date, window_days: int) -> int | None:
    """Days without an entry in [max(today - window, start), today - 1]."""
    start = _tracking_start(f, today)
    if start is None:
        return None
    first = max(today - timedelta(days=window_days), start)
    length = (today - first).days  # the days before today
    return max(0, length - f.days_logged_in_window) if length > 0 else 0


def _next_action(
    f: PatientFacts, today: date, gap: int | None, window_days: int, gap_days: int
) -> str:
    has_plan = f.plan_start is not None
    trial_running = f.trial_status == "running"
    if trial_running and f.trial_end is not None and f.trial_end < today:
        return "reveal_trial"
    if f.trial_status == "revealed":
        return "analyse_trial"
    if has_plan and f.assessment_date is not None and today >= f.assessment_date:
        return "review_response"
    if not has_plan and f.verdict == "needs_clinician_review":
        return "review_screening"
    plan_started = has_plan and f.plan_start is not None and f.plan_start <= today
    if (plan_started or trial_running) and (gap is None or gap >= gap_days):
        return "diary_gap"
    due = f.assessment_date - timedelta(days=window_days) if f.assessment_date else None
    if has_plan and due is not None and today >= due:
        return "assessment_due"
    if not has_plan and not trial_running and f.verdict in _STARTABLE:
        return "no_plan"
    if f.verdict is None:
        return "screen"
    return "none"


def derive(f: PatientFacts, *, today: date, window_days: int, gap_days: int) -> DashboardRow:
    """The list's columns for one patient (see the module docstring for each rule)."""
    gap = (today - f.last_diary_day).days if f.last_diary_day is not None else None
    return DashboardRow(
        last_diary_day=f.last_diary_day,
        days_missed=_days_missed(f, today, window_days),
        diary_gap_days=gap,
        side_effect_day=f.side_effect_day,
        side_effects=f.side_effects,
        current_dose_mg=f.plan_dose_mg,
        next_action=_next_action(f, today, gap, window_days, gap_days),
        tracking=_tracking_start(f, today) is not None,
    )


def sort_value(row: DashboardRow, sort: str) -> Any:
    """The value ``sort`` (one of :data:`SORTS` but ``name``) orders by; None sorts last."""
    if sort == "last_diary_day":
        return row.last_diary_day
    if sort == "days_missed":
        return row.days_missed
    if sort == "side_effect":
        return row.side_effect_day
    if sort == "dose":
        return row.current_dose_mg
    if sort == "next_action":
        return _URGENCY[row.next_action]
    raise ValueError(f"unknown sort {sort!r}")
