"""The ``ldn`` command line: one thin adapter over the services and the domain.

Errors: an :class:`~ldn.domain.errors.LdnError` (bad input, a clinical refusal, ...) prints one
line per problem on stderr and exits 2; anything else is a bug and exits 1 with a hint to rerun
with ``--debug`` (which shows the traceback).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Annotated

import click
import typer

from ldn import __version__
from ldn.cli._common import err_console

app = typer.Typer(
    name="ldn",
    help="Low-dose naltrexone (LDN) for chronic pain: screen, plan, track, evidence, pharmacology.\n\n"
    "ldn supports clinical judgement; it does not replace it. LDN for pain is off-label.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)

#: capability modules; each defines ``register(app)`` and may define ``demo_section(console)``
COMMAND_MODULES: tuple[str, ...] = (
    "ldn.cli.reference",
    "ldn.cli.screen",
    "ldn.cli.meds",
    "ldn.cli.plan",
    "ldn.cli.pk",
    "ldn.cli.evidence",
    "ldn.cli.track",
    "ldn.cli.clinic",
    "ldn.cli.fhir",
    "ldn.cli.demo",
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


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


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
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.exceptions.Abort:
        err_console.print("aborted")
        return 130
    except click.ClickException as exc:
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
