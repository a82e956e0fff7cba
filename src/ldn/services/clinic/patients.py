"""Patients and their versioned records.

A record is validated by the domain (:func:`ldn.domain.patient.parse_patient`) before it is
stored; each change stores a new version (never an overwrite), so a screening always names the
exact record it was run on.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ldn.domain.errors import ConflictError, InputError, PreconditionFailed
from ldn.domain.patient import PatientRecord, parse_patient
from ldn.domain.screening import score_instruments
from ldn.domain.titration import TitrationPlan
from ldn.persistence.tables import (
    DiaryRow,
    Patient,
    PatientRecordVersion,
    Plan,
    Screening,
    Trial,
    User,
)
from ldn.services.clinic.access import authorize, require
from ldn.services.clinic.context import Actor, Page, Tx, use_case

__all__ = [
    "create_patient",
    "get_patient",
    "list_patients",
    "load_record",
    "review_medication",
    "update_record",
]


def load_record(tx: Tx, patient: Patient) -> PatientRecord:
    """The current record, re-validated (today = the transaction's date)."""
    row = tx.session.scalar(
        select(PatientRecordVersion).where(
            PatientRecordVersion.patient_id == patient.id,
            PatientRecordVersion.version == patient.current_version,
        )
    )
    assert row is not None, "every patient has its current record version"
    return PatientRecord.model_validate(row.data, context={"today": None})


def _checked(record: object, tx: Tx) -> PatientRecord:
    """The record, validated with its questionnaires' answers (an invalid answer is refused
    now, naming the item, not at the first screening)."""
    rec = parse_patient(record, today=tx.today, origin="record")
    try:
        score_instruments(rec)
    except InputError as exc:
        raise InputError(exc.problems, origin="record") from None
    return rec


def _summary(p: Patient) -> dict[str, Any]:
    return {"id": p.id, "record_id": p.record_id, "display_name": p.display_name,
            "clinic_id": p.clinic_id, "record_version": p.current_version,
            "created_at": p.created_at.isoformat(), "updated_at": p.updated_at.isoformat()}  # fmt: skip


@use_case()
def create_patient(tx: Tx, actor: Actor, *, record: object) -> dict[str, Any]:
    """A new patient of the actor's clinic from a patient record (validated first)."""
    tx.check_actor(actor)
    require(actor, "patient.write")
    rec = _checked(record, tx)
    patient = Patient(clinic_id=actor.clinic_id, record_id=rec.id,
                      display_name=rec.display_name, current_version=1,
                      created_at=tx.now, updated_at=tx.now)  # fmt: skip
    tx.session.add(patient)
    try:
        tx.session.flush()
    except IntegrityError:
        raise ConflictError(
            f"this clinic already has a patient with record id {rec.id!r}",
            fix="use another id, or update that patient (PUT /patients/{id}/record)",
        ) from None
    tx.session.add(PatientRecordVersion(patient_id=patient.id, version=1, data=rec.model_dump(mode="json"),
                                        created_at=tx.now, created_by=actor.user_id or None))  # fmt: skip
    tx.audit(actor, "create", "patient", patient.id, patient_id=patient.id)
    return {**_summary(patient), "record": rec.model_dump(mode="json")}


@use_case()
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
        raise ConflictError(f"the record id {rec.id!r} does not match this patient ({patient.record_id!r})",
                            fix="keep the record's id unchanged")  # fmt: skip
    patient.current_version += 1
    patient.display_name = rec.display_name
    patient.updated_at = tx.now
    tx.session.add(PatientRecordVersion(patient_id=patient.id, version=patient.current_version,
                                        data=rec.model_dump(mode="json"), created_at=tx.now,
                                        created_by=actor.user_id or None))  # fmt: skip
    tx.audit(actor, "update", "patient_record", patient.current_version, patient_id=patient.id)
    return {**_summary(patient), "record": rec.model_dump(mode="json")}


@use_case()
def review_medication(
    tx: Tx, actor: Actor, patient_id: int, *, index: int, contains_opioid: bool,
    contains_naltrexone: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """Record the clinician's answer for a medicine ldn could not identify (a new record version).

    The answer (who, when) then decides for that medicine in every screening; a known opioid is
    never cleared by it (:attr:`ldn.domain.patient.Medication.classes`).
    """
    patient = authorize(tx, actor, "patient.write", patient_id)
    current = load_record(tx, patient)
    if not 0 <= index < len(current.medications):
        raise InputError.at("index", f"the record has no medication number {index}",
                            f"use 0 to {len(current.medications) - 1}" if current.medications else "add the medication first")  # fmt: skip
    user = tx.session.get(User, actor.user_id)
    who = (user.display_name or user.email) if user is not None else f"user {actor.user_id}"
    data = current.model_dump(mode="json")
    data["medications"][index]["review"] = {"contains_opioid": contains_opioid, "contains_naltrexone": contains_naltrexone,
                                            "reviewed_by": who, "reviewed_on": tx.today.isoformat()}  # fmt: skip
    rec = _checked(data, tx)
    patient.current_version += 1
    patient.updated_at = tx.now
    tx.session.add(PatientRecordVersion(patient_id=patient.id, version=patient.current_version,
                                        data=rec.model_dump(mode="json"), created_at=tx.now,
                                        created_by=actor.user_id or None))  # fmt: skip
    tx.audit(actor, "update", "patient_record", patient.current_version, patient_id=patient.id,
             detail=f"medication {index} reviewed")  # fmt: skip
    return {**_summary(patient), "record": rec.model_dump(mode="json")}


@use_case()
def get_patient(tx: Tx, actor: Actor, patient_id: int) -> dict[str, Any]:
    patient = authorize(tx, actor, "patient.read", patient_id)
    record = load_record(tx, patient)
    tx.audit(actor, "read", "patient", patient.id, patient_id=patient.id)
    return {**_summary(patient), "record": record.model_dump(mode="json")}


def _status(tx: Tx, ids: list[int], today: date) -> dict[int, dict[str, Any]]:
    """Status columns for a page of patients: verdict, plan step, days logged, trial state."""
    out: dict[int, dict[str, Any]] = {i: {"verdict": None, "plan_dose_mg": None, "days_logged": 0,
                                          "last_entry": None, "trial": None} for i in ids}  # fmt: skip
    last_screen = (
        select(Screening.patient_id, func.max(Screening.id).label("sid"))
        .where(Screening.patient_id.in_(ids)).group_by(Screening.patient_id).subquery()
    )  # fmt: skip
    for pid, verdict in tx.session.execute(
        select(Screening.patient_id, Screening.verdict).join(last_screen, Screening.id == last_screen.c.sid)
    ):  # fmt: skip
        out[pid]["verdict"] = verdict
    for pid, n, last in tx.session.execute(
        select(DiaryRow.patient_id, func.count(), func.max(DiaryRow.day))
        .where(DiaryRow.patient_id.in_(ids)).group_by(DiaryRow.patient_id)
    ):  # fmt: skip
        out[pid]["days_logged"], out[pid]["last_entry"] = n, last.isoformat()
    for plan in tx.session.scalars(
        select(Plan).where(Plan.patient_id.in_(ids), Plan.status == "active")
    ):
        step = TitrationPlan.from_dict(plan.data["plan"]).dose_on(today)
        out[plan.patient_id]["plan_dose_mg"] = step.dose_mg if step else 0.0
    for trial in tx.session.scalars(select(Trial).where(Trial.patient_id.in_(ids))):
        out[trial.patient_id]["trial"] = trial.status
    return out


@use_case()
def list_patients(
    tx: Tx, actor: Actor, *, limit: int, offset: int, q: str = ""
) -> Page[dict[str, Any]]:
    """The clinic's patients with their status, by name."""
    tx.check_actor(actor)
    require(actor, "patient.list")
    base = select(Patient).where(Patient.clinic_id == actor.clinic_id)
    if q:
        like = f"%{q.lower()}%"
        base = base.where(
            func.lower(Patient.display_name).like(like) | func.lower(Patient.record_id).like(like)
        )
    rows, total = tx.paged(base, Patient.display_name, Patient.id, limit=limit, offset=offset)
    status = _status(tx, [p.id for p in rows], tx.today)
    tx.audit(actor, "read", "patients", detail="ids=" + ",".join(str(p.id) for p in rows))
    return Page([{**_summary(p), "status": status[p.id]} for p in rows], total, limit, offset)
