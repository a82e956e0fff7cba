"""The web app for clinicians, patients and pharmacists: server-rendered pages (Jinja2) with
htmx, every asset served from the package (works offline), mounted on the API's FastAPI app.

Pages call the services (never the database); errors on a page come back as a page (an expired
session redirects to the login), see :func:`ldn.web.render.error_page`.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from ldn.domain.errors import LdnError, OutcomeUnknown, ServiceUnavailable
from ldn.web.pages import clinic, patient, pharmacy, prescribing, public, staff, trial_pharmacy
from ldn.web.pages.enrol import router as enrol_router
from ldn.web.pages.network import router as network_router
from ldn.web.pages.notifications import router as notifications_router
from ldn.web.pages.outcomes import router as outcomes_router
from ldn.web.render import error_page
from ldn.web.session import LoginRequired

__all__ = ["html_error", "mount_web"]


def html_error(request: Request, status: int, exc: Exception) -> Response:
    """The error page for ``exc`` (``ldn.api.errors`` calls it for every error on a page): the
    page's own words for an outage (503, calm: try again in a moment), for a save whose outcome
    is unknown, and for a bug (500: honest that a save may or may not have happened)."""
    shown: Exception = exc
    if isinstance(exc, OutcomeUnknown):
        shown = LdnError(
            "The connection to the database failed while saving, so ldn cannot tell "
            "whether your change was saved.",
            fix="Open the page again in a moment and check before you submit again.",
        )
    elif isinstance(exc, ServiceUnavailable):
        shown = LdnError(
            "The clinic's database is not answering right now; nothing was changed.",
            fix="Try again in a moment.",
        )
    elif status >= 500 and not isinstance(exc, LdnError):
        shown = LdnError(
            "Something went wrong on our side (a bug in ldn).",
            fix="If you were saving something, open the page again to check whether "
            "it was saved before you retry; if it keeps happening, tell your "
            "administrator.",
        )
    return error_page(request, status, shown)


def mount_web(app: FastAPI) -> None:
    """Add the pages and ``/static`` to ``app`` (the API app; it holds the clinic)."""
    app.state.html_error = html_error

    async def login_required(request: Request, exc: Exception) -> Response:
        return error_page(request, 401, exc)

    app.add_exception_handler(LoginRequired, login_required)
    app.mount("/static", StaticFiles(directory=str(files("ldn.web") / "static")), name="static")
    for module in (public, clinic, prescribing, patient, pharmacy, trial_pharmacy, staff):
        app.include_router(module.router)
    app.include_router(enrol_router)
    app.include_router(network_router)
    app.include_router(notifications_router)
    app.include_router(outcomes_router)
