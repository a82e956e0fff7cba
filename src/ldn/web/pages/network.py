"""Across clinics (admin, clinician): download this clinic's shareable aggregate, and pool
several clinics' aggregates beside the randomized trials' answer (:mod:`ldn.services.clinic.
aggregate`). Uploaded files are read, pooled and forgotten; nothing is stored."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from ldn.domain.errors import InputError
from ldn.services.clinic import aggregate
from ldn.web.render import page
from ldn.web.session import WebActor, require_role, verify_csrf

router = APIRouter(prefix="/admin/network", include_in_schema=False)
CSRF = [Depends(verify_csrf)]
ROLES = ("admin", "clinician")
#: the largest uploaded aggregate read (a real one is a few kilobytes)
MAX_FILE_BYTES = 512 * 1024


@router.get("")
def network_page(request: Request, actor: WebActor) -> HTMLResponse:
    require_role(actor, *ROLES)
    settings = request.app.state.clinic.settings
    return page(
        request,
        "admin/network.html",
        answer=None,
        error="",
        condition="",
        min_cell=settings.aggregate_min_cell,
    )


@router.get("/export")
def export(request: Request, actor: WebActor, format: str = "json") -> Response:
    """This clinic's aggregate as a download (JSON, or the counts as a FHIR MeasureReport)."""
    require_role(actor, *ROLES)
    doc = aggregate.export_aggregate(request.app.state.clinic, actor, fmt=format)
    kind = "measure-report" if format == "measure-report" else "aggregate"
    return Response(
        json.dumps(doc, indent=2, ensure_ascii=False) + "\n",
        media_type="application/fhir+json" if format == "measure-report" else "application/json",
        headers={"Content-Disposition": f'attachment; filename="ldn-{kind}.json"'},
    )


@router.post("", dependencies=CSRF)
def pool(
    request: Request,
    actor: WebActor,
    files: Annotated[list[UploadFile] | None, File()] = None,
    condition: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Pool the uploaded aggregates; a bad file re-renders the page naming the file and field."""
    require_role(actor, *ROLES)
    clinic = request.app.state.clinic
    blobs = []
    for f in files or []:
        if not f.filename:
            continue
        data = f.file.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            error = f"{f.filename}: larger than {MAX_FILE_BYTES // 1024} KiB; is it an aggregate?"
            return _again(request, error, condition)
        blobs.append((f.filename, data))
    try:
        answer = aggregate.pool_uploads(clinic, actor, blobs, condition=condition.strip() or None)
    except InputError as exc:
        return _again(request, "; ".join(exc.lines()), condition)
    return page(
        request,
        "admin/network.html",
        answer=answer,
        error="",
        condition=condition,
        min_cell=clinic.settings.aggregate_min_cell,
    )


def _again(request: Request, error: str, condition: str) -> HTMLResponse:
    return page(
        request,
        "admin/network.html",
        status=422,
        answer=None,
        error=error,
        condition=condition,
        min_cell=request.app.state.clinic.settings.aggregate_min_cell,
    )
