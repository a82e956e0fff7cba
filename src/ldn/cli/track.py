"""`ldn diary`, `ldn response`, `ldn trial`: track and judge — does LDN help this patient?"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.rule import Rule

from ldn.cli._common import JsonOpt, console, emit_json, parse_as_of, print_disclaimer
from ldn.domain.diary import missing_days
from ldn.domain.errors import InputError
from ldn.domain.nof1.design import DEFAULT_CYCLES, DEFAULT_PERIOD_DAYS, DEFAULT_RUN_IN_DAYS
from ldn.domain.nof1.planner import plan_power
from ldn.domain.nof1.prior import NormalPrior, evidence_prior, sceptical_prior
from ldn.domain.response import assess_response
from ldn.services.standalone.trials import (
    analyse_trial,
    create_trial,
    load_diary,
    reveal_trial,
    verify_files,
)

diary_app = typer.Typer(help="The daily pain diary.", no_args_is_help=True)
trial_app = typer.Typer(
    help="Blinded personal (N-of-1) trials of LDN vs placebo.", no_args_is_help=True
)


@diary_app.command("import")
def diary_import(
    csv_file: Annotated[Path, typer.Argument(help="Diary CSV.")], as_json: JsonOpt = False
) -> None:
    """Validate a diary CSV and summarise it (missing days are reported, never filled)."""
    entries = load_diary(csv_file, today=date.today())
    gaps = missing_days(entries)
    summary = {
        "days_logged": len(entries),
        "first": entries[0].date.isoformat(),
        "last": entries[-1].date.isoformat(),
        "missing_days": [d.isoformat() for d in gaps],
        "mean_pain_nrs": sum(e.pain_avg for e in entries) / len(entries),
    }
    if as_json:
        emit_json(summary)
        return
    console.print(
        f"{len(entries)} days logged ({summary['first']} to {summary['last']}); {len(gaps)} missing day(s); "
        f"mean pain {summary['mean_pain_nrs']:.1f}/10."
    )


def response_cmd(
    diary_csv: Annotated[Path, typer.Argument(help="Diary CSV.")],
    baseline_days: Annotated[int, typer.Option("--baseline-days")] = 14,
    first_dose: Annotated[
        str | None,
        typer.Option("--first-dose", help="First LDN day (default: first day with a dose)."),
    ] = None,
    assess_from: Annotated[
        str | None,
        typer.Option(
            "--assess-from", help="Start of the assessment window (default: last 28 days)."
        ),
    ] = None,
    plot: Annotated[Path | None, typer.Option(help="Chart (.png or .svg).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Response against published thresholds (IMMPACT, migraine days, PGIC), with side effects."""
    if baseline_days < 7:
        raise InputError.at(
            "--baseline-days", "a baseline needs at least 7 days", "use e.g. --baseline-days 14"
        )
    entries = load_diary(diary_csv)
    report = assess_response(
        entries,
        baseline_days=baseline_days,
        first_dose=parse_as_of(first_dose, option="--first-dose") if first_dose else None,
        assessment_from=parse_as_of(assess_from, option="--assess-from") if assess_from else None,
    )
    out = report.as_dict()
    if plot is not None:
        from ldn.charts.tracking import plot_response

        out["chart_text"] = plot_response(entries, report, plot)
    if as_json:
        emit_json(out)
        return
    console.print(report.summary())
    if report.migraine_responder is not None:
        console.print(
            f"Headache days per 28: {report.headache_days_baseline_per_28:.1f} -> {report.headache_days_treatment_per_28:.1f} "
            f"({'responder' if report.migraine_responder else 'not a 50% responder'})."
        )
    if report.pgic:
        console.print(f"Patient's impression of change: {report.pgic}.")
    if report.side_effect_share:
        console.print(
            "Side effects: "
            + ", ".join(
                f"{k.replace('_', ' ')} on {v:.0%} of days"
                for k, v in report.side_effect_share.items()
            )
        )
    console.print(f"[dim]{report.missing_days} missing day(s) were not filled in.[/dim]")
    print_disclaimer()


@trial_app.command("design")
def trial_design(
    out: Annotated[
        Path,
        typer.Option(
            help="Folder for design.json (public) and sealed_allocation.json (pharmacist)."
        ),
    ],
    seed: Annotated[int, typer.Option(help="Randomization seed (pharmacist).")],
    cycles: Annotated[int, typer.Option()] = DEFAULT_CYCLES.value,
    period_days: Annotated[int, typer.Option("--period-days")] = DEFAULT_PERIOD_DAYS.value,
    run_in_days: Annotated[int, typer.Option("--run-in-days")] = DEFAULT_RUN_IN_DAYS.value,
    start: Annotated[str | None, typer.Option(help="First day (default today).")] = None,
    trial_id: Annotated[str, typer.Option("--trial-id")] = "trial-1",
    as_json: JsonOpt = False,
) -> None:
    """Design a blinded trial; seal the allocation and publish the commitment."""
    design, commitment = create_trial(
        out,
        trial_id=trial_id,
        start=parse_as_of(start, option="--start"),
        seed=seed,
        cycles=cycles,
        period_days=period_days,
        run_in_days=run_in_days,
    )
    if as_json:
        emit_json({"commitment_sha256": commitment, **design.public_dict()})
        return
    console.print(
        f"Trial {trial_id}: {cycles} cycles x 2 periods x {period_days} days, {design.start} to {design.end}."
    )
    console.print("Bottle schedule: " + ", ".join(f"{p.start}: {p.bottle}" for p in design.periods))
    console.print(f"Commitment (give to patient and clinician): [bold]{commitment}[/]")
    console.print(f"[yellow]{out / 'sealed_allocation.json'} is for the pharmacist only.[/]")


@trial_app.command("plan-power")
def trial_power(
    delta: Annotated[
        float, typer.Option("--delta", help="True effect, NRS points (negative = LDN helps).")
    ] = -1.0,
    cycles: Annotated[int, typer.Option()] = DEFAULT_CYCLES.value,
    period_days: Annotated[int, typer.Option("--period-days")] = DEFAULT_PERIOD_DAYS.value,
    run_in_days: Annotated[int, typer.Option("--run-in-days")] = DEFAULT_RUN_IN_DAYS.value,
    sigma: Annotated[float, typer.Option(help="Day-to-day noise SD, NRS points.")] = 1.0,
    rho: Annotated[float, typer.Option(help="Day-to-day autocorrelation.")] = 0.4,
    sims: Annotated[int, typer.Option(help="Simulated trials.")] = 200,
    seed: Annotated[int, typer.Option()] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Probability of a conclusive result and the false-positive rate, by simulation."""
    if not 10 <= sims <= 20000:
        raise InputError.at("--sims", f"{sims} is outside 10-20000", "use e.g. --sims 200")
    if not -0.95 < rho < 0.95 or sigma <= 0:
        raise InputError.at(
            "--rho" if sigma > 0 else "--sigma",
            "rho must be in (-0.95, 0.95) and sigma positive",
            "e.g. --rho 0.4 --sigma 1",
        )
    r = plan_power(
        delta_true=delta,
        cycles=cycles,
        period_days=period_days,
        run_in_days=run_in_days,
        rho=rho,
        sigma=sigma,
        n_sims=sims,
        seed=seed,
    )
    if as_json:
        emit_json(r)
        return
    console.print(
        f"True effect {delta:g} points, {cycles} cycles of {period_days}-day periods ({run_in_days} run-in days): "
        f"conclusive {r.p_conclusive:.0%} of the time; false positives {r.false_positive_rate:.1%} ({r.decision_rule}; {sims} simulations)."
    )


@trial_app.command("reveal")
def trial_reveal(folder: Annotated[Path, typer.Argument(help="The trial folder.")]) -> None:
    """Unseal the allocation (pharmacist), writing allocation.json with the salt."""
    allocation, _, ok = reveal_trial(folder)
    if not ok:
        raise InputError.at(
            "sealed_allocation.json",
            "does not match the public commitment",
            "the sealed file was changed; investigate",
        )
    console.print(
        f"Bottle {allocation.ldn_bottle} held LDN; bottle {allocation.placebo_bottle} held placebo. Written {folder / 'allocation.json'}."
    )


@trial_app.command("verify")
def trial_verify(
    commitment: Annotated[str, typer.Argument(help="Commitment hex, or design.json.")],
    allocation: Annotated[Path, typer.Argument(help="Revealed allocation.json.")],
) -> None:
    """Check a revealed allocation against the commitment made at the start."""
    alloc, ok = verify_files(commitment, allocation)
    if not ok:
        raise InputError.at(
            "allocation",
            "does NOT match the commitment",
            "the allocation or salt was altered after the trial started",
        )
    console.print(
        f"[green]verified[/]: the allocation (LDN in bottle {alloc.ldn_bottle}) matches the commitment."
    )


@trial_app.command("analyse")
def trial_analyse(
    diary_csv: Annotated[Path, typer.Argument(help="Diary CSV covering the trial.")],
    allocation: Annotated[Path, typer.Option(help="Revealed allocation.json.")],
    design: Annotated[
        Path | None, typer.Option(help="design.json (default: next to the allocation).")
    ] = None,
    prior: Annotated[str, typer.Option(help="evidence | sceptical")] = "evidence",
    condition: Annotated[
        str, typer.Option(help="Condition for the evidence prior.")
    ] = "fibromyalgia",
    plot: Annotated[Path | None, typer.Option(help="Chart (.png or .svg).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Exact Bayesian analysis: did LDN help this patient?"""
    if prior not in ("evidence", "sceptical"):
        raise InputError.at("--prior", f"unknown prior {prior!r}", "use evidence or sceptical")
    p: NormalPrior = evidence_prior(condition) if prior == "evidence" else sceptical_prior()
    entries = load_diary(diary_csv)
    result, dsg, alloc = analyse_trial(
        entries, design or allocation.parent / "design.json", allocation, prior=p
    )
    out = result.as_dict()
    if plot is not None:
        from ldn.charts.tracking import plot_trial

        out["chart_text"] = plot_trial(entries, dsg, alloc, result, plot)
    if as_json:
        emit_json(out)
        return
    console.print(f"[bold]{result.conclusion}[/]")
    console.print(
        f"P(LDN lowers pain) {result.p_benefit:.0%}; P(by at least {result.mcid_nrs:g} point) {result.p_clinically_meaningful:.0%}. "
        f"Prior: {p.label}. {result.n_days} analysed days; autocorrelation about {result.rho_mean:.2f}."
    )
    f = result.frequentist
    if "p_two_sided" in f:
        console.print(
            f"Frequentist check (paired period means, {int(f['cycles'])} cycles): difference {f['mean_difference']:.2f} points, p = {f['p_two_sided']:.3f}."
        )
    else:
        console.print("Frequentist check: not available (it needs at least two complete cycles).")
    for w in result.warnings:
        console.print(f"[yellow]Warning:[/] {w}")
    print_disclaimer()


def demo_section(examples: Path, today: date) -> None:
    console.print(Rule("Track and judge: a blinded N-of-1 trial (example)"))
    trial = examples / "trial"
    result, _, alloc = analyse_trial(
        load_diary(trial / "diary.csv"),
        trial / "design.json",
        trial / "allocation.json",
        prior=evidence_prior("fibromyalgia"),
    )
    console.print(f"Example trial (LDN was in bottle {alloc.ldn_bottle}): {result.conclusion}")


def register(app: typer.Typer) -> None:
    app.add_typer(diary_app, name="diary")
    app.command("response")(response_cmd)
    app.add_typer(trial_app, name="trial")
