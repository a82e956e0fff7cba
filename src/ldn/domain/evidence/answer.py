"""The answer to "how effective is LDN for pain?", condition by condition and outcome by outcome.

For each condition and outcome (pain intensity first; pain interference, function, global
impression and quality-of-life pain subscales each on their own; adverse events and stopping for
side effects): the pooled effect or the one trial shown as one trial (:mod:`.pools`), the GRADE
certainty with the reason for each downgrade and the plain-language statement (:mod:`.grade`),
what it means in NRS points (SD 1.48, FINAL) and — where a trial of the condition reports the
placebo responder rate — how many in 100 improve by 30 % (Chinn 2000). Every answer carries the
data set's version and the date the search was last run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ldn.domain.errors import InputError
from ldn.domain.evidence.bayes import BayesResult, bayes_random_effects
from ldn.domain.evidence.dataset import CONTINUOUS, OUTCOMES, DataSet, Extraction, dataset, poolable
from ldn.domain.evidence.effect_sizes import responders_per_100
from ldn.domain.evidence.grade import NRS_SD_POINTS, Certainty, assess, statement
from ldn.domain.evidence.meta import MetaResult
from ldn.domain.evidence.pools import interval_method, pool
from ldn.domain.evidence.rob import RobJudgement, judgement
from ldn.domain.facts import Fact

__all__ = [
    "CONDITIONS",
    "NRS_SD_POINTS",
    "SOF_OUTCOMES",
    "ConditionAnswer",
    "OutcomeAnswer",
    "answer",
    "outcome_answer",
]

VIVID_DREAMS_RR = Fact(
    (2.41, 1.77, 3.28),
    unit="risk ratio (95% CI)",
    sources=("annmedsurg-2025",),
    note="Pooled fibromyalgia RCTs (external meta-analysis).",
)
HEADACHE_RR = Fact(
    (1.68, 0.84, 3.36),
    unit="risk ratio (95% CI)",
    sources=("annmedsurg-2025",),
    note="Not significant.",
)
SAE_NOT_INCREASED = Fact(
    "no increase in serious adverse events vs placebo",
    unit="",
    sources=("bolton-2019",),
    note="89 naltrexone RCTs, all doses.",
)
EXTERNAL_FM_POOLS = Fact(
    (("vatvani-2024", "MD -0.86 (-1.20 to -0.51) NRS, 4 RCTs, search to May 2024"),
     ("annmedsurg-2025", "SMD -0.61 (-1.14 to -0.08), 5 RCTs"),
     ("hegde-2025", "FM vs placebo d -0.34 (-0.62 to -0.06), 7 RCTs in chronic pain"),
     ("ologunowa-2025", "SMD -0.50 (-1.19 to 0.19), I2 91%, 8 studies"),
     ("rassi-mariani-2024", "7 RCTs, 406 patients: 'not effective' (no pooled number)")),
    unit="published pooled estimates", sources=("vatvani-2024", "annmedsurg-2025", "hegde-2025", "ologunowa-2025", "rassi-mariani-2024"),
    note="External checks only; never entered as data. All searched before INNOVA's results appeared.",
)  # fmt: skip
ARTICLE_CLAIMS = {
    "fibromyalgia": "Article: 'The best use is in fibromyalgia, migraines and central sensitization'; 'limited hard research'.",
    "arthritis": "Article: LDN 'would not work in degenerative arthritis'.",
    "multiple_sclerosis": "Article: no claim about MS; LDN 'tends to work … only when there is not ongoing tissue damage or … inflammatory factors'.",
    "migraine": "Article: 'The best use is in fibromyalgia, migraines and central sensitization'.",
    "any": "Article: 'There is limited hard research on Naltrexone at low dose'; side effects 'very low', most commonly vivid dreams and tiredness.",
}  # fmt: skip
CONDITIONS = (
    "fibromyalgia",
    "multiple_sclerosis",
    "arthritis",
    "diabetic_neuropathy",
    "crohns_disease",
    "migraine",
    "any",
)
SOF_OUTCOMES = (
    "pain_intensity",
    "pain_interference",
    "function",
    "global_impression",
    "qol_pain",
    "responders_30",
    "adverse_events",
    "dropouts",
)
PAIN_FAMILY = ("pain_intensity", "pain_interference", "qol_pain")


@dataclass(frozen=True, slots=True)
class OutcomeAnswer:
    condition: str
    outcome: str
    meta: MetaResult | None
    rows: tuple[Extraction, ...]
    not_pooled: tuple[tuple[str, str], ...]
    certainty: Certainty | None
    statement: str
    per100: tuple[float, float, float, float] | None = None  # placebo, LDN, low, high
    bayes: BayesResult | None = None

    @property
    def k(self) -> int:
        return len(self.rows)

    @property
    def n_patients(self) -> int:
        return sum(e.n_patients for e in self.rows)

    @property
    def continuous(self) -> bool:
        return self.outcome in CONTINUOUS

    @property
    def scale(self) -> str:
        return {
            "responders_30": "risk difference (LDN - placebo, negative = more responders on LDN)",
            "adverse_events": "log risk ratio",
            "dropouts": "log risk ratio",
        }.get(self.outcome, "SMD")

    def nrs(self) -> tuple[float, float, float] | None:
        """Estimate and CI in NRS points (pain intensity only)."""
        m, f = self.meta, NRS_SD_POINTS.value
        if m is None or self.outcome != "pain_intensity":
            return None
        return m.estimate * f, m.ci_low * f, m.ci_high * f

    def effect_text(self) -> str:
        m = self.meta
        if m is None:
            return "no usable result"
        if self.scale == "log risk ratio":
            return f"RR {math.exp(m.estimate):.2f} (95% CI {math.exp(m.ci_low):.2f} to {math.exp(m.ci_high):.2f})"
        if self.outcome == "responders_30":
            return f"{-100 * m.estimate:+.0f} in 100 (95% CI {-100 * m.ci_high:+.0f} to {-100 * m.ci_low:+.0f})"
        text = f"SMD {m.estimate:.2f} (95% CI {m.ci_low:.2f} to {m.ci_high:.2f})"
        nrs = self.nrs()
        return text + (
            f" ≈ {nrs[0]:+.1f} NRS points ({nrs[1]:+.1f} to {nrs[2]:+.1f})" if nrs else ""
        )

    def meaning(self) -> str:
        parts = []
        if self.per100:
            pl, ldn, lo, hi = self.per100
            parts.append(
                f"about {ldn:.0f} in 100 people on LDN would have at least 30% less pain ({lo:.0f} to {hi:.0f}), "
                f"against {pl:.0f} in 100 on placebo (re-expressed from the pooled effect with the placebo "
                "rate of the trial(s) that report it)"
            )
        elif self.outcome == "pain_intensity" and self.meta is not None:
            parts.append(
                "no trial of this condition reports placebo responder rates: "
                "'how many in 100' cannot be given"
            )
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        m, c, nrs = self.meta, self.certainty, self.nrs()
        return {
            "condition": self.condition,
            "outcome": self.outcome,
            "outcome_label": OUTCOMES[self.outcome],
            "k": self.k,
            "n_patients": self.n_patients,
            "scale": self.scale,
            "interval_method": interval_method(self.k) if self.k else None,
            "pooled": m.as_dict() if m else None,
            "effect": self.effect_text(),
            "nrs_points": list(nrs) if nrs else None,
            "per_100": dict(zip(("placebo", "ldn", "low", "high"), self.per100, strict=True))
            if self.per100
            else None,
            "certainty": c.level if c else None,
            "certainty_detail": c.as_dict() if c else None,
            "statement": self.statement,
            "trials": [e.id for e in self.rows],
            "not_pooled": [{"trial": t, "reason": r} for t, r in self.not_pooled],
            "bayes": self.bayes.as_dict() if self.bayes else None,
        }


def _placebo_responders(data: DataSet, condition: str) -> float | None:
    rows = [e for e in data.select(condition, "responders_30") if e.row["pct_control"]]
    if not rows:
        return None
    n = [int(e.row["n_control"] or 1) for e in rows]
    return sum(float(e.row["pct_control"]) * w for e, w in zip(rows, n, strict=True)) / sum(n)


def _missing(data: DataSet, condition: str, outcome: str) -> list[str]:
    family = PAIN_FAMILY if outcome in PAIN_FAMILY else (outcome,)
    return [
        f"{e.id} ({OUTCOMES[e.row['outcome']]}: {e.row['reason']})"
        for o in family
        for e in data.select(condition, o)
        if not e.poolable
    ]


def outcome_answer(
    condition: str,
    outcome: str = "pain_intensity",
    *,
    data: DataSet | None = None,
    method: str = "REML",
    extra_rob: dict[tuple[str, str], RobJudgement] | None = None,
) -> OutcomeAnswer:
    """One condition and one outcome: pool (or one trial), GRADE and the statement."""
    data = data or dataset()
    rows = poolable(condition, outcome=outcome, data=data)
    listed = data.select(condition, outcome)
    not_pooled = tuple((e.id, e.row["reason"] or "not poolable") for e in listed if not e.poolable)
    meta = pool(rows, method=method)
    continuous = outcome in CONTINUOUS
    if meta is None:
        return OutcomeAnswer(
            condition,
            outcome,
            None,
            (),
            not_pooled,
            None,
            statement(condition, outcome, None, None),
        )
    exts = [e for e, _, _ in rows]
    kept = [
        row
        for row in rows
        if (j := judgement(row[0].id, outcome, extra_rob)) is not None and j.overall != "high"
    ]
    without_high = pool(kept, method=method) if 2 <= len(kept) < len(rows) else None
    cert = assess(
        exts,
        [y for _, y, _ in rows],
        meta,
        condition=condition,
        without_high=without_high,
        missing=_missing(data, condition, outcome) if continuous else (),
        extra_rob=extra_rob,
    )
    text = statement(condition, outcome, cert.level, meta.estimate)
    per100 = None
    placebo = _placebo_responders(data, condition) if outcome == "pain_intensity" else None
    if placebo is not None:
        per100 = (
            placebo,
            responders_per_100(meta.estimate, placebo),
            responders_per_100(meta.ci_high, placebo),
            responders_per_100(meta.ci_low, placebo),
        )
    bayes = (
        bayes_random_effects([y for _, y, _ in rows], [v for _, _, v in rows])
        if continuous and len(rows) >= 2
        else None
    )
    return OutcomeAnswer(
        condition, outcome, meta, tuple(exts), not_pooled, cert, text, per100, bayes
    )


@dataclass(frozen=True, slots=True)
class ConditionAnswer:
    """The headline (pain intensity vs placebo) plus every outcome, for one condition."""

    condition: str
    primary: OutcomeAnswer
    outcomes: tuple[OutcomeAnswer, ...]
    version: str
    last_searched: str
    adverse_events: tuple[str, ...]
    article_claim: str
    trial_ids: tuple[str, ...]
    source_ids: tuple[str, ...] = field(default=())

    # the fields the web page and the API have always read
    @property
    def k(self) -> int:
        return self.primary.k

    @property
    def n_patients(self) -> int:
        return self.primary.n_patients

    @property
    def meta(self) -> MetaResult | None:
        return self.primary.meta

    @property
    def bayes(self) -> BayesResult | None:
        return self.primary.bayes

    @property
    def certainty(self) -> str:
        return self.primary.certainty.level if self.primary.certainty else "no evidence"

    @property
    def reasons(self) -> tuple[str, ...]:
        c = self.primary.certainty
        return (
            (*c.reasons, *c.notes) if c else ("no usable placebo-controlled pain-intensity result",)
        )

    @property
    def stamp(self) -> str:
        return f"Data set {self.version}, last searched {self.last_searched}."

    def plain(self) -> str:
        p = self.primary
        head = p.statement
        if p.meta is not None:
            head += (
                f" {p.k} trial(s), {p.n_patients} people: {p.effect_text()}"
                f" ({interval_method(p.k)})."
            )
            if p.meaning():
                head += f" In other words: {p.meaning()}."
        others = [
            o.statement
            for o in self.outcomes
            if o.outcome != "pain_intensity" and o.meta is not None and o.outcome in CONTINUOUS
        ]
        return " ".join([head, *others, self.stamp])

    def as_dict(self) -> dict[str, Any]:
        p = self.primary
        nrs = p.nrs()
        return {
            "condition": self.condition,
            "version": self.version,
            "last_searched": self.last_searched,
            "k": p.k,
            "n_patients": p.n_patients,
            "pooled": p.meta.as_dict() if p.meta else None,
            "interval_method": interval_method(p.k) if p.k else None,
            "bayes": p.bayes.as_dict() if p.bayes else None,
            "nrs_points": None
            if nrs is None
            else dict(zip(("estimate", "ci_low", "ci_high"), nrs, strict=True)),
            "certainty": self.certainty,
            "certainty_reasons": list(self.reasons),
            "statement": p.statement,
            "outcomes": [o.as_dict() for o in self.outcomes],
            "adverse_events": list(self.adverse_events),
            "article_claim": self.article_claim,
            "trials": list(self.trial_ids),
            "source_ids": list(self.source_ids),
            "summary": self.plain(),
        }


def answer(
    condition: str,
    *,
    method: str = "REML",
    data: DataSet | None = None,
    extra_rob: dict[tuple[str, str], RobJudgement] | None = None,
) -> ConditionAnswer:
    if condition not in CONDITIONS:
        raise InputError.at(
            "--condition",
            f"unknown condition {condition!r}",
            f"use one of: {', '.join(CONDITIONS)}",
        )
    data = data or dataset()
    outs = tuple(
        outcome_answer(condition, o, data=data, method=method, extra_rob=extra_rob)
        for o in SOF_OUTCOMES
    )
    ae = (
        f"vivid dreams more common on LDN: RR {VIVID_DREAMS_RR.value[0]} ({VIVID_DREAMS_RR.value[1]}-{VIVID_DREAMS_RR.value[2]}) (external meta-analysis)",
        f"headache: RR {HEADACHE_RR.value[0]} ({HEADACHE_RR.value[1]}-{HEADACHE_RR.value[2]}), not significant (external meta-analysis)",
        f"serious adverse events: {SAE_NOT_INCREASED.value} (naltrexone at all doses)",
    )
    in_cond = [t for t in data.trials if condition == "any" or t.condition == condition]
    used = {e.source_id for o in outs for e in o.rows}
    srcs = tuple(
        sorted(
            used
            | {t.source_id for t in in_cond}
            | {"annmedsurg-2025", "bolton-2019", "seed-article"}
        )
    )
    return ConditionAnswer(
        condition,
        outs[0],
        outs,
        data.version,
        data.last_searched,
        ae,
        ARTICLE_CLAIMS.get(condition, ""),
        tuple(t.label for t in in_cond),
        srcs,
    )
