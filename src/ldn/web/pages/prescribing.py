"""Clinician pages for prescriptions: the preview before sending, the signed prescription
(print and PDF), its status and history, and cancelling it with a reason.

Sending is safe to repeat: the service returns the prescription already sent for the same plan
version, so a double click (or the back button and a second click) makes one prescription.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ldn.domain.errors import ClinicalRefusal, ConflictError, InputError, LdnError, NotFoundError
from ldn.services.clinic import pharmacy
from ldn.services.clinic.prescriptions import check_plan_version
from ldn.services.standalone.pdf import html_to_pdf
from ldn.web.render import page
from ldn.web.session import WebActor, require_role, verify_csrf

router = APIRouter(prefix="/clinic", include_in_schema=False)
CSRF = [Depends(verify_csrf)]


def _preview(
    request: Request,
    actor: Any,
    pid: int,
    *,
    status: int = 200,
    error: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    draft: dict[str, Any] | None = None
    try:
        draft = pharmacy.preview_prescription(request.app.state.clinic, actor, pid)
    except (InputError, ClinicalRefusal, NotFoundError) as exc:
        if isinstance(exc, NotFoundError) and "plan" not in exc.message:
            raise
        error = error or f"{exc.message} — {exc.fix}"
        status = status if status != 200 else (404 if isinstance(exc, NotFoundError) else 409)
    return page(
        request,
        "clinic/prescription_preview.html",
        status=status,
        patient_id=pid,
        draft=draft,
        error=error,
        errors=errors or {},
        values=values or {},
    )


@router.get("/patients/{pid}/prescription")
def preview(request: Request, actor: WebActor, pid: int) -> HTMLResponse:
    require_role(actor, "clinician")
    return _preview(request, actor, pid)


@router.post("/patients/{pid}/prescription", dependencies=CSRF)
def send(
    request: Request,
    actor: WebActor,
    pid: int,
    plan_version: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    require_role(actor, "clinician")
    if confirm != "yes":
        return _preview(
            request,
            actor,
            pid,
            status=422,
            values={"confirm": ""},
            errors={"confirm": "Tick the box to confirm that you checked the prescription."},
        )
    try:
        rx = pharmacy.create_prescription(
            request.app.state.clinic, actor, pid, plan_version=check_plan_version(plan_version)
        )
    except (InputError, ClinicalRefusal, ConflictError) as exc:
        return _preview(
            request,
            actor,
            pid,
            status=422 if isinstance(exc, InputError) else 409,
            error=f"Not sent: {exc.message} — {exc.fix}",
            values={"confirm": "yes"},
        )
    return RedirectResponse(f"/clinic/prescriptions/{rx['id']}?sent=1", status_code=303)


def _show(
    request: Request, actor: Any, rx_id: int, *, status: int = 200, **ctx: Any
) -> HTMLResponse:
    rx = pharmacy.get_prescription(request.app.state.clinic, actor, rx_id)
    ctx.setdefault("errors", {})
    ctx.setdefault("values", {})
    return page(request, "clinic/prescription.html", status=status, rx=rx, **ctx)


@router.get("/prescriptions/{rx_id}.pdf")
def show_pdf(request: Request, actor: WebActor, rx_id: int) -> Response:
    require_role(actor, "clinician")
    html = bytes(_show(request, actor, rx_id).body).decode()
    return Response(
        html_to_pdf(html),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="ldn-rx-{rx_id}.pdf"'},
    )


@router.get("/prescriptions/{rx_id}")
def show(request: Request, actor: WebActor, rx_id: int, sent: str = "") -> HTMLResponse:
    require_role(actor, "clinician")
    return _show(request, actor, rx_id, sent=sent == "1")


@router.post("/prescriptions/{rx_id}/cancel", dependencies=CSRF)
def cancel(
    request: Request, actor: WebActor, rx_id: int, reason: Annotated[str, Form()] = ""
) -> Response:
    require_role(actor, "clinician")
    try:
        pharmacy.cancel_prescription(request.app.state.clinic, actor, rx_id, reason=reason[:500])
    except (InputError, ConflictError) as exc:
        message = exc.message if isinstance(exc, LdnError) else str(exc)
        return _show(
            request,
            actor,
            rx_id,
            status=422 if isinstance(exc, InputError) else 409,
            errors={"reason": f"{message} — {exc.fix}"},
            values={"reason": reason[:500]},
        )
    return RedirectResponse(f"/clinic/prescriptions/{rx_id}", status_code=303)
