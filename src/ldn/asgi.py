"""The composition root: the REST API, FHIR, CDS Hooks and the web app in one ASGI app.

``ldn serve`` runs :func:`app_from_env` (settings from ``LDN_*``, read when called, never at
import); tests call :func:`create_app` with explicit settings.

With ``--workers N`` (N > 1) uvicorn's master spawns the workers, and :func:`app_from_env` runs
in each of them: there it first ties the worker's life to the master's
(:func:`exit_with_parent`), so that a master killed with SIGKILL does not leave workers serving
on its port.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading

from fastapi import FastAPI

from ldn.api.app import create_app as create_api
from ldn.api.logs import configure_logging
from ldn.config import Settings
from ldn.services.clinic.context import Clinic
from ldn.services.clinic.delivery import start_background_runner
from ldn.web.app import mount_web

__all__ = ["app_from_env", "create_app", "exit_with_parent"]

log = logging.getLogger("ldn.serve")
#: prctl(2) option: the signal the kernel sends this process when its parent dies
_PR_SET_PDEATHSIG = 1
#: how often the fallback thread looks at the parent pid, in seconds
_WATCH_EVERY_S = 1.0


def create_app(settings: Settings, *, clinic: Clinic | None = None) -> FastAPI:
    app = create_api(settings, clinic=clinic)
    mount_web(app)
    return app


def _pdeathsig(sig: signal.Signals) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent dies (``PR_SET_PDEATHSIG``)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int, sig: signal.Signals) -> None:
    """Fallback where prctl is missing: a daemon thread that signals this process once it has
    been re-parented (its parent died)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            threading.Event().wait(_WATCH_EVERY_S)
        os.kill(os.getpid(), sig)

    threading.Thread(target=watch, name="ldn-parent-watch", daemon=True).start()


def exit_with_parent(sig: signal.Signals = signal.SIGTERM) -> None:
    """In a worker process spawned by ``ldn serve --workers N``: exit when the master dies.

    The worker receives ``sig`` (SIGTERM: uvicorn finishes the requests in flight, then exits,
    closing its copy of the listening socket) — through ``PR_SET_PDEATHSIG`` on Linux, else a
    thread that watches the parent pid. In the server's own process (one worker, no master)
    this does nothing: that process must outlive the shell that started it.
    """
    parent = multiprocessing.parent_process()
    if parent is None or parent.pid is None:
        return
    if not _pdeathsig(sig):
        _watch_parent(parent.pid, sig)
    elif os.getppid() != parent.pid:  # the master died before prctl took effect (the pid the
        os.kill(os.getpid(), sig)  # master had when it spawned us, not today's parent)


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` and ``ldn serve``."""
    exit_with_parent()
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    app = create_app(settings)
    # the notification rules and delivery inside the server (LDN_RUN_JOBS_IN_SERVER)
    start_background_runner(app.state.clinic)
    return app
