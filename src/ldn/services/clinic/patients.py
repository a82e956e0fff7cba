"""Patients and their versioned records.

A record is validated by the domain (:func:`ldn.domain.patient.parse_patient`) before it is
stored; each change stores a new version (never an overwrite), so a screening always names the
exact record it was run on.

Matching (for ``$import-patient``, :func:`match_patient`): every stored version refreshes the
patient's match keys (:func:`sync_match_keys`): the identifiers other systems gave the patient
(system + value, unique in the clinic), the birth date, the sex and the folded family name.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, delete, func, select, tuple_
from sqlalchemy.exc import IntegrityError

from ldn.domain.dashboard import sort_value
from ldn.domain.errors import ConflictError, InputError, PreconditionFailed
from ldn.domain.patient import PatientIdentifier, PatientRecord, parse_patient
from ldn.domain.screening import score_instruments
from ldn.interop.r4.importer import family_key
from ldn.persistence.tables import (
    Patient,
    PatientRecordVersion,
    User,
)
from ldn.persistence.tables import PatientIdentifier as IdentifierRow
from ldn.services.clinic import dashboard
from ldn.services.clinic.access import authorize, require
from ldn.services.clinic.context import ACTOR_IS_CURRENT, Actor, Page, Tx, actor_params, use_case

__all__ = [
    "Match",
    "create_patient",
    "get_patient",
    "list_patients",
    "load_record",
    "match_patient",
    "review_medication",
    "sync_match_keys",
    "update_record",
]


def _display_family(display_name: str) -> str | None:
    """The family name a display name suggests: its last word (parenthesised notes left out)."""
    words = re.sub(r"\([^)]*\)", " ", display_name).split()
    return family_key(words[-1]) if words else None


def sync_match_keys(
    tx: Tx, patient: Patient, record: PatientRecord, *, family: str | None = None
) -> None:
    """Copy the record's match keys onto the patient: birth date, sex, family name (``family``
    from a FHIR name, else kept while the display name is unchanged, else its last word) and the
    identifiers with a system (an identifier of another patient of the clinic is a conflict)."""
    if family:
        patient.family_key = family_key(family)
    elif patient.family_key is None or patient.display_name != record.display_name:
        patient.family_key = _display_family(record.display_name)
    patient.birth_date, patient.sex = record.birth_date, record.sex
    wanted = {(i.system, i.value): i for i in record.identifiers if i.system}
    if wanted:
        taken = tx.session.execute(
            select(IdentifierRow.system, IdentifierRow.value, IdentifierRow.patient_id).where(
                IdentifierRow.clinic_id == patient.clinic_id,
                tuple_(IdentifierRow.system, IdentifierRow.value).in_(list(wanted)),
                IdentifierRow.patient_id != patient.id,
            )
        ).first()
        if taken is not None:
            raise ConflictError(
                f"identifier {taken.system}|{taken.value} already belongs to patient {taken.patient_id}",
                fix="check the identifier; one identifier names one patient of the clinic",
            )
    tx.session.execute(delete(IdentifierRow).where(IdentifierRow.patient_id == patient.id))
    tx.session.add_all(
        IdentifierRow(
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            system=i.system,
            value=i.value,
            type=i.type,
        )
        for i in wanted.values()
    )


@dataclass(frozen=True, slots=True)
class Match:
    """What a Bundle's patient matches in the clinic: a patient to update (``matched_on`` says
    how), or candidates for a clinician to confirm (``reason`` says why), or nothing."""

    patient: Patient | None = None
    matched_on: str = ""
    candidates: tuple[Patient, ...] = ()
    reason: str = ""


def _label(i: PatientIdentifier) -> str:
    kind = {"MR": "MRN"}.get(i.type, i.type or "identifier")
    return f"{kind} {i.system}|{i.value}"


def match_patient(
    tx: Tx,
    clinic_id: int,
    *,
    record_id: str | None,
    identifiers: tuple[PatientIdentifier, ...],
    family: str,
    birth_date: date | None,
    sex: str,
) -> Match:
    """The rule (docs/interop.md): ldn's own record id or an identifier (system + value) names
    the patient; else the same family name and birth date, and a compatible sex (equal, or
    unknown on one side), make a *possible* match for a clinician to confirm, unless the
    candidate holds another value of an identifier system the Bundle has (a different MRN of the
    same hospital is a different patient). A sender's local ``Patient.id`` is never matched on."""
    found: dict[int, tuple[Patient, str]] = {}
    if record_id:
        p = tx.session.scalar(
            select(Patient).where(Patient.clinic_id == clinic_id, Patient.record_id == record_id)
        )
        if p is not None:
            found[p.id] = (p, f"ldn record id {record_id}")
    keyed = [i for i in identifiers if i.system]
    if keyed:
        rows = tx.session.execute(
            select(IdentifierRow.patient_id, IdentifierRow.system, IdentifierRow.value).where(
                IdentifierRow.clinic_id == clinic_id,
                tuple_(IdentifierRow.system, IdentifierRow.value).in_(
                    [(i.system, i.value) for i in keyed]
                ),
            )
        ).all()
        by_key = {(i.system, i.value): i for i in keyed}
        for pid, system, value in rows:
            if pid not in found:
                patient = tx.session.get(Patient, pid)
                assert patient is not None
                found[pid] = (patient, _label(by_key[(system, value)]))
    if len(found) > 1:
        names = ", ".join(f"patient {pid} ({how})" for pid, (_, how) in sorted(found.items()))
        raise ConflictError(
            f"the Bundle's identifiers name different patients: {names}",
            fix="check the identifiers; send a Bundle about one patient",
        )
    if found:
        patient, how = next(iter(found.values()))
        differs = [
            what
            for what, mine, theirs in (
                ("birth date", patient.birth_date, birth_date),
                ("sex", patient.sex, sex),
            )
            if mine not in (None, "unknown") and theirs not in (None, "unknown") and mine != theirs
        ]
        if differs:
            return Match(
                candidates=(patient,),
                reason=f"{how} matches, but the {' and '.join(differs)} differ",
            )
        return Match(patient, how)
    key = family_key(family) if family else None
    if key is None or birth_date is None:
        return Match()
    rows_ = tx.session.scalars(
        select(Patient)
        .where(
            Patient.clinic_id == clinic_id,
            Patient.birth_date == birth_date,
            Patient.family_key == key,
        )
        .order_by(Patient.id)
    ).all()
    candidates = [
        p for p in rows_ if p.sex in (None, "unknown") or sex == "unknown" or p.sex == sex
    ]
    systems = {i.system for i in keyed}
    if candidates and systems:
        held = tx.session.execute(
            select(IdentifierRow.patient_id, IdentifierRow.system).where(
                IdentifierRow.patient_id.in_([p.id for p in candidates]),
                IdentifierRow.system.in_(systems),
            )
        ).all()
        other = {pid for pid, _ in held}
        candidates = [p for p in candidates if p.id not in other]
    if not candidates:
        return Match()
    return Match(
        candidates=tuple(candidates), reason="same family name and birth date, compatible sex"
    )


def load_record(tx: Tx, patient: Patient) -> PatientRecord:
    """The current record, re-validated. Its dates were checked when it was saved and are not
    checked again; the age is derived from a birth date as of the transaction's date."""
    row = tx.session.scalar(
        select(PatientRecordVersion).where(
            PatientRecordVersion.patient_id == patient.id,
            PatientRecordVersion.version == patient.current_version,
        )
    )
    assert row is not None, "every patient has its current record version"
    return PatientRecord.model_validate(row.data, context={"today": None, "age_on": tx.today})


def _checked(record: object, tx: Tx) -> PatientRecord:
    """The record, validated with its questionnaires' answers (an invalid answer is refused
    now, naming the item, not at the first screening)."""
    rec = parse_patient(record, today=tx.today, origin="record")
    try:
        score_instruments(rec)
    except InputError as exc:
        raise InputError(exc.problems, origin="record") from None
    return rec


def append_version(tx: Tx, actor: Actor, patient: Patient, record: PatientRecord) -> dict[str, Any]:
    """Store ``record`` as the patient's next version (version 1 for a patient just added, whose
    ``current_version`` is 0): the one place a record version is written. Returns its data."""
    patient.current_version += 1
    patient.display_name = record.display_name
    patient.updated_at = tx.now
    data = record.model_dump(mode="json")
    row = PatientRecordVersion(
        patient_id=patient.id,
        version=patient.current_version,
        data=data,
        created_at=tx.now,
        created_by=actor.user_id or None,
    )
    tx.session.add(row)
    return data


def _summary(p: Patient) -> dict[str, Any]:
    return {
        "id": p.id,
        "record_id": p.record_id,
        "display_name": p.display_name,
        "clinic_id": p.clinic_id,
        "record_version": p.current_version,
        "created_at": p.created_at.isoformat(),
        "updated_at": p.updated_at.isoformat(),
    }


@use_case("patient.write")
def create_patient(tx: Tx, actor: Actor, *, record: object) -> dict[str, Any]:
    """A new patient of the actor's clinic from a patient record (validated first)."""
    tx.check_actor(actor)
    require(actor, "patient.write")
    if isinstance(record, dict) and not str(record.get("id") or "").strip():
        record = {
            **record,
            "id": f"p-{secrets.token_hex(4)}",
        }  # the clinic's own number is optional
    rec = _checked(record, tx)
    patient = Patient(
        clinic_id=actor.clinic_id,
        record_id=rec.id,
        display_name=rec.display_name,
        current_version=0,
        created_at=tx.now,
        updated_at=tx.now,
    )
    tx.session.add(patient)
    try:
        tx.session.flush()
    except IntegrityError:
        raise ConflictError(
            f"this clinic already has a patient with record id {rec.id!r}",
            fix="use another id, or update that patient (PUT /patients/{id}/record)",
        ) from None
    data = append_version(tx, actor, patient, rec)
    sync_match_keys(tx, patient, rec)
    tx.audit(actor, "create", "patient", patient.id, patient_id=patient.id)
    return {**_summary(patient), "record": data}


@use_case("patient.write")
def update_record(
    tx: Tx, actor: Actor, patient_id: int, *, record: object, if_version: int | None
) -> dict[str, Any]:
    """A new version of the record. ``if_version`` (the ETag read) guards against lost updates."""
    patient = authorize(tx, actor, "patient.write", patient_id)
    if if_version is not None and if_version != patient.current_version:
        raise PreconditionFailed(
            f"the record changed since you read it (now version {patient.current_version})",
            fix="reload the record, re-apply your change and send it with the new ETag",
        )
    rec = _checked(record, tx)
    if rec.id != patient.record_id:
        raise ConflictError(
            f"the record id {rec.id!r} does not match this patient ({patient.record_id!r})",
            fix="keep the record's id unchanged",
        )
    sync_match_keys(tx, patient, rec)
    data = append_version(tx, actor, patient, rec)
    tx.audit(actor, "update", "patient_record", patient.current_version, patient_id=patient.id)
    return {**_summary(patient), "record": data}


@use_case("patient.write")
def review_medication(
    tx: Tx,
    actor: Actor,
    patient_id: int,
    *,
    index: int,
    contains_opioid: bool,
    contains_naltrexone: bool = False,
) -> dict[str, Any]:
    """Record the clinician's answer for a medicine ldn could not identify (a new record version).

    The answer (who, when) then decides for that medicine in every screening; a known opioid is
    never cleared by it (:attr:`ldn.domain.patient.Medication.classes`).
    """
    patient = authorize(tx, actor, "patient.write", patient_id)
    current = load_record(tx, patient)
    if not 0 <= index < len(current.medications):
        raise InputError.at(
            "index",
            f"the record has no medication number {index}",
            f"use 0 to {len(current.medications) - 1}"
            if current.medications
            else "add the medication first",
        )
    user = tx.session.get(User, actor.user_id)
    who = (user.display_name or user.email) if user is not None else f"user {actor.user_id}"
    data = current.model_dump(mode="json")
    data["medications"][index]["review"] = {
        "contains_opioid": contains_opioid,
        "contains_naltrexone": contains_naltrexone,
        "reviewed_by": who,
        "reviewed_on": tx.today.isoformat(),
    }
    rec = _checked(data, tx)
    stored = append_version(tx, actor, patient, rec)
    tx.audit(
        actor,
        "update",
        "patient_record",
        patient.current_version,
        patient_id=patient.id,
        detail=f"medication {index} reviewed",
    )
    return {**_summary(patient), "record": stored}


def _flat(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        return {
            k: v
            for key, item in value.items()
            for k, v in _flat(item, f"{path}.{key}" if path else str(key)).items()
        }
    if isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
        return {
            k: v for i, item in enumerate(value) for k, v in _flat(item, f"{path}[{i}]").items()
        }
    return {path: value}


@use_case("patient.read")
def record_history(tx: Tx, actor: Actor, patient_id: int) -> list[dict[str, Any]]:
    """Every version of the record, newest first, each with what changed from the one before."""
    patient = authorize(tx, actor, "patient.read", patient_id)
    rows = tx.session.scalars(
        select(PatientRecordVersion)
        .where(PatientRecordVersion.patient_id == patient.id)
        .order_by(PatientRecordVersion.version)
    ).all()
    staff = select(User.id, User.display_name, User.email).where(
        User.clinic_id == patient.clinic_id
    )
    names = {uid: name or email for uid, name, email in tx.session.execute(staff)}
    out: list[dict[str, Any]] = []
    before: dict[str, Any] = {}
    for row in rows:
        now = _flat(row.data)
        changes = [
            {"field": k, "before": before.get(k), "after": now.get(k)}
            for k in sorted(set(before) | set(now))
            if before.get(k) != now.get(k)
        ]
        out.append(
            {
                "version": row.version,
                "created_at": row.created_at.isoformat(),
                "created_by": names.get(row.created_by, "") if row.created_by else "",
                "changes": changes if before else [],
            }
        )
        before = now
    tx.audit(actor, "read", "patient_record_history", patient_id=patient.id)
    return out[::-1]


@use_case("patient.read")
def get_patient(tx: Tx, actor: Actor, patient_id: int) -> dict[str, Any]:
    patient = authorize(tx, actor, "patient.read", patient_id)
    record = load_record(tx, patient)
    tx.audit(actor, "read", "patient", patient.id, patient_id=patient.id)
    return {**_summary(patient), "record": record.model_dump(mode="json")}


def _name_page(
    tx: Tx,
    actor: Actor,
    base: Select[Any],
    order: tuple[Any, ...],
    *,
    limit: int,
    offset: int,
) -> tuple[list[Patient], int]:
    """One page by name and the total, with the actor's token checked, in one query (the
    ``users`` row joined with :data:`ACTOR_IS_CURRENT`, the total as ``count(*) OVER ()``).
    An empty page says neither: then the token and the total are read on their own."""
    q = (
        base.add_columns(func.count().over())
        .join(User, and_(*ACTOR_IS_CURRENT))
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    found = tx.session.execute(q, actor_params(actor)).all()
    if not found:
        tx.check_actor(actor)
        total = tx.session.scalar(select(func.count()).select_from(base.subquery())) or 0
        return [], total
    tx.mark_checked(actor)
    return [r[0] for r in found], int(found[0][1])


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
    base = select(Patient).where(Patient.clinic_id == actor.clinic_id)
    if q:
        like = f"%{q.lower()}%"
        base = base.where(
            func.lower(Patient.display_name).like(like) | func.lower(Patient.record_id).like(like)
        )
    window, gap = tx.settings.dashboard_window_days, tx.settings.dashboard_gap_days
    if key == "name" and not condition and attention is None and no_diary_days is None:
        order = (
            (Patient.display_name.desc(), Patient.id.desc())
            if descending
            else (Patient.display_name, Patient.id)
        )
        rows, total = _name_page(tx, actor, base, order, limit=limit, offset=offset)
        status = dashboard.status_for(tx, [p.id for p in rows], tx.today)
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
    for p in rows:
        if p.id not in status:
            status[p.id] = dashboard.blank_status(tx.today, window, gap)
    tx.audit(actor, "read", "patients", detail="ids=" + ",".join(str(p.id) for p in rows))
    items = [
        {**_summary(p), "status": {k: v for k, v in status[p.id].items() if k != "_row"}}
        for p in rows
    ]
    return Page(items, total, limit, offset)
