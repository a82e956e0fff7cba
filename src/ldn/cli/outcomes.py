"""``ldn clinic report``: the clinic's outcomes per condition, as tables with plain sentences.

Registered under ``ldn clinic`` (:func:`register`, called from :mod:`ldn.cli.clinic`); the
database layer and the statistics are imported only when the command runs.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ldn.cli._common import JsonOpt, console, emit_json

__all__ = ["register", "report_cmd"]


def _prop(p: dict[str, Any]) -> str:
    if not p["n"]:
        return "no patients yet"
    text = (
        f"{p['k']} of {p['n']} ({100 * p['share']:.0f}%; 95% interval "
        f"{100 * p['ci_low']:.0f} to {100 * p['ci_high']:.0f}%)"
    )
    return text + (" [yellow]few patients[/yellow]" if p["small"] else "")


def _section(s: dict[str, Any]) -> None:
    from rich.table import Table

    console.rule(f"[bold]{s['label']}[/bold] ({s['counts']['patients']} patients)")
    c = s["counts"]
    t = Table("Screened", "Started", "At assessment date", "Still on LDN", "Stopped")
    t.add_row(
        *(str(c[k]) for k in ("screened", "started", "reached_assessment", "still_on", "stopped"))
    )
    console.print(t)
    console.print(c["sentence"])
    r = Table(
        "IMMPACT responders",
        ">= 30% less pain",
        ">= 50% less pain",
        title="Response (open-label)",
    )
    r.add_row(
        "assessable at the assessment date", _prop(s["responders_30"]), _prop(s["responders_50"])
    )
    r.add_row(
        "every patient whose assessment was due",
        _prop(s["responders_30_all"]),
        _prop(s["responders_50_all"]),
    )
    console.print(r)
    for key in ("responders_30", "responders_30_all"):
        console.print(s[key]["sentence"])
    for key in ("time_to_response", "time_to_stopping"):
        if s.get(key):
            console.print(s[key]["sentence"])
    console.print(s["stop_sentence"])
    for row in s.get("stopping_in_trials", []):
        console.print(f"  in the trials: {row['sentence']}")
    e = Table("Side effect", "This clinic", "In the trials", title="Side effects (diary, on LDN)")
    for row in s["side_effects"]:
        e.add_row(row["effect"].replace("_", " "), _prop(row), row["in_trials"])
    console.print(e)
    console.print(s["dose_reached"]["sentence"])
    pooled = s.get("pooled_nof1")
    if pooled:
        console.print(f"[bold]Blinded N-of-1 trials, pooled:[/bold] {pooled['sentence']}")
        for p in pooled.get("patients", []):
            console.print(
                f"  {p['label']}: own {p['own_mean_nrs']:+.1f} points, with the series "
                f"{p['pooled_mean_nrs']:+.1f} ({p['pooled_ci_nrs'][0]:+.1f} to {p['pooled_ci_nrs'][1]:+.1f})"
            )
    if s.get("evidence"):
        console.print(f"[dim]Randomized evidence: {s['evidence']}[/dim]")


def report_cmd(
    clinic_id: Annotated[
        int, typer.Option("--clinic", help="Clinic id (see `ldn clinic create`).")
    ],
    condition: Annotated[
        str | None, typer.Option(help="One condition code, e.g. fibromyalgia.")
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="SQLAlchemy URL (default: LDN_DATABASE_URL)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Clinic outcomes per condition, each figure with a plain sentence and its interval.

    Started, assessed, still on LDN, IMMPACT responders, times to response and to stopping,
    side effects beside the trials, dose reached, and the pooled blinded N-of-1 trials."""
    from dataclasses import replace

    from ldn.cli.clinic import _open
    from ldn.services.clinic import outcomes
    from ldn.services.clinic.context import SYSTEM

    with _open(database_url) as clinic:
        out = outcomes.clinic_outcomes(
            clinic, replace(SYSTEM, clinic_id=clinic_id), condition=condition
        )
    if as_json:
        emit_json(out)
        return
    console.print(f"[bold]Clinic outcomes[/bold] as of {out['as_of']} ({out['patients']} patients)")
    for s in ([out["all"]] if out["all"] else []) + out["conditions"]:
        _section(s)
    console.rule("Limits")
    for line in out["limits"]:
        console.print(f"- {line}")


def register(group: typer.Typer) -> None:
    """Add ``report`` to the ``ldn clinic`` group (once, however often the group is built)."""
    if not any(c.name == "report" for c in group.registered_commands):
        group.command("report")(report_cmd)
