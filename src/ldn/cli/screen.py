"""`ldn screen`, `ldn score`, `ldn instruments`: is this pain the kind LDN may help, and is it safe?"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.panel import Panel
from rich.table import Table

from ldn.cli._common import (
    AsOfOpt,
    JsonOpt,
    PatientFileArg,
    console,
    emit_json,
    parse_as_of,
    print_disclaimer,
)
from ldn.domain.instruments import INSTRUMENTS, NAMED_NOT_REPRODUCED, get_instrument
from ldn.domain.screening import OFF_LABEL, ScreeningReport, score_instruments, screen
from ldn.services.standalone.files import load_document, load_patient_file

_LEVEL = {"stop": "[bold red]STOP[/]", "caution": "[yellow]caution[/]", "info": "[blue]info[/]"}
_VERDICT = {
    "candidate": "[bold green]candidate[/] — LDN may be tried",
    "candidate_with_cautions": "[bold yellow]candidate with cautions[/]",
    "unlikely_to_benefit": "[bold]unlikely to benefit[/] — LDN is not expected to help this pain",
    "do_not_start_yet": "[bold red]do not start yet[/]",
    "contraindicated": "[bold red]contraindicated[/] — do not start LDN",
    "needs_clinician_review": "[bold magenta]needs clinician review[/]",
}


def _print_report(r: ScreeningReport) -> None:
    when = f" — earliest start {r.earliest_start.isoformat()}" if r.earliest_start else ""
    console.print(
        Panel.fit(
            f"Patient {r.patient_id}, as of {r.as_of.isoformat()}\nVerdict: {_VERDICT[r.verdict]}{when}\n"
            f"Pain mechanism: {r.mechanism.mechanism.replace('_', ' ')} (LDN outlook: {r.mechanism.ldn_outlook.replace('_', ' ')})",
            title="LDN screen",
        )
    )
    table = Table(show_lines=True)
    for col in ("level", "finding", "what to do", "sources"):
        table.add_column(col, overflow="fold")
    for f in r.findings:
        table.add_row(
            _LEVEL[f.level], f"[bold]{f.code}[/]\n{f.message}", f.fix, ", ".join(f.source_ids)
        )
    console.print(table)
    if r.instruments:
        inst = Table(title="Instruments")
        for col in ("instrument", "score", "category", "detail"):
            inst.add_column(col, overflow="fold")
        for key, res in r.instruments.items():
            detail = ", ".join(
                f"{k}={v}"
                for k, v in res.details.items()
                if k
                in (
                    "wpi",
                    "sss",
                    "criteria_met",
                    "generalized_regions",
                    "diagnoses",
                    "screen_positive",
                    "grade",
                )
            )
            inst.add_row(key, "" if res.total is None else f"{res.total:g}", res.category, detail)
        console.print(inst)
    console.print(f"[dim]{OFF_LABEL}[/dim]")
    print_disclaimer()


def screen_cmd(
    patient_file: PatientFileArg, as_of: AsOfOpt = None, as_json: JsonOpt = False
) -> None:
    """Screen a patient: pain mechanism, safety, verdict, with sources."""
    today = parse_as_of(as_of)
    report = screen(load_patient_file(patient_file, today=today), today=today)
    if as_json:
        emit_json(report.as_dict())
    else:
        _print_report(report)


def score_cmd(
    instrument: Annotated[str, typer.Argument(help="Instrument id (see `ldn instruments`).")],
    answers_file: Annotated[
        Path,
        typer.Argument(help="A patient record, or a YAML/JSON file of the instrument's answers."),
    ],
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Score one instrument from a patient record or from a file of answers."""
    spec = get_instrument(instrument)
    data: Any = load_document(answers_file)
    if isinstance(data, dict) and "questionnaires" in data:
        record = load_patient_file(answers_file, today=parse_as_of(as_of))
        if instrument not in record.questionnaires:
            from ldn.domain.errors import InputError

            raise InputError.at(
                f"questionnaires.{instrument}",
                "the record has no answers for this instrument",
                f"add questionnaires.{instrument}.answers",
                origin=str(answers_file),
            )
        result = score_instruments(record)[instrument]
    else:
        result = spec.score(data, loc=str(answers_file))
    if as_json:
        emit_json(result.as_dict())
        return
    console.print(
        f"[bold]{spec.name}[/]: {'' if result.total is None else f'{result.total:g} — '}{result.category}"
    )
    for k, v in result.details.items():
        console.print(f"  {k}: {v}")
    console.print(f"[dim]sources: {', '.join(result.source_ids)}[/dim]")


def instruments_cmd(as_json: JsonOpt = False) -> None:
    """List the instruments ldn scores, with their licence notes and items."""
    rows = [
        {
            "id": s.id,
            "name": s.name,
            "licence": s.licence,
            "licence_note": s.licence_note,
            "item_text_shipped": s.item_text_shipped,
            "items": list(s.answers.model_fields),
            "source_ids": list(s.source_ids),
        }
        for s in INSTRUMENTS.values()
    ]
    if as_json:
        emit_json({"instruments": rows, "named_not_reproduced": NAMED_NOT_REPRODUCED})
        return
    table = Table(title="Instruments")
    for col in ("id", "name", "licence", "items"):
        table.add_column(col, overflow="fold")
    for spec in INSTRUMENTS.values():
        items = list(spec.answers.model_fields)
        shown = (
            ", ".join(items)
            if len(items) <= 8
            else f"{items[0]} … {items[-1]} ({len(items)} items)"
        )
        table.add_row(spec.id, spec.name, spec.licence_note, shown)
    console.print(table)
    for key, note in NAMED_NOT_REPRODUCED.items():
        console.print(f"[dim]{key}: not reproduced — {note}[/dim]")


def demo_section(examples: Path, today: date) -> None:
    from rich.rule import Rule

    console.print(Rule("Screen: is this pain the kind LDN may help, and is it safe?"))
    table = Table()
    for col in ("patient", "verdict", "earliest start", "mechanism", "key findings"):
        table.add_column(col, overflow="fold")
    for path in sorted((examples / "patients").glob("*.yaml")):
        r = screen(load_patient_file(path, today=today), today=today)
        key = ", ".join(f.code for f in r.findings if f.level != "info") or "—"
        table.add_row(
            path.stem,
            _VERDICT[r.verdict],
            r.earliest_start.isoformat() if r.earliest_start else "",
            r.mechanism.mechanism,
            key,
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("screen")(screen_cmd)
    app.command("score")(score_cmd)
    app.command("instruments")(instruments_cmd)
