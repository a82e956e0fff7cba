"""`ldn meds lookup|list|classes`: what ldn makes of a medicine, and the knowledge base itself."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ldn.cli._common import JsonOpt, console, emit_json
from ldn.domain.errors import InputError
from ldn.domain.medicines import (
    ALL_CLASSES,
    ATC_SYSTEM,
    OPIOID_CLASSES,
    RXNORM_SYSTEM,
    identify,
    knowledge_base,
)
from ldn.domain.sources import get_source

meds_app = typer.Typer(
    help="Medicines: look up what ldn makes of a name or code; list the knowledge base.",
    no_args_is_help=True,
)

_VERDICT = {
    "recognised": "[green]recognised[/]",
    "partial": "[yellow]partly recognised — clinician review[/]",
    "unrecognised": "[red]not recognised — clinician review[/]",
}


@meds_app.command()
def lookup(
    name: Annotated[
        str,
        typer.Argument(help='Medicine as written, e.g. "Percocet 5/325" or "Butrans 10 mcg/h".'),
    ],
    atc: Annotated[str | None, typer.Option("--atc", help="A WHO ATC code for it.")] = None,
    rxnorm: Annotated[str | None, typer.Option("--rxnorm", help="An RxNorm code for it.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """What ldn makes of a medicine: ingredients, classes, form, and how it matched."""
    if not name.strip() and not (atc or rxnorm):
        raise InputError.at(
            "NAME", "the medicine name is empty", 'write a name, e.g. ldn meds lookup "Percocet"'
        )
    codes = tuple((s, c) for s, c in ((ATC_SYSTEM, atc), (RXNORM_SYSTEM, rxnorm)) if c)
    m = identify(name, codes=codes)
    if as_json:
        emit_json(m.as_dict())
        return
    console.print(f"[bold]{name}[/bold]: {_VERDICT[m.status]}")
    if m.ingredients:
        console.print(f"  ingredients: {', '.join(i.replace('_', ' ') for i in m.ingredients)}")
    if m.classes:
        console.print(f"  classes: {', '.join(sorted(m.classes))}")
    if m.form:
        console.print(f"  form: {m.form.replace('_', ' ')}")
    flag = (
        "[red]yes — opioid washout before LDN[/]"
        if m.contains_opioid
        else "no"
        if m.status == "recognised"
        else "[yellow]unknown[/]"
    )
    console.print(f"  contains an opioid: {flag}")
    if m.contains_naltrexone:
        console.print("  contains naltrexone: [red]yes — already on naltrexone[/]")
    console.print(f"  matched: {m.explanation()}")
    for sid in m.source_ids:
        src = get_source(sid)
        console.print(f"  [dim]source {sid}: {src.title} ({src.verification})[/dim]")
    if m.status != "recognised" and not m.contains_opioid:
        console.print(
            "  [yellow]ldn cannot rule out an opioid or naltrexone in it: the screen sends it to the clinician.[/]"
        )


@meds_app.command(name="list")
def list_(
    opioids: Annotated[
        bool, typer.Option("--opioids", help="Only products that contain an opioid.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """The knowledge base: every product with its ingredients, form, markets and sources."""
    kb = knowledge_base()
    rows = [p for p in kb.products if not opioids or kb.classes_of(p) & OPIOID_CLASSES]
    if as_json:
        emit_json(
            {
                "ingredients": [
                    {
                        "key": i.key,
                        "classes": list(i.classes),
                        "synonyms": list(i.synonyms),
                        "atc": list(i.atc),
                        "rxcui": i.rxcui,
                        "source_ids": list(i.sources),
                    }
                    for i in kb.ingredients.values()
                ],
                "products": [
                    {
                        "names": list(p.names),
                        "ingredients": list(p.ingredients),
                        "form": p.form,
                        "markets": list(p.markets),
                        "source_ids": list(p.sources),
                    }
                    for p in rows
                ],
            }
        )
        return
    table = Table(title=f"{len(rows)} products, {len(kb.ingredients)} ingredients")
    for col in ("names", "ingredients", "form", "markets", "sources"):
        table.add_column(col, overflow="fold")
    for p in rows:
        table.add_row(
            ", ".join(p.names),
            " + ".join(p.ingredients),
            p.form,
            " ".join(p.markets),
            ", ".join(p.sources),
        )
    console.print(table)


@meds_app.command()
def classes(as_json: JsonOpt = False) -> None:
    """The drug classes ldn knows (a record's ``drug_class`` must be one of them)."""
    names = sorted(ALL_CLASSES)
    if as_json:
        emit_json([{"class": c, "opioid": c in OPIOID_CLASSES} for c in names])
        return
    for c in names:
        console.print(f"{c}{'  [red](opioid)[/]' if c in OPIOID_CLASSES else ''}")


@meds_app.command("compile")
def compile_cmd() -> None:
    """Print the knowledge base in its compiled form (src/ldn/domain/data/medicines/compiled.json)."""
    import json

    from ldn.domain.medicines.knowledge import compiled

    typer.echo(json.dumps(compiled(), ensure_ascii=False, sort_keys=True, separators=(",", ":")))


def register(app: typer.Typer) -> None:
    app.add_typer(meds_app, name="meds")
