"""What every FHIR endpoint shares: the media type, the documented error answers, content
negotiation (JSON only), the JSON writer, the base URL, and ``Prefer: handling=strict``."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.exceptions import HTTPException
from fastapi.responses import JSONResponse, Response

from ldn.domain.errors import InputError
from ldn.interop.r4.search import JSON_FORMATS
from ldn.interop.r4.validate import operation_outcome

__all__ = [
    "FHIR_ERRORS",
    "FHIR_JSON",
    "FhirJSON",
    "bad_search",
    "base_url",
    "fhir_response",
    "negotiate",
    "strict_handling",
]

FHIR_JSON = "application/fhir+json"


class FhirJSON(JSONResponse):
    media_type = FHIR_JSON


_OUTCOME_SCHEMA = {
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "issue": {"type": "array"},
    },
}
_OUTCOME = {"content": {FHIR_JSON: {"schema": _OUTCOME_SCHEMA}}}
_ERRORS = {
    400: "malformed, or a search that cannot run",
    401: "not logged in",
    403: "forbidden",
    404: "not found",
    406: "a format other than JSON",
    409: "conflict, or a possible patient match to confirm",
    422: "invalid resource",
    429: "throttled",
    500: "error",
}
#: every FHIR endpoint's error answers: an OperationOutcome
FHIR_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": f"OperationOutcome ({text})", **_OUTCOME}
    for code, text in _ERRORS.items()
}
_ACCEPTED = (
    "*/*",
    "application/*",
    "application/fhir+json",
    "application/json",
    "application/json+fhir",
)


def negotiate(request: Request) -> None:
    """406 for a ``_format`` or an ``Accept`` that JSON does not satisfy (ldn serves no XML)."""
    wanted = request.query_params.get("_format")
    if wanted is not None and wanted.split(";")[0].strip() not in JSON_FORMATS:
        raise HTTPException(406, f"ldn serves FHIR as JSON only, not _format={wanted}")
    accept = request.headers.get("accept")
    if accept and wanted is None:  # a _format overrides Accept (FHIR http 3.1.0.1.7)
        ranges = [r.split(";")[0].strip().lower() for r in accept.split(",")]
        if not any(r in _ACCEPTED for r in ranges):
            raise HTTPException(406, f"ldn serves FHIR as application/fhir+json only, not {accept}")


def fhir_response(
    body: dict[str, Any],
    status: int = 200,
    headers: dict[str, str] | None = None,
    *,
    pretty: bool = False,
) -> Response:
    """``body`` as FHIR JSON (compact, or indented with ``_pretty``)."""
    text = json.dumps(
        body,
        ensure_ascii=False,
        indent=2 if pretty else None,
        separators=None if pretty else (",", ":"),
    )
    return Response(text, status_code=status, media_type=FHIR_JSON, headers=headers)


def base_url(request: Request, clinic: Any) -> str:
    """The FHIR base URL: the service's public URL when set, else the request's."""
    public = str(clinic.settings.public_url or "").rstrip("/")
    return (public or str(request.base_url).rstrip("/")) + "/fhir/R4"


def strict_handling(request: Request) -> bool:
    """Whether the client sent ``Prefer: handling=strict`` (refuse unknown parameters)."""
    prefs = [p.strip().lower() for p in request.headers.get("prefer", "").split(",")]
    return "handling=strict" in prefs


def bad_search(exc: InputError) -> Response:
    """A search that cannot run: 400 with an OperationOutcome naming the parameters."""
    return fhir_response(operation_outcome([p.as_dict() for p in exc.problems]), 400)
