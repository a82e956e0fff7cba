"""`ldn fhir export` and `ldn fhir import`: patient records as HL7 FHIR R4 Bundles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import yaml

from ldn.cli._common import (
    AsOfOpt,
    PatientFileArg,
    console,
    emit_json,
    parse_as_of,
    print_disclaimer,
)
from ldn.domain.errors import DataFileError, Problem
from ldn.domain.screening import screen
from ldn.interop.r4 import bundle_to_record, record_to_bundle
from ldn.services.standalone.files import load_document, load_patient_file

fhir_app = typer.Typer(
    help="HL7 FHIR R4: export a patient record as a Bundle, import a Bundle.", no_args_is_help=True
)


@fhir_app.command("export")
def export_cmd(
    patient: PatientFileArg,
    out: Annotated[
        Path | None, typer.Option(help="Write the Bundle here (default: stdout).")
    ] = None,
    as_of: AsOfOpt = None,
) -> None:
    """A patient record (YAML/JSON) as a FHIR R4 collection Bundle (validated)."""
    bundle = record_to_bundle(load_patient_file(patient, today=parse_as_of(as_of)))
    text = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"{len(bundle['entry'])} resources written to {out}")


@fhir_app.command("import")
def import_cmd(
    bundle: Annotated[
        Path, typer.Argument(help="FHIR R4 Bundle (JSON) with one Patient.", show_default=False)
    ],
    out: Annotated[Path | None, typer.Option(help="Write the patient record (YAML) here.")] = None,
    as_of: AsOfOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the record and verdict as JSON.")
    ] = False,
) -> None:
    """A FHIR Bundle as an ldn patient record, screened."""
    today = parse_as_of(as_of)
    doc = load_document(bundle)
    if not isinstance(doc, dict):
        raise DataFileError(
            Problem("(file)", "expected a FHIR Bundle (a JSON object)", "pass a Bundle resource"),
            origin=str(bundle),
        )
    record = bundle_to_record(doc, today=today)
    report = screen(record, today=today)
    data = record.model_dump(mode="json", exclude_defaults=True)
    if out is not None:
        out.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    if as_json:
        emit_json(
            {
                "record": data,
                "verdict": report.verdict,
                "earliest_start": report.earliest_start.isoformat()
                if report.earliest_start
                else None,
            }
        )
        return
    console.print(
        f"imported {record.id} ({record.display_name or 'no name'}): {len(record.conditions)} conditions, "
        f"{len(record.medications)} medications; screening verdict [bold]{report.verdict}[/bold]"
        + (f", earliest start {report.earliest_start.isoformat()}" if report.earliest_start else "")
    )
    if out is not None:
        console.print(f"record written to {out} (check it with `ldn check {out}`)")
    print_disclaimer()


def register(app: typer.Typer) -> None:
    app.add_typer(fhir_app, name="fhir")
