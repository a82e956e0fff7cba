"""GRADE certainty per condition and outcome, and the plain-language statement written from it.

The rules (docs/evidence/grade.md states them for readers) start at *high* for randomized trials
and go down one level per serious and two per very serious concern:

* risk of bias — share of the pooled weight from trials whose RoB 2 overall judgement is not
  ``low``: >= 50 % serious; share from ``high`` >= 50 % very serious (no judgement = high);
* inconsistency (k >= 2) — I² >= 50 % or Q p < 0.10 serious; I² >= 75 % with estimates on both
  sides of no effect very serious; one trial: not assessable, not downgraded;
* indirectness — the across-condition pool ('any') is serious (different diseases);
* imprecision — fewer than 400 participants (optimal information size), or the interval
  includes no effect and an important effect (1 NRS point, about 0.68 SMD), serious; the
  interval includes an important benefit and an important harm, or one trial with < 100
  participants, very serious;
* publication / reporting bias — an included trial of the condition measured the outcome but
  its result is missing or unusable: serious. Funnel plots need >= 10 trials (not done).

The statement (Santesso 2020's informative statements): the size of the point estimate sets the
verb — |SMD| < 0.2 'little or no difference', < the important effect 'slightly reduce(s)', else
'reduce(s)' (or 'increase(s)' for harm) — and the certainty sets the hedge: high none, moderate
'probably', low 'may'; very low 'The evidence is very uncertain about the effect of LDN on ...'.
Heterogeneity that disappears (I² < 50 %, Q p >= 0.10) when the high-risk-of-bias trials are
left out is explained by bias, already counted under risk of bias, and not downgraded twice.
Responders: under 5 in 100 'little or no difference', 10 in 100 important; harms: RR within
1.25 'little or no difference'.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ldn.domain.evidence.dataset import Extraction
from ldn.domain.evidence.meta import MetaResult
from ldn.domain.evidence.rob import RobJudgement, judgement
from ldn.domain.facts import Fact
from ldn.domain.nof1.prior import MCID_NRS

__all__ = ["LEVELS", "Certainty", "Downgrade", "assess", "important_smd", "statement", "thresholds"]

LEVELS = ("high", "moderate", "low", "very low")
NRS_SD_POINTS = Fact(
    1.48,
    unit="NRS points per SMD",
    sources=("bruun-2024",),
    note="Implied SD of NRS change in FINAL: MD 0.34 / d 0.23. Used only to translate SMDs into NRS points.",
)
TRIVIAL_SMD = Fact(
    0.2,
    unit="SMD",
    sources=("ldn-assumption", "santesso-2020"),
    note="Point estimates smaller than 0.2 SD are stated as 'little or no difference' (Cohen's 'small' effect as the boundary).",
)
OPTIMAL_INFORMATION_SIZE = Fact(
    400,
    unit="participants",
    sources=("guyatt-2011-grade",),
    note="GRADE rule of thumb for a continuous outcome: fewer participants in the pool is serious imprecision.",
)
NAMES = {
    "any": "people with any of these painful conditions",
    "crohns_disease": "Crohn's disease",
    "multiple_sclerosis": "multiple sclerosis",
    "diabetic_neuropathy": "painful diabetic neuropathy",
}
RD_TRIVIAL = Fact(
    0.05,
    unit="risk difference",
    sources=("ldn-assumption",),
    note="Fewer than 5 more (or fewer) in 100 is stated as 'little or no difference'; 10 in 100 is the important difference.",
)
SUBJECTS = {
    "pain_intensity": "pain",
    "pain_interference": "how much pain interferes with daily life",
    "function": "physical function and the overall impact of the illness",
    "global_impression": "the global impression of improvement",
    "qol_pain": "the pain score of a quality-of-life questionnaire",
    "responders_30": "the chance of 30% less pain",
    "adverse_events": "adverse events",
    "dropouts": "stopping because of side effects",
    "pain_free_2h": "being pain-free 2 hours after a dose",
}


def important_smd() -> float:
    """The smallest important effect on the SMD scale: 1 NRS point / the NRS SD."""
    return float(MCID_NRS.value) / NRS_SD_POINTS.value


@dataclass(frozen=True, slots=True)
class Downgrade:
    domain: str
    levels: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"domain": self.domain, "levels": self.levels, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Certainty:
    level: str
    downgrades: tuple[Downgrade, ...]
    notes: tuple[str, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        serious = {1: "serious", 2: "very serious"}
        return tuple(
            f"{d.domain} ({serious[d.levels]}): {d.reason}" for d in self.downgrades if d.levels
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "downgrades": [d.as_dict() for d in self.downgrades],
            "notes": list(self.notes),
        }


def _rob(
    rows: Sequence[Extraction],
    weights: Sequence[float],
    extra: dict[tuple[str, str], RobJudgement] | None,
) -> Downgrade:
    not_low = high = 0.0
    names: list[str] = []
    for e, w in zip(rows, weights, strict=True):
        j = judgement(e.id, e.row["outcome"], extra)
        level = j.overall if j else "high"
        names.append(f"{e.id} {level.replace('_', ' ')}" + ("" if j else " (not assessed)"))
        not_low += w if level != "low" else 0.0
        high += w if level == "high" else 0.0
    text = f"{100 * not_low:.0f}% of the weight from trials not at low risk ({', '.join(names)})"
    return Downgrade("risk of bias", 2 if high >= 0.5 else 1 if not_low >= 0.5 else 0, text)


def _inconsistency(
    y: Sequence[float], meta: MetaResult, without_high: MetaResult | None, high_ids: Sequence[str]
) -> tuple[Downgrade, str | None]:
    if meta.k < 2:
        return Downgrade("inconsistency", 0, "one trial"), "one trial: consistency cannot be judged"
    both = min(y) < 0 < max(y)
    text = f"I² {meta.i2:.0f}%, Q p = {meta.q_p:.2f}" + (
        "; trials on both sides of no effect" if both else ""
    )
    lv = 2 if meta.i2 >= 75 and both else 1 if meta.i2 >= 50 or meta.q_p < 0.10 else 0
    if lv and without_high is not None and without_high.i2 < 50 and not without_high.q_p < 0.10:
        text += (
            f"; without the high-risk-of-bias trial(s) {', '.join(high_ids)} I² {without_high.i2:.0f}%: "
            "explained by risk of bias, already counted there (not downgraded twice)"
        )
        lv = 0
    return Downgrade("inconsistency", lv, text), None


def _imprecision(meta: MetaResult, n: int, outcome: str) -> Downgrade:
    mid = thresholds(outcome)[1]
    lo, hi = meta.ci_low, meta.ci_high
    benefit_and_harm = lo < -mid and hi > mid
    crosses = lo < 0 < hi and (lo < -mid or hi > mid)
    small = n < OPTIMAL_INFORMATION_SIZE.value
    lv = 2 if benefit_and_harm or (meta.k == 1 and n < 100) else 1 if crosses or small else 0
    parts = [
        f"{n} participants" + (f" (< {OPTIMAL_INFORMATION_SIZE.value})" if small else ""),
        f"95% CI {lo:.2f} to {hi:.2f}",
    ]
    if benefit_and_harm:
        parts.append("includes both an important benefit and an important harm")
    elif crosses:
        parts.append("includes no effect and an important effect")
    return Downgrade("imprecision", lv, "; ".join(parts))


def assess(
    rows: Sequence[Extraction],
    y: Sequence[float],
    meta: MetaResult,
    *,
    condition: str,
    missing: Sequence[str] = (),
    without_high: MetaResult | None = None,
    extra_rob: dict[tuple[str, str], RobJudgement] | None = None,
) -> Certainty:
    """GRADE certainty for one pool (or one trial shown alone); ``without_high`` is the same pool
    without the trials at high risk of bias (to tell heterogeneity explained by bias)."""
    notes: list[str] = []
    high_ids = [
        e.id
        for e in rows
        if (j := judgement(e.id, e.row["outcome"], extra_rob)) is None or j.overall == "high"
    ]
    inc, note = _inconsistency(y, meta, without_high, high_ids)
    if note:
        notes.append(note)
    n = sum(e.n_patients for e in rows)
    downs = [
        _rob(rows, meta.weights or [1.0 / len(rows)] * len(rows), extra_rob),
        inc,
        Downgrade("indirectness", 1 if condition == "any" else 0,
                  "different diseases pooled" if condition == "any" else "the population, dose and outcome asked about"),
        _imprecision(meta, n, rows[0].row["outcome"]),
        Downgrade("publication bias", 1 if missing else 0,
                  ("results missing or unusable: " + "; ".join(missing)) if missing
                  else "fewer than 10 trials: not testable; no known missing result"),
    ]  # fmt: skip
    derived = [e.id for e in rows if e.row["method"] == "smd_paired_p"]
    if derived:
        notes.append(
            f"effect sizes of {', '.join(derived)} derived from p-values with an assumed within-person correlation"
        )
    if any(e.row["text_source"] != "full_text" for e in rows):
        notes.append(
            "numbers read in abstracts, registry results or secondary reports, not full texts"
        )
    total = sum(d.levels for d in downs)
    return Certainty(LEVELS[min(total, 3)], tuple(downs), tuple(notes))


def thresholds(outcome: str) -> tuple[float, float]:
    """(trivial, important) sizes on the outcome's scale: SMD, risk difference or log risk ratio."""
    if outcome in ("responders_30", "pain_free_2h"):
        return RD_TRIVIAL.value, 2 * RD_TRIVIAL.value
    if outcome in ("adverse_events", "dropouts"):
        return math.log(1.25), math.log(1.25)
    return TRIVIAL_SMD.value, important_smd()


def _verb(estimate: float, outcome: str) -> tuple[str, str]:
    """(3rd person, infinitive) for the size and direction of the estimate (negative = better)."""
    trivial, important = thresholds(outcome)
    if abs(estimate) < trivial:
        return "makes little or no difference to", "make little or no difference to"
    good_is_more = outcome in ("responders_30", "pain_free_2h")
    word = (
        ("increase" if good_is_more else "reduce")
        if estimate < 0
        else ("reduce" if good_is_more else "increase")
    )
    if abs(estimate) < important:
        return f"slightly {word}s", f"slightly {word}"
    return f"{word}s", word


def statement(
    condition: str,
    outcome: str,
    certainty: str | None,
    estimate: float | None,
    *,
    comparator: str = "placebo",
) -> str:
    """A Cochrane-style sentence for one condition and outcome (estimate: negative = better)."""
    cond = NAMES.get(condition, condition.replace("_", " "))
    subject = SUBJECTS.get(outcome, outcome.replace("_", " "))
    if certainty is None or estimate is None:
        return (
            f"No randomized {comparator}-controlled trial gives a usable result for {subject} in "
            f"{cond}: the evidence does not allow an answer."
        )
    if certainty == "very low":
        return f"The evidence is very uncertain about the effect of LDN on {subject} in {cond} (very low-certainty evidence)."
    third, inf = _verb(estimate, outcome)
    hedge = {"high": "", "moderate": "probably ", "low": "may "}[certainty]
    verb = inf if certainty == "low" else third
    return f"LDN {hedge}{verb} {subject} in {cond} compared with {comparator} ({certainty}-certainty evidence)."
