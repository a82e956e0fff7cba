"""``POST /fhir/R4/$import-patient``: a patient Bundle, or the operation's Parameters form →
matching → record → screening (clinician)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import Response

from ldn.api.deps import ActorDep, ClinicDep
from ldn.api.routes.fhir.http import fhir_response
from ldn.api.routes.fhir.parameters import parameter_list
from ldn.domain.errors import InputError
from ldn.services.clinic import fhir

__all__ = ["router"]

router = APIRouter()

ImportBody = Annotated[
    dict[str, Any],
    Body(
        description="A FHIR R4 Bundle with one Patient, or Parameters with bundle and optionally "
        "patient (confirm a match) or mode=create"
    ),
]


def _confirmed_patient(p: dict[str, Any], loc: str) -> int:
    """The ldn patient a clinician confirmed (``Patient/{id}``)."""
    reference = p.get("valueReference") or {}
    ref = str(reference.get("reference") or p.get("valueString") or p.get("valueId") or "")
    ident = ref.removeprefix("Patient/")
    if not ident.isdigit() or not 1 <= int(ident) <= 2**62:
        raise InputError.at(
            f"{loc}.valueReference",
            f"{ref!r} is not an ldn patient",
            "send valueReference Patient/{id} from the possible match",
        )
    return int(ident)


def _create_mode(p: dict[str, Any], loc: str) -> bool:
    """Whether ``mode`` asks for a new patient (``create``) rather than a match."""
    code: str | None = p.get("valueCode") or p.get("valueString")
    if code not in ("create", "match"):
        raise InputError.at(
            f"{loc}.valueCode", f"{code!r} is not a mode", "use create (a new patient) or match"
        )
    return code == "create"


def _import_input(body: dict[str, Any]) -> tuple[dict[str, Any], int | None, bool]:
    """(the Bundle, the patient a clinician confirmed, whether to create a new one) from a Bundle
    or from the operation's Parameters form."""
    if body.get("resourceType") != "Parameters":
        return body, None, False
    bundle: dict[str, Any] | None = None
    confirm: int | None = None
    create = False
    for i, p in enumerate(parameter_list(body)):
        loc = f"Parameters.parameter[{i}]"
        name = p.get("name") if isinstance(p, dict) else None
        if name in ("bundle", "resource") and isinstance(p.get("resource"), dict):
            bundle = p["resource"]
        elif name == "patient":
            confirm = _confirmed_patient(p, loc)
        elif name == "mode":
            create = _create_mode(p, loc)
        else:
            raise InputError.at(
                f"{loc}.name",
                f"{name!r} is not a parameter of $import-patient",
                "send bundle (the Bundle), and optionally patient or mode",
            )
    if bundle is None:
        raise InputError.at(
            "Parameters.parameter",
            "no Bundle in the Parameters",
            "add a parameter named bundle with the Bundle as resource",
        )
    if confirm is not None and create:
        raise InputError.at(
            "Parameters.parameter", "patient and mode=create together", "send one of them"
        )
    return bundle, confirm, create


def _answer(out: dict[str, Any]) -> dict[str, Any]:
    """The operation's answer: a Parameters resource (the outcome, the patient, the screen, and
    the import's OperationOutcome as ``issues``)."""
    patient_id = out["patient_id"]
    screening = f"/api/v1/patients/{patient_id}/screenings/{out['screening_id']}"
    matched_on = [{"name": "matchedOn", "valueString": out["matched_on"]}]
    earliest_start = [{"name": "earliestStart", "valueDate": out["earliest_start"]}]
    parameters = [
        {"name": "outcome", "valueCode": out["outcome"]},
        {"name": "message", "valueString": out["message"]},
        {"name": "patient", "valueReference": {"reference": f"Patient/{patient_id}"}},
        {"name": "created", "valueBoolean": out["created"]},
        *(matched_on if out["matched_on"] else []),
        {"name": "recordVersion", "valueInteger": out["record_version"]},
        {"name": "verdict", "valueCode": out["verdict"]},
        *(earliest_start if out["earliest_start"] else []),
        {"name": "screening", "valueString": screening},
        {"name": "keptUnmapped", "valueInteger": out["kept"]},
        {"name": "issues", "resource": out["issues"]},
    ]
    return {"resourceType": "Parameters", "parameter": parameters}


@router.post(
    "/$import-patient",
    summary="Import a patient Bundle: match, store the record and screen it (clinician)",
)
def import_patient(clinic: ClinicDep, actor: ActorDep, body: ImportBody) -> Response:
    bundle, confirm, create = _import_input(body)
    out = fhir.import_patient_bundle(
        clinic, actor, bundle=bundle, confirm_patient=confirm, create=create
    )
    location = {"Location": f"/fhir/R4/Patient/{out['patient_id']}"}
    return fhir_response(_answer(out), 201 if out["created"] else 200, location)
