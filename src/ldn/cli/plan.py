"""`ldn plan FILE ...` and `ldn plan adjust PLAN.json --side-effect ...`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.rule import Rule
from rich.table import Table

from ldn.cli._common import AsOfOpt, JsonOpt, console, emit_json, parse_as_of, print_disclaimer
from ldn.domain.adjustments import SIDE_EFFECTS, adjust
from ldn.domain.errors import ClinicalRefusal, InputError
from ldn.domain.prescription import Prescriber
from ldn.domain.titration import TitrationPlan
from ldn.services.standalone.files import load_document, load_patient_file
from ldn.services.standalone.plan_documents import adjusted_documents, write_documents
from ldn.services.standalone.planning import PlanOptions, make_plan, write_plan_files


def _print_plan(plan: TitrationPlan, title: str) -> None:
    table = Table(title=title)
    for col in ("from", "dose", "timing", "why"):
        table.add_column(col)
    for s in plan.steps:
        table.add_row(s.start.isoformat(), f"{s.dose_mg:g} mg", s.timing, s.reason)
    console.print(table)
    console.print(
        f"Target {plan.target_mg:g} mg (max {plan.max_mg:g} mg) reached {plan.target_reached.isoformat()}; "
        f"judge response on or after [bold]{plan.assessment_date.isoformat()}[/]."
    )


def plan_cmd(
    file: Annotated[
        str,
        typer.Argument(
            help="Patient record (YAML/JSON), or the word 'adjust' followed by PLAN.json."
        ),
    ],
    plan_json: Annotated[
        Path | None, typer.Argument(help="With 'adjust': the plan.json to adjust.")
    ] = None,
    schedule: Annotated[str, typer.Option(help="common | slow | custom")] = "common",
    target_mg: Annotated[
        float, typer.Option("--target-mg", help="Target daily dose, mg naltrexone HCl.")
    ] = 4.5,
    max_mg: Annotated[
        float, typer.Option("--max-mg", help="Maximum daily dose (default 4.5, at most 6).")
    ] = 4.5,
    start_mg: Annotated[float | None, typer.Option("--start-mg")] = None,
    step_mg: Annotated[float | None, typer.Option("--step-mg")] = None,
    interval_days: Annotated[int | None, typer.Option("--interval-days")] = None,
    form: Annotated[str, typer.Option(help="capsule | liquid")] = "capsule",
    start: Annotated[
        str | None, typer.Option(help="First dose date YYYY-MM-DD (default today).")
    ] = None,
    allow_past: Annotated[
        bool, typer.Option("--allow-past", help="Allow a start date in the past.")
    ] = False,
    acknowledge_review: Annotated[
        bool,
        typer.Option(
            "--acknowledge-review",
            help="I have reviewed the findings that need a clinician's review.",
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Write plan.json, handout.html/.md, prescription.txt, worksheet.md, plan.ics here "
            "(with 'adjust': all of them again, from the adjusted plan)."
        ),
    ] = None,
    prescriber: Annotated[
        str, typer.Option(help="Prescriber's name for prescription.txt (blank: a line to sign).")
    ] = "",
    licence: Annotated[
        str, typer.Option(help="Prescriber's licence number for prescription.txt.")
    ] = "",
    side_effect: Annotated[
        str | None, typer.Option("--side-effect", help=f"With 'adjust': {', '.join(SIDE_EFFECTS)}")
    ] = None,
    on: Annotated[
        str | None, typer.Option(help="With 'adjust': the day the side effect was reported.")
    ] = None,
    severe: Annotated[bool, typer.Option(help="With 'adjust': the side effect is severe.")] = False,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Plan LDN for a patient (screens first), or adjust a plan for a side effect."""
    today = parse_as_of(as_of)
    if file == "adjust":
        if plan_json is None or side_effect is None:
            raise InputError.at(
                "adjust",
                "needs a plan file and --side-effect",
                "ldn plan adjust plan.json --side-effect vivid_dreams",
            )
        plan_data = load_document(plan_json)
        plan = TitrationPlan.from_dict(
            plan_data.get("plan", plan_data) if isinstance(plan_data, dict) else plan_data
        )
        day = parse_as_of(on, option="--on") if on else max(today, plan.start)
        if out is None:
            adjusted = adjust(plan, side_effect=side_effect, on=day, severe=severe)
            written = []
        else:
            adjusted, docs = adjusted_documents(
                plan_data if isinstance(plan_data, dict) else {"plan": plan_data},
                side_effect=side_effect,
                on=day,
                severe=severe,
                today=today,
            )
            written = write_documents(
                docs, out, prescriber=Prescriber(prescriber, licence), today=today
            )
        if as_json:
            emit_json(adjusted.as_dict() | ({"files": [str(p) for p in written]} if out else {}))
            return
        _print_plan(adjusted, f"Adjusted plan ({adjusted.adjustments[-1]})")
        _print_written(written, out)
        return
    record = load_patient_file(Path(file), today=today)
    options = PlanOptions(
        schedule=schedule,
        target_mg=target_mg,
        max_mg=max_mg,
        start_mg=start_mg,
        step_mg=step_mg,
        interval_days=interval_days,
        form=form,
        start=parse_as_of(start, option="--start") if start else None,
        allow_past=allow_past,
        acknowledge_review=acknowledge_review,
    )
    bundle = make_plan(record, options, today=today)
    who = Prescriber(prescriber, licence)
    written = write_plan_files(bundle, out, today=today, prescriber=who) if out else []
    if as_json:
        emit_json(bundle.as_dict() | {"files": [str(p) for p in written]})
        return
    if bundle.screening.verdict != "candidate":
        console.print(f"[yellow]Screening verdict: {bundle.screening.verdict}[/]")
    if bundle.start_note:
        console.print(f"[yellow]The plan {bundle.start_note}.[/]")
    _print_plan(
        bundle.plan,
        f"LDN plan for {record.display_name or record.id} ({bundle.plan.schedule} schedule, {form})",
    )
    c = bundle.cost
    console.print(
        f"Cost: about ${c.per_month:.0f}/month (range ${c.low_per_month:.0f}-{c.high_per_month:.0f}); {c.note}"
    )
    if out is not None:
        _print_written(written, out)
    print_disclaimer()


def _print_written(written: list[Path], out: Path | None) -> None:
    if out is None:
        console.print(
            "No files written: add --out DIR for the handout, prescription, worksheet, calendar and plan.json."
        )
        return
    console.print(f"Wrote {len(written)} files to {out}:")
    for p in written:
        console.print(f"  {p.name}")


def demo_section(examples: Path, today: date) -> None:
    console.print(Rule("Plan: titration, compounding, cost"))
    record = load_patient_file(examples / "patients" / "fibromyalgia.yaml", today=today)
    bundle = make_plan(record, PlanOptions(start=today), today=today)
    _print_plan(bundle.plan, "Common schedule for the fibromyalgia example")
    b = bundle.batches[-1]
    console.print(
        f"Pharmacist: {len(bundle.batches)} capsule batches, e.g. {b.units} x {b.strength} ({b.api_salt_mg:g} mg naltrexone HCl = "
        f"{b.api_base_mg:.1f} mg base), beyond-use {b.beyond_use.isoformat()}. Cost about ${bundle.cost.per_month:.0f}/month."
    )
    try:
        make_plan(
            load_patient_file(examples / "patients" / "liver-failure.yaml", today=today),
            PlanOptions(start=today),
            today=today,
        )
    except ClinicalRefusal as exc:
        console.print(f"liver-failure example: [red]{exc}[/]")


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_cmd)
