"""Every error the API returns is RFC 9457 problem+json, mapped here and nowhere else.

The status and title of an :class:`~ldn.domain.errors.LdnError` are its class's ``status`` and
``title`` (the table is drawn in :mod:`ldn.domain.errors`); this module adds only what is not an
ldn error::

    malformed JSON              400   malformed_json
    body over the limit         413   content_too_large   (ldn.api.security, before it is read)
    unknown route / method      404 / 405
    under /fhir/: the same statuses with an OperationOutcome (issue.expression = the element)
    anything else               500   internal_error      (no internals; logged once)

Headers: ``WWW-Authenticate: Bearer`` on 401, ``Retry-After`` on 429 and 503. A web page (see
:mod:`ldn.web`) gets an HTML page with the same status instead of JSON.

Each failure is handled once, by a handler that *returns* a response (Starlette re-raises from
a handler registered for ``Exception`` — the server then logs a second traceback and drops the
keep-alive connection — so bugs are caught by :class:`ErrorBoundary`, inside the middleware)
and logged once: a database outage (503) as one line with the request id and the driver's
message, a bug (500) as one line carrying the traceback.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ldn.domain.errors import (
    AuthenticationError,
    InputError,
    LdnError,
    OutcomeUnknown,
    RateLimited,
    ServiceUnavailable,
    error_classes,
    problems_from_pydantic,
)
from ldn.interop.r4.validate import operation_outcome

__all__ = [
    "PROBLEM_BASE",
    "ErrorBoundary",
    "install_error_handlers",
    "problem",
    "status_for",
    "title_for",
]

PROBLEM_BASE = "https://ldn.example.org/problems/"
log = logging.getLogger("ldn.api")

#: titles of the statuses no ldn error carries (HTTP-level refusals and the bug)
HTTP_TITLES = {
    400: "Malformed request",
    405: "Method not allowed",
    413: "Content too large",
    415: "Unsupported media type",
    500: "Internal error",
}
_FHIR_ISSUE = {
    401: "login",
    403: "forbidden",
    404: "not-found",
    409: "conflict",
    412: "conflict",
    413: "too-costly",
    429: "throttled",
    500: "exception",
    503: "transient",
}
_BUG_DETAIL = "an unexpected error occurred (a bug in ldn)"
_BUG_FIX = (
    "if the request was to change something, check whether it did before repeating it "
    "(a repeat with the same Idempotency-Key is safe); report the request_id to your "
    "administrator"
)


def status_for(exc: LdnError) -> int:
    """The HTTP status of an ldn error: its class's ``status`` (inherited along the MRO)."""
    return exc.status


def title_for(status: int) -> str:
    """The title of a bare status: the first class of the error tree that answers with it,
    else :data:`HTTP_TITLES`, else the HTTP reason phrase."""
    for cls in error_classes()[1:]:
        if cls.status == status:
            return cls.title
    return HTTP_TITLES.get(status) or HTTPStatus(status).phrase


def problem(
    request: Request,
    status: int,
    code: str,
    detail: str,
    *,
    fix: str = "",
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    title: str = "",
) -> JSONResponse:
    """The problem+json answer (an OperationOutcome under ``/fhir/``)."""
    if request.url.path.startswith("/fhir/"):  # FHIR speaks OperationOutcome
        issues = errors or [{"loc": "", "message": detail, "fix": fix}]
        return JSONResponse(
            operation_outcome(issues, code=_FHIR_ISSUE.get(status, "invalid")),
            status_code=status,
            headers=headers,
            media_type="application/fhir+json",
        )
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title or title_for(status),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": _request_id(request),
    }
    if fix:
        body["fix"] = fix
    if errors:
        body["errors"] = errors
    return JSONResponse(
        body, status_code=status, headers=headers, media_type="application/problem+json"
    )


def _request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", ""))


def _web(request: Request) -> bool:
    """A page of the web app (which answers errors with HTML, see ldn.web)."""
    path = request.url.path
    return hasattr(request.app.state, "html_error") and not path.startswith(
        ("/api/", "/fhir/", "/cds-services", "/static/")
    )


def _ldn_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LdnError)
    headers: dict[str, str] = {}
    if isinstance(exc, AuthenticationError):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, (RateLimited, ServiceUnavailable)):
        headers["Retry-After"] = str(exc.retry_after_s)
    if isinstance(exc, ServiceUnavailable):  # an expected outage: one line, no traceback
        log.warning(
            "commit outcome unknown" if isinstance(exc, OutcomeUnknown) else "database unavailable",
            extra={"request_id": _request_id(request), "code": exc.code, "cause": exc.cause},
        )
    if _web(request):
        page: Response = request.app.state.html_error(request, exc.status, exc)
        page.headers.update(headers)
        return page
    errors = [p.as_dict() for p in exc.problems] if isinstance(exc, InputError) else None
    return problem(
        request,
        exc.status,
        exc.code,
        exc.message,
        fix=exc.fix,
        errors=errors,
        headers=headers,
        title=exc.title,
    )


def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errs = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errs):
        return problem(
            request,
            400,
            "malformed_json",
            "the request body is not valid JSON",
            fix="send a JSON document with Content-Type: application/json",
        )
    problems = problems_from_pydantic(
        errs,
        skip_head="body",
        top="(body)",
        see="/api/docs",
        default_fix="see /api/docs for this field",
    )
    error = InputError(problems)
    if _web(request):  # e.g. a page address with a malformed id: a page, not JSON
        return request.app.state.html_error(request, error.status, error)  # type: ignore[no-any-return]
    first = problems[0]
    return problem(
        request,
        error.status,
        error.code,
        f"{first.loc}: {first.message}",
        fix=first.fix,
        errors=[p.as_dict() for p in problems],
        title=error.title,
    )


def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if _web(request) and exc.status_code in (404, 405):
        return request.app.state.html_error(request, exc.status_code, exc)  # type: ignore[no-any-return]
    code = {
        404: "not_found",
        405: "method_not_allowed",
        401: "unauthenticated",
        413: "content_too_large",
    }.get(exc.status_code, "http_error")
    return problem(request, exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {}))


def _bug(request: Request, exc: Exception) -> Response:
    """A bug: one log line (with the traceback and the request id), a 500 without internals."""
    if isinstance(exc, LdnError):  # raised in a middleware, outside the exception handlers
        return _ldn_error(request, exc)
    log.error("unhandled error", exc_info=exc, extra={"request_id": _request_id(request)})
    if _web(request):
        return request.app.state.html_error(request, 500, exc)  # type: ignore[no-any-return]
    return problem(request, 500, "internal_error", _BUG_DETAIL, fix=_BUG_FIX)


class ErrorBoundary:
    """Pure ASGI middleware, the innermost: a bug that escaped the exception handlers is
    answered by :func:`_bug` here, once, and not re-raised — so the server neither logs it a
    second time nor closes the keep-alive connection. (A response that has already started
    cannot be replaced: then the error goes on to the server.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started:
                raise
            await _bug(Request(scope, receive), exc)(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """The handlers, and :class:`ErrorBoundary` (call before any other ``add_middleware``, so
    that it sits innermost: inside the request id, the security headers and the body guard)."""
    app.add_exception_handler(LdnError, _ldn_error)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _bug)  # what a middleware raises (re-raised after)
    app.add_middleware(ErrorBoundary)
