"""`ldn sources`, `ldn facts`, `ldn schema`: the registry and the cited constants."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from ldn.cli._common import AsOfOpt, JsonOpt, PatientFileArg, console, emit_json, parse_as_of
from ldn.domain.errors import InputError
from ldn.domain.facts import collect_facts, facts_markdown
from ldn.domain.sources import get_source, registry
from ldn.services.standalone.files import load_patient_file

_MARK = {
    "verified": "[green]verified[/]",
    "secondary": "[yellow]secondary[/]",
    "unverified": "[red]unverified[/]",
}


def sources(
    source_id: Annotated[str | None, typer.Argument(help="Show one source in full.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the sources ldn cites, or show one."""
    if source_id is not None:
        src = get_source(source_id)
        if as_json:
            emit_json(src.as_dict())
            return
        console.print(f"[bold]{src.id}[/bold]  ({src.kind}, {_MARK[src.verification]})")
        console.print(src.citation)
        if src.note:
            console.print(f"[dim]{src.note}[/dim]")
        return
    reg = registry()
    if as_json:
        emit_json([s.as_dict() for s in reg.values()])
        return
    table = Table(title=f"{len(reg)} sources", show_lines=False)
    for col in ("id", "year", "kind", "checked", "title"):
        table.add_column(col, overflow="fold")
    for s in reg.values():
        table.add_row(s.id, str(s.year or ""), s.kind, _MARK[s.verification], s.title)
    console.print(table)


def facts(
    as_json: JsonOpt = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print docs/facts.md.")] = False,
) -> None:
    """Print every cited clinical constant with its value, unit and sources."""
    if markdown:
        typer.echo(facts_markdown(), nl=False)
        return
    found = collect_facts()
    if as_json:
        emit_json(
            [
                {
                    "name": nf.name,
                    "value": nf.fact.value,
                    "unit": nf.fact.unit,
                    "source_ids": list(nf.fact.sources),
                    "note": nf.fact.note,
                }
                for nf in found
            ]
        )
        return
    reg = registry()
    table = Table(title=f"{len(found)} cited facts")
    for col in ("fact", "value", "unit", "sources"):
        table.add_column(col, overflow="fold")
    for nf in found:
        refs = ", ".join(
            f"{sid}{'' if reg.get(sid) and reg[sid].verification == 'verified' else '*'}"
            for sid in nf.fact.sources
        )
        table.add_row(nf.name.removeprefix("ldn.domain."), str(nf.fact.value), nf.fact.unit, refs)
    console.print(table)
    console.print("[dim]* secondary or unverified source — see `ldn sources ID`[/dim]")


def schema(what: Annotated[str, typer.Argument(help="Which schema: patient.")]) -> None:
    """Print the JSON Schema of an input file format."""
    from ldn.domain.patient import PatientRecord

    schemas = {"patient": PatientRecord}
    model = schemas.get(what)
    if model is None:
        raise InputError.at("WHAT", f"unknown schema {what!r}", f"use one of: {', '.join(schemas)}")
    typer.echo(json.dumps(model.model_json_schema(), indent=2))


def check(
    patient_file: PatientFileArg,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate a patient record and print what ldn read from it."""
    record = load_patient_file(patient_file, today=parse_as_of(as_of))
    if as_json:
        emit_json(record)
        return
    conditions = ", ".join(c.code for c in record.conditions) or "none"
    console.print(
        f"[green]ok[/green] {patient_file}: patient {record.id}, {record.age_years} y {record.sex}; "
        f"conditions: {conditions}; {len(record.medications)} medication(s)"
    )


def register(app: typer.Typer) -> None:
    app.command()(check)
    app.command()(sources)
    app.command()(facts)
    app.command()(schema)
    register_safety(app)


def safety_rules(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print docs/safety.md.")] = False,
) -> None:
    """Every safety rule: what it checks, its verdict, its basis and sources."""
    from ldn.domain.safety_rules import RULES, rules_markdown

    if markdown:
        typer.echo(rules_markdown(), nl=False)
        return
    table = Table(title=f"{len(RULES)} safety rules")
    for col in ("finding", "verdict", "basis", "rule"):
        table.add_column(col, overflow="fold")
    for r in RULES:
        table.add_row(r.code, r.verdict, r.basis, r.rule)
    console.print(table)


def register_safety(app: typer.Typer) -> None:
    app.command(name="safety-rules")(safety_rules)
