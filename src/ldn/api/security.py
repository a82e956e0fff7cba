"""Transport-level defences, as pure ASGI middleware around the whole app (API, FHIR, CDS Hooks
and web pages):

* :class:`TrustedProxies` — behind a reverse proxy the peer is the proxy: the client's address
  and scheme come from ``X-Forwarded-For`` / ``X-Forwarded-Proto``, believed only from the
  addresses in ``LDN_FORWARDED_ALLOW_IPS`` (so the lock-out, the audit trail and the ``Secure``
  cookie see the real client, and nobody else can claim another address).
* :class:`SecurityHeaders` — a Content Security Policy without inline script, no framing,
  ``nosniff``, no referrer, HSTS over HTTPS, and ``Cache-Control: no-store`` on every answer but
  the package's static files (pages and API answers carry patient data).
* :class:`RequestGuard` — a body larger than allowed is refused with 413 before it is read
  (``Content-Length``, or counted while it streams), and a body for an endpoint that needs a
  login is not read at all unless the request carries a valid token (or CDS client JWT): an
  anonymous caller cannot make the server parse megabytes.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ldn.api.errors import problem
from ldn.domain.errors import AuthenticationError
from ldn.services import cds
from ldn.services.clinic.accounts import decode_token
from ldn.services.clinic.context import Clinic

__all__ = [
    "ANONYMOUS_BODY_BYTES",
    "CSP",
    "RequestGuard",
    "SecurityHeaders",
    "TrustedProxies",
    "client_address",
]

#: the largest body of an endpoint anyone may call (the login forms)
ANONYMOUS_BODY_BYTES = 16 * 1024
_ANONYMOUS = ("/api/v1/auth/token", "/login", "/api/v1/enrolment", "/enrol")
#: scripts only from the package (no inline script, no eval); inline styles are allowed because
#: the charts are inline SVG from matplotlib (style attributes) and htmx is told not to add any
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
_HEADERS = {
    b"content-security-policy": CSP.encode(),
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"cross-origin-opener-policy": b"same-origin",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=(), payment=()",
}
_HSTS = b"max-age=63072000; includeSubDomains"


def _clinic(scope: Scope) -> Clinic:
    clinic: Clinic = scope["app"].state.clinic
    return clinic


@functools.lru_cache(maxsize=16)
def _networks(spec: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] | None:
    """The trusted proxies of ``LDN_FORWARDED_ALLOW_IPS``; None for ``*`` (any)."""
    items = [s.strip() for s in spec.split(",") if s.strip()]
    if "*" in items:
        return None
    return tuple(ipaddress.ip_network(s, strict=False) for s in items)


def _trusted(host: str, nets: tuple[Any, ...] | None) -> bool:
    if nets is None:
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(ip in n for n in nets)


def client_address(peer: str, forwarded_for: str, spec: str) -> str:
    """The client behind ``peer``: walk ``X-Forwarded-For`` from the right past trusted proxies;
    the first untrusted address is the client (what a client wrote further left is not
    believed)."""
    nets = _networks(spec)
    if not _trusted(peer, nets):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    client = peer
    for hop in reversed(hops):
        client = hop
        if not _trusted(hop, nets):
            break
    return client


class TrustedProxies:
    """Take the client address and scheme from a trusted proxy's ``X-Forwarded-*`` headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope.get("client"):
            spec = _clinic(scope).settings.forwarded_allow_ips
            peer, port = scope["client"]
            headers = Headers(scope=scope)
            if _trusted(peer, _networks(spec)):
                forwarded = headers.get("x-forwarded-for", "")
                if forwarded:
                    host = client_address(peer, forwarded, spec)[:100]
                    scope["client"] = (host, port)
                proto = headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
                if proto in ("http", "https"):
                    scope["scheme"] = (
                        proto if scope["type"] == "http" else {"http": "ws", "https": "wss"}[proto]
                    )
        await self.app(scope, receive, send)


class SecurityHeaders:
    """The response headers of :data:`CSP` and friends on every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = dict(_HEADERS)
                if https:
                    extra[b"strict-transport-security"] = _HSTS
                if not static:
                    headers = [
                        (k, v) for k, v in headers if k.lower() not in (b"cache-control", b"pragma")
                    ]
                    present -= {b"cache-control", b"pragma"}
                    extra[b"cache-control"] = b"no-store"
                headers += [(k, v) for k, v in extra.items() if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


def _too_large(request: Request, limit: int) -> Response:
    return problem(
        request,
        413,
        "content_too_large",
        f"the request body is larger than {limit} bytes",
        fix="send less: split the upload, or ask the operator about LDN_MAX_BODY_BYTES",
    )


class RequestGuard:
    """Refuse oversize bodies (413) and anonymous bodies (401) before reading them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        clinic = _clinic(scope)
        anonymous = path in _ANONYMOUS
        limit = ANONYMOUS_BODY_BYTES if anonymous else clinic.settings.max_body_bytes
        headers = Headers(scope=scope)
        request = Request(scope)
        length = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if length is not None:
            if not length.isascii() or not length.isdigit():
                await problem(request, 400, "bad_request", "Content-Length is not a number")(
                    scope, receive, send
                )
                return
            if int(length) > limit:
                await _too_large(request, limit)(scope, receive, send)
                return
        has_body = chunked or (length is not None and int(length) > 0)
        if has_body and not anonymous:
            refusal = self._unauthenticated(request, clinic, path)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)

    @staticmethod
    def _unauthenticated(request: Request, clinic: Clinic, path: str) -> Response | None:
        """The answer to a request whose credentials are not even well formed, else None.
        (Revocation is checked later, in the request's own transaction.)"""
        now = clinic.clock()
        try:
            if path.startswith("/cds-services"):
                base = clinic.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
                cds.verify_client_jwt(
                    clinic, request.headers.get("authorization"), audience=base + path
                )
            elif path.startswith(("/api/", "/fhir/")):
                auth = request.headers.get("authorization", "")
                scheme, _, token = auth.partition(" ")
                decode_token(
                    clinic.settings, token.strip() if scheme.lower() == "bearer" else "", now=now
                )
            else:  # a web page: the session cookie (see ldn.web.session)
                decode_token(clinic.settings, request.cookies.get("ldn_session", ""), now=now)
        except AuthenticationError as exc:
            if not path.startswith(("/api/", "/fhir/", "/cds-services")):
                return RedirectResponse(f"/login?next={path}", status_code=303)
            return problem(
                request,
                401,
                exc.code,
                exc.message,
                fix=exc.fix,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return None
