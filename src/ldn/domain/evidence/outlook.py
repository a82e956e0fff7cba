"""One answer per condition: what the evidence review says for a condition in ldn's vocabulary.

:func:`condition_evidence` maps a vocabulary condition (``knee_osteoarthritis``) to the review's
condition (``arthritis``) and summarises the randomized evidence for pain there: how many trials,
against what, which outcome, which direction, with what GRADE certainty, in a sentence — or that
no randomized trial exists in the review. The screen, the evidence page and the handout read it
from here, so they cannot give two answers to one question.

``suggests_benefit`` is the rule the screen uses when the pain mechanism says LDN is unlikely to
help: a pooled pain outcome whose 95% interval lies wholly on the side of less pain on LDN, or a
trial that found LDN comparable to an active treatment, counts as randomized evidence that
disagrees with the mechanism (whatever its certainty; the certainty is stated).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ldn.domain.evidence.answer import PAIN_FAMILY, answer
from ldn.domain.evidence.dataset import dataset

__all__ = ["EVIDENCE_CONDITION", "ConditionEvidence", "condition_evidence"]

#: vocabulary condition -> the evidence review's condition (absent: no trial in the review)
EVIDENCE_CONDITION: dict[str, str] = {
    "fibromyalgia": "fibromyalgia", "chronic_widespread_pain": "fibromyalgia",
    "migraine_without_aura": "migraine", "migraine_with_aura": "migraine", "chronic_migraine": "migraine",
    "knee_osteoarthritis": "arthritis", "hip_osteoarthritis": "arthritis", "osteoarthritis": "arthritis",
    "rheumatoid_arthritis": "arthritis", "multiple_sclerosis": "multiple_sclerosis",
    "crohns_disease": "crohns_disease", "diabetic_neuropathy": "diabetic_neuropathy",
}  # fmt: skip
_REVIEW_SOURCE = ("seed-article",)


@dataclass(frozen=True, slots=True)
class ConditionEvidence:
    """The review's answer for one vocabulary condition."""

    condition: str
    review_condition: str | None
    trials: tuple[str, ...]
    comparators: tuple[str, ...]
    outcome: str | None
    direction: str
    certainty: str | None
    statement: str
    suggests_benefit: bool
    source_ids: tuple[str, ...]
    stamp: str = ""

    def sentence(self) -> str:
        """One line a clinician or patient can read."""
        if self.review_condition is None:
            return f"No randomized trial of LDN in this condition was found by ldn's evidence review. {self.stamp}".strip()
        vs = " and ".join(self.comparators) or "placebo"
        n = len(self.trials)
        return f"{n} randomized trial{'s' if n != 1 else ''} (vs {vs}): {self.statement} {self.stamp}".strip()

    def as_dict(self) -> dict[str, Any]:
        return {"condition": self.condition, "review_condition": self.review_condition, "trials": list(self.trials),
                "comparators": list(self.comparators), "outcome": self.outcome, "direction": self.direction,
                "certainty": self.certainty, "statement": self.statement, "suggests_benefit": self.suggests_benefit,
                "sentence": self.sentence(), "source_ids": list(self.source_ids)}  # fmt: skip


@lru_cache(maxsize=64)
def condition_evidence(code: str) -> ConditionEvidence:
    """The evidence review's answer for vocabulary condition ``code``."""
    review = EVIDENCE_CONDITION.get(code)
    data = dataset()
    stamp = f"Evidence review {data.version}, searched {data.last_searched}."
    if review is None:
        return ConditionEvidence(code, None, (), (), None, "no randomized trial", None,
                                 "no randomized trial in ldn's review", False, _REVIEW_SOURCE, stamp)  # fmt: skip
    ans = answer(review)
    trials = [t for t in data.trials if t.condition == review]
    comparators = tuple(sorted({t.comparator for t in trials}))
    pooled = next(
        (o for o in ans.outcomes if o.outcome in PAIN_FAMILY and o.meta is not None), None
    )
    active = [e for e in data.outcomes if e.study.condition == review and e.study.comparator != "placebo"
              and e.row["outcome"] == "pain_intensity"]  # fmt: skip
    srcs = tuple(sorted({t.source_id for t in trials} | set(_REVIEW_SOURCE)))
    if pooled is not None and pooled.meta is not None:
        m = pooled.meta
        direction = ("favours LDN" if m.ci_high < 0 else "favours placebo" if m.ci_low > 0
                     else "no clear difference")  # fmt: skip
        cert = pooled.certainty.level if pooled.certainty else None
        return ConditionEvidence(code, review, tuple(t.label for t in trials), comparators, pooled.outcome, direction,
                                 cert, pooled.statement, direction == "favours LDN", srcs, stamp)  # fmt: skip
    if active and any(e.row["direction"] == "0" for e in active):
        vs = active[0].study.comparator
        text = (f"LDN was comparable to {vs} for pain in one crossover trial (an active comparator, not placebo; "
                "the sign of the difference is not reported in the abstract; certainty not rated).")  # fmt: skip
        return ConditionEvidence(code, review, tuple(t.label for t in trials), comparators, "pain_intensity",
                                 f"comparable to {vs}", None, text, True, srcs, stamp)  # fmt: skip
    reasons = "; ".join(
        f"{t}: {r}"
        for o in ans.outcomes
        for t, r in o.not_pooled
        if o.outcome in ("pain_intensity", *PAIN_FAMILY)
    )
    text = ans.primary.statement + (f" ({reasons})" if reasons else "")
    return ConditionEvidence(code, review, tuple(t.label for t in trials), comparators, None, "not reported",
                             None, text, False, srcs, stamp)  # fmt: skip
