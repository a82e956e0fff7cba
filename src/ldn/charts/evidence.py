"""Forest and funnel plots (matplotlib, PNG or SVG)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Polygon

from ldn.domain.evidence.meta import MetaResult

__all__ = ["forest_plot", "funnel_plot"]


def forest_plot(labels: Sequence[str], yi: Sequence[float], vi: Sequence[float], res: MetaResult, path: Path, *,
                title: str, xlabel: str = "Standardized mean difference (negative = less pain on LDN)") -> str:  # fmt: skip
    """Studies with 95% CIs and weights, the pooled diamond and the prediction interval.
    Returns the text alternative."""
    k = len(yi)
    y = np.asarray(yi)
    se = np.sqrt(np.asarray(vi))
    fig, ax = plt.subplots(figsize=(8.5, 1.2 + 0.5 * (k + 3)))
    rows = np.arange(k, 0, -1) + 1.5
    w = np.asarray(res.weights) if res.weights else np.full(k, 1 / k)
    ax.hlines(rows, y - 1.96 * se, y + 1.96 * se, color="#333", lw=1.2)
    ax.scatter(y, rows, s=30 + 400 * w, marker="s", color="#1f5f99", zorder=3)
    for r, lab, wi, yy, s in zip(rows, labels, w, y, se, strict=True):
        ax.text(
            -0.02, r, lab, transform=ax.get_yaxis_transform(), ha="right", va="center", fontsize=9
        )
        ax.text(
            1.02,
            r,
            f"{yy:.2f} [{yy - 1.96 * s:.2f}, {yy + 1.96 * s:.2f}]  {100 * wi:.0f}%",
            transform=ax.get_yaxis_transform(),
            ha="left",
            va="center",
            fontsize=8,
        )
    d = 0.35
    ax.add_patch(
        Polygon(
            [
                (res.ci_low, 0.5),
                (res.estimate, 0.5 + d),
                (res.ci_high, 0.5),
                (res.estimate, 0.5 - d),
            ],
            color="#a0522d",
        )
    )
    if res.k >= 3 and res.tau2 > 0:
        ax.hlines(0.5, res.pi_low, res.pi_high, color="#a0522d", lw=1, linestyles="--")
    pooled = f"{res.method}{' + HKSJ' if res.hksj else ''} pooled"
    ax.text(
        -0.02,
        0.5,
        pooled,
        transform=ax.get_yaxis_transform(),
        ha="right",
        va="center",
        fontsize=9,
        fontweight="bold",
    )
    ax.text(
        1.02,
        0.5,
        f"{res.estimate:.2f} [{res.ci_low:.2f}, {res.ci_high:.2f}]",
        transform=ax.get_yaxis_transform(),
        ha="left",
        va="center",
        fontsize=8,
        fontweight="bold",
    )
    ax.axvline(0, color="#888", lw=0.8)
    ax.set_yticks([])
    ax.set_ylim(-0.3, k + 2.3)
    ax.set_xlabel(xlabel)
    ax.set_title(
        f"{title}\nk = {res.k}, τ² = {res.tau2:.3f}, I² = {res.i2:.0f}%"
        + ("" if res.k >= 3 else " (prediction interval needs ≥ 3 trials)"),
        fontsize=10,
    )
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    fig.subplots_adjust(left=0.22, right=0.72)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return (f"{title}: " + "; ".join(f"{lab} {yy:.2f}" for lab, yy in zip(labels, y, strict=True))
            + f"; pooled {res.estimate:.2f} (95% CI {res.ci_low:.2f} to {res.ci_high:.2f}).")  # fmt: skip


def funnel_plot(
    yi: Sequence[float], vi: Sequence[float], res: MetaResult, path: Path, *, title: str
) -> str:
    se = np.sqrt(np.asarray(vi))
    fig, ax = plt.subplots(figsize=(6, 5))
    top = float(se.max()) * 1.1
    s = np.linspace(0, top, 50)
    ax.plot(res.estimate - 1.96 * s, s, "--", color="#888", lw=0.8)
    ax.plot(res.estimate + 1.96 * s, s, "--", color="#888", lw=0.8)
    ax.axvline(res.estimate, color="#a0522d", lw=1)
    ax.scatter(yi, se, color="#1f5f99", zorder=3)
    ax.invert_yaxis()
    ax.set_xlabel("effect")
    ax.set_ylabel("standard error")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return f"{title}: {len(se)} studies around the pooled {res.estimate:.2f}."
