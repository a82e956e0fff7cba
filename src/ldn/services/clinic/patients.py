"""Patients and their versioned records.

A record is validated by the domain (:func:`ldn.domain.patient.parse_patient`) before it is
stored; each change stores a new version (never an overwrite), so a screening always names the
exact record it was run on.

Every stored version refreshes the patient's match keys
(:func:`ldn.services.clinic.matching.sync_match_keys`).
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ldn.domain.errors import ConflictError, InputError, PreconditionFailed
from ldn.domain.patient import PatientRecord, parse_patient
from ldn.domain.screening import score_instruments
from ldn.persistence.tables import (
    Patient,
    PatientRecordVersion,
    User,
)
from ldn.services.clinic.access import authorize, require
from ldn.services.clinic.context import Actor, Tx, use_case
from ldn.services.clinic.matching import sync_match_keys
from ldn.services.clinic.patient_list import list_patients
from ldn.services.clinic.patient_list import summary as _summary

__all__ = [
    "create_patient",
    "get_patient",
    "list_patients",
    "load_record",
    "review_medication",
    "update_record",
]


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
