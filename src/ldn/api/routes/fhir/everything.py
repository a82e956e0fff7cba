"""``Patient/{id}/$everything`` (GET, and POST with a Parameters body): everything about a
patient as a paged searchset Bundle (``_count``, ``_offset``, ``_type``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ldn.api.deps import ActorDep, ClinicDep, IdPath
from ldn.api.routes.fhir.http import bad_search, base_url, fhir_response, strict_handling
from ldn.api.routes.fhir.parameters import parameters_body
from ldn.api.routes.fhir.searchset import searchset
from ldn.interop.r4.search import SearchError, parse_search
from ldn.services.clinic import fhir

__all__ = ["router"]

router = APIRouter()

ParametersBody = Annotated[list[tuple[str, str]], Depends(parameters_body)]


def _everything(
    patient_id: int, request: Request, clinic: Any, actor: Any, pairs: list[tuple[str, str]]
) -> Response:
    strict = strict_handling(request)
    try:
        query = parse_search("Patient", pairs, strict=strict, everything=True)
    except SearchError as exc:
        return bad_search(exc)
    result = fhir.patient_everything(clinic, actor, patient_id, query)
    path = f"Patient/{patient_id}/$everything"
    body = searchset(base_url(request, clinic), path, query, result)
    return fhir_response(body, pretty=query.pretty)


@router.get(
    "/Patient/{patient_id}/$everything",
    summary="Everything about a patient, as a searchset Bundle (paged)",
)
def everything(
    patient_id: IdPath, request: Request, clinic: ClinicDep, actor: ActorDep
) -> Response:
    pairs = list(request.query_params.multi_items())
    return _everything(patient_id, request, clinic, actor, pairs)


# POST forms of GET operations: not in the OpenAPI document (the authorization matrix test lists
# every documented route; these are documented in docs/interop.md and the CapabilityStatement)
@router.post("/Patient/{patient_id}/$everything", include_in_schema=False)
def everything_post(
    patient_id: IdPath,
    request: Request,
    clinic: ClinicDep,
    actor: ActorDep,
    body: ParametersBody,
) -> Response:
    pairs = [*request.query_params.multi_items(), *body]
    return _everything(patient_id, request, clinic, actor, pairs)
