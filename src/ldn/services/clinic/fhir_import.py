"""FHIR R4 import use cases: a patient Bundle is matched to a patient (docs/interop.md), stored
as a new patient or a new record version with the entries it could not map kept aside, and
screened, in one transaction; the kept entries can be listed for a clinician's review."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from ldn.domain.errors import ConflictError, InputError
from ldn.interop.r4.importer import bundle_patient, issues_outcome, read_bundle
from ldn.persistence.tables import Patient, UnmappedResource
from ldn.services.clinic.access import authorize, require
from ldn.services.clinic.context import Actor, Tx, use_case
from ldn.services.clinic.matching import match_patient, sync_match_keys
from ldn.services.clinic.patients import append_version, load_record
from ldn.services.clinic.screenings import store_screening

__all__ = ["import_patient_bundle", "kept_resources"]


def _unreadable(exc: Exception) -> InputError:
    return InputError.at(
        "bundle",
        f"an element holds a value of the wrong type ({str(exc)[:200]})",
        "send numbers as numbers (valueQuantity.value, valueInteger) and dates as dates",
    )


def _new_record_id(tx: Tx, clinic_id: int, wanted: str | None) -> str:
    if (
        wanted
        and tx.session.scalar(
            select(Patient.id).where(Patient.clinic_id == clinic_id, Patient.record_id == wanted)
        )
        is None
    ):
        return wanted
    return f"fhir-{uuid.uuid4().hex[:12]}"


@use_case(
    "patient.write", retry_on_conflict=True
)  # two imports of one new patient at once: the second matches
def import_patient_bundle(
    tx: Tx,
    actor: Actor,
    *,
    bundle: dict[str, Any],
    confirm_patient: int | None = None,
    create: bool = False,
) -> dict[str, Any]:
    """Match the Bundle's patient (docs/interop.md), store a new patient or a new record version
    with the entries kept unmapped, then screen it.

    An identifier (or ldn's record id) names the patient to update; a possible match by name,
    birth date and sex is refused (409) until a clinician confirms: ``confirm_patient`` updates
    that patient, ``create`` makes a new one.
    """
    tx.check_actor(actor)
    require(actor, "patient.write")
    try:  # a value of a type the importer does not expect (valueString for a number) is the sender's error
        who = bundle_patient(bundle)
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise _unreadable(exc) from None
    match = match_patient(
        tx,
        actor.clinic_id,
        record_id=who.record_id,
        identifiers=who.identifiers,
        family=who.family,
        birth_date=who.birth_date,
        sex=who.sex,
    )
    patient: Patient | None = None
    matched_on = ""
    if confirm_patient is not None:
        patient = authorize(tx, actor, "patient.write", confirm_patient)
        if match.patient is not None and match.patient.id != patient.id:
            raise ConflictError(
                f"the Bundle's {match.matched_on} names patient {match.patient.id}, not {patient.id}",
                fix=f"confirm patient {match.patient.id}, or correct the identifier",
            )
        matched_on = "confirmed by the clinician" + (f" ({match.reason})" if match.reason else "")
    elif create:
        if match.patient is not None:
            raise ConflictError(
                f"the Bundle's {match.matched_on} names patient {match.patient.id}",
                fix="import without mode=create to update that patient",
            )
    elif match.patient is not None:
        patient, matched_on = match.patient, match.matched_on
    elif match.candidates:
        names = ", ".join(
            f"Patient/{p.id} ({p.display_name or p.record_id})" for p in match.candidates
        )
        raise ConflictError(
            f"possible match: {names}: {match.reason}; confirm before ldn merges or creates",
            fix=f"send the Parameters form of $import-patient with patient=Patient/{match.candidates[0].id} to update "
            "that patient, or mode=create for a new patient",
        )
    current = load_record(tx, patient) if patient is not None else None
    try:
        read = read_bundle(bundle, today=tx.today, current=current, checked=True)
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise _unreadable(exc) from None
    created = patient is None
    if patient is None:
        record_id = _new_record_id(tx, actor.clinic_id, who.record_id)
        record = read.record.model_copy(update={"id": record_id})
        patient = Patient(
            clinic_id=actor.clinic_id,
            record_id=record_id,
            display_name=record.display_name,
            current_version=0,
            created_at=tx.now,
            updated_at=tx.now,
        )
        tx.session.add(patient)
        tx.session.flush()
    else:
        record = read.record.model_copy(update={"id": patient.record_id})
    sync_match_keys(tx, patient, record, family=who.family or None)
    append_version(tx, actor, patient, record)
    for kept in read.kept:
        tx.session.add(
            UnmappedResource(
                patient_id=patient.id,
                record_version=patient.current_version,
                resource_type=str(kept.resource.get("resourceType", ""))[:64],
                reason=kept.reason,
                resource=kept.resource,
                created_at=tx.now,
                created_by=actor.user_id or None,
            )
        )
    row = store_screening(tx, actor, patient, record)
    tx.audit(
        actor,
        "create" if created else "update",
        "fhir_import",
        patient.id,
        patient_id=patient.id,
        detail=f"matched on {matched_on}" if matched_on else "",
    )
    message = (
        f"created patient {patient.id}"
        if created
        else f"updated patient {patient.id} (matched on {matched_on})"
    )
    return {
        "patient_id": patient.id,
        "created": created,
        "outcome": "created" if created else "updated",
        "message": message,
        "matched_on": matched_on,
        "record_version": patient.current_version,
        "screening_id": row.id,
        "verdict": row.verdict,
        "earliest_start": row.earliest_start.isoformat() if row.earliest_start else None,
        "kept": len(read.kept),
        "issues": issues_outcome(read),
    }


@use_case("patient.read")
def kept_resources(tx: Tx, actor: Actor, patient_id: int) -> list[dict[str, Any]]:
    """The resources imports kept without mapping them, newest first, with the record version
    each import made and the reason (for a clinician's review)."""
    patient = authorize(tx, actor, "patient.read", patient_id)
    rows = tx.session.scalars(
        select(UnmappedResource)
        .where(UnmappedResource.patient_id == patient.id)
        .order_by(UnmappedResource.id.desc())
    )
    tx.audit(actor, "read", "fhir_unmapped", patient.id, patient_id=patient.id)
    return [
        {
            "id": r.id,
            "record_version": r.record_version,
            "resource_type": r.resource_type,
            "reason": r.reason,
            "resource": r.resource,
            "created_at": r.created_at.isoformat(),
        }
        for r in rows
    ]
