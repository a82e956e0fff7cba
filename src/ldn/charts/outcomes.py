"""Charts for the clinic outcomes: Kaplan-Meier curves and the N-of-1 forest strip.

Drawn narrow (about 5 inches) with large type, so that they stay legible on a 390 px phone
screen when the SVG is scaled to the page width.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

__all__ = ["plot_forest", "plot_km"]

_BLUE, _GREY, _RUST = "#1f5f99", "#8a8a8a", "#a0522d"


def plot_km(curve: dict[str, Any], path: Path, *, cumulative: bool, ylabel: str) -> str:
    """One Kaplan-Meier curve (``KmCurve.as_dict()``) with its 95% band; ``cumulative`` draws
    1 - S (the share who had the event), else S. Returns the text alternative."""
    rows = curve["table"]
    t = [r["t_d"] for r in rows]

    def f(v: float) -> float:
        return 100 * (1 - v) if cumulative else 100 * v

    s = [f(r["survival"]) for r in rows]
    lo = [f(r["ci_high"] if cumulative else r["ci_low"]) for r in rows]
    hi = [f(r["ci_low"] if cumulative else r["ci_high"]) for r in rows]
    fig, ax = plt.subplots(figsize=(4.2, 3.3))
    ax.fill_between(t, lo, hi, step="post", color=_BLUE, alpha=0.15, lw=0, label="95% interval")
    ax.step(t, s, where="post", color=_BLUE, lw=2, label="Kaplan-Meier estimate")
    ax.set_ylim(0, 100)
    ax.set_xlim(0, max(t[-1], 1.0))
    ax.set_xlabel("days since the first dose", fontsize=13)
    ax.set_ylabel(ylabel, fontsize=13)
    ax.tick_params(labelsize=12)
    ax.set_title(f"{curve['what'][:1].upper()}{curve['what'][1:]} (n = {curve['n']})", fontsize=13)
    ax.legend(loc="best", fontsize=11, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return str(curve["sentence"])


def plot_forest(pooled: dict[str, Any], path: Path) -> str:
    """Each patient's own LDN-minus-placebo difference (grey) and the pooled estimate for them
    (blue), with the clinic's average effect as a band; negative = less pain on LDN."""
    patients = pooled["patients"]
    n = len(patients)
    fig, ax = plt.subplots(figsize=(4.2, 1.6 + 0.62 * n))
    lo, hi = pooled["delta_ci_nrs"]
    ax.axvspan(lo, hi, color=_BLUE, alpha=0.12, lw=0, label="clinic average (95%)")
    ax.axvline(0, color="#444", lw=0.8)
    ax.axvline(
        -pooled["mcid_nrs"], color=_RUST, lw=1, ls="--", label="smallest change worth having"
    )
    ends = [x for p in patients for x in (*p["own_ci_nrs"], *p["pooled_ci_nrs"])]
    left = min(-pooled["mcid_nrs"], lo, *ends) - 0.3
    right = max(0.0, hi, *ends) + 0.3
    for i, p in enumerate(patients):
        y = n - i
        ax.errorbar(
            p["own_mean_nrs"],
            y + 0.05,
            fmt="o",
            color=_GREY,
            ms=6,
            capsize=0,
            lw=2,
            xerr=[
                [p["own_mean_nrs"] - p["own_ci_nrs"][0]],
                [p["own_ci_nrs"][1] - p["own_mean_nrs"]],
            ],
        )
        ax.errorbar(
            p["pooled_mean_nrs"],
            y - 0.2,
            fmt="s",
            color=_BLUE,
            ms=6,
            capsize=0,
            lw=2,
            xerr=[
                [p["pooled_mean_nrs"] - p["pooled_ci_nrs"][0]],
                [p["pooled_ci_nrs"][1] - p["pooled_mean_nrs"]],
            ],
        )
        ax.text(left + 0.05, y + 0.22, str(p["label"])[:30], fontsize=11, va="bottom")
    ax.set_xlim(left, right)
    ax.set_yticks([])
    ax.set_ylim(0.4, n + 0.75)
    ax.set_xlabel("LDN minus placebo (pain points;\nleft = less pain on LDN)", fontsize=12)
    ax.tick_params(axis="x", labelsize=12)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return (
        f"{n} patients' own trial results (grey dots) and their estimates with the clinic's "
        f"series (blue squares); shaded: the clinic average, {pooled['delta_mean_nrs']:.1f} "
        f"points (95% interval {lo:.1f} to {hi:.1f}); dashed: the smallest change worth having "
        f"({pooled['mcid_nrs']:g} point{'' if pooled['mcid_nrs'] == 1 else 's'} less pain)."
    )
