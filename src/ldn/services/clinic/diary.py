"""The diary (one entry a day, safe to retry) and questionnaires (scored by the domain).

A phone app retries a POST when the answer is lost; with the same ``Idempotency-Key`` and the
same body the retry returns the first answer and stores nothing new. A second entry for a day
that already has one is refused unless the caller asks to replace it (``update``).

Latest edit wins (an offline phone syncing later): a request that says when the patient made the
edit (``edited_at``) replaces the day's entry when the edit is newer than the stored entry's last
save, and the answer says it replaced an older entry (:attr:`DiarySaved.replaced`); an edit older
than the stored entry is refused (409) naming the newer one, so the phone can tell the patient
(never dropped silently). The same entry sent again is answered as stored, not refused. An
``edited_at`` ahead of the server's clock counts as now (a phone's clock cannot win forever).
The stored side is the stored version's own edit time (``diary_entries.edited_at``: the phone's
edit time as clamped, or the server's save time when the request did not say), so two phones
both offline and editing one day compare edit with edit, whichever arrives first; entries saved
before that column existed compare by their last save.

A new entry costs three statements and the commit: the actor, the patient's scope and the
patient's audit chain head (locked) in one query (:func:`~ldn.services.clinic.access.authorize`);
the INSERT, which skips when the day or the key already has an entry (``ON CONFLICT DO
NOTHING``: the unique constraints are the idempotency and same-day checks); the audit event
with its head (one statement on PostgreSQL). Only when the INSERT skipped is the existing entry
read (by day or key, one query) to answer a replay, a conflict or an update.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Table, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from ldn.domain.diary import DiaryEntry
from ldn.domain.errors import ConflictError, InputError, problems_from_pydantic
from ldn.domain.instruments import get_instrument
from ldn.domain.response import assess_response
from ldn.persistence.tables import DiaryRow, QuestionnaireRow
from ldn.services.clinic.access import authorize
from ldn.services.clinic.context import Actor, Page, Tx, use_case
from ldn.services.clinic.notifications import notify_diary_entry

__all__ = [
    "DiarySaved",
    "diary_entries",
    "diary_history",
    "list_diary",
    "list_questionnaires",
    "record_diary",
    "response_report",
    "submit_questionnaire",
]


@dataclass(frozen=True, slots=True)
class DiarySaved:
    entry: dict[str, Any]
    created: bool  # False: an update, or a replayed request
    replayed: bool
    replaced: bool = False  # True: it replaced an older entry of that day

    @property
    def outcome(self) -> str:
        """One word for the client: created, replaced, replayed or unchanged."""
        if self.replayed:
            return "replayed"
        return "created" if self.created else "replaced" if self.replaced else "unchanged"


def _entry_dict(r: DiaryRow) -> dict[str, Any]:
    return {"id": r.id, "patient_id": r.patient_id, "version": r.version, **r.data}


def parse_entry(data: object) -> DiaryEntry:
    try:
        return DiaryEntry.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from_pydantic(exc), origin="entry") from None


@use_case("diary.write", retry_on_conflict=True)
def record_diary(
    tx: Tx,
    actor: Actor,
    patient_id: int,
    *,
    entry: dict[str, Any],
    idempotency_key: str | None,
    update: bool = False,
    edited_at: datetime | None = None,
) -> DiarySaved:
    """Store one day's entry (see the module docstring for retries, updates and latest edit
    wins with ``edited_at``)."""
    patient = authorize(tx, actor, "diary.write", patient_id, lock_audit=True)
    e = parse_entry(entry)
    if e.date > tx.today:
        raise InputError.at(
            "date", f"{e.date.isoformat()} is in the future", "log days that have happened"
        )
    data = e.model_dump(mode="json")
    edited = min(_utc(edited_at), _utc(tx.now)) if edited_at is not None else None
    signed: dict[str, Any] = {"entry": data, "update": update}
    if edited_at is not None:  # as sent (a retry sends the same), not as clamped
        signed["edited_at"] = _utc(edited_at).isoformat()
    digest = hashlib.sha256(json.dumps(signed, sort_keys=True).encode()).hexdigest()
    new_id = _insert_new(tx, patient.id, e.date, data, idempotency_key, digest, edited)
    if new_id is not None:  # neither the day nor the key had an entry
        tx.audit(actor, "create", "diary_entry", new_id, patient_id=patient.id)
        notify_diary_entry(tx, actor, patient, data)  # issue #18: alerts in this transaction
        entry = {"id": new_id, "patient_id": patient.id, "version": 1, **data}
        return DiarySaved(entry, created=True, replayed=False)
    same = DiaryRow.day == e.date
    found = tx.session.scalars(
        select(DiaryRow).where(
            DiaryRow.patient_id == patient.id,
            or_(same, DiaryRow.idempotency_key == idempotency_key) if idempotency_key else same,
        )
    ).all()
    keyed = [r for r in found if idempotency_key and r.idempotency_key == idempotency_key]
    seen = keyed[0] if keyed else None
    if seen is not None:
        if seen.request_sha256 != digest:
            raise ConflictError(
                "this Idempotency-Key was already used for a different entry",
                fix="send a new key for a new entry",
            )
        tx.audit(actor, "read", "diary_entry", seen.id, patient_id=patient.id, detail="replay")
        return DiarySaved(_entry_dict(seen), created=False, replayed=True)
    row = next((r for r in found if r.day == e.date), None)
    if row is None:  # the entry that stopped the INSERT was deleted since: a clean retry
        raise ConflictError(
            f"date: {e.date.isoformat()} changed while this entry was saved",
            fix="send the same request again",
        )
    if not update and edited is None:
        raise ConflictError(
            f"date: {e.date.isoformat()} already has a diary entry",
            fix="to replace it, send update=true (or PUT /diary/{date})",
        )
    if edited is not None and _latest_edit_keeps_stored(tx, actor, row, data, edited):
        return DiarySaved(_entry_dict(row), created=False, replayed=False)
    row.data, row.version, row.updated_at, row.request_sha256 = (
        data,
        row.version + 1,
        tx.now,
        digest,
    )
    row.edited_at = edited if edited is not None else tx.now
    if idempotency_key:
        row.idempotency_key = idempotency_key
    how = "latest edit wins" if edited is not None else ""
    tx.audit(actor, "update", "diary_entry", row.id, patient_id=patient.id, detail=how)
    notify_diary_entry(tx, actor, patient, data)
    return DiarySaved(_entry_dict(row), created=False, replayed=False, replaced=True)


_DIARY = cast(Table, DiaryRow.__table__)
#: INSERT … ON CONFLICT DO NOTHING RETURNING id, per dialect, built once (values as parameters)
_INSERT_NEW = {
    name: dialect.insert(_DIARY).on_conflict_do_nothing().returning(_DIARY.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def _insert_new(
    tx: Tx,
    patient_id: int,
    day: date,
    data: dict[str, Any],
    key: str | None,
    digest: str,
    edited: datetime | None,
) -> int | None:
    """INSERT the entry unless the day or the key already has one (then None): one statement,
    and a concurrent twin waits for the first to commit instead of failing."""
    row = {
        "patient_id": patient_id,
        "day": day,
        "data": data,
        "idempotency_key": key or None,
        "request_sha256": digest,
        "version": 1,
        "created_at": tx.now,
        "updated_at": tx.now,
        "edited_at": edited if edited is not None else tx.now,
    }
    new_id = tx.session.scalar(_INSERT_NEW[tx.session.get_bind().dialect.name], row)
    return int(new_id) if new_id is not None else None


def _utc(at: datetime) -> datetime:
    """``at`` as an aware UTC time (SQLite gives stored times back without their zone)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _latest_edit_keeps_stored(
    tx: Tx, actor: Actor, row: DiaryRow, data: dict[str, Any], edited: datetime
) -> bool:
    """Latest edit wins: True when the stored entry already says the same (nothing to do);
    refused (409) when the stored version was made after this edit; False to replace."""
    if row.data == data:
        pid = row.patient_id
        tx.audit(actor, "read", "diary_entry", row.id, patient_id=pid, detail="unchanged")
        return True
    saved = _utc(row.edited_at if row.edited_at is not None else row.updated_at)
    if edited <= saved:
        raise ConflictError(
            f"date: {row.day.isoformat()} has a newer entry (made {saved:%Y-%m-%d %H:%M:%S} UTC) "
            f"than this edit (made {edited:%Y-%m-%d %H:%M:%S} UTC); the newer entry was kept",
            fix="compare the two; to keep this one instead, send it again as a new edit",
        )
    return False


@use_case("diary.read")
def list_diary(
    tx: Tx,
    actor: Actor,
    patient_id: int,
    *,
    start: date | None,
    end: date | None,
    limit: int,
    offset: int,
) -> Page[dict[str, Any]]:
    patient = authorize(tx, actor, "diary.read", patient_id)
    q = select(DiaryRow).where(DiaryRow.patient_id == patient.id)
    if start:
        q = q.where(DiaryRow.day >= start)
    if end:
        q = q.where(DiaryRow.day <= end)
    rows, total = tx.paged(q, DiaryRow.day, limit=limit, offset=offset)
    tx.audit(actor, "read", "diary", patient_id=patient.id)
    return Page([_entry_dict(r) for r in rows], total, limit, offset)


@use_case("diary.read")
def diary_history(tx: Tx, actor: Actor, patient_id: int) -> list[DiaryEntry]:
    """The whole diary as domain entries, by date (for charts and judging response)."""
    patient = authorize(tx, actor, "diary.read", patient_id)
    tx.audit(actor, "read", "diary", patient_id=patient.id)
    return diary_entries(tx, patient.id)


def diary_entries(tx: Tx, patient_id: int) -> list[DiaryEntry]:
    rows = tx.session.scalars(
        select(DiaryRow).where(DiaryRow.patient_id == patient_id).order_by(DiaryRow.day)
    )
    return [DiaryEntry.model_validate(r.data) for r in rows]


@use_case("diary.read")
def response_report(
    tx: Tx, actor: Actor, patient_id: int, *, first_dose: date | None = None
) -> dict[str, Any]:
    """Response against the published thresholds (IMMPACT, migraine days, PGIC)."""
    patient = authorize(tx, actor, "diary.read", patient_id)
    entries = diary_entries(tx, patient.id)
    if not entries:
        raise InputError.at(
            "diary", "no diary entries yet", "log at least a week before and after starting"
        )
    report = assess_response(entries, first_dose=first_dose)
    tx.audit(actor, "read", "response", patient_id=patient.id)
    return report.as_dict()


@use_case("questionnaire.write")
def submit_questionnaire(
    tx: Tx,
    actor: Actor,
    patient_id: int,
    *,
    instrument: str,
    answers: object,
    taken_on: date | None = None,
) -> dict[str, Any]:
    patient = authorize(tx, actor, "questionnaire.write", patient_id)
    spec = get_instrument(instrument)
    result = spec.score(answers, loc="answers")
    day = taken_on or tx.today
    if day > tx.today:
        raise InputError.at(
            "taken_on", f"{day.isoformat()} is in the future", "use the day it was answered"
        )
    row = QuestionnaireRow(
        patient_id=patient.id,
        instrument=instrument,
        taken_on=day,
        answers=spec.validate(answers, loc="answers").model_dump(mode="json"),
        result=result.as_dict(),
        created_at=tx.now,
        created_by=actor.user_id or None,
    )
    tx.session.add(row)
    tx.session.flush()
    tx.audit(actor, "create", "questionnaire", row.id, patient_id=patient.id, detail=instrument)
    return {
        "id": row.id,
        "instrument": instrument,
        "taken_on": day.isoformat(),
        "result": row.result,
    }


@use_case("questionnaire.read")
def list_questionnaires(
    tx: Tx, actor: Actor, patient_id: int, *, limit: int, offset: int
) -> Page[dict[str, Any]]:
    patient = authorize(tx, actor, "questionnaire.read", patient_id)
    q = select(QuestionnaireRow).where(QuestionnaireRow.patient_id == patient.id)
    rows, total = tx.paged(q, QuestionnaireRow.id.desc(), limit=limit, offset=offset)
    tx.audit(actor, "read", "questionnaires", patient_id=patient.id)
    return Page(
        [
            {
                "id": r.id,
                "instrument": r.instrument,
                "taken_on": r.taken_on.isoformat(),
                "result": r.result,
            }
            for r in rows
        ],
        total,
        limit,
        offset,
    )
