"""Read (conditional: ``ETag`` and ``If-None-Match``, ``Last-Modified`` and
``If-Modified-Since``) and search (GET, and POST ``_search`` with a form) of one resource type,
with the parameters the CapabilityStatement declares and ``_count`` paging."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ldn.api.deps import ActorDep, ClinicDep
from ldn.api.routes.fhir.http import bad_search, base_url, fhir_response, strict_handling
from ldn.api.routes.fhir.parameters import search_form
from ldn.api.routes.fhir.searchset import searchset
from ldn.domain.errors import NotFoundError
from ldn.interop.r4.search import SearchError, parse_search
from ldn.services.clinic import fhir

__all__ = ["router"]

router = APIRouter()

SearchForm = Annotated[list[tuple[str, str]], Depends(search_form)]


def _served(resource_type: str) -> None:
    """404 for a type ldn does not serve."""
    if resource_type not in fhir.RESOURCE_TYPES:
        raise NotFoundError(
            f"ldn serves no {resource_type!r} resources",
            fix=f"use one of {', '.join(fhir.RESOURCE_TYPES)}",
        )


def _search(
    resource_type: str, request: Request, clinic: Any, actor: Any, pairs: list[tuple[str, str]]
) -> Response:
    _served(resource_type)
    try:
        query = parse_search(resource_type, pairs, strict=strict_handling(request))
        result = fhir.search_resources(clinic, actor, query)
    except SearchError as exc:
        return bad_search(exc)
    body = searchset(base_url(request, clinic), resource_type, query, result)
    return fhir_response(body, pretty=query.pretty)


# the POST form of search: not in the OpenAPI document (see $everything's POST form)
@router.post("/{resource_type}/_search", include_in_schema=False)
def search_post(
    resource_type: str, request: Request, clinic: ClinicDep, actor: ActorDep, form: SearchForm
) -> Response:
    pairs = [*request.query_params.multi_items(), *form]
    return _search(resource_type, request, clinic, actor, pairs)


def _etag_matches(header: str, version: str) -> bool:
    tags = [t.strip().removeprefix("W/").strip('"') for t in header.split(",")]
    return "*" in tags or version in tags


def _not_modified(request: Request, *, version: str, updated: datetime) -> bool:
    """Whether the client's copy is current: ``If-None-Match`` names the version, else (only
    without it) ``If-Modified-Since`` is not before the last update (RFC 9110 13.1.3: an
    unreadable date is ignored)."""
    none_match = request.headers.get("if-none-match")
    since = request.headers.get("if-modified-since")
    if none_match is not None:
        return _etag_matches(none_match, version)
    if since is None:
        return False
    try:
        return updated.replace(microsecond=0) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


@router.get(
    "/{resource_type}/{resource_id}",
    summary="Read one resource (conditional: If-None-Match, If-Modified-Since)",
)
def read(
    resource_type: Annotated[str, "FHIR type"],
    resource_id: str,
    request: Request,
    clinic: ClinicDep,
    actor: ActorDep,
) -> Response:
    _served(resource_type)
    found = fhir.read_resource(clinic, actor, resource_type, resource_id)
    version = found["meta"]["versionId"]
    updated = datetime.fromisoformat(found["meta"]["lastUpdated"])
    headers = {
        "ETag": f'W/"{version}"',
        "Last-Modified": format_datetime(updated.astimezone(UTC), usegmt=True),
    }
    if _not_modified(request, version=version, updated=updated):
        return Response(status_code=304, headers=headers)
    pretty = request.query_params.get("_pretty") == "true"
    return fhir_response(found, headers=headers, pretty=pretty)


@router.get(
    "/{resource_type}",
    summary="Search resources of one type (parameters: see the CapabilityStatement)",
)
def search(resource_type: str, request: Request, clinic: ClinicDep, actor: ActorDep) -> Response:
    return _search(resource_type, request, clinic, actor, list(request.query_params.multi_items()))
