"""``ldn worker``: the notification scheduler in its own process (any number of them).

Evaluates the notification rules every minute and delivers due e-mails continuously (see
:mod:`ldn.services.clinic.delivery` for exactly-once, leases and retries). SIGTERM or Ctrl+C
stops it after the job in hand; a job it had claimed but not finished goes to another worker
when its lease expires. With SQLite, ``ldn serve`` runs the same loop itself
(``LDN_RUN_JOBS_IN_SERVER``).
"""

from __future__ import annotations

import signal
from typing import Annotated, Any

import typer

from ldn.cli._common import console

__all__ = ["register"]


def worker_cmd(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="SQLAlchemy URL (default: LDN_DATABASE_URL, else SQLite in the data dir).",
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Evaluate the rules and deliver what is due, then exit.")
    ] = False,
    poll: Annotated[
        float, typer.Option(help="Seconds between delivery runs.", min=0.1, max=3600)
    ] = 2.0,
    rules_every: Annotated[
        float, typer.Option(help="Seconds between rule evaluations.", min=1, max=86400)
    ] = 60.0,
) -> None:
    """Run notification rules and e-mail delivery (reminders, alerts) until stopped."""
    import logging

    from ldn.config import Settings
    from ldn.services.clinic.context import Clinic
    from ldn.services.clinic.delivery import Runner

    settings = Settings.from_env(**({"database_url": database_url} if database_url else {}))
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    clinic = Clinic.open(settings)
    runner = Runner(clinic, poll_s=poll, rules_every_s=rules_every)
    try:
        if once:
            result = runner.evaluate()
            counts = runner.deliver(limit=1000)
            console.print(
                f"rules: {result['created']} new notification(s) for {result['patients']} patient(s); "
                f"delivery: {counts or 'nothing due'}"
            )
            return

        def stop(_signum: int, _frame: Any) -> None:
            runner.stop.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        mail = (
            f"SMTP {settings.smtp_host}:{settings.smtp_port}"
            if settings.smtp_host
            else "no SMTP (in-app only)"
        )
        console.print(
            f"ldn worker {runner.worker}: rules every {rules_every:g}s, delivery every {poll:g}s, {mail}"
        )
        runner.run()
    finally:
        clinic.close()


def register(app: typer.Typer) -> None:
    app.command("worker")(worker_cmd)
