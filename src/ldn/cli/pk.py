"""`ldn pk simulate` and `ldn pk occupancy`: what a dose does over the day."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.rule import Rule
from rich.table import Table

from ldn.cli._common import JsonOpt, console, emit_json, print_disclaimer
from ldn.domain.errors import InputError
from ldn.domain.pk import BLOCKADE_CAVEAT, EXTRAPOLATION_CAVEAT
from ldn.domain.pk.occupancy import OCCUPANCY_VALID_H, dose_occupancy
from ldn.services.standalone.pharmacology import blockade_table, fit_table, run_simulation
from ldn.services.standalone.pharmacology import caveats as pk_caveats

pk_app = typer.Typer(
    help="Naltrexone and 6β-naltrexol exposure and receptor occupancy.", no_args_is_help=True
)


@pk_app.command("simulate")
def simulate_cmd(
    dose_mg: Annotated[float, typer.Option("--dose-mg", help="Dose, mg naltrexone HCl.")],
    interval_h: Annotated[float, typer.Option("--interval-h")] = 24.0,
    days: Annotated[int, typer.Option(help="Days to simulate (1-365).")] = 1,
    population: Annotated[int, typer.Option(help="Virtual patients (1 = typical patient).")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed for the population.")] = 1,
    params: Annotated[
        str,
        typer.Option(
            help="recommended (fitted) | one_compartment | fast_6bn | chinese_be (earlier sets)"
        ),
    ] = "recommended",
    plot: Annotated[Path | None, typer.Option(help="Write a chart (.png or .svg).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Concentration-time curves, exposure metrics and occupancy for a dose."""
    if population < 1:
        raise InputError.at("--population", "must be at least 1", "use e.g. --population 1000")
    if plot is not None and plot.suffix.lower() not in (".png", ".svg"):
        raise InputError.at(
            "--plot", f"unsupported chart type {plot.suffix!r}", "name the file .png or .svg"
        )
    result, sim, regimen = run_simulation(
        dose_mg=dose_mg,
        interval_h=interval_h,
        days=days,
        population=population,
        seed=seed,
        params=params,
    )
    if plot is not None:
        from ldn.charts.pk import plot_simulation

        who = f"{population} virtual patients" if population > 1 else "typical patient"
        result["chart_text"] = plot_simulation(
            sim,
            regimen,
            plot,
            title=f"Naltrexone {dose_mg:g} mg every {interval_h:g} h, {days} days ({who})",
            params=params,
        )
    if as_json:
        emit_json(result)
        return
    table = Table(title=f"Naltrexone {dose_mg:g} mg — single dose (typical patient, {params})")
    for col in (
        "",
        "Cmax ng/mL (nM)",
        "Tmax h",
        "AUC0-24",
        "AUC0-∞ ng·h/mL",
        "t½ h (label window)",
        "terminal t½ h",
    ):
        table.add_column(col)
    for key, name in (("ntx", "naltrexone"), ("nbx", "6β-naltrexol")):
        m = result[key]
        table.add_row(
            name,
            f"{m['cmax_ng_ml']:.2f} ({m['cmax_nm']:.1f})",
            f"{m['tmax_h']:.2f}",
            f"{m['auc_0_24_ng_h_ml']:.1f}",
            f"{m['auc_0_inf_ng_h_ml']:.1f}",
            f"{m['half_life_h']:.1f}",
            f"{m['terminal_half_life_h']:.1f}",
        )
    console.print(table)
    occ = result["occupancy"]
    console.print(
        f"6β-naltrexol/naltrexone AUC ratio {result['auc_ratio_nbx_to_ntx']:.1f}. μ-receptor occupancy within 8 h "
        f"(Trøstheim 2022 dose model): {occ['mu_percent']:.0f}% (κ {occ['kappa_percent']:.0f}%, δ {occ['delta_percent']:.0f}%)."
    )
    for line in blockade_lines(result["blockade"]):
        console.print(line)
    if "steady_state" in result:
        ss = result["steady_state"]
        console.print(
            f"Day {days}: naltrexone peak {ss['ntx_cmax_ng_ml']:.2f} ng/mL; 6β-naltrexol peak {ss['nbx_cmax_ng_ml']:.2f} ng/mL "
            f"(accumulation {ss['nbx_accumulation_ratio']:.2f}x), trough {ss['nbx_trough_ng_ml']:.2f} ng/mL."
        )
    if "population" in result:
        lo, mid, hi = result["population"]["ntx_cmax_ng_ml_p5_p50_p95"]
        console.print(
            f"Population of {population}: naltrexone peak {mid:.2f} ng/mL (90% of patients {lo:.2f}-{hi:.2f})."
        )
    if plot is not None:
        console.print(f"Chart written to {plot}")
    for c in result["caveats"]:
        console.print(f"[yellow]{c}[/]")
    print_disclaimer()


def _band(b: dict[str, float | None], unit: str = "", *, short: bool = False) -> str:
    """'48% (90% band 37–60%)', or '48 (37–60)' when short; 'never' when the typical patient never
    gets there."""
    if b["typical"] is None:
        return "never"
    text = f"{b['typical']:.0f}{unit}"
    if b["p5"] is not None and b["p95"] is not None:
        text += (
            f" ({b['p5']:.0f}–{b['p95']:.0f})"
            if short
            else f" (90% band {b['p5']:.0f}–{b['p95']:.0f}{unit})"
        )
    return text


def blockade_lines(blockade: dict[str, dict[str, dict[str, float | None]]]) -> list[str]:
    """Two sentences: after one dose, and on day 28 of once-daily dosing."""
    one = blockade["single_dose"]
    ss = next(v for k, v in blockade.items() if k != "single_dose")
    return [
        f"μ-receptor blockade after one dose (binding model): peak {_band(one['peak_percent'], '%')} at "
        f"{_band(one['peak_h'], ' h')}; at or above 50% for {_band(one['hours_above_50'], ' h')}; "
        f"below 10% after {_band(one['below_10_after_h'], ' h')}.",
        f"Once daily, day 28: trough {_band(ss['trough_percent'], '%')}, peak {_band(ss['peak_percent'], '%')}, "
        f"at or above 50% for {_band(ss['hours_above_50_per_day'], ' h')} a day; after the last dose, below 10% "
        f"after {_band(ss['below_10_after_h'], ' h')}.",
    ]


_BLOCKADE_ROWS = (
    ("One dose: peak occupancy %", "single_dose", "peak_percent"),
    ("  hours at or above 50%", "single_dose", "hours_above_50"),
    ("  below 10% after (h)", "single_dose", "below_10_after_h"),
    ("Once daily, day 28: trough %", "steady_state", "trough_percent"),
    ("  peak %", "steady_state", "peak_percent"),
    ("  hours a day at or above 50%", "steady_state", "hours_above_50_per_day"),
    ("  after the last dose: below 10% after (h)", "steady_state", "below_10_after_h"),
)


@pk_app.command("blockade")
def blockade_cmd(
    dose_mg: Annotated[
        list[float] | None,
        typer.Option("--dose-mg", help="Dose(s), mg naltrexone HCl (repeat the option)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """How long μ-receptor blockade lasts after 1.5 / 3 / 4.5 mg (or given doses), with 90% bands."""
    doses = dose_mg or [1.5, 3.0, 4.5]
    for d in doses:
        if not 0 < d <= 200:
            raise InputError.at(
                "--dose-mg", f"dose must be in (0, 200] mg, got {d:g}", "use e.g. --dose-mg 4.5"
            )
    rows = blockade_table(doses)
    if as_json:
        emit_json({"doses": rows, "caveats": [BLOCKADE_CAVEAT, EXTRAPOLATION_CAVEAT]})
        return
    table = Table(
        title="μ-opioid receptor blockade: typical patient (90% credible band of the fit)"
    )
    table.add_column("")
    for r in rows:
        table.add_column(f"{r['dose_mg']:g} mg", justify="right")
    for label, regimen, key in _BLOCKADE_ROWS:
        table.add_row(label, *(_band(r[regimen][key], short=True) for r in rows))
    console.print(table)
    console.print(f"[yellow]{BLOCKADE_CAVEAT}[/]")
    console.print(f"[yellow]{EXTRAPOLATION_CAVEAT}[/]")


@pk_app.command("observations")
def observations_cmd(as_json: JsonOpt = False) -> None:
    """Every published PK and occupancy value ldn holds, with the model's prediction."""
    rows = fit_table()
    if as_json:
        emit_json({"observations": rows})
        return
    table = Table(title="Published values vs the fitted model (docs/pk.md)")
    for col in ("id", "dose mg", "what", "published", "model", "ratio", "use"):
        table.add_column(col)
    for r in rows:
        pub = (
            f"{r['observed']:.4g}"
            if r["observed"] is not None
            else (f"{r['low']:.3g}–{r['high']:.3g}" if r["low"] is not None else "qualitative")
        )
        ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else ""
        table.add_row(
            r["id"],
            f"{r['dose_mg']:g}",
            f"{r['analyte']} {r['quantity']}",
            f"{pub} {r['unit']}",
            f"{r['predicted']:.4g}",
            ratio,
            r["use"],
        )
    console.print(table)
    within = [r for r in rows if r["ratio"] is not None and r["observed"] is not None]
    ok = sum(1 for r in within if 1 / 1.3 <= r["ratio"] <= 1.3)
    console.print(f"{ok} of {len(within)} numeric values within ±30% of the model's prediction.")


@pk_app.command("occupancy")
def occupancy_cmd(
    dose_mg: Annotated[float, typer.Option("--dose-mg", help="Dose, mg naltrexone HCl.")],
    as_json: JsonOpt = False,
) -> None:
    """Opioid-receptor occupancy within ~8 h of a dose (Trøstheim 2022 dose-occupancy model)."""
    if not dose_mg > 0:
        raise InputError.at(
            "--dose-mg", f"dose must be positive, got {dose_mg:g}", "use e.g. --dose-mg 4.5"
        )
    occ = dose_occupancy(dose_mg)
    caveats = pk_caveats(dose_mg)
    result = {
        "dose_mg": dose_mg,
        "occupancy": occ,
        "valid_within_h_after_dose": OCCUPANCY_VALID_H.value,
        "caveats": caveats,
    }
    if as_json:
        emit_json(result)
        return
    console.print(
        f"{dose_mg:g} mg: μ {occ['mu_percent']:.1f}%, κ {occ['kappa_percent']:.1f}%, δ {occ['delta_percent']:.1f}% (within 8 h)."
    )
    for c in caveats:
        console.print(f"[yellow]{c}[/]")


def demo_section(examples: Path, today: date) -> None:
    console.print(Rule("Pharmacology: what 4.5 mg does over the day"))
    result, _, _ = run_simulation(
        dose_mg=4.5, interval_h=24, days=14, population=1, seed=1, params="recommended"
    )
    n, b, ss = result["ntx"], result["nbx"], result["steady_state"]
    console.print(
        f"Single 4.5 mg dose: naltrexone peak {n['cmax_ng_ml']:.2f} ng/mL at {n['tmax_h']:.1f} h (t½ {n['half_life_h']:.1f} h); "
        f"6β-naltrexol peak {b['cmax_ng_ml']:.1f} ng/mL; after 14 days 6β-naltrexol accumulates {ss['nbx_accumulation_ratio']:.2f}x. "
        f"μ occupancy within 8 h about {result['occupancy']['mu_percent']:.0f}%."
    )
    for line in blockade_lines(result["blockade"]):
        console.print(line)
    console.print(f"[dim]{EXTRAPOLATION_CAVEAT} {BLOCKADE_CAVEAT}[/dim]")


def register(app: typer.Typer) -> None:
    app.add_typer(pk_app, name="pk")
