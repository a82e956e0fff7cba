"""Charts of naltrexone / 6-beta-naltrexol exposure and mu-receptor occupancy (PNG or SVG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from ldn.domain.pk import BLOCKADE_CAVEAT, EXTRAPOLATION_CAVEAT
from ldn.domain.pk.blockade import occupancy_band
from ldn.domain.pk.metrics import ng_ml_to_nm
from ldn.domain.pk.parameters import MW_6BN_G_MOL, MW_NTX_G_MOL, get_parameters
from ldn.domain.pk.population import Simulation
from ldn.domain.pk.regimen import Regimen

__all__ = ["plot_simulation"]


def plot_simulation(
    sim: Simulation, regimen: Regimen, path: Path, *, title: str, params: str = "recommended"
) -> str:
    """Draw concentration bands (5-95th percentile of the virtual patients, median) of both
    analytes and mu-receptor occupancy (typical patient, 90 % credible band of the fit, 50 % and
    10 % lines); returns the text alternative."""
    days = sim.times_h / 24.0
    fig, (ax1, ax2, ax3) = plt.subplots(3, 1, figsize=(9, 9), sharex=True, height_ratios=[3, 3, 3])
    lines = []
    for ax, key, name, colour, mw in (
        (ax1, "ntx", "Naltrexone", "#1f5f99", MW_NTX_G_MOL.value),
        (ax2, "6bn", "6β-naltrexol", "#a0522d", MW_6BN_G_MOL.value),
    ):
        data = sim.ntx_ng_ml if key == "ntx" else sim.bn_ng_ml
        p5, p50, p95 = np.percentile(data, (5, 50, 95), axis=0)
        if data.shape[0] > 1:
            ax.fill_between(
                days,
                p5,
                p95,
                color=colour,
                alpha=0.25,
                lw=0,
                label="5th–95th percentile of patients",
            )
        ax.plot(
            days,
            p50,
            color=colour,
            lw=1.4,
            label="median" if data.shape[0] > 1 else "typical patient",
        )
        ax.set_ylabel(f"{name}\nng/mL")
        sec = ax.secondary_yaxis(
            "right",
            functions=(
                lambda c, k=key: ng_ml_to_nm(c, analyte=k),
                lambda n, m=mw: np.asarray(n) * m / 1000,
            ),
        )
        sec.set_ylabel("nM")
        ax.legend(loc="upper right", fontsize=8, frameon=False)
        ax.grid(alpha=0.3)
        lines.append(
            f"{name}: median peak {p50.max():.2f} ng/mL, median at end {p50[-1]:.2f} ng/mL"
        )
    occ = occupancy_band(regimen, get_parameters(params), sim.times_h)
    ax3.fill_between(
        days, occ["p5"], occ["p95"], color="#555", alpha=0.2, lw=0, label="90 % credible band (fit)"
    )
    ax3.plot(days, occ["typical"], color="#333", lw=1.4, label="typical patient")
    for level, style in ((50, "--"), (10, ":")):
        ax3.axhline(level, color="#b22222", lw=0.9, ls=style)
        ax3.text(
            days[-1],
            level + 1.5,
            f"{level} %",
            ha="right",
            va="bottom",
            fontsize=7,
            color="#b22222",
        )
    ax3.set_ylabel("μ-receptor\noccupancy %")
    ax3.set_ylim(0, 100)
    ax3.grid(alpha=0.3)
    ax3.legend(loc="lower center", ncol=2, fontsize=8, frameon=False)
    for t in regimen.dose_times_h:
        ax3.axvline(t / 24.0, color="#bbb", lw=0.5, zorder=0)
    ax3.set_xlabel("days since first dose (grey lines: doses)")
    fig.suptitle(title, fontsize=12)
    fig.text(0.01, 0.005, EXTRAPOLATION_CAVEAT + " " + BLOCKADE_CAVEAT, fontsize=6.5, wrap=True)
    fig.tight_layout(rect=(0, 0.06, 1, 0.97))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    end = occ["typical"][-1]
    lines.append(
        f"μ-receptor occupancy (typical patient): peak {occ['typical'].max():.0f} %, at the end {end:.0f} % "
        f"(90 % band {occ['p5'][-1]:.0f}–{occ['p95'][-1]:.0f} %)"
    )
    return f"{title}. " + "; ".join(lines) + ". " + EXTRAPOLATION_CAVEAT + " " + BLOCKADE_CAVEAT
