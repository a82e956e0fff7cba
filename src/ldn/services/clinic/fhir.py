"""FHIR R4 use cases: a patient's data as resources (read, search, ``$everything``). The import
of a patient Bundle (match the patient, store a record version with the entries it could not map,
screen it, in one transaction) lives in :mod:`ldn.services.clinic.fhir_import` and is re-exported
here.

Every resource carries ``meta.versionId`` (a digest of its content: it changes exactly when the
resource does, so it is also the ETag) and ``meta.lastUpdated`` (when what it comes from last
changed: the record version, the diary day, the plan, the prescription or its last batch).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from ldn.domain.errors import NotFoundError
from ldn.interop.r4.clinic import (
    care_plan,
    diary_observation,
    medication_request,
    questionnaire_response,
)
from ldn.interop.r4.export import RECORD_ID_SYSTEM, record_resources
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
)
from ldn.persistence.tables import PatientIdentifier as IdentifierRow
from ldn.services.clinic.access import authorize, require
from ldn.services.clinic.context import Actor, Tx, use_case
from ldn.services.clinic.fhir_import import import_patient_bundle, kept_resources
from ldn.services.clinic.patients import load_record

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
