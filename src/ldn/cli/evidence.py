"""`ldn evidence list|pool|answer|sof|sensitivity|rob|prisma|add`: the systematic review of LDN trials."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.rule import Rule

from ldn.cli._common import JsonOpt, console, emit_json, print_disclaimer
from ldn.cli._evidence_output import (
    print_answer,
    print_changes,
    print_outcome_rows,
    print_pool,
    print_rob,
    print_sof,
    write_per_study,
)
from ldn.domain.errors import InputError
from ldn.domain.evidence.answer import (
    CONDITIONS,
    EXTERNAL_FM_POOLS,
    SOF_OUTCOMES,
    answer,
)
from ldn.domain.evidence.dataset import OUTCOMES, dataset, outcome_rows, poolable
from ldn.domain.evidence.effect_sizes import CROSSOVER_CORRELATION
from ldn.domain.evidence.meta import METHODS, PI_METHODS, meta_analysis
from ldn.domain.evidence.sensitivity import leave_one_out
from ldn.services.standalone.evidence_files import read_effects_csv, read_study_file

evidence_app = typer.Typer(
    help="The published LDN trials, pooled by random-effects meta-analysis.", no_args_is_help=True
)
ConditionOpt = Annotated[str | None, typer.Option("--condition", help=f"{' | '.join(CONDITIONS)}")]
#: up to this many studies the pool prints a formatted table; above it a plain streamed one
TABLE_MAX_STUDIES = 50


@evidence_app.command("list")
def list_cmd(condition: ConditionOpt = None, as_json: JsonOpt = False) -> None:
    """The included trials and every extracted outcome, with its source and whether it is pooled."""
    if condition is not None and condition not in CONDITIONS:
        raise InputError.at(
            "--condition",
            f"unknown condition {condition!r}",
            f"use one of: {', '.join(CONDITIONS)}",
        )
    rows = [
        e for e in outcome_rows() if condition in (None, "any") or e.study.condition == condition
    ]
    if as_json:
        emit_json([e.study.row | e.row | {"effect": (e.effect() or (None, None))[0]} for e in rows])
        return
    ds = dataset()
    print_outcome_rows(
        rows,
        title=f"LDN trials: extracted outcomes (data set {ds.version}, last searched {ds.last_searched})",
    )


@evidence_app.command("pool")
def pool_cmd(
    condition: ConditionOpt = None,
    csv: Annotated[
        Path | None,
        typer.Option("--csv", help="Your own data: columns study,yi,vi (optional group)."),
    ] = None,
    method: Annotated[str, typer.Option(help=f"{' | '.join(METHODS)}")] = "REML",
    hksj: Annotated[
        bool, typer.Option("--hksj", help="Hartung-Knapp-Sidik-Jonkman interval.")
    ] = False,
    pi: Annotated[
        str,
        typer.Option(
            "--pi",
            help="Prediction interval: "
            + "; ".join(f"{name} = {text}" for name, text in PI_METHODS.items())
            + " (default metafor).",
        ),
    ] = "metafor",
    correlation: Annotated[
        float, typer.Option(help="Within-person correlation for crossover trials.")
    ] = CROSSOVER_CORRELATION.value,
    plot: Annotated[Path | None, typer.Option(help="Forest plot (.png or .svg).")] = None,
    funnel: Annotated[Path | None, typer.Option(help="Funnel plot (.png or .svg).")] = None,
    per_study_csv: Annotated[
        Path | None,
        typer.Option(
            "--per-study-csv",
            help="Write one row per study (weight, pool without it) to this CSV file.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Pool the LDN trials for a condition, or any data set of effects and variances."""
    if not -1 < correlation < 1:
        raise InputError.at("--correlation", f"{correlation} is outside (-1, 1)", "use e.g. 0.5")
    for p in (plot, funnel):
        if p is not None and p.suffix.lower() not in (".png", ".svg"):
            raise InputError.at(
                "--plot", f"unsupported chart type {p.suffix!r}", "name the file .png or .svg"
            )
    if csv is not None:
        labels, yi, vi, _ = read_effects_csv(csv)
        title = f"{csv.name}"
    else:
        cond = condition or "fibromyalgia"
        if cond not in CONDITIONS:
            raise InputError.at(
                "--condition", f"unknown condition {cond!r}", f"use one of: {', '.join(CONDITIONS)}"
            )
        rows = poolable(cond, r=correlation)
        if len(rows) < 2 and method != "FE":
            raise InputError.at(
                "--condition",
                f"{cond}: {len(rows)} poolable trial(s) of pain intensity",
                "one trial is shown as one trial by `ldn evidence answer`; or use --method FE",
            )
        labels, yi, vi = (
            [t.id for t, _, _ in rows],
            [e for _, e, _ in rows],
            [v for _, _, v in rows],
        )
        title = f"LDN vs placebo, {cond}"
    res = meta_analysis(yi, vi, method=method, hksj=hksj, labels=labels, pi=pi.lower())
    out = res.as_dict()
    if plot is not None:
        from ldn.charts.evidence import forest_plot

        out["chart_text"] = forest_plot(labels, yi, vi, res, plot, title=title)
    if funnel is not None:
        from ldn.charts.evidence import funnel_plot

        funnel_plot(yi, vi, res, funnel, title=title)
    want_loo = len(yi) >= 3 and res.method != "FE" and (per_study_csv is not None or not as_json)
    loo = leave_one_out(yi, vi, labels, method=method) if want_loo else []
    if per_study_csv is not None:
        write_per_study(per_study_csv, labels, yi, vi, res, loo)
    if as_json:
        emit_json(out)
        return
    heading = f"{title} — {res.method}{' + HKSJ' if hksj else ''}"
    print_pool(heading, labels, yi, vi, res, loo, table_max_studies=TABLE_MAX_STUDIES)
    if per_study_csv is not None:
        console.print(f"Per-study table written to {per_study_csv}")
    if plot is not None:
        console.print(f"Forest plot written to {plot}")


@evidence_app.command("outlook")
def outlook_cmd(as_json: JsonOpt = False) -> None:
    """The review's answer for every condition in ldn's vocabulary (what the screen states)."""
    from ldn.domain.evidence.outlook import outlook_table
    from ldn.domain.vocabulary import CONDITIONS

    table = outlook_table([c for c in CONDITIONS if c != "other"])
    if as_json:
        typer.echo(json.dumps(table, indent=1, ensure_ascii=False))
        return
    for code, d in table["conditions"].items():
        console.print(f"[bold]{code}[/]: {d['sentence']}")


@evidence_app.command("answer")
def answer_cmd(condition: ConditionOpt = None, as_json: JsonOpt = False) -> None:
    """How effective is LDN for pain? The plain-language answer per condition, with its certainty."""
    conds = [condition] if condition else list(CONDITIONS)
    answers = [answer(c) for c in conds]
    if as_json:
        emit_json(
            {
                "answers": [a.as_dict() for a in answers],
                "external_meta_analyses": [
                    {"source_id": s, "result": r} for s, r in EXTERNAL_FM_POOLS.value
                ],
            }
        )
        return
    for a in answers:
        print_answer(a)
    console.print(Rule("Adverse events (external)"))
    for e in answers[0].adverse_events:
        console.print(f"  • {e}")
    console.print(Rule("Published meta-analyses (external checks, not data)"))
    for s, r in EXTERNAL_FM_POOLS.value:
        console.print(f"  {s}: {r}")
    console.print(
        "[dim]Negative effects = less pain on LDN. SMD 0.2 small, 0.5 moderate; 1 NRS point ≈ 0.68 SMD. "
        "Crossover effect sizes are derived from reported p-values with a within-person correlation of 0.5 "
        "(0.3 and 0.7 in `ldn evidence sensitivity`). `ldn evidence sof` shows every outcome.[/dim]"
    )
    print_disclaimer()


@evidence_app.command("sof")
def sof_cmd(condition: ConditionOpt = None, as_json: JsonOpt = False) -> None:
    """GRADE summary-of-findings table: every outcome per condition, certainty and its reasons."""
    conds = [condition] if condition else list(CONDITIONS)
    answers = [answer(c) for c in conds]
    if as_json:
        emit_json(
            [
                {
                    "condition": a.condition,
                    "version": a.version,
                    "last_searched": a.last_searched,
                    "outcomes": [o.as_dict() for o in a.outcomes],
                }
                for a in answers
            ]
        )
        return
    print_sof(answers)


@evidence_app.command("sensitivity")
def sensitivity_cmd(
    condition: ConditionOpt = None,
    outcome: Annotated[str, typer.Option(help=" | ".join(SOF_OUTCOMES[:5]))] = "pain_intensity",
    as_json: JsonOpt = False,
) -> None:
    """Sensitivity pools: parallel only, low risk of bias, dose, crossover correlation, leave-one-out."""
    from ldn.domain.evidence.pools import sensitivity_pools

    cond = condition or "fibromyalgia"
    if cond not in CONDITIONS or outcome not in OUTCOMES:
        raise InputError.at(
            "--condition/--outcome",
            f"unknown {cond!r}/{outcome!r}",
            f"use one of: {', '.join(CONDITIONS)}",
        )
    res = sensitivity_pools(cond, outcome)
    if as_json:
        emit_json([r.as_dict() for r in res])
        return
    for r in res:
        console.print(f"  {r.text()}")


@evidence_app.command("rob")
def rob_cmd(as_json: JsonOpt = False) -> None:
    """Risk of Bias 2 per trial and outcome: the five domains and the overall judgement, with reasons."""
    from ldn.domain.evidence.rob import load_rob

    robs = list(load_rob().values())
    if as_json:
        emit_json([j.as_dict() for j in robs])
        return
    print_rob(robs)


@evidence_app.command("prisma")
def prisma_cmd(
    out: Annotated[
        Path | None, typer.Option(help="Write the PRISMA 2020 diagram (.svg or .png).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """PRISMA 2020 flow counts from the screening records (and the diagram)."""
    from ldn.domain.evidence.prisma import prisma_counts

    counts = prisma_counts()
    text = ""
    if out is not None:
        if out.suffix.lower() not in (".png", ".svg"):
            raise InputError.at(
                "--out", f"unsupported chart type {out.suffix!r}", "name the file .png or .svg"
            )
        from ldn.charts.evidence import prisma_diagram

        text = prisma_diagram(counts, out)
    if as_json:
        emit_json(counts.as_dict() | {"chart_text": text or None})
        return
    for k, v in counts.as_dict().items():
        console.print(f"  {k}: {v}")
    if out is not None:
        console.print(f"PRISMA diagram written to {out}")


@evidence_app.command("add")
def add_cmd(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV: one row per outcome of the new study (see docs/evidence/search.md)."
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Check a new study (schema, provenance) and show how each answer would change. Writes nothing."""
    from ldn.domain.evidence.rob import parse_rows

    trials, outcomes, robs = read_study_file(file)
    base = dataset()
    new = base.with_rows(trials, outcomes)
    extra = parse_rows(robs)
    conds = sorted({t["condition"] for t in trials if t["condition"] in CONDITIONS} | {"any"})
    changes: list[dict[str, Any]] = []
    for c in conds:
        before, after = answer(c, data=base), answer(c, data=new, extra_rob=extra)
        for o_b, o_a in zip(before.outcomes, after.outcomes, strict=True):
            if o_b.k != o_a.k or o_b.statement != o_a.statement:
                changes.append(
                    {
                        "condition": c,
                        "outcome": o_a.outcome,
                        "before": {
                            "k": o_b.k,
                            "effect": o_b.effect_text(),
                            "statement": o_b.statement,
                        },
                        "after": {
                            "k": o_a.k,
                            "effect": o_a.effect_text(),
                            "statement": o_a.statement,
                        },
                    }
                )
    if as_json:
        emit_json(
            {
                "valid": True,
                "studies": [t["id"] for t in trials],
                "outcomes": len(outcomes),
                "version_after": new.version,
                "changes": changes,
            }
        )
        return
    print_changes(changes, n_trials=len(trials), n_outcomes=len(outcomes))


def demo_section(examples: Path, today: date) -> None:
    console.print(Rule("Evidence: how effective is LDN for pain? (population answer)"))
    for c in ("fibromyalgia", "any"):
        console.print(answer(c).plain())


def register(app: typer.Typer) -> None:
    app.add_typer(evidence_app, name="evidence")
