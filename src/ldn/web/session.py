"""Web sessions: the access token in an HttpOnly, SameSite=Lax cookie, and a CSRF token (an HMAC
of the session) in every form. Pages that need a login redirect to it."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Form, Request

from ldn.domain.errors import AuthenticationError, PermissionDeniedError
from ldn.services.clinic.accounts import decode_token
from ldn.services.clinic.context import Actor, Clinic

__all__ = ["COOKIE", "LoginRequired", "WebActor", "csrf_for", "require_role", "verify_csrf"]

COOKIE = "ldn_session"


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


def _actor(request: Request) -> Actor:
    clinic = _clinic(request)
    token = request.cookies.get(COOKIE, "")
    if not token:
        raise LoginRequired(request.url.path)
    try:
        host = request.client.host if request.client else ""
        actor = decode_token(clinic.settings, token, now=clinic.clock(), remote_addr=host,
                             request_id=getattr(request.state, "request_id", ""))  # fmt: skip
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
