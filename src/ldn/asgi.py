"""The composition root: the REST API, FHIR, CDS Hooks and the web app in one ASGI app.

``ldn serve`` runs :func:`app_from_env` (settings from ``LDN_*``, read when called, never at
import); tests call :func:`create_app` with explicit settings.
"""

from __future__ import annotations

from fastapi import FastAPI

from ldn.api.app import create_app as create_api
from ldn.api.logs import configure_logging
from ldn.config import Settings
from ldn.services.clinic.context import Clinic
from ldn.web.app import mount_web

__all__ = ["app_from_env", "create_app"]


def create_app(settings: Settings, *, clinic: Clinic | None = None) -> FastAPI:
    app = create_api(settings, clinic=clinic)
    mount_web(app)
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` and ``ldn serve``."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    return create_app(settings)
