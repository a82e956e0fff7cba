"""Pharmacist pages (prescription queue, worksheet, batch record, sealed trial allocations and
bottle labels) and admin pages (users and roles)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ldn.domain.errors import ConflictError, InputError
from ldn.services.clinic import accounts, pharmacy, trials
from ldn.services.pdf import html_to_pdf
from ldn.web.render import page
from ldn.web.session import WebActor, require_role, verify_csrf

router = APIRouter(include_in_schema=False)
CSRF = [Depends(verify_csrf)]


@router.get("/pharmacy")
def queue(request: Request, actor: WebActor) -> HTMLResponse:
    require_role(actor, "pharmacist")
    clinic = request.app.state.clinic
    rxs = pharmacy.prescription_queue(clinic, actor, status=None, limit=200, offset=0).items
    sealed = trials.clinic_trials(clinic, actor)
    return page(request, "pharmacy/queue.html", prescriptions=rxs, trials=sealed)


@router.get("/pharmacy/rx/{rx_id}")
def prescription(request: Request, actor: WebActor, rx_id: int, error: str = "") -> HTMLResponse:
    require_role(actor, "pharmacist")
    rx = pharmacy.get_prescription(request.app.state.clinic, actor, rx_id)
    return page(request, "pharmacy/rx.html", rx=rx, error=error, values={})


@router.get("/pharmacy/rx/{rx_id}/worksheet.pdf")
def prescription_pdf(request: Request, actor: WebActor, rx_id: int) -> Response:
    """The prescription, worksheets and labels as a PDF for the batch record."""
    require_role(actor, "pharmacist")
    rx = pharmacy.get_prescription(request.app.state.clinic, actor, rx_id)
    html = bytes(page(request, "pharmacy/rx.html", rx=rx, error="", values={}).body).decode()
    return Response(html_to_pdf(html), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="ldn-rx-{rx_id}.pdf"'})  # fmt: skip


@router.post("/pharmacy/rx/{rx_id}/batch", dependencies=CSRF)
def record_batch(request: Request, actor: WebActor, rx_id: int, lot: Annotated[str, Form()] = "",
                 strength_mg: Annotated[str, Form()] = "", count: Annotated[str, Form()] = "30") -> Response:  # fmt: skip
    require_role(actor, "pharmacist")
    clinic = request.app.state.clinic
    try:
        pharmacy.create_batch(clinic, actor, rx_id, lot=lot, strength_mg=float(strength_mg) if strength_mg else None,
                              count=int(count or 30))  # fmt: skip
    except (InputError, ValueError) as exc:
        rx = pharmacy.get_prescription(clinic, actor, rx_id)
        message = (
            exc.message if isinstance(exc, InputError) else "count and strength must be numbers"
        )
        return page(request, "pharmacy/rx.html", status=422, rx=rx, error=message,
                    values={"lot": lot, "strength_mg": strength_mg, "count": count})  # fmt: skip
    return RedirectResponse(f"/pharmacy/rx/{rx_id}#batches", status_code=303)


@router.get("/pharmacy/trials/{tid}")
def sealed(request: Request, actor: WebActor, tid: int) -> HTMLResponse:
    require_role(actor, "pharmacist")
    clinic = request.app.state.clinic
    return page(request, "pharmacy/trial.html", trial=trials.get_trial(clinic, actor, tid),
                sealed=trials.sealed_allocation(clinic, actor, tid))  # fmt: skip


@router.get("/admin")
def users(request: Request, actor: WebActor) -> HTMLResponse:
    require_role(actor, "admin")
    listing = accounts.list_users(request.app.state.clinic, actor, limit=200, offset=0)
    return page(request, "admin/users.html", users=listing.items, values={}, error="")


@router.post("/admin/users", dependencies=CSRF)
def create_user(request: Request, actor: WebActor, email: Annotated[str, Form()] = "", role: Annotated[str, Form()] = "clinician",
                display_name: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    require_role(actor, "admin")
    clinic = request.app.state.clinic
    try:
        accounts.create_user(clinic, actor, clinic_id=actor.clinic_id, email=email, password=password, role=role,
                             display_name=display_name)  # fmt: skip
    except (InputError, ConflictError) as exc:
        listing = accounts.list_users(clinic, actor, limit=200, offset=0)
        return page(request, "admin/users.html", status=422, users=listing.items, error=exc.message,
                    values={"email": email, "role": role, "display_name": display_name})  # fmt: skip
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/users/{user_id}", dependencies=CSRF)
def update_user(request: Request, actor: WebActor, user_id: int, role: Annotated[str, Form()] = "",
                active: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    """Change a staff user's role, or (de)activate a user; their sessions end."""
    require_role(actor, "admin")
    clinic = request.app.state.clinic
    try:
        accounts.update_user(clinic, actor, user_id, role=role or None, active=active == "on")
    except InputError as exc:
        listing = accounts.list_users(clinic, actor, limit=200, offset=0)
        return page(
            request,
            "admin/users.html",
            status=422,
            users=listing.items,
            error=exc.message,
            values={},
        )
    return RedirectResponse("/admin", status_code=303)
