"""What the trials recorded, to set beside a clinic's own rates (never re-typed: read from the
cited facts and the evidence data set).

Side effects: the evidence data hold risk ratios for vivid dreams and headache (an external
meta-analysis of fibromyalgia trials) and one open-label count of sleep disturbance (Smith 2007,
Crohn's disease); for every other side effect no trial rate is recorded, and the page says so.
Stopping and adverse events: the rows of the review's ``outcomes.csv`` with counts on LDN
(``dropouts``, ``adverse_events``), for the condition's trials.
"""

from __future__ import annotations

from typing import Any

from ldn.domain.adjustments import SLEEP_DISTURBANCE_OPEN_LABEL
from ldn.domain.evidence.answer import HEADACHE_RR, VIVID_DREAMS_RR
from ldn.domain.evidence.outlook import EVIDENCE_CONDITION

__all__ = ["NO_TRIAL_RATE", "side_effects_in_trials", "stopping_in_trials"]

NO_TRIAL_RATE = "No trial rate recorded in ldn's evidence data."


def side_effects_in_trials() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Side-effect code -> (what the trials recorded, in a sentence; its source ids)."""
    from ldn.domain.outcomes import wilson_interval

    dreams, headache = VIVID_DREAMS_RR.value, HEADACHE_RR.value
    k, n = SLEEP_DISTURBANCE_OPEN_LABEL.value
    low, high = wilson_interval(k, n)
    return {
        "vivid_dreams": (
            f"In randomized fibromyalgia trials vivid dreams were more common on LDN than on "
            f"placebo: risk ratio {dreams[0]} (95% interval {dreams[1]} to {dreams[2]}; an "
            "external meta-analysis). No rate on LDN is recorded.",
            VIVID_DREAMS_RR.sources,
        ),
        "headache": (
            f"In randomized fibromyalgia trials headache was not clearly more common on LDN: "
            f"risk ratio {headache[0]} (95% interval {headache[1]} to {headache[2]}). No rate "
            "on LDN is recorded.",
            HEADACHE_RR.sources,
        ),
        "insomnia": (
            f"Sleep disturbance in {k} of {n} patients ({100 * k / n:.0f}%; 95% interval "
            f"{100 * low:.0f} to {100 * high:.0f}%) on 4.5 mg in an open-label Crohn's disease "
            "study (no control group).",
            SLEEP_DISTURBANCE_OPEN_LABEL.sources,
        ),
    }


def stopping_in_trials(code: str) -> list[dict[str, Any]]:
    """Counts of stopping and of adverse events on LDN in the trials of vocabulary condition
    ``code`` (every condition: "all"), each with a sentence and its source id."""
    from ldn.domain.evidence.dataset import dataset

    review = None if code == "all" else EVIDENCE_CONDITION.get(code)
    if code != "all" and review is None:
        return []
    out: list[dict[str, Any]] = []
    for e in dataset().outcomes:
        r = e.row
        if r["outcome"] not in ("dropouts", "adverse_events") or not (
            r["events_ldn"] and r["n_ldn"]
        ):
            continue
        if review is not None and e.study.condition != review:
            continue
        k, n = int(r["events_ldn"]), int(r["n_ldn"])
        vs = (
            f" vs {r['events_control']} of {r['n_control']} on {e.study.comparator}"
            if r["events_control"] and r["n_control"]
            else ""
        )
        out.append(
            {
                "study": e.id,
                "condition": e.study.condition,
                "outcome": r["outcome"],
                "measure": r["measure"],
                "events_ldn": k,
                "n_ldn": n,
                "source_id": r["source_id"],
                "sentence": f"{e.id} ({e.study.condition.replace('_', ' ')}, randomized): "
                f"{r['measure']}: {k} of {n} on LDN{vs}.",
            }
        )
    return out
