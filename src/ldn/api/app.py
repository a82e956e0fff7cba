"""The REST API (FastAPI), built by :func:`create_app` from explicit settings.

``/api/v1`` holds the resources; ``/api/docs`` the OpenAPI documentation (Swagger UI served
from the package); ``/api/v1/health`` liveness and schema readiness. Every request passes the
middleware of :mod:`ldn.api.security` (trusted proxies, security headers, body limits before
authentication) and :func:`ldn.api.boundary.check_text`. The app keeps no state between requests (tokens are signed,
rate limits and idempotency keys live in the database), so several workers or hosts can serve
one PostgreSQL database behind a load balancer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import HTMLResponse, JSONResponse

from ldn import DISCLAIMER, __version__
from ldn.api.boundary import check_text
from ldn.api.errors import HTTP_TITLES, install_error_handlers
from ldn.api.logs import RequestContext
from ldn.api.routes import admin, auth, care, cds, compute, diary, fhir, invites, patients, trials
from ldn.api.routes import notifications as notification_routes
from ldn.api.routes import outcomes as outcomes_routes
from ldn.api.security import RequestGuard, SecurityHeaders, TrustedProxies
from ldn.config import Settings
from ldn.domain.errors import titles_by_status
from ldn.services.clinic import operations
from ldn.services.clinic.context import Clinic

__all__ = ["PROBLEM_RESPONSES", "create_app"]

DESCRIPTION = f"""Low-dose naltrexone (LDN) for chronic pain: screening, plans, pharmacy, diary,
N-of-1 trials, pharmacology and evidence, for clinicians, patients and pharmacists.

Log in with `POST /api/v1/auth/token`, then send `Authorization: Bearer <token>`.
Errors are RFC 9457 `application/problem+json` naming the field and the fix.

{DISCLAIMER}"""


#: every status a route may answer with and its titles, from the one error table
#: (:mod:`ldn.domain.errors`) and the HTTP-level refusals of :mod:`ldn.api.errors`
_PROBLEM_CODES = dict(sorted({**HTTP_TITLES, **titles_by_status()}.items()))
_ITEM = {
    "type": "object",
    "required": ["loc", "message", "fix"],
    "properties": {k: {"type": "string"} for k in ("loc", "message", "fix")},
}
#: RFC 9457 problem details (the body :func:`ldn.api.errors.problem` writes), inlined
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["type", "title", "status", "detail", "instance", "request_id"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                   "detail": {"type": "string"}, "instance": {"type": "string"}, "request_id": {"type": "string"},
                   "fix": {"type": "string"}, "errors": {"type": "array", "items": _ITEM}},
}  # fmt: skip
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {
        "description": text,
        "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}},
    }
    for code, text in _PROBLEM_CODES.items()
}


#: Swagger UI from the package (web/static; no CDN, no inline script)
DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ldn API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script></body></html>
"""


def create_app(settings: Settings, *, clinic: Clinic | None = None) -> FastAPI:
    """The API on ``settings``' database (or on an already open ``clinic``, for tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if clinic is None:
            app.state.clinic.close()

    app = FastAPI(
        title="ldn",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
        dependencies=[Depends(check_text)],
    )
    app.state.clinic = clinic or Clinic.open(settings)
    install_error_handlers(app)
    v1 = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)
    for module in (auth, admin, patients, care, diary, trials, compute, invites):
        v1.include_router(module.router)
    v1.include_router(outcomes_routes.router)
    v1.include_router(notification_routes.router)

    @v1.get("/health", tags=["operations"], summary="Liveness and schema readiness (no login)")
    def health() -> JSONResponse:
        body: dict[str, Any] = operations.health(app.state.clinic)
        return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_HTML)

    app.include_router(v1)
    app.include_router(fhir.router)
    app.include_router(cds.router, responses=PROBLEM_RESPONSES)
    # outermost last: request id, then the real client address, headers, then the body guard
    app.add_middleware(RequestGuard)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(TrustedProxies)
    app.add_middleware(RequestContext)
    return app
