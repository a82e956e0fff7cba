"""The clinician's patient list: one page by name in one statement, or sorted and filtered by a
dashboard column (issue #18); the columns come from :mod:`ldn.services.clinic.dashboard`.

The default page (by name, no filter) reads the page, its total, the caller's token and every
column's facts in one statement built once per shape (:func:`_page_statement`); a sorted or
filtered list derives the columns for every matching patient with a few aggregated queries,
then cuts one page (issue #21: docs/benchmarks.md).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, Select, String, and_, bindparam, func, select

from ldn.domain.dashboard import sort_value
from ldn.persistence.tables import Patient, User
from ldn.services.clinic import dashboard
from ldn.services.clinic.access import require
from ldn.services.clinic.context import ACTOR_IS_CURRENT, Actor, Page, Tx, actor_params, use_case

__all__ = ["list_patients", "summary"]


def summary(p: Any) -> dict[str, Any]:
    """A patient's list fields, from a :class:`Patient` or a row of :data:`_SUMMARY_COLUMNS`."""
    return {
        "id": p.id,
        "record_id": p.record_id,
        "display_name": p.display_name,
        "clinic_id": p.clinic_id,
        "record_version": p.current_version,
        "created_at": p.created_at.isoformat(),
        "updated_at": p.updated_at.isoformat(),
    }


def _name_page(
    tx: Tx,
    actor: Actor,
    q: str,
    *,
    descending: bool,
    limit: int,
    offset: int,
) -> tuple[list[Any], int, dict[int, dict[str, Any]]]:
    """One page by name, the total and every row's status columns, with the actor's token
    checked, in one statement (:func:`_page_statement`). An empty page says neither: then the
    token and the total are read on their own."""
    params = {
        **actor_params(actor),
        "clinic_id": actor.clinic_id,
        "like": f"%{q.lower()}%",
        "limit": limit,
        "offset": offset,
    }
    found = dashboard.read_page(
        tx,
        _page_statement(bool(q), descending),
        params,
        today=tx.today,
        window_days=tx.settings.dashboard_window_days,
    )
    if not found:
        tx.check_actor(actor)
        return [], tx.session.scalar(_total_statement(bool(q)), params) or 0, {}
    tx.mark_checked(actor)
    status = {row.id: dashboard.status_of(tx, got, tx.today) for row, _, got in found}
    return [row for row, _, _ in found], found[0][1], status


def _matching(has_q: bool) -> tuple[Any, ...]:
    """The list's patients: the caller's clinic, and ``q`` in the name or record id."""
    clinic = Patient.clinic_id == bindparam("clinic_id")
    if not has_q:
        return (clinic,)
    like = bindparam("like", type_=String)
    return clinic, func.lower(Patient.display_name).like(like) | func.lower(Patient.record_id).like(
        like
    )


@functools.cache
def _total_statement(has_q: bool) -> Select[Any]:
    """The number of matching patients (from a subquery, so that it stays uncorrelated inside
    the page's statement, which selects from ``patients`` too)."""
    return select(func.count()).select_from(select(Patient.id).where(*_matching(has_q)).subquery())


@functools.cache
def _page_statement(has_q: bool, descending: bool) -> Select[Any]:
    """The page by name (the token check joined: :data:`ACTOR_IS_CURRENT`; the total as an
    uncorrelated subquery) with its facts (:func:`~ldn.services.clinic.dashboard.
    page_with_facts`), built once per shape: every value is a parameter."""
    total = _total_statement(has_q)
    order = (
        (Patient.display_name.desc(), Patient.id.desc())
        if descending
        else (Patient.display_name, Patient.id)
    )
    page = (
        select(*_SUMMARY_COLUMNS, total.scalar_subquery().label("total"))
        .join(User, and_(*ACTOR_IS_CURRENT))
        .where(*_matching(has_q))
        .order_by(*order)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )
    return dashboard.page_with_facts(page, descending=descending)


#: the columns of :func:`summary`
_SUMMARY_COLUMNS = (
    Patient.id,
    Patient.record_id,
    Patient.display_name,
    Patient.clinic_id,
    Patient.current_version,
    Patient.created_at,
    Patient.updated_at,
)


@use_case("patient.list")
def list_patients(
    tx: Tx,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    q: str = "",
    sort: str = "name",
    condition: str = "",
    attention: bool | None = None,
    no_diary_days: int | None = None,
) -> Page[dict[str, Any]]:
    """The clinic's patients with their status, by name, or sorted by a dashboard column
    (``sort``: one of :data:`ldn.domain.dashboard.SORTS`, ``-`` for descending; no value sorts
    last) and filtered: ``condition`` (a code of the current record, not resolved),
    ``attention`` (there is a next action, or there is none), ``no_diary_days`` (tracking, and no
    entry for at least this many days). Sorted or filtered by a column, the columns are derived
    for every patient matching ``q`` (a few aggregated queries), then one page is cut."""
    require(actor, "patient.list")
    key, descending = dashboard.parse_sort(sort)
    base = (
        select(Patient)
        .where(*_matching(bool(q)))
        .params(clinic_id=actor.clinic_id, like=f"%{q.lower()}%")
    )
    window, gap = tx.settings.dashboard_window_days, tx.settings.dashboard_gap_days
    rows: Sequence[Any]
    if key == "name" and not condition and attention is None and no_diary_days is None:
        rows, total, status = _name_page(
            tx, actor, q, descending=descending, limit=limit, offset=offset
        )
    else:
        tx.check_actor(actor)
        every = tx.session.scalars(base.order_by(Patient.display_name, Patient.id)).all()
        status = dashboard.status_for(tx, base.with_only_columns(Patient.id), tx.today)
        for p in every:
            if p.id not in status:  # nothing stored yet (no screening, diary, plan or trial)
                status[p.id] = dashboard.blank_status(tx.today, window, gap)
        chosen = [
            p for p in every if dashboard.keep(status[p.id], condition, attention, no_diary_days)
        ]
        if key == "name":
            chosen = chosen[::-1] if descending else chosen
        else:
            valued = [p for p in chosen if sort_value(status[p.id]["_row"], key) is not None]
            valued.sort(key=lambda p: sort_value(status[p.id]["_row"], key), reverse=descending)
            chosen = valued + [p for p in chosen if sort_value(status[p.id]["_row"], key) is None]
        total, rows = len(chosen), chosen[offset : offset + limit]
    tx.audit(actor, "read", "patients", detail="ids=" + ",".join(str(p.id) for p in rows))
    items = [
        {**summary(p), "status": {k: v for k, v in status[p.id].items() if k != "_row"}}
        for p in rows
    ]
    return Page(items, total, limit, offset)
