"""Charts of naltrexone / 6-beta-naltrexol exposure and mu-receptor occupancy (PNG or SVG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from ldn.domain.pk import EXTRAPOLATION_CAVEAT
from ldn.domain.pk.metrics import ng_ml_to_nm
from ldn.domain.pk.occupancy import plasma_occupancy
from ldn.domain.pk.population import Simulation
from ldn.domain.pk.regimen import Regimen

__all__ = ["plot_simulation"]


def plot_simulation(sim: Simulation, regimen: Regimen, path: Path, *, title: str) -> str:
    """Draw concentration bands (5-95th percentile, median) of both analytes and the
    low-confidence plasma-driven mu occupancy; returns the text alternative."""
    days = sim.times_h / 24.0
    fig, (ax1, ax2, ax3) = plt.subplots(
        3, 1, figsize=(9, 8.5), sharex=True, height_ratios=[3, 3, 2]
    )
    lines = []
    for ax, key, name, colour in (
        (ax1, "ntx", "Naltrexone", "#1f5f99"),
        (ax2, "6bn", "6β-naltrexol", "#a0522d"),
    ):
        data = sim.ntx_ng_ml if key == "ntx" else sim.bn_ng_ml
        p5, p50, p95 = np.percentile(data, (5, 50, 95), axis=0)
        if data.shape[0] > 1:
            ax.fill_between(
                days, p5, p95, color=colour, alpha=0.25, lw=0, label="5th–95th percentile"
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
                lambda n, k=key: np.asarray(n) * (341.41 if k == "ntx" else 343.42) / 1000,
            ),
        )
        sec.set_ylabel("nM")
        ax.legend(loc="upper right", fontsize=8, frameon=False)
        ax.grid(alpha=0.3)
        lines.append(
            f"{name}: median peak {p50.max():.2f} ng/mL, median at end {p50[-1]:.2f} ng/mL"
        )
    occ = plasma_occupancy(np.percentile(sim.ntx_ng_ml, 50, axis=0))
    ax3.plot(days, occ, color="#555", lw=1.2)
    ax3.set_ylabel("μ occupancy %\n(low confidence)")
    ax3.set_ylim(0, 100)
    ax3.grid(alpha=0.3)
    for t in regimen.dose_times_h:
        ax3.axvline(t / 24.0, color="#bbb", lw=0.5, zorder=0)
    ax3.set_xlabel("days since first dose (grey lines: doses)")
    fig.suptitle(title, fontsize=12)
    fig.text(
        0.01,
        0.005,
        EXTRAPOLATION_CAVEAT + " Occupancy panel: plasma-driven Emax model, low confidence.",
        fontsize=7,
        wrap=True,
    )
    fig.tight_layout(rect=(0, 0.03, 1, 0.97))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return f"{title}. " + "; ".join(lines) + ". " + EXTRAPOLATION_CAVEAT
