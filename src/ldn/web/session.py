"""Web sessions: the access token in an HttpOnly, SameSite=Lax cookie (``Secure`` over HTTPS), and a
CSRF token (an HMAC of the session) in every form. Pages that need a login redirect to it; a
revoked or deactivated session is refused on every page.

The login form has its own CSRF token (login CSRF: another site must not log the browser in as
someone else): ``GET /login`` sets a random pre-session cookie and puts its HMAC in the form;
``POST /login`` needs both."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import Response

from ldn.domain.errors import AuthenticationError, PermissionDeniedError
from ldn.services.clinic.accounts import check_session, decode_token
from ldn.services.clinic.context import Actor, Clinic

__all__ = [
    "COOKIE",
    "LOGIN_COOKIE",
    "LoginRequired",
    "WebActor",
    "csrf_for",
    "login_csrf",
    "login_csrf_ok",
    "require_role",
    "secure_cookies",
    "set_login_cookie",
    "verify_csrf",
]

COOKIE = "ldn_session"
#: the pre-session cookie of the login form (its HMAC is the form's CSRF token)
LOGIN_COOKIE = "ldn_login"


class LoginRequired(Exception):
    """Raised by a page that needs a login; answered with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def _clinic(request: Request) -> Clinic:
    clinic: Clinic = request.app.state.clinic
    return clinic


def csrf_for(clinic: Clinic, token: str) -> str:
    key = clinic.settings.resolved_secret_key().encode()
    return hmac.new(key, b"csrf:" + token.encode(), hashlib.sha256).hexdigest()[:40]


def secure_cookies(request: Request) -> bool:
    """Mark cookies ``Secure``: the request came over HTTPS (directly or from a trusted proxy,
    see ``LDN_FORWARDED_ALLOW_IPS``) or the public URL is HTTPS."""
    public = _clinic(request).settings.public_url
    return request.url.scheme == "https" or public.startswith("https://")


def login_csrf(request: Request) -> tuple[str, str]:
    """The login form's CSRF token and the pre-session nonce it is the HMAC of (the browser's,
    or a new one); :func:`set_login_cookie` puts the nonce on the page's response."""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not 20 <= len(nonce) <= 100:
        nonce = secrets.token_urlsafe(32)
    return csrf_for(_clinic(request), "login:" + nonce), nonce


def set_login_cookie(request: Request, response: Response, nonce: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path="/login",
    )


def login_csrf_ok(request: Request, csrf: str) -> bool:
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    return bool(nonce) and hmac.compare_digest(csrf, csrf_for(_clinic(request), "login:" + nonce))


def _actor(request: Request) -> Actor:
    clinic = _clinic(request)
    token = request.cookies.get(COOKIE, "")
    if not token:
        raise LoginRequired(request.url.path)
    try:
        host = request.client.host if request.client else ""
        actor = decode_token(
            clinic.settings,
            token,
            now=clinic.clock(),
            remote_addr=host,
            request_id=getattr(request.state, "request_id", ""),
        )
        check_session(clinic, actor)  # logged out, deactivated or role changed: log in again
    except AuthenticationError:
        raise LoginRequired(request.url.path) from None
    request.state.csrf = csrf_for(clinic, token)
    request.state.actor = actor
    return actor


WebActor = Annotated[Actor, Depends(_actor)]


def require_role(actor: Actor, *roles: str) -> None:
    if actor.role not in roles:
        raise PermissionDeniedError(
            f"this page is for {' or '.join(roles)} users", fix="go to your home page"
        )


def verify_csrf(request: Request, csrf: Annotated[str, Form()] = "") -> None:
    """Form posts must carry the session's CSRF token."""
    token = request.cookies.get(COOKIE, "")
    if not token or not hmac.compare_digest(csrf, csrf_for(_clinic(request), token)):
        raise PermissionDeniedError(
            "the form expired or did not come from ldn", fix="reload the page and submit again"
        )
