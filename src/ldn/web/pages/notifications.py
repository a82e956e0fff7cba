"""Notification pages: the bell in every page's header (unread count, refreshed by htmx), the
list with mark-read, the clinician's inbox, a person's preferences, the unsubscribe link of the
e-mails, and (demo without SMTP) the e-mails that would have been sent."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ldn.domain.errors import InputError, LdnError, NotFoundError
from ldn.services.clinic import delivery, inbox, notifications
from ldn.services.clinic.context import Actor
from ldn.web.render import env, page
from ldn.web.session import WebActor, require_role, verify_csrf

router = APIRouter(include_in_schema=False)
CSRF = [Depends(verify_csrf)]
log = logging.getLogger("ldn.web")


def unread_for(request: Any, actor: Actor | None) -> int:
    """The bell's count for the page being rendered (0 when it cannot be read)."""
    if actor is None or request is None:
        return 0
    try:
        return notifications.unread_count(request.app.state.clinic, actor)
    except LdnError:
        return 0


env.globals["unread_for"] = unread_for


@router.get("/notifications/bell")
def bell(request: Request, actor: WebActor) -> HTMLResponse:
    """The bell alone (htmx swaps it in every minute)."""
    return page(request, "notifications/_bell.html")


@router.get("/notifications")
def list_page(request: Request, actor: WebActor, unread: int = 0) -> HTMLResponse:
    listing = notifications.list_notifications(
        request.app.state.clinic, actor, unread_only=bool(unread), limit=200, offset=0
    )
    return page(
        request,
        "notifications/list.html",
        demo=delivery.mail_is_demo(request.app.state.clinic, actor),
        items=listing.items,
        total=listing.total,
        unread=bool(unread),
    )


@router.post("/notifications/read-all", dependencies=CSRF)
def read_all(request: Request, actor: WebActor) -> Response:
    notifications.mark_read(request.app.state.clinic, actor, None)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/{nid}/read", dependencies=CSRF)
def read_one(
    request: Request, actor: WebActor, nid: int, back: Annotated[str, Form()] = ""
) -> Response:
    notifications.mark_read(request.app.state.clinic, actor, nid)
    return RedirectResponse(
        back if back.startswith("/") and not back.startswith("//") else "/notifications",
        status_code=303,
    )


@router.post("/notifications/{nid}/open", dependencies=CSRF)
def open_one(request: Request, actor: WebActor, nid: int) -> Response:
    """The one-click action: mark read, then go where the notification points."""
    n = notifications.mark_read(request.app.state.clinic, actor, nid)
    link = str(n.get("link") or "/notifications")
    return RedirectResponse(
        link if link.startswith("/") and not link.startswith("//") else "/notifications",
        status_code=303,
    )


@router.get("/clinic/inbox")
def inbox_page(request: Request, actor: WebActor) -> HTMLResponse:
    require_role(actor, "clinician")
    entries = inbox.clinician_inbox(request.app.state.clinic, actor)
    return page(request, "notifications/inbox.html", entries=entries)


def _prefs_page(
    request: Request,
    prefs: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    status: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "notifications/preferences.html",
        prefs=prefs,
        errors=errors or {},
        saved=saved,
        status=status,
    )


@router.get("/account/notifications")
def prefs_page(request: Request, actor: WebActor) -> HTMLResponse:
    return _prefs_page(request, notifications.get_preferences(request.app.state.clinic, actor))


@router.post("/account/notifications", dependencies=CSRF)
def save_prefs(
    request: Request,
    actor: WebActor,
    time_zone: Annotated[str, Form()] = "UTC",
    reminder_time: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    quiet_start: Annotated[str, Form()] = "",
    quiet_end: Annotated[str, Form()] = "",
) -> Response:
    clinic = request.app.state.clinic
    values = {
        "time_zone": time_zone.strip(),
        "reminder_time": reminder_time or None,
        "email": email == "on",
        "quiet_start": quiet_start or None,
        "quiet_end": quiet_end or None,
    }
    try:
        prefs = notifications.set_preferences(clinic, actor, **values)  # type: ignore[arg-type]
    except InputError as exc:
        errors = {p.loc.split(".")[-1] if p.loc else "form": p.message for p in exc.problems}
        return _prefs_page(request, values, errors=errors, status=422)
    return _prefs_page(request, prefs, saved=True)


@router.get("/unsubscribe/{token}")
def unsubscribe_page(request: Request, token: str) -> HTMLResponse:
    """The e-mail's link: a button (a link alone must not change anything: mail scanners
    follow links)."""
    return page(request, "notifications/unsubscribe.html", token=token, done=None)


@router.post("/unsubscribe/{token}")
def unsubscribe(request: Request, token: str) -> HTMLResponse:
    """One-click unsubscribe (RFC 8058: the mail client POSTs here; the token is the secret)."""
    host = request.client.host if request.client else ""
    done = notifications.unsubscribe(
        request.app.state.clinic, Actor(0, "anonymous", 0, remote_addr=host), token[:200]
    )
    return page(
        request,
        "notifications/unsubscribe.html",
        token=token,
        done=done,
        status=200 if done else 404,
    )


@router.get("/demo/sent-mail")
def sent_mail(request: Request, actor: WebActor) -> HTMLResponse:
    """Demo only (no SMTP server set): the e-mails ldn would have sent; an admin sees all, anyone
    else their own."""
    clinic = request.app.state.clinic
    if not delivery.mail_is_demo(clinic, actor):
        raise NotFoundError("there is no sent-mail page here", fix="it exists in the demo only")
    mails = delivery.sent_mail(clinic, actor, limit=100)
    return page(request, "notifications/sent_mail.html", mails=mails)
