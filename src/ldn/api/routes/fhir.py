"""FHIR R4 endpoints (``/fhir/R4``): CapabilityStatement, read (conditional: ``ETag`` and
``If-None-Match``, ``Last-Modified`` and ``If-Modified-Since``), search (GET, and POST
``_search``) with the parameters the CapabilityStatement declares and ``_count`` paging,
``Patient/{id}/$everything`` (GET and POST), and ``$import-patient`` (a patient Bundle, or the
Parameters form → matching → record → screening).

Authentication: the service's own accounts (``Authorization: Bearer`` from
``POST /api/v1/auth/token``), with the same roles and scopes as the REST API. Errors are
OperationOutcome resources naming the element (see :mod:`ldn.api.errors`); a search that cannot
run is 400; a format other than JSON (``_format``, ``Accept``) is 406.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Depends, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import JSONResponse, Response

from ldn import __version__
from ldn.api.deps import ActorDep, ClinicDep, IdPath
from ldn.domain.errors import InputError, NotFoundError
from ldn.interop.r4.search import (
    JSON_FORMATS,
    SEARCH_PARAMS,
    SearchError,
    SearchQuery,
    parse_search,
)
from ldn.interop.r4.validate import operation_outcome
from ldn.services.clinic import fhir

FHIR_JSON = "application/fhir+json"


class FhirJSON(JSONResponse):
    media_type = FHIR_JSON


_OUTCOME = {"content": {FHIR_JSON: {"schema": {"type": "object", "required": ["resourceType", "issue"],
                                               "properties": {"resourceType": {"const": "OperationOutcome"},
                                                              "issue": {"type": "array"}}}}}}  # fmt: skip
FHIR_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": f"OperationOutcome ({text})", **_OUTCOME}
    for code, text in {400: "malformed, or a search that cannot run", 401: "not logged in", 403: "forbidden",
                       404: "not found", 406: "a format other than JSON", 409: "conflict, or a possible patient match to confirm",
                       422: "invalid resource", 429: "throttled", 500: "error"}.items()
}  # fmt: skip
_ACCEPTED = (
    "*/*",
    "application/*",
    "application/fhir+json",
    "application/json",
    "application/json+fhir",
)


def _negotiate(request: Request) -> None:
    """406 for a ``_format`` or an ``Accept`` that JSON does not satisfy (ldn serves no XML)."""
    wanted = request.query_params.get("_format")
    if wanted is not None and wanted.split(";")[0].strip() not in JSON_FORMATS:
        raise HTTPException(406, f"ldn serves FHIR as JSON only, not _format={wanted}")
    accept = request.headers.get("accept")
    if accept and wanted is None:  # a _format overrides Accept (FHIR http 3.1.0.1.7)
        ranges = [r.split(";")[0].strip().lower() for r in accept.split(",")]
        if not any(r in _ACCEPTED for r in ranges):
            raise HTTPException(406, f"ldn serves FHIR as application/fhir+json only, not {accept}")


router = APIRouter(prefix="/fhir/R4", tags=["FHIR R4"], default_response_class=FhirJSON, responses=FHIR_ERRORS,
                   dependencies=[Depends(_negotiate)])  # fmt: skip


def _fhir(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None, *,
          pretty: bool = False) -> Response:  # fmt: skip
    text = json.dumps(
        body,
        ensure_ascii=False,
        indent=2 if pretty else None,
        separators=None if pretty else (",", ":"),
    )
    return Response(text, status_code=status, media_type=FHIR_JSON, headers=headers)


def _base(request: Request, clinic: Any) -> str:
    public = str(clinic.settings.public_url or "").rstrip("/")
    return (public or str(request.base_url).rstrip("/")) + "/fhir/R4"


def _strict(request: Request) -> bool:
    prefs = [p.strip().lower() for p in request.headers.get("prefer", "").split(",")]
    return "handling=strict" in prefs


def _bad_search(exc: InputError) -> Response:
    return _fhir(operation_outcome([p.as_dict() for p in exc.problems]), 400)


def _searchset(base: str, path: str, query: SearchQuery, result: dict[str, Any]) -> dict[str, Any]:
    total, count, offset = result["total"], query.count, query.offset
    links = [{"relation": "self", "url": f"{base}/{path}?{urlencode(query.page(offset))}"}]
    if not query.summary_count and count > 0:
        links.append({"relation": "first", "url": f"{base}/{path}?{urlencode(query.page(0))}"})
        if offset > 0:
            links.append(
                {
                    "relation": "previous",
                    "url": f"{base}/{path}?{urlencode(query.page(max(0, offset - count)))}",
                }
            )
        if offset + count < total:
            links.append(
                {
                    "relation": "next",
                    "url": f"{base}/{path}?{urlencode(query.page(offset + count))}",
                }
            )
        last = max(0, (total - 1) // count * count)
        links.append({"relation": "last", "url": f"{base}/{path}?{urlencode(query.page(last))}"})
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
            "resource": r,
            "search": {"mode": "match"},
        }
        for r in result["resources"]
    ]
    if query.dropped:
        outcome = {"resourceType": "OperationOutcome", "issue": [
            {"severity": "warning", "code": "not-supported", "diagnostics": f"ignored: {why}", "expression": [key]}
            for key, why in query.dropped]}  # fmt: skip
        entries.append(
            {
                "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                "resource": outcome,
                "search": {"mode": "outcome"},
            }
        )
    return {"resourceType": "Bundle", "id": str(uuid.uuid4()),
            "meta": {"lastUpdated": datetime.now(UTC).isoformat(timespec="milliseconds")},
            "type": "searchset", "total": total, "link": links, "entry": entries}  # fmt: skip


def _capability() -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for kind in fhir.RESOURCE_TYPES:
        params = [{"name": p.name, "type": p.type, "documentation": p.doc, **({"definition": p.definition} if p.definition else {})}
                  for p in SEARCH_PARAMS[kind].values()]  # fmt: skip
        res: dict[str, Any] = {"type": kind, "interaction": [{"code": "read"}, {"code": "search-type"}],
                               "versioning": "versioned", "readHistory": False, "conditionalRead": "full-support",
                               "searchParam": params}  # fmt: skip
        if kind == "Patient":
            res["operation"] = [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                }
            ]
        resources.append(res)
    doc = ("Search: repeated parameters AND, comma-separated values OR; _count (default 50, at most 500; 0 gives the "
           "total only) with next/previous links, _sort by _id or a date parameter, _summary=count, _total. A parameter "
           "not listed is refused with Prefer: handling=strict, else ignored (left out of the self link and reported "
           "in an OperationOutcome entry). JSON only (_format=xml is 406). Reads answer ETag W/\"versionId\" and "
           "Last-Modified; If-None-Match and If-Modified-Since give 304.")  # fmt: skip
    return {"resourceType": "CapabilityStatement", "status": "active", "date": "2026-11-25", "kind": "instance",
            "software": {"name": "ldn", "version": __version__}, "fhirVersion": "4.0.1",
            "format": ["json", FHIR_JSON],
            "implementation": {"description": "ldn clinic service: low-dose naltrexone decision support"},
            "rest": [{"mode": "server", "documentation": doc, "resource": resources,
                      "security": {"description": "Bearer token from POST /api/v1/auth/token (ldn accounts and roles)"},
                      "operation": [{"name": "import-patient",
                                     "definition": "https://ldn.example.org/fhir/OperationDefinition/import-patient"}]}]}  # fmt: skip


@router.get("/metadata", summary="CapabilityStatement (no login)")
def metadata() -> Response:
    return _fhir(_capability())


def _parameter_list(body: dict[str, Any]) -> list[Any]:
    params = body.get("parameter") or []
    if not isinstance(params, list):
        raise InputError.at(
            "Parameters.parameter", "parameter must be a list", "send a list of parameters"
        )
    return params


def _import_input(body: dict[str, Any]) -> tuple[dict[str, Any], int | None, bool]:
    """(the Bundle, the patient a clinician confirmed, whether to create a new one) from a Bundle
    or from the operation's Parameters form."""
    if body.get("resourceType") != "Parameters":
        return body, None, False
    bundle: dict[str, Any] | None = None
    confirm: int | None = None
    create = False
    for i, p in enumerate(_parameter_list(body)):
        loc = f"Parameters.parameter[{i}]"
        name = p.get("name") if isinstance(p, dict) else None
        if name in ("bundle", "resource") and isinstance(p.get("resource"), dict):
            bundle = p["resource"]
        elif name == "patient":
            ref = str(
                (p.get("valueReference") or {}).get("reference")
                or p.get("valueString")
                or p.get("valueId")
                or ""
            )
            ident = ref.removeprefix("Patient/")
            if not ident.isdigit() or not 1 <= int(ident) <= 2**62:
                raise InputError.at(f"{loc}.valueReference", f"{ref!r} is not an ldn patient",
                                    "send valueReference Patient/{id} from the possible match")  # fmt: skip
            confirm = int(ident)
        elif name == "mode":
            code = p.get("valueCode") or p.get("valueString")
            if code not in ("create", "match"):
                raise InputError.at(
                    f"{loc}.valueCode",
                    f"{code!r} is not a mode",
                    "use create (a new patient) or match",
                )
            create = code == "create"
        else:
            raise InputError.at(f"{loc}.name", f"{name!r} is not a parameter of $import-patient",
                                "send bundle (the Bundle), and optionally patient or mode")  # fmt: skip
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


@router.post(
    "/$import-patient",
    summary="Import a patient Bundle: match, store the record and screen it (clinician)",
)
def import_patient(clinic: ClinicDep, actor: ActorDep,
                   body: Annotated[dict[str, Any], Body(description="A FHIR R4 Bundle with one Patient, or Parameters with "
                                                                    "bundle and optionally patient (confirm a match) or mode=create")]) -> Response:  # fmt: skip
    bundle, confirm, create = _import_input(body)
    out = fhir.import_patient_bundle(
        clinic, actor, bundle=bundle, confirm_patient=confirm, create=create
    )
    params = {"resourceType": "Parameters", "parameter": [
        {"name": "outcome", "valueCode": out["outcome"]},
        {"name": "message", "valueString": out["message"]},
        {"name": "patient", "valueReference": {"reference": f"Patient/{out['patient_id']}"}},
        {"name": "created", "valueBoolean": out["created"]},
        *([{"name": "matchedOn", "valueString": out["matched_on"]}] if out["matched_on"] else []),
        {"name": "recordVersion", "valueInteger": out["record_version"]},
        {"name": "verdict", "valueCode": out["verdict"]},
        *([{"name": "earliestStart", "valueDate": out["earliest_start"]}] if out["earliest_start"] else []),
        {"name": "screening", "valueString": f"/api/v1/patients/{out['patient_id']}/screenings/{out['screening_id']}"},
        {"name": "keptUnmapped", "valueInteger": out["kept"]},
        {"name": "issues", "resource": out["issues"]},
    ]}  # fmt: skip
    return _fhir(
        params,
        201 if out["created"] else 200,
        {"Location": f"/fhir/R4/Patient/{out['patient_id']}"},
    )


def _everything(
    patient_id: int, request: Request, clinic: Any, actor: Any, pairs: list[tuple[str, str]]
) -> Response:
    try:
        query = parse_search("Patient", pairs, strict=_strict(request), everything=True)
    except SearchError as exc:
        return _bad_search(exc)
    result = fhir.patient_everything(clinic, actor, patient_id, query)
    body = _searchset(_base(request, clinic), f"Patient/{patient_id}/$everything", query, result)
    return _fhir(body, pretty=query.pretty)


@router.get(
    "/Patient/{patient_id}/$everything",
    summary="Everything about a patient, as a searchset Bundle (paged)",
)
def everything(
    patient_id: IdPath, request: Request, clinic: ClinicDep, actor: ActorDep
) -> Response:
    return _everything(patient_id, request, clinic, actor, list(request.query_params.multi_items()))


async def _parameters_body(request: Request) -> list[tuple[str, str]]:
    """Operation parameters sent as a Parameters resource (POST $everything)."""
    raw = await request.body()
    if not raw.strip():
        return []
    try:
        body = json.loads(raw)
    except ValueError:
        raise InputError.at(
            "(body)", "the body is not JSON", "send a Parameters resource, or no body"
        ) from None
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise InputError.at(
            "(body).resourceType",
            "the body is not a Parameters resource",
            "send a Parameters resource",
        )
    pairs = []
    for p in _parameter_list(body):
        value = (
            next((v for k, v in p.items() if k.startswith("value")), None)
            if isinstance(p, dict)
            else None
        )
        if isinstance(p, dict) and p.get("name") and value is not None:
            pairs.append((str(p["name"]), str(value)))
    return pairs


# POST forms of GET operations: not in the OpenAPI document (the authorization matrix test lists
# every documented route; these are documented in docs/interop.md and the CapabilityStatement)
@router.post("/Patient/{patient_id}/$everything", include_in_schema=False)
def everything_post(patient_id: IdPath, request: Request, clinic: ClinicDep, actor: ActorDep,
                    body: Annotated[list[tuple[str, str]], Depends(_parameters_body)]) -> Response:  # fmt: skip
    return _everything(
        patient_id, request, clinic, actor, [*request.query_params.multi_items(), *body]
    )


async def _form(request: Request) -> list[tuple[str, str]]:
    """A ``_search`` form (application/x-www-form-urlencoded) as (name, value) pairs."""
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/x-www-form-urlencoded"):
        form = await request.form()  # parsed once per request (the NUL check may have read it)
        return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    if (await request.body()).strip():
        raise InputError.at("header.Content-Type", f"{kind or 'no content type'} is not a search form",
                            "POST _search with Content-Type: application/x-www-form-urlencoded")  # fmt: skip
    return []


@router.post("/{resource_type}/_search", include_in_schema=False)
def search_post(resource_type: str, request: Request, clinic: ClinicDep, actor: ActorDep,
                form: Annotated[list[tuple[str, str]], Depends(_form)]) -> Response:  # fmt: skip
    return _search(
        resource_type, request, clinic, actor, [*request.query_params.multi_items(), *form]
    )


def _etag_matches(header: str, version: str) -> bool:
    tags = [t.strip().removeprefix("W/").strip('"') for t in header.split(",")]
    return "*" in tags or version in tags


@router.get(
    "/{resource_type}/{resource_id}",
    summary="Read one resource (conditional: If-None-Match, If-Modified-Since)",
)
def read(resource_type: Annotated[str, "FHIR type"], resource_id: str, request: Request, clinic: ClinicDep,
         actor: ActorDep) -> Response:  # fmt: skip
    if resource_type not in fhir.RESOURCE_TYPES:
        raise NotFoundError(
            f"ldn serves no {resource_type!r} resources",
            fix=f"use one of {', '.join(fhir.RESOURCE_TYPES)}",
        )
    found = fhir.read_resource(clinic, actor, resource_type, resource_id)
    version, updated = (
        found["meta"]["versionId"],
        datetime.fromisoformat(found["meta"]["lastUpdated"]),
    )
    headers = {
        "ETag": f'W/"{version}"',
        "Last-Modified": format_datetime(updated.astimezone(UTC), usegmt=True),
    }
    none_match, since = (
        request.headers.get("if-none-match"),
        request.headers.get("if-modified-since"),
    )
    if none_match is not None:
        if _etag_matches(none_match, version):
            return Response(status_code=304, headers=headers)
    elif since is not None:
        try:
            if updated.replace(microsecond=0) <= parsedate_to_datetime(since):
                return Response(status_code=304, headers=headers)
        except (TypeError, ValueError):
            pass  # an unreadable date is ignored (RFC 9110 13.1.3)
    return _fhir(found, headers=headers, pretty=request.query_params.get("_pretty") == "true")


def _search(
    resource_type: str, request: Request, clinic: Any, actor: Any, pairs: list[tuple[str, str]]
) -> Response:
    if resource_type not in fhir.RESOURCE_TYPES:
        raise NotFoundError(
            f"ldn serves no {resource_type!r} resources",
            fix=f"use one of {', '.join(fhir.RESOURCE_TYPES)}",
        )
    try:
        query = parse_search(resource_type, pairs, strict=_strict(request))
        result = fhir.search_resources(clinic, actor, query)
    except SearchError as exc:
        return _bad_search(exc)
    return _fhir(
        _searchset(_base(request, clinic), resource_type, query, result), pretty=query.pretty
    )


@router.get(
    "/{resource_type}",
    summary="Search resources of one type (parameters: see the CapabilityStatement)",
)
def search(resource_type: str, request: Request, clinic: ClinicDep, actor: ActorDep) -> Response:
    return _search(resource_type, request, clinic, actor, list(request.query_params.multi_items()))


__all__ = ["FHIR_JSON", "router"]
