"""FHIR R4 use cases: a patient's data as resources (read, search, ``$everything``) and the
import of a patient Bundle, which matches the patient, stores a record version with the entries
it could not map, and screens it (one transaction).

Every resource carries ``meta.versionId`` (a digest of its content: it changes exactly when the
resource does, so it is also the ETag) and ``meta.lastUpdated`` (when what it comes from last
changed: the record version, the diary day, the plan, the prescription or its last batch).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from ldn.domain.errors import ConflictError, InputError, NotFoundError
from ldn.domain.screening import RULES_VERSION, screen
from ldn.interop.r4.clinic import (
    care_plan,
    diary_observation,
    medication_request,
    questionnaire_response,
)
from ldn.interop.r4.export import RECORD_ID_SYSTEM, record_resources
from ldn.interop.r4.importer import bundle_patient, issues_outcome, read_bundle
from ldn.interop.r4.search import (
    SEARCH_PARAMS,
    SearchError,
    SearchQuery,
    matches,
    patient_scope,
    sorted_resources,
)
from ldn.interop.r4.validate import validated
from ldn.persistence.tables import (
    Batch,
    DiaryRow,
    Patient,
    PatientRecordVersion,
    Plan,
    Prescription,
    QuestionnaireRow,
    Screening,
    UnmappedResource,
)
from ldn.persistence.tables import PatientIdentifier as IdentifierRow
from ldn.services.clinic.access import authorize, require
from ldn.services.clinic.context import Actor, Tx, use_case
from ldn.services.clinic.matching import match_patient, sync_match_keys
from ldn.services.clinic.patients import append_version, load_record

__all__ = [
    "RESOURCE_TYPES",
    "import_patient_bundle",
    "kept_resources",
    "patient_everything",
    "read_resource",
    "search_resources",
]

RESOURCE_TYPES = tuple(SEARCH_PARAMS)


def _instant(at: datetime) -> str:
    return (
        (at if at.tzinfo else at.replace(tzinfo=UTC))
        .astimezone(UTC)
        .isoformat(timespec="milliseconds")
    )


def _with_meta(resource: dict[str, Any], updated: datetime) -> dict[str, Any]:
    """The resource with ``meta.versionId`` (its content's digest) and ``meta.lastUpdated``."""
    body = {k: v for k, v in resource.items() if k != "meta"}
    digest = hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()[:20]
    meta = {**(resource.get("meta") or {}), "versionId": digest, "lastUpdated": _instant(updated)}
    return {
        "resourceType": resource["resourceType"],
        "id": resource["id"],
        "meta": meta,
        **{k: v for k, v in body.items() if k not in ("resourceType", "id")},
    }


def _record_resources(tx: Tx, patient: Patient) -> list[dict[str, Any]]:
    """The current record's resources (Patient first), dated by the record version."""
    version = tx.session.scalar(
        select(PatientRecordVersion).where(
            PatientRecordVersion.patient_id == patient.id,
            PatientRecordVersion.version == patient.current_version,
        )
    )
    recorded = version.created_at if version is not None else patient.updated_at
    record = load_record(tx, patient)
    return [
        _with_meta(r, recorded)
        for r in record_resources(record, fid=str(patient.id), recorded=recorded.date())
    ]


def _resources(tx: Tx, patient: Patient) -> list[dict[str, Any]]:
    pid = str(patient.id)
    out = _record_resources(tx, patient)
    for row in tx.session.scalars(
        select(DiaryRow).where(DiaryRow.patient_id == patient.id).order_by(DiaryRow.day)
    ):
        out.append(_with_meta(diary_observation(row.data, pid), row.updated_at))
    batches = dict(
        tx.session.execute(
            select(Batch.prescription_id, func.max(Batch.created_at))
            .join(Prescription, Prescription.id == Batch.prescription_id)
            .where(Prescription.patient_id == patient.id)
            .group_by(Batch.prescription_id)
        ).all()
    )
    for rx in tx.session.scalars(
        select(Prescription).where(Prescription.patient_id == patient.id).order_by(Prescription.id)
    ):
        res = medication_request(
            {
                "id": rx.id,
                "status": rx.status,
                "created_at": rx.created_at.date().isoformat(),
                **rx.data,
            },
            pid,
        )
        changed = max(_aware(rx.created_at), _aware(batches.get(rx.id) or rx.created_at))
        out.append(_with_meta(res, changed))
    for plan in tx.session.scalars(
        select(Plan).where(Plan.patient_id == patient.id, Plan.status == "active").order_by(Plan.id)
    ):
        res = care_plan(
            {"id": plan.id, "status": plan.status, "version": plan.version, **plan.data}, pid
        )
        out.append(_with_meta(res, plan.updated_at))
    for q in tx.session.scalars(
        select(QuestionnaireRow)
        .where(QuestionnaireRow.patient_id == patient.id)
        .order_by(QuestionnaireRow.id)
    ):
        res = questionnaire_response(
            {
                "id": q.id,
                "instrument": q.instrument,
                "answers": q.answers,
                "taken_on": q.taken_on.isoformat(),
            },
            pid,
        )
        out.append(_with_meta(res, q.created_at))
    return out


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _page(found: list[dict[str, Any]], query: SearchQuery) -> dict[str, Any]:
    ordered = sorted_resources(found, query)
    page = [] if query.summary_count else ordered[query.offset : query.offset + query.count]
    return {"total": len(ordered), "resources": [validated(r) for r in page]}


@use_case("patient.read")
def read_resource(tx: Tx, actor: Actor, resource_type: str, resource_id: str) -> dict[str, Any]:
    """One resource by its logical id (which starts with the patient's id)."""
    head = resource_id.split("-", 1)[0]
    if resource_type not in RESOURCE_TYPES or not head.isdigit() or not 1 <= int(head) <= 2**62:
        raise NotFoundError(
            f"no {resource_type}/{resource_id}", fix="use an id from a search result"
        )
    patient = authorize(tx, actor, "patient.read", int(head))
    found = [
        r
        for r in _resources(tx, patient)
        if r["resourceType"] == resource_type and r["id"] == resource_id
    ]
    if not found:
        raise NotFoundError(
            f"no {resource_type}/{resource_id}",
            fix="search by patient: GET /fhir/R4/{type}?patient={id}",
        )
    tx.audit(actor, "read", "fhir", f"{resource_type}/{resource_id}", patient_id=patient.id)
    return validated(found[0])


@use_case("patient.read")
def patient_everything(tx: Tx, actor: Actor, patient_id: int, query: SearchQuery) -> dict[str, Any]:
    """Every resource of the patient (``_type`` limits the types), one page of them."""
    patient = authorize(tx, actor, "patient.read", patient_id)
    found = [
        r for r in _resources(tx, patient) if not query.types or r["resourceType"] in query.types
    ]
    tx.audit(actor, "read", "fhir", "everything", patient_id=patient.id)
    return _page(found, query)


def _patients_in_scope(tx: Tx, actor: Actor, ids: set[str] | None) -> list[Patient]:
    """The patients a search may look at: those named (each must be visible: else not found,
    as for a read), else the actor's clinic (a patient: themself)."""
    if ids is not None:
        out = []
        for ident in sorted(ids):
            if ident.isdigit() and 1 <= int(ident) <= 2**62:
                out.append(authorize(tx, actor, "patient.read", int(ident)))
        return out
    tx.check_actor(actor)
    require(actor, "patient.read")
    if actor.role == "patient":
        return [authorize(tx, actor, "patient.read", actor.patient_id or 0)]
    q = select(Patient).order_by(Patient.id)
    if actor.role != "system":
        q = q.where(Patient.clinic_id == actor.clinic_id)
    return list(tx.session.scalars(q))


def _patient_stub(p: Patient, identifiers: list[tuple[str, str]]) -> dict[str, Any]:
    """What Patient search matches on, from the columns (the record is loaded for the page only)."""
    return {
        "resourceType": "Patient",
        "id": str(p.id),
        "gender": p.sex or "unknown",
        **({"birthDate": p.birth_date.isoformat()} if p.birth_date else {}),
        **({"name": [{"family": p.family_key}]} if p.family_key else {}),
        "identifier": [
            {"system": RECORD_ID_SYSTEM, "value": p.record_id},
            *({"system": s, "value": v} for s, v in identifiers),
        ],
    }


@use_case("patient.read")
def search_resources(tx: Tx, actor: Actor, query: SearchQuery) -> dict[str, Any]:
    """A type's resources matching ``query``: one page and the total. A search other than for
    Patient names the patient (``patient``, ``subject`` or ``_id``); a patient's own login may
    leave it out."""
    kind = query.resource_type
    scope = patient_scope(query)
    if kind == "Patient":
        patients = _patients_in_scope(tx, actor, scope)
        idents: dict[int, list[tuple[str, str]]] = {}
        for pid, system, value in tx.session.execute(
            select(IdentifierRow.patient_id, IdentifierRow.system, IdentifierRow.value).where(
                IdentifierRow.patient_id.in_([p.id for p in patients])
            )
        ):
            idents.setdefault(pid, []).append((system, value))
        hits = [
            p for p in patients if matches(_patient_stub(p, idents.get(p.id, [])), query.criteria)
        ]
        by_id = {str(p.id): p for p in hits}
        stubs = sorted_resources([_patient_stub(p, idents.get(p.id, [])) for p in hits], query)
        page = [] if query.summary_count else stubs[query.offset : query.offset + query.count]
        resources = []
        for stub in page:
            p = by_id[stub["id"]]
            resources.append(validated(_record_resources(tx, p)[0]))
            tx.audit(actor, "read", "fhir", "Patient search", patient_id=p.id)
        return {"total": len(stubs), "resources": resources}
    if scope is None and actor.role != "patient":
        raise SearchError.at(
            "patient",
            f"a {kind} search names the patient",
            f"add patient={{id}} (or subject, or _id), e.g. {kind}?patient=5",
            origin="search",
        )
    patients = _patients_in_scope(tx, actor, scope)
    found = []
    for p in patients:
        found += [
            r for r in _resources(tx, p) if r["resourceType"] == kind and matches(r, query.criteria)
        ]
        tx.audit(actor, "read", "fhir", f"{kind} search", patient_id=p.id)
    return _page(found, query)


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
        "verdict": report.verdict,
        "earliest_start": report.earliest_start.isoformat() if report.earliest_start else None,
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
