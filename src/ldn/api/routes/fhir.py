"""FHIR R4 endpoints (``/fhir/R4``): CapabilityStatement, read and search by patient,
``Patient/{id}/$everything``, and ``$import-patient`` (a patient Bundle → record → screening).

Authentication: the service's own accounts (``Authorization: Bearer`` from
``POST /api/v1/auth/token``), with the same roles and scopes as the REST API. Errors are
OperationOutcome resources naming the element (see :mod:`ldn.api.errors`).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse

from ldn import __version__
from ldn.api.deps import ActorDep, ClinicDep, IdPath
from ldn.domain.errors import InputError, NotFoundError
from ldn.services.clinic import fhir

FHIR_JSON = "application/fhir+json"


class FhirJSON(JSONResponse):
    media_type = FHIR_JSON


_OUTCOME = {"content": {FHIR_JSON: {"schema": {"type": "object", "required": ["resourceType", "issue"],
                                               "properties": {"resourceType": {"const": "OperationOutcome"},
                                                              "issue": {"type": "array"}}}}}}  # fmt: skip
FHIR_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": f"OperationOutcome ({text})", **_OUTCOME}
    for code, text in {400: "malformed", 401: "not logged in", 403: "forbidden", 404: "not found",
                       409: "conflict", 422: "invalid resource", 429: "throttled", 500: "error"}.items()
}  # fmt: skip
router = APIRouter(
    prefix="/fhir/R4", tags=["FHIR R4"], default_response_class=FhirJSON, responses=FHIR_ERRORS
)
_TYPES = "|".join(fhir.RESOURCE_TYPES)


def _fhir(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=FHIR_JSON, headers=headers)


def _searchset(request: Request, resources: list[dict[str, Any]]) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/") + "/fhir/R4"
    return {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "searchset", "total": len(resources),
            "link": [{"relation": "self", "url": str(request.url)}],
            "entry": [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
                      for r in resources]}  # fmt: skip


@router.get("/metadata", summary="CapabilityStatement (no login)")
def metadata() -> JSONResponse:
    search = [{"name": "patient", "type": "reference"}]
    resources = [{"type": t, "interaction": [{"code": "read"}, {"code": "search-type"}],
                  "searchParam": search if t != "Patient" else [{"name": "_id", "type": "token"}]}
                 for t in fhir.RESOURCE_TYPES]  # fmt: skip
    resources[0]["operation"] = [
        {
            "name": "everything",
            "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
        }
    ]
    return _fhir({"resourceType": "CapabilityStatement", "status": "active", "date": "2026-11-25", "kind": "instance",
                  "software": {"name": "ldn", "version": __version__}, "fhirVersion": "4.0.1", "format": ["json"],
                  "implementation": {"description": "ldn clinic service: low-dose naltrexone decision support"},
                  "rest": [{"mode": "server", "resource": resources,
                            "security": {"description": "Bearer token from POST /api/v1/auth/token (ldn accounts and roles)"},
                            "operation": [{"name": "import-patient", "definition": "https://ldn.example.org/fhir/OperationDefinition/import-patient"}]}]})  # fmt: skip


@router.post(
    "/$import-patient",
    summary="Import a patient Bundle: store the record and screen it (clinician)",
)
def import_patient(clinic: ClinicDep, actor: ActorDep,
                   bundle: Annotated[dict[str, Any], Body(description="A FHIR R4 Bundle with one Patient")]) -> JSONResponse:  # fmt: skip
    out = fhir.import_patient_bundle(clinic, actor, bundle=bundle)
    params = {"resourceType": "Parameters", "parameter": [
        {"name": "patient", "valueReference": {"reference": f"Patient/{out['patient_id']}"}},
        {"name": "created", "valueBoolean": out["created"]},
        {"name": "recordVersion", "valueInteger": out["record_version"]},
        {"name": "verdict", "valueCode": out["verdict"]},
        *([{"name": "earliestStart", "valueDate": out["earliest_start"]}] if out["earliest_start"] else []),
        {"name": "screening", "valueString": f"/api/v1/patients/{out['patient_id']}/screenings/{out['screening_id']}"},
    ]}  # fmt: skip
    return _fhir(
        params,
        201 if out["created"] else 200,
        {"Location": f"/fhir/R4/Patient/{out['patient_id']}"},
    )


@router.get(
    "/Patient/{patient_id}/$everything", summary="Everything about a patient, as a searchset Bundle"
)
def everything(
    patient_id: IdPath, request: Request, clinic: ClinicDep, actor: ActorDep
) -> JSONResponse:
    return _fhir(_searchset(request, fhir.patient_resources(clinic, actor, patient_id)))


@router.get("/{resource_type}/{resource_id}", summary="Read one resource")
def read(
    resource_type: Annotated[str, "FHIR type"], resource_id: str, clinic: ClinicDep, actor: ActorDep
) -> JSONResponse:
    if resource_type not in fhir.RESOURCE_TYPES:
        raise NotFoundError(
            f"ldn serves no {resource_type!r} resources",
            fix=f"use one of {', '.join(fhir.RESOURCE_TYPES)}",
        )
    head = resource_id.split("-", 1)[0]
    if not head.isdigit() or not 1 <= int(head) <= 2**62:
        raise NotFoundError(
            f"no {resource_type}/{resource_id}", fix="use an id from a search result"
        )
    found = fhir.patient_resources(
        clinic, actor, int(head), resource_type=resource_type, resource_id=resource_id
    )
    return _fhir(found[0])


@router.get("/{resource_type}", summary="Search a patient's resources of one type")
def search(
    resource_type: str, request: Request, clinic: ClinicDep, actor: ActorDep,
    patient: Annotated[str | None, Query(description="Patient id (or Patient/{id})")] = None,
    _id: Annotated[str | None, Query(alias="_id")] = None,
) -> JSONResponse:  # fmt: skip
    if resource_type not in fhir.RESOURCE_TYPES:
        raise NotFoundError(
            f"ldn serves no {resource_type!r} resources",
            fix=f"use one of {', '.join(fhir.RESOURCE_TYPES)}",
        )
    ref = (_id if resource_type == "Patient" else patient) or ""
    ref = ref.removeprefix("Patient/")
    if not ref.isdigit() or not 1 <= int(ref) <= 2**62:
        raise InputError.at("patient" if resource_type != "Patient" else "_id", "a search needs the patient's id",
                            f"add ?{'patient' if resource_type != 'Patient' else '_id'}={{id}}")  # fmt: skip
    return _fhir(
        _searchset(
            request, fhir.patient_resources(clinic, actor, int(ref), resource_type=resource_type)
        )
    )
