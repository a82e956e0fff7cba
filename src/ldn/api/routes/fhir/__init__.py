"""FHIR R4 endpoints (``/fhir/R4``): CapabilityStatement, read (conditional: ``ETag`` and
``If-None-Match``, ``Last-Modified`` and ``If-Modified-Since``), search (GET, and POST
``_search``) with the parameters the CapabilityStatement declares and ``_count`` paging,
``Patient/{id}/$everything`` (GET and POST), and ``$import-patient`` (a patient Bundle, or the
Parameters form → matching → record → screening).

Authentication: the service's own accounts (``Authorization: Bearer`` from
``POST /api/v1/auth/token``), with the same roles and scopes as the REST API. Errors are
OperationOutcome resources naming the element (see :mod:`ldn.api.errors`); a search that cannot
run is 400; a format other than JSON (``_format``, ``Accept``) is 406.

One module per interaction: :mod:`.metadata`, :mod:`.import_patient`, :mod:`.everything`,
:mod:`.read_search`; :mod:`.http` (media type, negotiation, errors), :mod:`.searchset` (the
paged Bundle) and :mod:`.parameters` (request bodies as parameters) are what they share. The
routers are included in this order, so ``/metadata`` is matched before ``/{resource_type}``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ldn.api.routes.fhir import everything, import_patient, metadata, read_search
from ldn.api.routes.fhir.http import FHIR_ERRORS, FHIR_JSON, FhirJSON, negotiate

__all__ = ["FHIR_JSON", "router"]

router = APIRouter(
    prefix="/fhir/R4",
    tags=["FHIR R4"],
    default_response_class=FhirJSON,
    responses=FHIR_ERRORS,
    dependencies=[Depends(negotiate)],
)
for _interaction in (metadata, import_patient, everything, read_search):
    router.include_router(_interaction.router)
