"""The ``ldn`` command line: one thin adapter over the services and the domain.

Errors: an :class:`~ldn.domain.errors.LdnError` (bad input, a clinical refusal, ...) prints one
line per problem on stderr and exits 2; anything else is a bug and exits 1 with a hint to rerun
with ``--debug`` (which shows the traceback).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
import typer.exceptions
import typer.main
from typer.core import TyperGroup

from ldn import __version__
from ldn.cli._common import err_console

try:  # typer >= 0.20 vendors its own click; older typer raised click's exceptions
    from typer._click.exceptions import ClickException as _UsageError
except ImportError:  # pragma: no cover - older typer
    from click import ClickException as _UsageError  # type: ignore[assignment]

_EXIT: tuple[type[BaseException], ...] = (typer.exceptions.Exit,)
_ABORT: tuple[type[BaseException], ...] = (typer.exceptions.Abort,)

#: every top-level command: the module that defines it (``register(app)``) and its one-line help.
#: Modules are imported only when their command runs, so ``ldn --help`` and ``ldn screen`` do not
#: load the web server, the database layer or plotting (tests/integration/test_cli_startup.py).
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("ldn.cli.reference", "Validate a patient record and print what ldn read from it."),
    "sources": ("ldn.cli.reference", "List the sources ldn cites, or show one."),
    "facts": ("ldn.cli.reference", "Print every cited clinical constant with its value, unit and sources."),
    "schema": ("ldn.cli.reference", "Print the JSON Schema of an input file format."),
    "safety-rules": ("ldn.cli.reference", "Every safety rule: what it checks, its verdict, its basis and sources."),
    "screen": ("ldn.cli.screen", "Screen a patient: pain mechanism, safety, verdict, with sources."),
    "score": ("ldn.cli.screen", "Score one instrument from a patient record or from a file of answers."),
    "instruments": ("ldn.cli.screen", "List the instruments ldn scores, with their licence notes and items."),
    "meds": ("ldn.cli.meds", "Medicines: look up what ldn makes of a name or code; list the knowledge base."),
    "plan": ("ldn.cli.plan", "Plan LDN for a patient (screens first), or adjust a plan for a side effect."),
    "pk": ("ldn.cli.pk", "Naltrexone and 6β-naltrexol exposure and receptor occupancy."),
    "evidence": ("ldn.cli.evidence", "The published LDN trials: systematic review, pooled answer per condition."),
    "diary": ("ldn.cli.track", "The daily pain diary."),
    "response": ("ldn.cli.track", "Response against published thresholds (IMMPACT, migraine days, PGIC), with side effects."),
    "trial": ("ldn.cli.track", "Blinded personal (N-of-1) trials of LDN vs placebo."),
    "serve": ("ldn.cli.clinic", "Serve the web app, REST API, FHIR and CDS Hooks with uvicorn."),
    "worker": ("ldn.cli.worker", "Run notification rules and e-mail delivery (reminders, alerts) until stopped."),
    "db": ("ldn.cli.clinic", "The clinic database: upgrade, backup, restore."),
    "clinic": ("ldn.cli.clinic", "Clinics."),
    "users": ("ldn.cli.clinic", "User accounts and roles."),
    "audit": ("ldn.cli.clinic", "The audit trail."),
    "network": ("ldn.cli.network", "Pool N-of-1 trials across clinics from their shared aggregates (no patient data)."),
    "fhir": ("ldn.cli.fhir", "HL7 FHIR R4: export a patient record as a Bundle, import a Bundle."),
    "demo": ("ldn.cli.demo", "Walk the shipped example patients through every capability."),
}  # fmt: skip
#: capability modules in demo order; each defines ``register(app)`` and may define ``demo_section``
COMMAND_MODULES: tuple[str, ...] = tuple(dict.fromkeys(module for module, _ in COMMANDS.values()))


class LazyGroup(TyperGroup):
    """The root command group: lists commands from :data:`COMMANDS` and imports a command's
    module only when that command is looked up to run."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        sub = typer.Typer(
            pretty_exceptions_enable=False, add_completion=False, rich_markup_mode="rich"
        )
        importlib.import_module(entry[0]).register(sub)
        group = typer.main.get_group(sub)
        return group.get_command(ctx, cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_) for name, (_, help_) in COMMANDS.items()])


app = typer.Typer(
    name="ldn",
    cls=LazyGroup,
    help="Low-dose naltrexone (LDN) for chronic pain: screen, plan, track, evidence, pharmacology.\n\n"
    "ldn supports clinical judgement; it does not replace it. LDN for pain is off-label.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ldn {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks for unexpected errors.")
    ] = False,
) -> None:
    """ldn: decision support for low-dose naltrexone in chronic pain."""


def run(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI and map errors to exit codes (2 input, 1 bug)."""
    from ldn.domain.errors import LdnError

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        rv = app(args=args, prog_name="ldn", standalone_mode=False)
    except LdnError as exc:
        for line in exc.lines():
            err_console.print(f"[red]error:[/red] {line}", soft_wrap=True)
        return 2
    except _EXIT as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except _ABORT:
        err_console.print("aborted")
        return 130
    except _UsageError as exc:  # a usage error (unknown command, missing argument, bad option)
        if type(exc).__name__ == "NoArgsIsHelpError":
            typer.echo(exc.format_message())  # `ldn` alone: the help, not an error
            return 0
        err_console.print(f"[red]error:[/red] {exc.format_message()}", soft_wrap=True)
        return 2
    except Exception as exc:  # a bug: say so briefly, never a traceback unless asked
        if debug:
            raise
        err_console.print(
            f"[red]internal error:[/red] {type(exc).__name__}: {exc} "
            "(this is a bug in ldn; rerun with --debug for details and report it)",
            soft_wrap=True,
        )
        return 1
    return rv if isinstance(rv, int) else 0  # click returns typer.Exit's code here


def entry() -> None:
    sys.exit(run())
