"""Enrolment: the clinician's invite (a one-time link and a code to read aloud, shown once; resend,
revoke) and the patient's side, ``/enrol`` (open the link or type the code, choose an e-mail and a
password, and land logged in on their own diary).

The public form has its own CSRF token, as the login form does (another site must not enrol the
browser into someone else's login): a random pre-session cookie limited to ``/enrol`` and its HMAC
in the form. The invite's token is in the link's path, so these pages send no ``Referer``.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ldn.domain.errors import ConflictError, InputError, LdnError, NotFoundError, RateLimited
from ldn.services.clinic import invites, patients
from ldn.web.render import page
from ldn.web.session import COOKIE, WebActor, csrf_for, require_role, secure_cookies, verify_csrf

router = APIRouter(include_in_schema=False)
CSRF = [Depends(verify_csrf)]
ENROL_COOKIE = "ldn_enrol"
_STATUS = {NotFoundError: 404, RateLimited: 429, InputError: 422}


def _status(exc: LdnError) -> int:
    return next((code for cls, code in _STATUS.items() if isinstance(exc, cls)), 409)


def _form_csrf(request: Request) -> tuple[str, str]:
    nonce = request.cookies.get(ENROL_COOKIE, "")
    if not 20 <= len(nonce) <= 100:
        nonce = secrets.token_urlsafe(32)
    return csrf_for(request.app.state.clinic, "enrol:" + nonce), nonce


def _form_csrf_ok(request: Request, csrf: str) -> bool:
    nonce = request.cookies.get(ENROL_COOKIE, "")
    expected = csrf_for(request.app.state.clinic, "enrol:" + nonce)
    return bool(nonce) and hmac.compare_digest(csrf, expected)


def _enrol_page(
    request: Request,
    *,
    status: int = 200,
    token: str = "",
    email: str = "",
    error: str = "",
    errors: dict[str, str] | None = None,
    refused: bool = False,
    clinic_name: str = "",
) -> HTMLResponse:
    csrf, nonce = _form_csrf(request)
    resp = page(
        request,
        "enrol.html",
        status=status,
        token=token,
        values={"email": email},
        error=error,
        errors=errors or {},
        refused=refused,
        clinic_name=clinic_name,
        enrol_csrf=csrf,
    )
    resp.set_cookie(
        ENROL_COOKIE,
        nonce,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path="/enrol",
    )
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _said(exc: LdnError) -> str:
    return f"{exc.message[:1].upper()}{exc.message[1:]}. {exc.fix[:1].upper()}{exc.fix[1:]}."


@router.get("/enrol")
def enrol_by_code(request: Request) -> HTMLResponse:
    """The form for a patient who has the code (read aloud or printed), not the link."""
    return _enrol_page(request)


@router.get("/enrol/{token}")
def enrol_by_link(request: Request, token: str) -> HTMLResponse:
    """The invite link: refused at once when expired, used or revoked, else the form."""
    host = request.client.host if request.client else ""
    try:
        found = invites.check_invite(
            request.app.state.clinic,
            token=token[:200],
            remote_addr=host,
            request_id=getattr(request.state, "request_id", ""),
        )
    except (NotFoundError, ConflictError, RateLimited) as exc:
        resp = _enrol_page(request, status=_status(exc), error=_said(exc), refused=True)
        if isinstance(exc, RateLimited):
            resp.headers["Retry-After"] = str(exc.retry_after_s)
        return resp
    return _enrol_page(request, token=token[:200], clinic_name=found["clinic_name"])


@router.post("/enrol")
def enrol(
    request: Request,
    token: Annotated[str, Form(max_length=200)] = "",
    code: Annotated[str, Form(max_length=40)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    password_again: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Make the patient's login from the invite and log them in (to their own record only)."""
    again: dict[str, Any] = {"token": token, "email": email}
    if not _form_csrf_ok(request, csrf):
        return _enrol_page(
            request,
            status=403,
            **again,
            error="The form expired or did not come from ldn. Please try again.",
        )
    errors = {}
    if not token and not code.strip():
        errors["code"] = "Type the code from your invite (8 letters and digits)."
    if password != password_again:
        errors["password_again"] = "The two passwords are not the same: type it again."
    if errors:
        return _enrol_page(request, status=422, errors=errors, **again)
    host = request.client.host if request.client else ""
    try:
        out = invites.redeem_invite(
            request.app.state.clinic,
            token=token,
            code=code,
            email=email,
            password=password,
            remote_addr=host,
            request_id=getattr(request.state, "request_id", ""),
        )
    except InputError as exc:
        fields = {p.loc.split(".")[-1] or "form": f"{p.message} — {p.fix}" for p in exc.problems}
        return _enrol_page(request, status=422, errors=fields, **again)
    except (NotFoundError, ConflictError, RateLimited) as exc:
        resp = _enrol_page(request, status=_status(exc), error=_said(exc), **again)
        if isinstance(exc, RateLimited):
            resp.headers["Retry-After"] = str(exc.retry_after_s)
        return resp
    done = RedirectResponse("/me", status_code=303)
    done.set_cookie(
        COOKIE,
        out["access_token"],
        max_age=out["expires_in"],
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )
    done.delete_cookie(ENROL_COOKIE, path="/enrol")
    return done


def _invite_page(
    request: Request,
    actor: Any,
    pid: int,
    made: dict[str, Any] | None,
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    clinic = request.app.state.clinic
    patient = patients.get_patient(clinic, actor, pid)
    link = ""
    if made:
        base = clinic.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
        link = base + made["enrol_path"]
    resp = page(
        request,
        "clinic/invite.html",
        status=status,
        patient=patient,
        invite=made,
        link=link,
        error=error,
        ttl_hours=clinic.settings.invite_ttl_hours,
    )
    resp.headers["Cache-Control"] = "no-store"  # the link and code are shown this once
    return resp


@router.post("/clinic/patients/{pid}/invite", dependencies=CSRF)
def invite(
    request: Request,
    actor: WebActor,
    pid: int,
    action: Annotated[str, Form(max_length=10)] = "create",
) -> Response:
    """Create, resend (revoke the open one and make another) or revoke the patient's invite."""
    require_role(actor, "clinician")
    clinic = request.app.state.clinic
    try:
        if action == "revoke":
            invites.revoke_invite(clinic, actor, pid)
            return RedirectResponse(f"/clinic/patients/{pid}#access", status_code=303)
        use = invites.resend_invite if action == "resend" else invites.create_invite
        made = use(clinic, actor, pid)
    except ConflictError as exc:
        return _invite_page(request, actor, pid, None, error=_said(exc), status=409)
    return _invite_page(request, actor, pid, made)
