"""What `ldn evidence` prints and writes: the tables, the pooled summary, the per-study rows
(a formatted table, a plain streamed one for many studies, or a CSV file) and the answers.

Imported by :mod:`ldn.cli.evidence` only (so only when an evidence command runs).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.rule import Rule
from rich.table import Table

from ldn.cli._common import console
from ldn.domain.evidence.answer import ConditionAnswer
from ldn.domain.evidence.dataset import OUTCOMES, Extraction
from ldn.domain.evidence.meta import MetaResult
from ldn.domain.evidence.sensitivity import LeaveOneOut

if TYPE_CHECKING:
    from ldn.domain.evidence.rob import RobJudgement

__all__ = [
    "print_answer",
    "print_changes",
    "print_outcome_rows",
    "print_pool",
    "print_rob",
    "print_sof",
    "write_per_study",
]


def print_outcome_rows(rows: Sequence[Extraction], *, title: str) -> None:
    """`ldn evidence list`: one row per extracted outcome, with its source and whether it is pooled."""
    table = Table(title=title)
    for col in (
        "trial",
        "condition",
        "design",
        "dose mg",
        "n",
        "outcome",
        "result",
        "pooled?",
        "text",
        "source",
    ):
        table.add_column(col, overflow="fold")
    for e in rows:
        table.add_row(
            e.id,
            e.study.condition,
            f"{e.study.design} vs {e.study.comparator}",
            e.study.dose_mg,
            str(e.n_patients or ""),
            OUTCOMES[e.row["outcome"]],
            e.row["measure"],
            "yes" if e.poolable else f"no: {e.row['reason']}",
            e.row["text_source"],
            f"{e.row['source_id']} ({e.row['verification']})",
        )
    console.print(table)


def print_pool(
    heading: str,
    labels: list[str],
    yi: list[float],
    vi: list[float],
    res: MetaResult,
    loo: list[LeaveOneOut],
    *,
    table_max_studies: int,
) -> None:
    """`ldn evidence pool`: the studies (a formatted table up to ``table_max_studies``, else a
    plain streamed one after the summary), the pooled summary and leave-one-out."""
    if len(yi) <= table_max_studies:
        table = Table(title=heading)
        for col in ("study", "effect", "variance", "weight %"):
            table.add_column(col)
        for lab, y, v, w in zip(labels, yi, vi, res.weights, strict=True):
            table.add_row(lab, f"{y:.3f}", f"{v:.4f}", f"{100 * w:.1f}")
        console.print(table)
    _print_summary(res)
    if loo and len(yi) <= table_max_studies:
        console.print(
            "Leave-one-out: " + "; ".join(f"without {r.label}: {r.estimate:.2f}" for r in loo)
        )
    elif len(yi) > table_max_studies:
        _stream_per_study(heading, labels, yi, vi, res, loo)


def _print_summary(res: MetaResult) -> None:
    console.print(
        f"Pooled {res.estimate:.3f} (SE {res.se:.3f}; 95% CI {res.ci_low:.3f} to "
        f"{res.ci_high:.3f}); prediction interval ({res.pi_label}) {res.pi_low:.3f} to "
        f"{res.pi_high:.3f}; τ² {res.tau2:.4f}; I² {res.i2:.1f}%; Q {res.q:.2f} (p {res.q_p:.3g})."
    )
    if not res.converged:
        console.print(f"[yellow]Warning:[/] {res.note}")


def _per_study_rows(
    labels: list[str], yi: list[float], vi: list[float], res: MetaResult, loo: list[LeaveOneOut]
) -> Iterator[list[str]]:
    for i, (lab, y, v, w) in enumerate(zip(labels, yi, vi, res.weights, strict=True)):
        row = [lab, f"{y:.3f}", f"{v:.4f}", f"{100 * w:.3f}"]
        if loo:
            row += [f"{loo[i].estimate:.3f}", f"{loo[i].ci_low:.3f}", f"{loo[i].ci_high:.3f}"]
        yield row + [""] * (7 - len(row))


_PER_STUDY_HEADER = ["study", "effect", "variance", "weight %", "without it", "CI low", "CI high"]


def _stream_per_study(
    heading: str,
    labels: list[str],
    yi: list[float],
    vi: list[float],
    res: MetaResult,
    loo: list[LeaveOneOut],
) -> None:
    """Many studies: a plain table written in blocks (a formatted one takes seconds per 1,000)."""
    width = max(12, *(len(x) for x in labels))
    fmt = f"{{:<{width}}} {{:>9}} {{:>9}} {{:>9}} {{:>10}} {{:>9}} {{:>9}}\n"
    out = sys.stdout
    out.write(f"{heading}: {len(yi):,} studies ('without it': the pool leaving that study out)\n")
    out.write(fmt.format(*_PER_STUDY_HEADER))
    block: list[str] = []
    for row in _per_study_rows(labels, yi, vi, res, loo):
        block.append(fmt.format(*row))
        if len(block) == 1000:
            out.write("".join(block))
            block.clear()
    out.write("".join(block))
    out.flush()


def write_per_study(
    path: Path,
    labels: list[str],
    yi: list[float],
    vi: list[float],
    res: MetaResult,
    loo: list[LeaveOneOut],
) -> None:
    """The per-study CSV: effect, variance, weight % and the pool without the study."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(_PER_STUDY_HEADER)
        writer.writerows(_per_study_rows(labels, yi, vi, res, loo))


def print_answer(a: ConditionAnswer) -> None:
    """One condition's plain answer, its GRADE certainty and the reasons it was downgraded."""
    console.print(Rule(a.condition.replace("_", " ")))
    console.print(a.plain())
    c = a.primary.certainty
    console.print(
        f"[bold]Certainty (GRADE):[/] {a.certainty}"
        + (", downgraded for:" if c and c.reasons else "")
    )
    for r in c.reasons if c else ():
        console.print(f"  [yellow]↓[/] {r}")
    for n in c.notes if c else ():
        console.print(f"  • {n}")
    for t, why in a.primary.not_pooled:
        console.print(f"  [dim]not pooled: {t} — {why}[/dim]")
    if a.article_claim:
        console.print(f"  [dim]{a.article_claim}[/dim]")


def print_sof(answers: Sequence[ConditionAnswer]) -> None:
    """GRADE summary-of-findings tables, one per condition."""
    for a in answers:
        table = Table(
            title=f"Summary of findings: LDN vs placebo, {a.condition.replace('_', ' ')} — {a.stamp}"
        )
        for col in (
            "outcome",
            "trials (people)",
            "effect (95% CI)",
            "certainty",
            "why downgraded",
            "in plain words",
        ):
            table.add_column(col, overflow="fold")
        for o in a.outcomes:
            if o.k == 0 and not o.not_pooled:
                continue
            c = o.certainty
            reasons = (
                "; ".join(c.reasons) if c else "; ".join(f"{t}: {why}" for t, why in o.not_pooled)
            )
            table.add_row(
                OUTCOMES[o.outcome],
                f"{o.k} ({o.n_patients})",
                o.effect_text(),
                c.level if c else "—",
                reasons,
                o.statement,
            )
        console.print(table)


def print_rob(robs: Sequence[RobJudgement]) -> None:
    """Risk of Bias 2 per trial and outcome: the five domains, the overall judgement and why."""
    table = Table(
        title="Risk of bias 2 (D1 randomization, D2 deviations/period, D3 missing data, D4 measurement, D5 reporting)"
    )
    for col in ("trial", "outcome", "D1", "D2", "D3", "D4", "D5", "overall", "why"):
        table.add_column(col, overflow="fold")
    for j in robs:
        table.add_row(
            j.study_id, j.outcome, *(lvl for _, lvl, _ in j.domains), j.overall, j.overall_reason
        )
    console.print(table)


def print_changes(changes: Sequence[dict[str, Any]], *, n_trials: int, n_outcomes: int) -> None:
    """`ldn evidence add`: the study is valid, nothing was written, and each answer that changes."""
    console.print(
        f"Valid: {n_trials} study, {n_outcomes} outcome row(s). Nothing was written; add the rows to "
        "src/ldn/domain/data/evidence/ (trials.csv, outcomes.csv, rob.csv) and bump dataset.toml's version."
    )
    if not changes:
        console.print("No answer changes.")
    for ch in changes:
        console.print(Rule(f"{ch['condition']} — {OUTCOMES[ch['outcome']]}"))
        console.print(
            f"  before (k = {ch['before']['k']}): {ch['before']['effect']}. {ch['before']['statement']}"
        )
        console.print(
            f"  after  (k = {ch['after']['k']}): {ch['after']['effect']}. {ch['after']['statement']}"
        )
