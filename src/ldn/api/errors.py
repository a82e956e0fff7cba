"""Every error the API returns is RFC 9457 problem+json, mapped here and nowhere else.

::

    LdnError subclass        status   type (https://ldn.example.org/problems/<code>)
    InputError, DataFileError   422   invalid_input / invalid_file   (+ errors[]: loc, message, fix)
    malformed JSON              400   malformed_json
    ClinicalRefusal             409   clinical_refusal
    ConflictError               409   conflict
    PreconditionFailed          412   precondition_failed
    PreconditionRequired        428   precondition_required
    AuthenticationError         401   unauthenticated     (+ WWW-Authenticate: Bearer)
    PermissionDeniedError       403   permission_denied
    NotFoundError               404   not_found
    RateLimited                 429   rate_limited        (+ Retry-After)
    body over the limit         413   content_too_large   (ldn.api.security, before it is read)
    MissingPrefetch (CDS Hooks) 412   missing_prefetch    (the specification's status)
    under /fhir/: the same statuses with an OperationOutcome (issue.expression = the element)
    anything else               500   internal_error      (no internals; logged with request id)
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ldn.domain.errors import (
    PYDANTIC_FIXES,
    AuthenticationError,
    ClinicalRefusal,
    ConflictError,
    InputError,
    LdnError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailed,
    PreconditionRequired,
    Problem,
    RateLimited,
    format_loc,
)
from ldn.interop.cds_hooks import MissingPrefetch
from ldn.interop.r4.validate import operation_outcome

__all__ = ["PROBLEM_BASE", "install_error_handlers", "problem", "status_for"]

PROBLEM_BASE = "https://ldn.example.org/problems/"
log = logging.getLogger("ldn.api")

_STATUS: tuple[tuple[type[LdnError], int], ...] = (
    (PreconditionFailed, 412), (PreconditionRequired, 428), (InputError, 422),
    (ClinicalRefusal, 409), (ConflictError, 409), (AuthenticationError, 401),
    (PermissionDeniedError, 403), (NotFoundError, 404), (RateLimited, 429), (MissingPrefetch, 412),
)  # fmt: skip
_TITLES = {400: "Malformed request", 401: "Not authenticated", 403: "Permission denied",
           404: "Not found", 405: "Method not allowed", 409: "Conflict", 412: "Precondition failed",
           413: "Content too large", 415: "Unsupported media type", 422: "Invalid input", 428: "Precondition required",
           429: "Too many requests", 500: "Internal error"}  # fmt: skip


def status_for(exc: LdnError) -> int:
    return next((code for cls, code in _STATUS if isinstance(exc, cls)), 400)


def problem(
    request: Request, status: int, code: str, detail: str, *, fix: str = "",
    errors: list[dict[str, str]] | None = None, headers: dict[str, str] | None = None,
) -> JSONResponse:  # fmt: skip
    if request.url.path.startswith("/fhir/"):  # FHIR speaks OperationOutcome
        issues = errors or [{"loc": "", "message": detail, "fix": fix}]
        kind = {401: "login", 403: "forbidden", 404: "not-found", 409: "conflict", 412: "conflict", 413: "too-costly",
                429: "throttled", 500: "exception"}.get(status, "invalid")  # fmt: skip
        return JSONResponse(operation_outcome(issues, code=kind), status_code=status, headers=headers,
                            media_type="application/fhir+json")  # fmt: skip
    body: dict[str, Any] = {"type": PROBLEM_BASE + code, "title": _TITLES.get(status, "Error"),
                            "status": status, "detail": detail, "instance": request.url.path,
                            "request_id": getattr(request.state, "request_id", "")}  # fmt: skip
    if fix:
        body["fix"] = fix
    if errors:
        body["errors"] = errors
    return JSONResponse(
        body, status_code=status, headers=headers, media_type="application/problem+json"
    )


def _web(request: Request) -> bool:
    """A page of the web app (which answers errors with HTML, see ldn.web)."""
    path = request.url.path
    return hasattr(request.app.state, "html_error") and not path.startswith(
        ("/api/", "/fhir/", "/cds-services", "/static/")
    )


def _ldn_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LdnError)
    status = status_for(exc)
    if _web(request):
        return request.app.state.html_error(request, status, exc)  # type: ignore[no-any-return]
    headers: dict[str, str] = {}
    if isinstance(exc, AuthenticationError):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after_s)
    errors = [p.as_dict() for p in exc.problems] if isinstance(exc, InputError) else None
    return problem(
        request, status, exc.code, exc.message, fix=exc.fix, errors=errors, headers=headers
    )


def _loc(parts: tuple[Any, ...]) -> str:
    if parts and parts[0] == "body":
        parts = parts[1:]
    return format_loc(parts) or "(body)"


def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errs = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errs):
        return problem(request, 400, "malformed_json", "the request body is not valid JSON",
                       fix="send a JSON document with Content-Type: application/json")  # fmt: skip
    out = []
    for e in errs:
        msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        fix = ""
        if " | fix: " in msg:
            msg, fix = msg.split(" | fix: ", 1)
        elif e.get("type") == "extra_forbidden":
            fix = "remove this field or check its spelling (see /api/docs)"
        else:
            fix = PYDANTIC_FIXES.get(str(e.get("type")), "see /api/docs for this field")
        out.append({"loc": _loc(tuple(e.get("loc", ()))), "message": msg, "fix": fix})
    first = out[0]
    if _web(request):  # e.g. a page address with a malformed id: a page, not JSON
        exc_ = InputError([Problem(o["loc"], o["message"], o["fix"]) for o in out])
        return request.app.state.html_error(request, 422, exc_)  # type: ignore[no-any-return]
    return problem(
        request,
        422,
        "invalid_input",
        f"{first['loc']}: {first['message']}",
        fix=first["fix"],
        errors=out,
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


def _bug(request: Request, exc: Exception) -> JSONResponse:
    log.error(
        "unhandled error",
        exc_info=exc,
        extra={"request_id": getattr(request.state, "request_id", "")},
    )
    return problem(request, 500, "internal_error", "an unexpected error occurred; nothing was changed",
                   fix="try again; if it persists, report the request_id to your administrator")  # fmt: skip


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(LdnError, _ldn_error)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _bug)
