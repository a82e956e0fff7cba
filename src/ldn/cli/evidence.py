"""`ldn evidence list|pool|answer`: the published LDN trials, pooled."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.rule import Rule
from rich.table import Table

from ldn.cli._common import JsonOpt, console, emit_json, print_disclaimer
from ldn.domain.errors import InputError
from ldn.domain.evidence.answer import CONDITIONS, EXTERNAL_FM_POOLS, answer
from ldn.domain.evidence.dataset import load_trials, poolable
from ldn.domain.evidence.effect_sizes import CROSSOVER_CORRELATION
from ldn.domain.evidence.meta import METHODS, PI_METHODS, random_effects
from ldn.domain.evidence.sensitivity import leave_one_out
from ldn.services.evidence_files import read_effects_csv

evidence_app = typer.Typer(
    help="The published LDN trials, pooled by random-effects meta-analysis.", no_args_is_help=True
)
ConditionOpt = Annotated[str | None, typer.Option("--condition", help=f"{' | '.join(CONDITIONS)}")]


@evidence_app.command("list")
def list_cmd(condition: ConditionOpt = None, as_json: JsonOpt = False) -> None:
    """The curated trials, with design, dose, outcome and whether they enter the pool."""
    if condition is not None and condition not in (
        *CONDITIONS,
        *{t.condition for t in load_trials()},
    ):
        raise InputError.at(
            "--condition",
            f"unknown condition {condition!r}",
            f"use one of: {', '.join(CONDITIONS)}",
        )
    rows = [t for t in load_trials() if condition in (None, "any") or t.condition == condition]
    if as_json:
        emit_json([t.row | {"smd": (t.smd() or (None, None))[0]} for t in rows])
        return
    table = Table(title="LDN trials with a pain outcome")
    for col in ("trial", "condition", "design", "dose mg", "n", "outcome", "pooled?", "source"):
        table.add_column(col, overflow="fold")
    for t in rows:
        table.add_row(t.id, t.condition, t.design, t.dose_mg, str(t.n_total or ""), t.outcome,
                      "yes" if t.primary else f"no: {t.exclusion_reason}", f"{t.source_id} ({t.verification})")  # fmt: skip
    console.print(table)


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
        labels, yi, vi = (
            [t.id for t, _, _ in rows],
            [e for _, e, _ in rows],
            [v for _, _, v in rows],
        )
        title = f"LDN vs placebo, {cond}"
    res = random_effects(yi, vi, method=method, hksj=hksj, labels=labels, pi=pi.lower())
    out = res.as_dict()
    if plot is not None:
        from ldn.charts.evidence import forest_plot

        out["chart_text"] = forest_plot(labels, yi, vi, res, plot, title=title)
    if funnel is not None:
        from ldn.charts.evidence import funnel_plot

        funnel_plot(yi, vi, res, funnel, title=title)
    if as_json:
        emit_json(out)
        return
    table = Table(title=f"{title} — {res.method}{' + HKSJ' if hksj else ''}")
    for col in ("study", "effect", "variance", "weight %"):
        table.add_column(col)
    for lab, y, v, w in zip(labels, yi, vi, res.weights, strict=True):
        table.add_row(lab, f"{y:.3f}", f"{v:.4f}", f"{100 * w:.1f}")
    console.print(table)
    console.print(f"Pooled {res.estimate:.3f} (SE {res.se:.3f}; 95% CI {res.ci_low:.3f} to {res.ci_high:.3f}); "
                  f"prediction interval ({res.pi_label}) {res.pi_low:.3f} to {res.pi_high:.3f}; τ² {res.tau2:.4f}; I² {res.i2:.1f}%; "
                  f"Q {res.q:.2f} (p {res.q_p:.3g}).")  # fmt: skip
    if not res.converged:
        console.print(f"[yellow]Warning:[/] {res.note}")
    if len(yi) >= 3 and method != "FE":
        console.print(
            "Leave-one-out: "
            + "; ".join(
                f"without {r.label}: {r.estimate:.2f}"
                for r in leave_one_out(yi, vi, labels, method=method)
            )
        )
    if plot is not None:
        console.print(f"Forest plot written to {plot}")


@evidence_app.command("answer")
def answer_cmd(condition: ConditionOpt = None, as_json: JsonOpt = False) -> None:
    """How effective is LDN for pain? The per-condition answer with its certainty."""
    conds = [condition] if condition else list(CONDITIONS)
    answers = [answer(c) for c in conds]
    if as_json:
        emit_json({"answers": [a.as_dict() for a in answers],
                   "external_meta_analyses": [{"source_id": s, "result": r} for s, r in EXTERNAL_FM_POOLS.value]})  # fmt: skip
        return
    for a in answers:
        console.print(Rule(a.condition.replace("_", " ")))
        console.print(a.plain())
        for r in a.reasons:
            console.print(f"  [yellow]↓[/] {r}")
        console.print(f"  [dim]{a.article_claim}[/dim]")
    console.print(Rule("Adverse events"))
    for e in answers[0].adverse_events:
        console.print(f"  • {e}")
    console.print(Rule("Published meta-analyses (external checks, not data)"))
    for s, r in EXTERNAL_FM_POOLS.value:
        console.print(f"  {s}: {r}")
    console.print("[dim]Negative effects = less pain on LDN. SMD 0.2 small, 0.5 moderate. Effect sizes of the crossover trials were derived "
                  "from reported p-values with an assumed within-person correlation of 0.5.[/dim]")  # fmt: skip
    print_disclaimer()


def demo_section(examples: Path, today: date) -> None:
    console.print(Rule("Evidence: how effective is LDN for pain? (population answer)"))
    for c in ("fibromyalgia", "any"):
        console.print(answer(c).plain())


def register(app: typer.Typer) -> None:
    app.add_typer(evidence_app, name="evidence")
