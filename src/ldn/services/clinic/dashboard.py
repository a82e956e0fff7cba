"""The facts behind the clinician's patient list (issue #18), for many patients at once.

For every patient in ``scope`` (a subquery of patient ids: a sorted or filtered list) each
fact is one aggregated query, never a query per patient; for one page by name
(:func:`page_with_facts`) the facts are correlated subqueries of the page's rows, in the page's
own statement. The facts: the newest screening, the diary (first and last day, days logged in
the window, the newest day with a side effect), the active plan, the newest trial and the
current record's conditions. :func:`ldn.domain.dashboard.derive` turns them into the list's
columns.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, Select, and_, bindparam, case, func, select

from ldn.domain.dashboard import SORTS, PatientFacts, derive
from ldn.domain.errors import InputError
from ldn.persistence.tables import DiaryRow, Patient, PatientRecordVersion, Plan, Screening, Trial
from ldn.services.clinic.context import Tx

__all__ = [
    "blank_status",
    "collect_facts",
    "keep",
    "page_with_facts",
    "parse_sort",
    "plan_facts",
    "read_page",
    "status_for",
    "status_of",
]

Scope = Select[tuple[int]]


def plan_facts(plan: dict[str, Any], today: date) -> tuple[date, float, date | None]:
    """(first dose day, today's dose in mg (0 before the start), assessment date) of a stored
    plan (validated when it was saved: read, not parsed again)."""
    steps = sorted(
        ((date.fromisoformat(s["start"]), float(s["dose_mg"])) for s in plan["steps"]),
        key=lambda s: s[0],
    )
    dose_mg = 0.0
    for start, mg in steps:
        if start <= today:
            dose_mg = mg
    due = plan.get("assessment_date")
    return steps[0][0], dose_mg, date.fromisoformat(due) if due else None


def collect_facts(
    tx: Tx, scope: Scope, *, today: date, window_days: int
) -> dict[int, dict[str, Any]]:
    """The fields of :class:`~ldn.domain.dashboard.PatientFacts` by patient id (absent facts
    keep their defaults); plus ``days_logged`` (all days), for the list's older columns."""
    out: dict[int, dict[str, Any]] = {}

    def of(pid: int) -> dict[str, Any]:
        return out.setdefault(pid, {"days_logged": 0})

    newest = (
        select(func.max(Screening.id))
        .where(Screening.patient_id.in_(scope))
        .group_by(Screening.patient_id)
    )
    for pid, verdict in tx.session.execute(
        select(Screening.patient_id, Screening.verdict).where(Screening.id.in_(newest))
    ):
        of(pid)["verdict"] = verdict
    window_start = today - timedelta(days=window_days)
    in_window = case((and_(DiaryRow.day >= window_start, DiaryRow.day < today), 1), else_=0)
    for pid, n, first, last, recent in tx.session.execute(
        select(
            DiaryRow.patient_id,
            func.count(),
            func.min(DiaryRow.day),
            func.max(DiaryRow.day),
            func.sum(in_window),
        )
        .where(DiaryRow.patient_id.in_(scope))
        .group_by(DiaryRow.patient_id)
    ):
        f = of(pid)
        f.update(days_logged=n, first_diary_day=first, last_diary_day=last)
        f["days_logged_in_window"] = int(recent or 0)
    ticked = DiaryRow.data["side_effects"].as_string()
    newest_se = (
        select(DiaryRow.patient_id, func.max(DiaryRow.day).label("day"))
        .where(DiaryRow.patient_id.in_(scope), ticked.is_not(None), ticked != "[]")
        .group_by(DiaryRow.patient_id)
        .subquery()
    )
    for pid, day, data in tx.session.execute(
        select(DiaryRow.patient_id, DiaryRow.day, DiaryRow.data).join(
            newest_se,
            and_(DiaryRow.patient_id == newest_se.c.patient_id, DiaryRow.day == newest_se.c.day),
        )
    ):
        of(pid).update(side_effect_day=day, side_effects=tuple(data.get("side_effects") or ()))
    for pid, data in tx.session.execute(
        select(Plan.patient_id, Plan.data)
        .where(Plan.patient_id.in_(scope), Plan.status == "active")
        .order_by(Plan.id)
    ):
        start, dose_mg, due = plan_facts(data["plan"], today)
        of(pid).update(plan_start=start, plan_dose_mg=dose_mg, assessment_date=due)
    newest_trial = (
        select(func.max(Trial.id)).where(Trial.patient_id.in_(scope)).group_by(Trial.patient_id)
    )
    for pid, status, design in tx.session.execute(
        select(Trial.patient_id, Trial.status, Trial.design).where(Trial.id.in_(newest_trial))
    ):
        periods = design.get("periods") or []
        end = date.fromisoformat(periods[-1]["end"]) if periods else None
        of(pid).update(trial_status=status, trial_end=end)
    for pid, conditions in tx.session.execute(
        select(PatientRecordVersion.patient_id, PatientRecordVersion.data["conditions"])
        .join(
            Patient,
            and_(
                Patient.id == PatientRecordVersion.patient_id,
                Patient.current_version == PatientRecordVersion.version,
            ),
        )
        .where(Patient.id.in_(scope))
    ):
        codes = [c.get("code") for c in conditions or () if c.get("status") != "resolved"]
        of(pid)["conditions"] = tuple(str(c) for c in codes if c)
    return out


def _newest(column: Any, table: Any, pid: Any, *where: Any, by: Any) -> Any:
    """The patient's newest ``column`` (by ``by``) as a correlated scalar subquery."""
    return (
        select(column)
        .where(table.patient_id == pid, *where)
        .order_by(by.desc())
        .limit(1)
        .scalar_subquery()
    )


def page_with_facts(page: Select[Any], *, descending: bool) -> Select[Any]:
    """One page of patients with their total and their facts, as one statement.

    ``page`` selects the page's :class:`Patient` columns and, last, their total (ordered by
    name and cut with LIMIT/OFFSET, with anything else it joins, such as the caller's token
    check). Each fact is a correlated subquery evaluated for the page's rows only, each an
    index probe of the patient's rows, so the cost does not grow with the clinic; the facts are
    those :func:`collect_facts` reads for a set of patients (newest screening, the diary's
    count, first and last day and days in the window, the newest day with a side effect, the
    newest active plan, the newest trial, the current record's conditions). Its parameters
    ``today`` and ``window_start`` are set by :func:`read_page`. Built once per shape and kept
    (:func:`ldn.services.clinic.patient_list._page_statement`)."""
    pg = page.subquery("page")
    pid = pg.c.id
    ticked = DiaryRow.data["side_effects"].as_string()
    with_se = (ticked.is_not(None), ticked != "[]")
    active = (Plan.status == "active",)
    plan = Plan.data["plan"]
    in_window = (
        DiaryRow.day >= bindparam("window_start", type_=Date),
        DiaryRow.day < bindparam("today", type_=Date),
    )
    facts = (
        _newest(Screening.verdict, Screening, pid, by=Screening.id),
        select(func.count()).where(DiaryRow.patient_id == pid).scalar_subquery(),
        select(func.min(DiaryRow.day)).where(DiaryRow.patient_id == pid).scalar_subquery(),
        select(func.max(DiaryRow.day)).where(DiaryRow.patient_id == pid).scalar_subquery(),
        select(func.count()).where(DiaryRow.patient_id == pid, *in_window).scalar_subquery(),
        _newest(DiaryRow.day, DiaryRow, pid, *with_se, by=DiaryRow.day),
        _newest(DiaryRow.data["side_effects"], DiaryRow, pid, *with_se, by=DiaryRow.day),
        _newest(plan["steps"], Plan, pid, *active, by=Plan.id),
        _newest(plan["assessment_date"].as_string(), Plan, pid, *active, by=Plan.id),
        _newest(Trial.status, Trial, pid, by=Trial.id),
        _newest(Trial.design["periods"], Trial, pid, by=Trial.id),
        select(PatientRecordVersion.data["conditions"])
        .where(
            PatientRecordVersion.patient_id == pid,
            PatientRecordVersion.version == pg.c.current_version,
        )
        .scalar_subquery(),
    )
    names = (pg.c.display_name.desc(), pid.desc()) if descending else (pg.c.display_name, pid)
    return select(pg, *facts).order_by(*names)


def read_page(
    tx: Tx, statement: Select[Any], params: dict[str, Any], *, today: date, window_days: int
) -> list[tuple[Any, int, dict[str, Any]]]:
    """Run a :func:`page_with_facts` statement: ``(row, total, facts)`` in page order, the
    facts as :func:`collect_facts` gives them (``row``: the page's columns by name)."""
    window_start = today - timedelta(days=window_days)
    values = {**params, "today": today, "window_start": window_start}
    out = []
    for row in tx.session.connection().execute(statement, values):
        n_cols = len(row) - _N_FACTS
        (verdict, n, first, last, recent, se_day, se, steps, due, t_status, periods, conds) = row[
            n_cols:
        ]
        got: dict[str, Any] = {"days_logged": int(n)}
        if verdict is not None:
            got["verdict"] = verdict
        if n:
            got.update(first_diary_day=first, last_diary_day=last)
            got["days_logged_in_window"] = int(recent or 0)
        if se_day is not None:
            got.update(side_effect_day=se_day, side_effects=tuple(se or ()))
        if steps:
            start, dose_mg, due_day = plan_facts({"steps": steps, "assessment_date": due}, today)
            got.update(plan_start=start, plan_dose_mg=dose_mg, assessment_date=due_day)
        if t_status is not None:
            end = date.fromisoformat(periods[-1]["end"]) if periods else None
            got.update(trial_status=t_status, trial_end=end)
        codes = [c.get("code") for c in conds or () if c.get("status") != "resolved"]
        got["conditions"] = tuple(str(c) for c in codes if c)
        out.append((row, int(row[n_cols - 1]), got))
    return out


_N_FACTS = 12


def facts_of(collected: dict[str, Any]) -> PatientFacts:
    """The :class:`PatientFacts` in one patient's collected fields."""
    return PatientFacts(**{k: v for k, v in collected.items() if k != "days_logged"})


def status_for(tx: Tx, scope: Scope, today: date) -> dict[int, dict[str, Any]]:
    """Status columns for patients (a subquery of their ids), from a few aggregated
    queries (:mod:`ldn.services.clinic.dashboard`): the older columns (verdict, plan dose, days
    logged, last entry, trial) and the dashboard's (:mod:`ldn.domain.dashboard`: last diary day,
    days missed, newest side effect, current dose, next action, needs attention), with the
    current record's conditions."""
    window = tx.settings.dashboard_window_days
    return {
        pid: status_of(tx, got, today)
        for pid, got in collect_facts(tx, scope, today=today, window_days=window).items()
    }


def status_of(tx: Tx, got: dict[str, Any], today: date) -> dict[str, Any]:
    """One patient's status columns from the facts :func:`collect_facts` or
    :func:`page_with_facts` read."""
    window, gap = tx.settings.dashboard_window_days, tx.settings.dashboard_gap_days
    facts = facts_of(got)
    row = derive(facts, today=today, window_days=window, gap_days=gap)
    return {
        "verdict": facts.verdict,
        "plan_dose_mg": facts.plan_dose_mg,
        "days_logged": got["days_logged"],
        "last_entry": facts.last_diary_day.isoformat() if facts.last_diary_day else None,
        "trial": facts.trial_status,
        **row.as_dict(),
        "conditions": list(facts.conditions),
        "window_days": window,
        "_row": row,
    }


def blank_status(pid_today: date, window: int, gap: int) -> dict[str, Any]:
    row = derive(PatientFacts(), today=pid_today, window_days=window, gap_days=gap)
    return {
        "verdict": None,
        "plan_dose_mg": None,
        "days_logged": 0,
        "last_entry": None,
        "trial": None,
        **row.as_dict(),
        "conditions": [],
        "window_days": window,
        "_row": row,
    }


def parse_sort(sort: str) -> tuple[str, bool]:
    key, descending = (sort[1:], True) if sort.startswith("-") else (sort, False)
    if key not in SORTS:
        raise InputError.at(
            "sort",
            f"cannot sort by {sort!r}",
            f"use one of {', '.join(SORTS)} (a leading - sorts descending)",
        )
    return key, descending


def keep(
    status: dict[str, Any], condition: str, attention: bool | None, no_diary_days: int | None
) -> bool:
    """The list's filters (see :func:`list_patients`)."""
    row = status["_row"]
    if condition and condition not in status["conditions"]:
        return False
    if attention is not None and row.needs_attention != attention:
        return False
    if no_diary_days is not None:
        gap = row.diary_gap_days
        return bool(row.tracking and (gap is None or gap >= no_diary_days))
    return True
