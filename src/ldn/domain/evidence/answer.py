"""The population answer to "how effective is LDN for pain?", condition by condition.

For each condition: the pooled SMD (REML, HKSJ interval when k >= 3), its interval and prediction
interval, the number of trials and patients, heterogeneity, the Bayesian estimate, a GRADE-like
certainty summary with reasons (risk of bias, imprecision, inconsistency, publication bias,
indirectness), adverse-event findings, and the article's claims placed beside the numbers.
SMDs are translated to NRS points with an SD of about 1.5 points (FINAL's implied SD).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ldn.domain.errors import InputError
from ldn.domain.evidence.bayes import BayesResult, bayes_random_effects
from ldn.domain.evidence.dataset import load_trials, poolable
from ldn.domain.evidence.meta import MetaResult, random_effects
from ldn.domain.facts import Fact

__all__ = ["CONDITIONS", "ConditionAnswer", "answer"]

NRS_SD_POINTS = Fact(1.48, unit="NRS points per SMD", sources=("bruun-2024",),
                     note="Implied SD of NRS change in FINAL: MD 0.34 / d 0.23. Used only to translate SMDs into NRS points.")  # fmt: skip
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
    (("vatvani-2024", "MD -0.86 (-1.20 to -0.51) NRS, 4 RCTs"), ("annmedsurg-2025", "SMD -0.61 (-1.14 to -0.08), 5 RCTs"),
     ("hegde-2025", "FM vs placebo d -0.34 (-0.62 to -0.06)"), ("ologunowa-2025", "SMD -0.50 (-1.19 to 0.19), I2 91%")),
    unit="published pooled estimates", sources=("vatvani-2024", "annmedsurg-2025", "hegde-2025", "ologunowa-2025"),
    note="External checks only; never entered as data.",
)  # fmt: skip
ARTICLE_CLAIMS = {
    "fibromyalgia": "Article: 'The best use is in fibromyalgia, migraines and central sensitization'; 'limited hard research'.",
    "arthritis": "Article: LDN 'would not work in degenerative arthritis'.",
    "multiple_sclerosis": "Article: no claim about MS; LDN 'tends to work … only when there is not ongoing tissue damage or … inflammatory factors'.",
    "any": "Article: 'There is limited hard research on Naltrexone at low dose'; side effects 'very low', most commonly vivid dreams and tiredness.",
}
CONDITIONS = ("fibromyalgia", "multiple_sclerosis", "arthritis", "any")


@dataclass(frozen=True, slots=True)
class ConditionAnswer:
    condition: str
    k: int
    n_patients: int
    meta: MetaResult | None
    bayes: BayesResult | None
    certainty: str
    reasons: tuple[str, ...]
    adverse_events: tuple[str, ...]
    article_claim: str
    trial_ids: tuple[str, ...]
    source_ids: tuple[str, ...] = field(default=())

    def plain(self) -> str:
        if self.meta is None:
            return f"{self.condition}: no poolable randomized placebo-controlled trial."
        m = self.meta
        pts = NRS_SD_POINTS.value
        return (f"{self.condition}: {self.k} trial(s), {self.n_patients} patients. Pooled SMD {m.estimate:.2f} "
                f"(95% CI {m.ci_low:.2f} to {m.ci_high:.2f}) ≈ {m.estimate * pts:.1f} NRS points "
                f"({m.ci_low * pts:.1f} to {m.ci_high * pts:.1f}). " + self._spread() + f" Certainty: {self.certainty}.")  # fmt: skip

    def _spread(self) -> str:
        b = self.bayes
        m = self.meta
        if b is None or m is None:
            return ""
        lo, hi = b.predictive_ci
        freq = (
            f"prediction interval {m.pi_low:.2f} to {m.pi_high:.2f}; "
            if m.k >= 3
            else "too few trials for a frequentist prediction interval; "
        )
        return (
            f"{freq}Bayesian (half-normal τ prior): effect {b.mu_mean:.2f} ({b.mu_ci[0]:.2f} to {b.mu_ci[1]:.2f}), "
            f"P(benefit) {b.p_mu_below_zero:.0%}; a new trial could show {lo:.2f} to {hi:.2f}."
        )

    def as_dict(self) -> dict[str, Any]:
        return {"condition": self.condition, "k": self.k, "n_patients": self.n_patients,
                "pooled": self.meta.as_dict() if self.meta else None, "bayes": self.bayes.as_dict() if self.bayes else None,
                "nrs_points": None if self.meta is None else {k: getattr(self.meta, k) * NRS_SD_POINTS.value for k in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")},
                "certainty": self.certainty, "certainty_reasons": list(self.reasons), "adverse_events": list(self.adverse_events),
                "article_claim": self.article_claim, "trials": list(self.trial_ids), "source_ids": list(self.source_ids),
                "summary": self.plain()}  # fmt: skip


def _certainty(rows: list[Any], meta: MetaResult) -> tuple[str, list[str]]:
    down = []
    if any(t.risk_of_bias in ("high", "some_concerns") for t, _, _ in rows):
        down.append("risk of bias: small or crossover trials with some concerns")
    if meta.ci_low < 0 < meta.ci_high or meta.k < 3 or sum(t.n_total for t, _, _ in rows) < 400:
        down.append("imprecision: few patients and/or the interval includes no effect")
    if meta.k >= 2 and (meta.i2 > 50 or (meta.pi_low < 0 < meta.pi_high and meta.ci_high < 0)):
        down.append(f"inconsistency: I² {meta.i2:.0f}%, prediction interval crosses zero")
    if any(t.verification != "verified" for t, _, _ in rows):
        down.append(
            "data: effect sizes derived from abstracts (p-values, assumed correlation), not full texts"
        )
    if meta.k < 10:
        down.append("publication bias: cannot be assessed with fewer than 10 trials")
    levels = ["high", "moderate", "low", "very low"]
    serious = sum(1 for r in down if not r.startswith("publication"))
    return levels[min(serious, 3)], down


def answer(condition: str, *, method: str = "REML") -> ConditionAnswer:
    if condition not in CONDITIONS:
        raise InputError.at(
            "--condition",
            f"unknown condition {condition!r}",
            f"use one of: {', '.join(CONDITIONS)}",
        )
    rows = poolable(condition)
    ae = (f"vivid dreams more common on LDN: RR {VIVID_DREAMS_RR.value[0]} ({VIVID_DREAMS_RR.value[1]}-{VIVID_DREAMS_RR.value[2]})",
          f"headache: RR {HEADACHE_RR.value[0]} ({HEADACHE_RR.value[1]}-{HEADACHE_RR.value[2]}), not significant",
          f"serious adverse events: {SAE_NOT_INCREASED.value}")  # fmt: skip
    listed = tuple(t.id for t in load_trials() if condition == "any" or t.condition == condition)
    srcs = tuple(
        sorted(
            {t.source_id for t, _, _ in rows} | {"annmedsurg-2025", "bolton-2019", "seed-article"}
        )
    )
    if not rows:
        return ConditionAnswer(
            condition,
            0,
            0,
            None,
            None,
            "no evidence",
            ("no poolable trial",),
            ae,
            ARTICLE_CLAIMS.get(condition, ""),
            listed,
            srcs,
        )
    y = [e for _, e, _ in rows]
    v = [var for _, _, var in rows]
    labels = [t.id for t, _, _ in rows]
    meta = random_effects(
        y, v, method=method if len(rows) > 1 else "FE", hksj=len(rows) >= 3, labels=labels
    )
    bayes = bayes_random_effects(y, v)
    certainty, reasons = _certainty(rows, meta)
    return ConditionAnswer(condition, len(rows), sum(t.n_total for t, _, _ in rows), meta, bayes, certainty, tuple(reasons), ae,
                           ARTICLE_CLAIMS.get(condition, ""), listed, srcs)  # fmt: skip
