"""Across clinics without patient data: ``ldn clinic export-aggregate`` and ``ldn network``.

``ldn clinic export-aggregate`` writes what a clinic may share (counts per condition and its
N-of-1 trials' effect estimates; no identifiers, months only, small cells suppressed);
``ldn network pool FILES…`` pools several clinics' aggregates and prints the answer beside the
randomized trials' answer; ``ldn network schema`` prints the aggregate's JSON Schema.
Heavy imports stay inside the commands (``ldn --help`` stays fast).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ldn.cli._common import JsonOpt, console, emit_json, print_disclaimer

if TYPE_CHECKING:
    from ldn.services.clinic.aggregate import ConditionAnswer

__all__ = ["export_aggregate_cmd", "network_app", "register"]

network_app = typer.Typer(
    help="Pool N-of-1 trials across clinics from their shared aggregates.", no_args_is_help=True
)


def export_aggregate_cmd(
    out: Annotated[Path | None, typer.Option("--out", help="Write here (default: print).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="json | measure-report (FHIR R4).")] = "json",
    clinic_id: Annotated[
        int | None, typer.Option("--clinic", help="Clinic id (default: the only clinic).")
    ] = None,
    label: Annotated[
        str, typer.Option(help="The clinic's label in the network (default: its name).")
    ] = "",
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="SQLAlchemy URL (default: LDN_DATABASE_URL)."),
    ] = None,
) -> None:
    """What this clinic may share: counts per condition and N-of-1 effect estimates, with no
    identifiers, no dates finer than a month and small cells (LDN_AGGREGATE_MIN_CELL) suppressed."""
    from ldn.config import Settings
    from ldn.services.clinic.aggregate import export_aggregate
    from ldn.services.clinic.context import SYSTEM, Clinic

    settings = Settings.from_env(**({"database_url": database_url} if database_url else {}))
    clinic = Clinic.open(settings)
    try:
        doc = export_aggregate(clinic, SYSTEM, clinic_id=clinic_id, label=label, fmt=fmt)
    finally:
        clinic.close()
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    console.print(
        f"aggregate written to {out} (cells below {settings.aggregate_min_cell} suppressed)"
    )


def _nrs(value: Any) -> str:
    return "—" if value is None else f"{float(value):+.2f}"


def _interval(pair: Any, sign: str = "+") -> str:
    if not pair:
        return "—"
    lo, hi = pair
    return f"{float(lo):{sign}.2f} to {float(hi):{sign}.2f}"


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _sd(value: Any, pair: Any) -> str:
    return "—" if value is None else f"{float(value):.2f} (95% {_interval(pair, '')})"


def _table(answer: ConditionAnswer) -> Any:
    from rich.table import Table

    net = answer.network or {}
    rct = answer.rct
    table = Table(
        title=f"{answer.label} ({answer.condition})", title_justify="left", show_lines=False
    )
    table.add_column("")
    table.add_column("N-of-1 trials across clinics", overflow="fold")
    table.add_column("Randomized trials (evidence review)", overflow="fold")
    share = net.get("share_benefit_mcid")
    share_ci = net.get("share_benefit_mcid_ci")
    table.add_row(
        "Data",
        f"{len(answer.clinics)} clinics, {answer.patients} patients, "
        f"{net.get('n_trials', '—')} trials",
        f"{_count(len(rct.get('trials', [])), 'randomized trial')} ({rct.get('direction', '')})",
    )
    table.add_row(
        "Average effect (NRS)",
        f"{_nrs(net.get('delta_mean_nrs'))} (95% {_interval(net.get('delta_ci_nrs'))})",
        rct.get("statement", "") or "—",
    )
    table.add_row(
        "Between patients (SD τ)", _sd(net.get("tau_mean_nrs"), net.get("tau_ci_nrs")), ""
    )
    table.add_row(
        "Between clinics (SD ω)", _sd(net.get("omega_mean_nrs"), net.get("omega_ci_nrs")), ""
    )
    if share is not None:
        ci = f" (95% {share_ci[0]:.0%} to {share_ci[1]:.0%})" if share_ci else ""
        table.add_row("Patients who benefit ≥ 1 point", f"{share:.0%}{ci}", "")
    table.add_row("Certainty", "", str(rct.get("certainty") or "not rated"))
    return table


@network_app.command("pool")
def pool_cmd(
    files: Annotated[
        list[Path], typer.Argument(help="Aggregate JSON files (ldn clinic export-aggregate).")
    ],
    condition: Annotated[
        str | None, typer.Option(help="Only this condition (vocabulary code).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Pool several clinics' N-of-1 trials (patients within clinics within the network) and set
    the answer beside the randomized trials' meta-analysis for the condition."""
    from ldn.services.clinic.aggregate import pool_documents, read_aggregate_files

    answer = pool_documents(read_aggregate_files(files), condition=condition)
    if as_json:
        emit_json(answer.as_dict())
        return
    console.print(
        f"{len(answer.clinics)} clinics: {', '.join(answer.clinics)} · prior on the "
        f"average effect: {answer.prior}"
    )
    if not answer.conditions:
        console.print("No clinic shared a series of N-of-1 trials large enough to publish.")
    for c in answer.conditions:
        console.print()
        console.print(_table(c))
        console.print(f"[bold]N-of-1 trials:[/bold] {c.sentence}", soft_wrap=True)
        console.print(f"[bold]Randomized trials:[/bold] {c.rct_sentence}", soft_wrap=True)
        for w in c.warnings:
            console.print(f"[yellow]caution:[/yellow] {w}", soft_wrap=True)
    console.print()
    print_disclaimer()


@network_app.command("schema")
def schema_cmd() -> None:
    """The JSON Schema of an aggregate file (docs/schemas/aggregate.schema.json)."""
    from ldn.domain.aggregate import aggregate_json_schema

    emit_json(aggregate_json_schema())


def register(app: typer.Typer) -> None:
    app.add_typer(network_app, name="network")
