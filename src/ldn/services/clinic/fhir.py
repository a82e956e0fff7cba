"""FHIR R4 use cases: a patient's data as resources (read, search, ``$everything``) and the
import of a patient Bundle, which stores a record version and screens it (one transaction)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ldn.domain.errors import ConflictError, NotFoundError
from ldn.domain.screening import RULES_VERSION, screen
from ldn.interop.r4.clinic import (
    care_plan,
    diary_observation,
    medication_request,
    questionnaire_response,
)
from ldn.interop.r4.export import record_resources
from ldn.interop.r4.importer import bundle_to_record
from ldn.interop.r4.validate import validated
from ldn.persistence.tables import (
    DiaryRow,
    Patient,
    PatientRecordVersion,
    Plan,
    Prescription,
    QuestionnaireRow,
    Screening,
)
from ldn.services.clinic.access import authorize, require
from ldn.services.clinic.context import Actor, Tx, use_case
from ldn.services.clinic.patients import load_record

__all__ = ["RESOURCE_TYPES", "import_patient_bundle", "patient_resources"]

RESOURCE_TYPES = ("Patient", "Condition", "MedicationStatement", "MedicationRequest", "Observation",
                  "QuestionnaireResponse", "CarePlan")  # fmt: skip


def _resources(tx: Tx, patient: Patient) -> list[dict[str, Any]]:
    pid = str(patient.id)
    out = record_resources(load_record(tx, patient), fid=pid)
    for row in tx.session.scalars(
        select(DiaryRow).where(DiaryRow.patient_id == patient.id).order_by(DiaryRow.day)
    ):
        out.append(diary_observation(row.data, pid))
    for rx in tx.session.scalars(select(Prescription).where(Prescription.patient_id == patient.id)):
        out.append(
            medication_request(
                {
                    "id": rx.id,
                    "status": rx.status,
                    "created_at": rx.created_at.date().isoformat(),
                    **rx.data,
                },
                pid,
            )
        )
    for plan in tx.session.scalars(
        select(Plan).where(Plan.patient_id == patient.id, Plan.status == "active")
    ):
        out.append(
            care_plan(
                {"id": plan.id, "status": plan.status, "version": plan.version, **plan.data}, pid
            )
        )
    for q in tx.session.scalars(
        select(QuestionnaireRow).where(QuestionnaireRow.patient_id == patient.id)
    ):
        out.append(questionnaire_response({"id": q.id, "instrument": q.instrument, "answers": q.answers,
                                           "taken_on": q.taken_on.isoformat()}, pid))  # fmt: skip
    return out


@use_case()
def patient_resources(tx: Tx, actor: Actor, patient_id: int, *, resource_type: str | None = None,
                      resource_id: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """The patient's resources (all, one type, or one by id), each validated."""
    patient = authorize(tx, actor, "patient.read", patient_id)
    found = [r for r in _resources(tx, patient)
             if (resource_type is None or r["resourceType"] == resource_type) and (resource_id is None or r["id"] == resource_id)]  # fmt: skip
    if resource_id is not None and not found:
        raise NotFoundError(
            f"no {resource_type}/{resource_id}",
            fix="search by patient: GET /fhir/R4/{type}?patient={id}",
        )
    tx.audit(actor, "read", "fhir", resource_type or "everything", patient_id=patient.id)
    return [validated(r) for r in found]


@use_case()
def import_patient_bundle(tx: Tx, actor: Actor, *, bundle: dict[str, Any]) -> dict[str, Any]:
    """Store the Bundle's patient as a new patient or a new record version, then screen it."""
    tx.check_actor(actor)
    require(actor, "patient.write")
    record = bundle_to_record(bundle, today=tx.today)
    patient = tx.session.scalar(
        select(Patient).where(Patient.clinic_id == actor.clinic_id, Patient.record_id == record.id)
    )
    data = record.model_dump(mode="json")
    if patient is None:
        patient = Patient(clinic_id=actor.clinic_id, record_id=record.id, display_name=record.display_name,
                          current_version=1, created_at=tx.now, updated_at=tx.now)  # fmt: skip
        tx.session.add(patient)
        tx.session.flush()
        created = True
    else:
        if patient.clinic_id != actor.clinic_id:  # pragma: no cover - the query is scoped
            raise ConflictError("record id belongs to another clinic", fix="use another id")
        patient.current_version += 1
        patient.display_name, patient.updated_at = record.display_name, tx.now
        created = False
    tx.session.add(PatientRecordVersion(patient_id=patient.id, version=patient.current_version, data=data,
                                        created_at=tx.now, created_by=actor.user_id or None))  # fmt: skip
    report = screen(record, today=tx.today)
    row = Screening(patient_id=patient.id, record_version=patient.current_version, rules_version=RULES_VERSION,
                    as_of=tx.today, verdict=report.verdict, earliest_start=report.earliest_start,
                    report=report.as_dict(), created_at=tx.now, created_by=actor.user_id or None)  # fmt: skip
    tx.session.add(row)
    tx.session.flush()
    tx.audit(
        actor, "create" if created else "update", "fhir_import", patient.id, patient_id=patient.id
    )
    return {"patient_id": patient.id, "created": created, "record_version": patient.current_version,
            "screening_id": row.id, "verdict": report.verdict,
            "earliest_start": report.earliest_start.isoformat() if report.earliest_start else None}  # fmt: skip
