"""`ldn demo`: the shipped example patients walked through every capability ldn has."""

from __future__ import annotations

import importlib
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table

from ldn import DISCLAIMER, __version__
from ldn.cli._common import AsOfOpt, console, parse_as_of
from ldn.domain.facts import collect_facts
from ldn.domain.sources import registry
from ldn.domain.vocabulary import CONDITIONS
from ldn.services.standalone.files import load_patient_file

#: the date the example patients were written for (their washout dates count from it)
EXAMPLES_AS_OF = date(2026, 11, 25)


def default_examples_dir() -> Path:
    """``examples/`` of the source checkout, else of the current folder."""
    here = Path(__file__).resolve().parents[3] / "examples"
    return here if here.is_dir() else Path.cwd() / "examples"


def _patients_section(examples: Path, today: date) -> None:
    console.print(Rule("Example patients"))
    table = Table(show_header=True)
    for col in ("file", "age/sex", "conditions", "medications"):
        table.add_column(col, overflow="fold")
    for path in sorted((examples / "patients").glob("*.yaml")):
        p = load_patient_file(path, today=today)
        conds = ", ".join(CONDITIONS[c.code].display for c in p.conditions)
        meds = ", ".join(m.name for m in p.medications) or "—"
        table.add_row(path.name, f"{p.age_years} {p.sex}", conds, meds)
    console.print(table)
    reg = registry()
    verified = sum(s.verification == "verified" for s in reg.values())
    console.print(
        f"{len(reg)} sources in the registry ({verified} verified in the source itself); "
        f"{len(collect_facts())} cited clinical constants — see `ldn sources`, `ldn facts`."
    )


def demo(
    examples: Annotated[
        Path | None, typer.Option(help="Folder with patients/ and other examples.")
    ] = None,
    as_of: AsOfOpt = None,
) -> None:
    """Walk the shipped example patients through every capability."""
    from ldn.cli.main import COMMAND_MODULES

    folder = examples or default_examples_dir()
    today = parse_as_of(as_of) if as_of else EXAMPLES_AS_OF
    console.print(
        Panel.fit(
            f"[bold]ldn {__version__}[/bold] — low-dose naltrexone for chronic pain\n{DISCLAIMER}"
        )
    )
    console.print(
        f"[dim]As of {today.isoformat()} (the examples' reference date; change with --as-of).[/dim]"
    )
    _patients_section(folder, today)
    for name in COMMAND_MODULES:
        section = getattr(importlib.import_module(name), "demo_section", None)
        if section is not None:
            section(folder, today)


def register(app: typer.Typer) -> None:
    app.command()(demo)
