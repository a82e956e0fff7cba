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
from ldn.domain.pk import EXTRAPOLATION_CAVEAT
from ldn.domain.pk.occupancy import OCCUPANCY_VALID_H, dose_occupancy
from ldn.services.pharmacology import caveats as pk_caveats
from ldn.services.pharmacology import run_simulation

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
        str, typer.Option(help="recommended | fast_6bn | chinese_be")
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
        )
    if as_json:
        emit_json(result)
        return
    table = Table(title=f"Naltrexone {dose_mg:g} mg — single dose (typical patient, {params})")
    for col in ("", "Cmax ng/mL (nM)", "Tmax h", "AUC0-24", "AUC0-∞ ng·h/mL", "t½ h"):
        table.add_column(col)
    for key, name in (("ntx", "naltrexone"), ("nbx", "6β-naltrexol")):
        m = result[key]
        table.add_row(name, f"{m['cmax_ng_ml']:.2f} ({m['cmax_nm']:.1f})", f"{m['tmax_h']:.2f}", f"{m['auc_0_24_ng_h_ml']:.1f}",
                      f"{m['auc_0_inf_ng_h_ml']:.1f}", f"{m['half_life_h']:g}")  # fmt: skip
    console.print(table)
    occ = result["occupancy"]
    console.print(f"6β-naltrexol/naltrexone AUC ratio {result['auc_ratio_nbx_to_ntx']:.1f}. μ-receptor occupancy within 8 h: "
                  f"{occ['mu_percent']:.0f}% (κ {occ['kappa_percent']:.0f}%, δ {occ['delta_percent']:.0f}%).")  # fmt: skip
    if "steady_state" in result:
        ss = result["steady_state"]
        console.print(f"Day {days}: naltrexone peak {ss['ntx_cmax_ng_ml']:.2f} ng/mL; 6β-naltrexol peak {ss['nbx_cmax_ng_ml']:.2f} ng/mL "
                      f"(accumulation {ss['nbx_accumulation_ratio']:.2f}x), trough {ss['nbx_trough_ng_ml']:.2f} ng/mL.")  # fmt: skip
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
    console.print(f"Single 4.5 mg dose: naltrexone peak {n['cmax_ng_ml']:.2f} ng/mL at {n['tmax_h']:.1f} h (t½ {n['half_life_h']:g} h); "
                  f"6β-naltrexol peak {b['cmax_ng_ml']:.1f} ng/mL; after 14 days 6β-naltrexol accumulates {ss['nbx_accumulation_ratio']:.2f}x. "
                  f"μ occupancy within 8 h about {result['occupancy']['mu_percent']:.0f}%.")  # fmt: skip
    console.print(f"[dim]{EXTRAPOLATION_CAVEAT}[/dim]")


def register(app: typer.Typer) -> None:
    app.add_typer(pk_app, name="pk")
