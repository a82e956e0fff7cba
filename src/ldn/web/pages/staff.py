"""Admin pages (users and roles). The pharmacist's pages are in :mod:`ldn.web.pages.pharmacy`
and :mod:`ldn.web.pages.trial_pharmacy`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ldn.domain.errors import ConflictError, InputError
from ldn.services.clinic import accounts
from ldn.web.render import page
from ldn.web.session import WebActor, require_role, verify_csrf

router = APIRouter(include_in_schema=False)
CSRF = [Depends(verify_csrf)]


@router.get("/admin")
def users(request: Request, actor: WebActor) -> HTMLResponse:
    require_role(actor, "admin")
    listing = accounts.list_users(request.app.state.clinic, actor, limit=200, offset=0)
    return page(request, "admin/users.html", users=listing.items, values={}, error="")


@router.post("/admin/users", dependencies=CSRF)
def create_user(
    request: Request,
    actor: WebActor,
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "clinician",
    display_name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    require_role(actor, "admin")
    clinic = request.app.state.clinic
    try:
        accounts.create_user(
            clinic,
            actor,
            clinic_id=actor.clinic_id,
            email=email,
            password=password,
            role=role,
            display_name=display_name,
        )
    except (InputError, ConflictError) as exc:
        listing = accounts.list_users(clinic, actor, limit=200, offset=0)
        return page(
            request,
            "admin/users.html",
            status=422,
            users=listing.items,
            error=exc.message,
            values={"email": email, "role": role, "display_name": display_name},
        )
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/users/{user_id}", dependencies=CSRF)
def update_user(
    request: Request,
    actor: WebActor,
    user_id: int,
    role: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
) -> Response:
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
