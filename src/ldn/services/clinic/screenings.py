"""Screenings: the domain's screen of the current record, stored with the rules version."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ldn.domain.errors import NotFoundError
from ldn.domain.patient import PatientRecord
from ldn.domain.screening import RULES_VERSION, screen
from ldn.persistence.tables import Patient, Screening
from ldn.services.clinic.access import authorize
from ldn.services.clinic.context import Actor, Page, Tx, use_case
from ldn.services.clinic.patients import load_record

__all__ = ["get_screening", "list_screenings", "run_screening", "store_screening"]


def _dict(s: Screening) -> dict[str, Any]:
    return {
        "id": s.id,
        "patient_id": s.patient_id,
        "record_version": s.record_version,
        "rules_version": s.rules_version,
        "as_of": s.as_of.isoformat(),
        "verdict": s.verdict,
        "earliest_start": s.earliest_start.isoformat() if s.earliest_start else None,
        "created_at": s.created_at.isoformat(),
        "report": s.report,
    }


@use_case("screening.write")
def run_screening(tx: Tx, actor: Actor, patient_id: int) -> dict[str, Any]:
    """Screen the current record as of today and keep the report."""
    patient = authorize(tx, actor, "screening.write", patient_id)
    row = store_screening(tx, actor, patient, load_record(tx, patient))
    tx.audit(actor, "create", "screening", row.id, patient_id=patient.id)
    return _dict(row)


def store_screening(tx: Tx, actor: Actor, patient: Patient, record: PatientRecord) -> Screening:
    """Screen ``record`` (the patient's current version) as of today and keep the report, inside
    the caller's use case (which audits it)."""
    report = screen(record, today=tx.today)
    row = Screening(
        patient_id=patient.id,
        record_version=patient.current_version,
        rules_version=RULES_VERSION,
        as_of=tx.today,
        verdict=report.verdict,
        earliest_start=report.earliest_start,
        report=report.as_dict(),
        created_at=tx.now,
        created_by=actor.user_id or None,
    )
    tx.session.add(row)
    tx.session.flush()
    return row


@use_case("screening.read")
def list_screenings(
    tx: Tx, actor: Actor, patient_id: int, *, limit: int, offset: int
) -> Page[dict[str, Any]]:
    patient = authorize(tx, actor, "screening.read", patient_id)
    q = select(Screening).where(Screening.patient_id == patient.id)
    rows, total = tx.paged(q, Screening.id.desc(), limit=limit, offset=offset)
    tx.audit(actor, "read", "screenings", patient_id=patient.id)
    return Page([_dict(r) for r in rows], total, limit, offset)


@use_case("screening.read")
def get_screening(tx: Tx, actor: Actor, patient_id: int, screening_id: int) -> dict[str, Any]:
    patient = authorize(tx, actor, "screening.read", patient_id)
    row = tx.session.get(Screening, screening_id)
    if row is None or row.patient_id != patient.id:
        raise NotFoundError(
            f"no screening {screening_id} for this patient", fix="list them: GET .../screenings"
        )
    tx.audit(actor, "read", "screening", row.id, patient_id=patient.id)
    return _dict(row)
