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

from ldn.web.pages import clinic, patient, pharmacy, prescribing, public, staff, trial_pharmacy
from ldn.web.render import error_page
from ldn.web.session import LoginRequired

__all__ = ["mount_web"]


def mount_web(app: FastAPI) -> None:
    """Add the pages and ``/static`` to ``app`` (the API app; it holds the clinic)."""
    app.state.html_error = error_page

    async def login_required(request: Request, exc: Exception) -> Response:
        return error_page(request, 401, exc)

    app.add_exception_handler(LoginRequired, login_required)
    app.mount("/static", StaticFiles(directory=str(files("ldn.web") / "static")), name="static")
    for module in (public, clinic, prescribing, patient, pharmacy, trial_pharmacy, staff):
        app.include_router(module.router)
