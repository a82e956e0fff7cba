"""Running a clinic: ``ldn serve``, ``ldn db``, ``ldn clinic``, ``ldn users``, ``ldn audit``.

Settings come from ``LDN_*`` environment variables (see ``ldn.config``), with ``--database-url``
to override; they are built when a command runs, never at import.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn

from ldn.cli._common import JsonOpt, console, emit_json
from ldn.cli.network import export_aggregate_cmd
from ldn.config import Settings
from ldn.domain.errors import InputError
from ldn.services.clinic import accounts, demo, operations
from ldn.services.clinic.context import SYSTEM, Clinic

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL (default: LDN_DATABASE_URL, else SQLite in the data dir).",
    ),
]

db_app = typer.Typer(help="The clinic database: upgrade, backup, restore.", no_args_is_help=True)
clinic_app = typer.Typer(help="Clinics.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts and roles.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)


def _settings(database_url: str | None) -> Settings:
    return Settings.from_env(**({"database_url": database_url} if database_url else {}))


@contextmanager
def _open(database_url: str | None) -> Iterator[Clinic]:
    clinic = Clinic.open(_settings(database_url))
    try:
        yield clinic
    finally:
        clinic.close()


@db_app.command("upgrade")
def upgrade_cmd(database_url: DbOpt = None, revision: str = "head") -> None:
    """Create or migrate the schema to the newest version."""
    with _open(database_url) as clinic:
        rev = operations.upgrade(clinic, revision)
        console.print(f"database schema at revision {rev} ({clinic.db.dialect})")


@db_app.command("backup")
def backup_cmd(
    file: Annotated[Path, typer.Argument(help="New backup file.")], database_url: DbOpt = None
) -> None:
    """A consistent online backup (SQLite backup API; pg_dump for PostgreSQL)."""
    with _open(database_url) as clinic:
        console.print(f"backup written to {operations.backup(clinic, file)}")


@db_app.command("restore")
def restore_cmd(
    file: Annotated[Path, typer.Argument(help="Backup written by `ldn db backup`.")],
    database_url: DbOpt = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm: replace the database's contents.")
    ] = False,
) -> None:
    """Replace the database with a backup. Stop `ldn serve` first."""
    if not yes:
        raise InputError.at(
            "--yes",
            "restore replaces every record in the database",
            "stop the server, then rerun with --yes",
        )
    with _open(database_url) as clinic:
        operations.restore(clinic, file)
    console.print(f"restored from {file}")


@clinic_app.command("create")
def clinic_create_cmd(
    name: Annotated[str, typer.Argument(help="Clinic name.")],
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A new clinic; prints its id (for `ldn users create --clinic`)."""
    with _open(database_url) as clinic:
        out = accounts.create_clinic(clinic, SYSTEM, name=name)
    if as_json:
        emit_json(out)
    else:
        console.print(f"clinic {out['id']}: {out['name']}")


clinic_app.command("export-aggregate")(export_aggregate_cmd)


@users_app.command("create")
def users_create_cmd(
    email: Annotated[str, typer.Argument(help="Login e-mail.")],
    role: Annotated[str, typer.Option(help="patient | clinician | pharmacist | admin")],
    clinic_id: Annotated[int, typer.Option("--clinic", help="Clinic id.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    patient_id: Annotated[
        int | None, typer.Option("--patient", help="Patient id (patient logins).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A user with a role in a clinic (the password is asked, or read with --password-stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _open(database_url) as clinic:
        out = accounts.create_user(
            clinic,
            SYSTEM,
            clinic_id=clinic_id,
            email=email,
            password=password,
            role=role,
            display_name=name,
            patient_id=patient_id,
        )
    if as_json:
        emit_json(out)
    else:
        console.print(
            f"user {out['id']}: {out['email']} ({out['role']}, clinic {out['clinic_id']})"
        )


@audit_app.command("verify")
def audit_verify_cmd(
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
    accept_unkeyed: Annotated[
        bool,
        typer.Option(
            "--accept-unkeyed",
            help="Accept events written by ldn 0.1, before the trail was keyed (start of a chain only).",
        ),
    ] = False,
) -> None:
    """Check every hash chain: a changed, deleted, cut or unkeyed event is reported (exit 1)."""
    with (
        _open(database_url) as clinic,
        Progress(
            SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True
        ) as bar,
    ):
        task = bar.add_task("verifying the audit trail")
        report = operations.verify_audit(
            clinic,
            SYSTEM,
            progress=lambda n: bar.update(task, description=f"{n:,} events checked"),
            accept_unkeyed=accept_unkeyed,
        )
    if as_json:
        emit_json(report)
    elif report["ok"]:
        console.print(
            f"[green]audit trail intact[/green]: {report['events']:,} events, every chain verifies"
        )
        if report["unkeyed"]:
            console.print(
                f"  {report['unkeyed']:,} of them predate the audit key (plain SHA-256, accepted with "
                "--accept-unkeyed; the first keyed event of each chain vouches for them)"
            )
    else:
        console.print(f"[red]audit trail BROKEN[/red] ({report['events']:,} events read):")
        for b in report["breaks"]:
            console.print(f"  chain {b['chain']}, event {b['seq']}: {b['problem']}")
    if not report["ok"]:
        raise typer.Exit(1)


def serve_cmd(
    database_url: DbOpt = None,
    host: Annotated[
        str | None, typer.Option(help="Address (default LDN_HOST or 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default LDN_PORT or 8000).")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default LDN_WORKERS or 1).")
    ] = None,
    with_demo: Annotated[
        bool, typer.Option("--demo", help="Upgrade the schema and add the demo clinic.")
    ] = False,
) -> None:
    """Serve the REST API (and its docs at /api/docs) with uvicorn."""
    import uvicorn

    settings = _settings(database_url)
    clinic = Clinic.open(settings)
    if with_demo:
        operations.upgrade(clinic)
        logins = demo.seed_demo(clinic, cohort=True)
        console.print(f"demo clinic ready; password for every demo login: {demo.DEMO_PASSWORD}")
        for role, email in logins.logins.items():
            console.print(f"  {role:<10} {email}")
    health = operations.health(clinic)
    clinic.close()
    if health["status"] != "ok":
        raise InputError.at(
            "database",
            f"the database schema is at {health['schema_revision']}, not {health['schema_head']}",
            "run `ldn db upgrade` first",
        )
    # the workers build their own settings from the environment: hand them the resolved values
    os.environ["LDN_DATABASE_URL"] = settings.resolved_database_url
    os.environ["LDN_SECRET_KEY"] = settings.resolved_secret_key()
    os.environ["LDN_AUDIT_KEY"] = ",".join(k.decode() for k in settings.resolved_audit_keys())
    h, p, w = host or settings.host, port or settings.port, workers or settings.workers
    db_kind = settings.resolved_database_url.split("://")[0]
    console.print(
        f"ldn web app: http://{h}:{p}/   API docs: http://{h}:{p}/api/docs   ({db_kind}, {w} worker(s); Ctrl+C stops)"
    )
    # the client address and scheme behind a proxy: ldn's own middleware (LDN_FORWARDED_ALLOW_IPS)
    uvicorn.run(
        "ldn.asgi:app_from_env",
        factory=True,
        host=h,
        port=p,
        workers=w,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        proxy_headers=False,
        server_header=False,
    )


def register(app: typer.Typer) -> None:
    """Add the clinic commands to the root app."""
    app.command("serve")(serve_cmd)
    app.add_typer(db_app, name="db")
    from ldn.cli import outcomes  # `ldn clinic report`

    outcomes.register(clinic_app)
    app.add_typer(clinic_app, name="clinic")
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")
