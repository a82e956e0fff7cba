"""Forest and funnel plots (matplotlib, PNG or SVG)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Polygon

from ldn.domain.evidence.meta import MetaResult
from ldn.domain.evidence.prisma import PrismaCounts

__all__ = ["forest_plot", "funnel_plot", "prisma_diagram"]


def forest_plot(
    labels: Sequence[str],
    yi: Sequence[float],
    vi: Sequence[float],
    res: MetaResult,
    path: Path,
    *,
    title: str,
    xlabel: str = "Standardized mean difference (negative = less pain on LDN)",
) -> str:
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
    return (
        f"{title}: "
        + "; ".join(f"{lab} {yy:.2f}" for lab, yy in zip(labels, y, strict=True))
        + f"; pooled {res.estimate:.2f} (95% CI {res.ci_low:.2f} to {res.ci_high:.2f})."
    )


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


def prisma_diagram(counts: PrismaCounts, path: Path, *, title: str = "") -> str:
    """The PRISMA 2020 flow diagram (identification, screening, included) as SVG or PNG.
    Deterministic output (no date, fixed ids), so the shipped docs/evidence/prisma.svg can be
    checked against a fresh drawing. Returns the text alternative."""
    c = counts
    ident = "\n".join(f"{k}: {v}" for k, v in c.identified.items())
    left = [
        (f"Records identified (n = {c.total_identified})\n{ident}", 9.0),
        (f"Records screened (n = {c.screened})", 7.0),
        (f"Reports sought for retrieval (n = {c.sought})", 5.2),
        (f"Reports assessed for eligibility (n = {c.assessed})", 3.4),
        (f"Studies included in review (n = {c.included_studies})\nReports of included studies (n = {c.included_reports})\n"
         f"Studies in a meta-analysis or shown alone (n = {c.studies_in_meta_analysis})", 1.2),
    ]  # fmt: skip
    right = [
        (f"Duplicate copies removed (n = {c.duplicates})", 9.0),
        (f"Records excluded (n = {c.excluded_screening})\n"
         + "\n".join(f"{k}: {v}" for k, v in sorted(c.screening_reasons.items(), key=lambda kv: -kv[1])), 7.0),
        (f"Reports not retrieved (n = {c.not_retrieved})", 5.2),
        (f"Reports excluded (n = {sum(c.excluded_eligibility.values())})\n"
         + "\n".join(f"{k}: {v}" for k, v in sorted(c.excluded_eligibility.items(), key=lambda kv: -kv[1]))
         + f"\nOngoing, no results (n = {c.ongoing})", 3.4),
    ]  # fmt: skip
    with plt.rc_context({"svg.hashsalt": "ldn-prisma", "svg.fonttype": "none"}):
        fig, ax = plt.subplots(figsize=(10, 9.5))
        ax.set_xlim(0, 10)
        ax.set_ylim(0, 10.4)
        ax.axis("off")
        box = {"boxstyle": "round,pad=0.4", "fc": "#f4f7fb", "ec": "#1f5f99"}
        for text, y in left:
            ax.text(2.6, y, text, ha="center", va="center", fontsize=8.5, bbox=box)
        for text, y in right:
            ax.text(
                7.4,
                y,
                text,
                ha="center",
                va="center",
                fontsize=7.5,
                bbox={**box, "fc": "#fbf4f1", "ec": "#a0522d"},
            )
            ax.annotate(
                "", xy=(5.2, y), xytext=(4.4, y), arrowprops={"arrowstyle": "->", "color": "#555"}
            )
        for (_, y0), (_, y1) in pairwise(left):
            ax.annotate(
                "",
                xy=(2.6, y1 + 0.45),
                xytext=(2.6, y0 - 0.55),
                arrowprops={"arrowstyle": "->", "color": "#555"},
            )
        for label, y in (("Identification", 9.0), ("Screening", 5.2), ("Included", 1.2)):
            ax.text(
                0.05,
                y,
                label,
                rotation=90,
                va="center",
                fontsize=9,
                fontweight="bold",
                color="#1f5f99",
            )
        ax.set_title(
            title or "PRISMA 2020 flow diagram: randomized trials of low-dose naltrexone for pain",
            fontsize=10,
        )
        fig.tight_layout()
        fig.savefig(path, metadata={"Date": None} if path.suffix == ".svg" else None)
        plt.close(fig)
    return (
        f"PRISMA flow: {c.total_identified} records identified, {c.duplicates} duplicates removed, "
        f"{c.screened} screened, {c.excluded_screening} excluded, {c.assessed} assessed, "
        f"{sum(c.excluded_eligibility.values())} excluded with reasons, {c.ongoing} ongoing, "
        f"{c.included_studies} studies ({c.included_reports} reports) included."
    )
