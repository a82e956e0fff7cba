"""``GET /fhir/R4/metadata``: the CapabilityStatement (no login) — every type's interactions and
search parameters (the table the search honours), ``Patient/$everything`` and
``$import-patient``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from ldn import __version__
from ldn.api.routes.fhir.http import FHIR_JSON, fhir_response
from ldn.interop.r4.search import SEARCH_PARAMS, Param
from ldn.services.clinic import fhir

__all__ = ["capability", "router"]

router = APIRouter()

_SEARCH_DOC = (
    "Search: repeated parameters AND, comma-separated values OR; _count (default 50, at most "
    "500; 0 gives the total only) with next/previous links, _sort by _id or a date parameter, "
    "_summary=count, _total. A parameter not listed is refused with Prefer: handling=strict, "
    "else ignored (left out of the self link and reported in an OperationOutcome entry). JSON "
    'only (_format=xml is 406). Reads answer ETag W/"versionId" and Last-Modified; '
    "If-None-Match and If-Modified-Since give 304."
)
_SECURITY = "Bearer token from POST /api/v1/auth/token (ldn accounts and roles)"
_EVERYTHING = "http://hl7.org/fhir/OperationDefinition/Patient-everything"
_IMPORT_PATIENT = "https://ldn.example.org/fhir/OperationDefinition/import-patient"


def _search_param(p: Param) -> dict[str, Any]:
    out = {"name": p.name, "type": p.type, "documentation": p.doc}
    if p.definition:
        out["definition"] = p.definition
    return out


def _resource(kind: str) -> dict[str, Any]:
    """A resource type's entry: read (conditional) and search with its parameters."""
    res: dict[str, Any] = {
        "type": kind,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "versioning": "versioned",
        "readHistory": False,
        "conditionalRead": "full-support",
        "searchParam": [_search_param(p) for p in SEARCH_PARAMS[kind].values()],
    }
    if kind == "Patient":
        res["operation"] = [{"name": "everything", "definition": _EVERYTHING}]
    return res


def capability() -> dict[str, Any]:
    """The CapabilityStatement of the service."""
    rest = {
        "mode": "server",
        "documentation": _SEARCH_DOC,
        "resource": [_resource(kind) for kind in fhir.RESOURCE_TYPES],
        "security": {"description": _SECURITY},
        "operation": [{"name": "import-patient", "definition": _IMPORT_PATIENT}],
    }
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-11-25",
        "kind": "instance",
        "software": {"name": "ldn", "version": __version__},
        "fhirVersion": "4.0.1",
        "format": ["json", FHIR_JSON],
        "implementation": {
            "description": "ldn clinic service: low-dose naltrexone decision support"
        },
        "rest": [rest],
    }


@router.get("/metadata", summary="CapabilityStatement (no login)")
def metadata() -> Response:
    return fhir_response(capability())
