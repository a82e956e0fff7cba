"""Clinic outcomes: what happened to a clinic's patients on LDN, per condition, with intervals.

The figures and where they come from (each from what the clinic already records):

* **screened**: at least one screening stored;
* **started**: the first day on LDN (the earliest of the first diary day with a dose logged and
  the first day of a plan while it was in force) is on or before the report date;
* **stopped**: a clinician recorded the stop (the plan's last day on LDN and a coded reason,
  :data:`STOP_REASONS`); **still on LDN**: started and not stopped;
* **reached the assessment date**: started, and the plan's assessment date
  (:attr:`ldn.domain.titration.TitrationPlan.assessment_date`) is on or before both the report
  date and the stop;
* **responder** (IMMPACT, Dworkin 2008: >= 30% moderate, >= 50% substantial): the response
  report (:func:`ldn.domain.response.assess_response`) on the diary up to the assessment date:
  mean daily pain in its last 28 days against the 14 days before the first dose. Two
  denominators: patients *assessable* then, and every patient whose outcome was due (reached the
  assessment date or stopped before it), counting a stop or a missing diary as no response;
* **time to response** (Kaplan-Meier, :func:`kaplan_meier`): days from the first dose to the
  first day on which the mean pain of the last 14 days (at least 7 logged; the baseline's length
  and the response report's minimum) is >= 30% below the baseline; censored at the last diary
  day on LDN (a stop without response is censored too, which flatters the curve: stated);
* **time to stopping**: days from the first dose to the recorded stop, censored on the report
  date for patients still on LDN;
* **side effects**: patients who reported each side effect in the diary at least once on LDN;
* **dose reached**: the highest dose in force so far.

Proportions carry a Wilson score 95% interval (Wilson 1927; statsmodels ``proportion_confint``,
``method="wilson"``; the figures and their sentences are in outcomes_figures.py). A figure resting on fewer patients than the clinic's ``small_n`` setting
says so (:data:`SMALL_WORDS`). ldn supports clinical judgement; it does not replace it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from statistics import fmean
from typing import Any, get_args

from ldn.domain.diary import DiaryEntry
from ldn.domain.diary import SideEffect as _SideEffectCode
from ldn.domain.errors import InputError
from ldn.domain.instruments.nrs import (
    IMMPACT_MODERATE_PCT,
    IMMPACT_SUBSTANTIAL_PCT,
    percent_reduction,
)
from ldn.domain.outcomes_figures import (
    DoseReached,
    Proportion,
    SideEffectRate,
    patients,
    proportion,
    wilson_interval,
)
from ldn.domain.response import MIN_WINDOW_DAYS, ResponseReport, assess_response
from ldn.domain.survival import SMALL_WORDS, KmCurve, kaplan_meier

__all__ = [
    "LIMITS",
    "SIDE_EFFECT_CODES",
    "SMALL_WORDS",
    "STOP_REASONS",
    "ConditionOutcomes",
    "DoseReached",
    "KmCurve",
    "PatientCourse",
    "Proportion",
    "SideEffectRate",
    "kaplan_meier",
    "patients",
    "proportion",
    "summarise",
    "wilson_interval",
]

#: coded reasons for stopping LDN (code -> words people read)
STOP_REASONS: dict[str, str] = {
    "side_effects": "side effects",
    "no_benefit": "no benefit",
    "improved": "pain better, no longer needed",
    "cost": "cost",
    "opioids_needed": "opioid treatment or surgery needed",
    "pregnancy": "pregnancy or planning one",
    "contraindication": "a new contraindication",
    "patient_choice": "the patient's choice",
    "lost_to_follow_up": "lost to follow-up",
    "other": "other",
}
SIDE_EFFECT_CODES: tuple[str, ...] = get_args(_SideEffectCode)
#: the baseline window of the response report (days before the first dose), reused as the
#: rolling window of the time to response (not re-typed: read from assess_response itself)
WINDOW_D: int = int((assess_response.__kwdefaults__ or {})["baseline_days"])
LIMITS: tuple[str, ...] = (
    "These patients chose this clinic and chose to try LDN: they are self-selected, not a "
    "random sample of people with the condition.",
    "Starting, response, stopping and side effects are open-label outcomes with no control "
    "group: pain often eases with time, attention and the hope of relief, so a response here "
    "does not show that LDN caused it.",
    "The N-of-1 series is different: each trial compared LDN with placebo, blinded, within one "
    "patient, so it is the only figure on this page that measures LDN against placebo.",
    "A patient who stopped LDN without telling the clinic counts as still on LDN until a "
    "clinician records the stop.",
    "ldn supports clinical judgement; it does not replace it.",
)


@dataclass(frozen=True, slots=True)
class PatientCourse:
    """One patient's course, as the clinic recorded it (the input of :func:`summarise`)."""

    condition: str
    screened: bool
    started_on: date | None = None
    assessment_on: date | None = None
    stopped_on: date | None = None
    stop_reason: str | None = None
    dose_reached_mg: float | None = None
    diary: tuple[DiaryEntry, ...] = ()

    def started(self, today: date) -> bool:
        return self.started_on is not None and self.started_on <= today

    def reached_assessment(self, today: date) -> bool:
        a = self.assessment_on
        return (
            self.started(today)
            and a is not None
            and a <= today
            and (self.stopped_on is None or self.stopped_on >= a)
        )

    def outcome_due(self, today: date) -> bool:
        """Reached the assessment date, or stopped before it."""
        return self.reached_assessment(today) or (
            self.started(today) and self.stopped_on is not None
        )

    def response(self) -> ResponseReport | None:
        """The response report at the assessment date (None: not assessable from the diary)."""
        a, start = self.assessment_on, self.started_on
        upto = [e for e in self.diary if a is not None and e.date <= a]
        if a is None or start is None or not upto or (a - upto[-1].date).days >= WINDOW_D:
            return None
        try:
            return assess_response(upto, first_dose=start)
        except InputError:
            return None

    def time_to_response(self, today: date) -> tuple[float, bool] | None:
        """(days from the first dose, responded) or None without a baseline or a diary on LDN."""
        start = self.started_on
        if start is None:
            return None
        base = [e.pain_avg for e in self.diary if 0 < (start - e.date).days <= WINDOW_D]
        end = min(self.stopped_on or today, today)
        on = [e for e in self.diary if start <= e.date <= end]
        if len(base) < MIN_WINDOW_DAYS or not on or fmean(base) <= 0:
            return None
        b, j = fmean(base), 0
        for i, e in enumerate(on):
            while (e.date - on[j].date).days >= WINDOW_D:
                j += 1
            window = [x.pain_avg for x in on[j : i + 1]]
            pct = percent_reduction(baseline_nrs=b, follow_up_nrs=fmean(window))
            if (
                len(window) >= MIN_WINDOW_DAYS
                and pct is not None
                and pct >= IMMPACT_MODERATE_PCT.value
            ):
                return float((e.date - start).days), True
        return float((on[-1].date - start).days), False

    def side_effects_on_ldn(self, today: date) -> tuple[bool, set[str]]:
        """(logged any diary day on LDN, the side effects reported on those days)."""
        start = self.started_on
        if start is None:
            return False, set()
        end = min(self.stopped_on or today, today)
        on = [e for e in self.diary if start <= e.date <= end]
        return bool(on), {str(s) for e in on for s in e.side_effects}


@dataclass(frozen=True, slots=True)
class ConditionOutcomes:
    """The outcomes of one condition's patients (or of every patient: ``condition`` "all")."""

    condition: str
    as_of: date
    n_patients: int
    screened: int
    started: int
    reached_assessment: int
    still_on: int
    stopped: int
    not_assessable: int
    responders_30: Proportion
    responders_50: Proportion
    responders_30_all: Proportion
    responders_50_all: Proportion
    time_to_response: KmCurve | None
    no_baseline: int
    time_to_stopping: KmCurve | None
    stop_reasons: tuple[tuple[str, int], ...]
    side_effects: tuple[SideEffectRate, ...]
    dose: DoseReached
    small_n: int
    extra: dict[str, Any] = field(default_factory=dict)

    def counts_sentence(self) -> str:
        who = "" if self.condition == "all" else f" with {self.condition.replace('_', ' ')}"
        text = (
            f"Of {patients(self.n_patients)}{who}: {self.screened} screened, {self.started} started "
            f"LDN, {self.reached_assessment} reached the assessment date, {self.stopped} "
            f"stopped and {self.still_on} still on LDN (as of {self.as_of.isoformat()})."
        )
        return f"{text} ({SMALL_WORDS}.)" if self.started < self.small_n else text

    def responder_sentences(self) -> dict[str, str]:
        m, s = IMMPACT_MODERATE_PCT.value, IMMPACT_SUBSTANTIAL_PCT.value
        return {
            "responders_30": self.responders_30.sentence(
                f"had at least {m:g}% less pain at the assessment date (IMMPACT moderate)"
            ),
            "responders_50": self.responders_50.sentence(
                f"had at least {s:g}% less pain (IMMPACT substantial)"
            ),
            "responders_30_all": self.responders_30_all.sentence(
                f"had at least {m:g}% less pain, counting every patient whose assessment was due and "
                "taking a stop or a missing diary as no response"
            ),
            "responders_50_all": self.responders_50_all.sentence(
                f"had at least {s:g}% less pain, counted the same way"
            ),
        }

    def stop_sentence(self) -> str:
        if not self.stopped:
            return "No patient has stopped LDN (as recorded by a clinician)."
        parts = ", ".join(f"{STOP_REASONS.get(r, r)} ({n})" for r, n in self.stop_reasons)
        return f"{self.stopped} patient{'s' if self.stopped != 1 else ''} stopped LDN; reasons: {parts}."

    def as_dict(self) -> dict[str, Any]:
        rs = self.responder_sentences()
        return {
            "condition": self.condition,
            "as_of": self.as_of.isoformat(),
            "small_n": self.small_n,
            "counts": {
                "patients": self.n_patients,
                "screened": self.screened,
                "started": self.started,
                "reached_assessment": self.reached_assessment,
                "still_on": self.still_on,
                "stopped": self.stopped,
                "not_assessable": self.not_assessable,
                "sentence": self.counts_sentence(),
            },
            **{k: {**getattr(self, k).as_dict(), "sentence": rs[k]} for k in rs},
            "time_to_response": self.time_to_response.as_dict() if self.time_to_response else None,
            "time_to_response_no_baseline": self.no_baseline,
            "time_to_stopping": self.time_to_stopping.as_dict() if self.time_to_stopping else None,
            "stop_reasons": [
                {"reason": r, "words": STOP_REASONS.get(r, r), "patients": n}
                for r, n in self.stop_reasons
            ],
            "stop_sentence": self.stop_sentence(),
            "side_effects": [s.as_dict() for s in self.side_effects],
            "dose_reached": self.dose.as_dict(),
            **self.extra,
        }


def _dose(courses: Sequence[PatientCourse], small_n: int) -> DoseReached:
    doses = sorted(c.dose_reached_mg for c in courses if c.dose_reached_mg)
    if not doses:
        return DoseReached(0, None, (), True)
    counts = tuple((mg, doses.count(mg)) for mg in sorted(set(doses)))
    mid = len(doses) // 2
    median = doses[mid] if len(doses) % 2 else (doses[mid - 1] + doses[mid]) / 2
    return DoseReached(len(doses), median, counts, len(doses) < small_n)


def summarise(
    courses: Sequence[PatientCourse],
    *,
    condition: str,
    today: date,
    small_n: int,
    trial_rates: dict[str, tuple[str, tuple[str, ...]]] | None = None,
) -> ConditionOutcomes:
    """The outcomes of ``courses`` as of ``today``; ``trial_rates`` maps a side effect to what
    the trials recorded for it (a sentence and its source ids; absent: "no trial rate recorded")."""
    started = [c for c in courses if c.started(today)]
    reached = [c for c in started if c.reached_assessment(today)]
    due = [c for c in started if c.outcome_due(today)]
    reports = [r for r in (c.response() for c in reached) if r is not None]
    pct = [r.reduction_percent for r in reports]
    k30 = sum(p is not None and p >= IMMPACT_MODERATE_PCT.value for p in pct)
    k50 = sum(p is not None and p >= IMMPACT_SUBSTANTIAL_PCT.value for p in pct)
    stopped = [c for c in started if c.stopped_on is not None]
    ttr = [t for t in (c.time_to_response(today) for c in started) if t is not None]
    stop_d = [float(((c.stopped_on or today) - (c.started_on or today)).days) for c in started]
    reasons: dict[str, int] = {}
    for c in stopped:
        reasons[c.stop_reason or "other"] = reasons.get(c.stop_reason or "other", 0) + 1
    logged = [c.side_effects_on_ldn(today) for c in started]
    n_logged = sum(1 for any_day, _ in logged if any_day)
    rates = trial_rates or {}
    side = tuple(
        SideEffectRate(
            s,
            proportion(sum(s in eff for _, eff in logged), n_logged, small_n=small_n),
            *rates.get(s, ("No trial rate recorded in ldn's evidence data.", ())),
        )
        for s in SIDE_EFFECT_CODES
    )
    return ConditionOutcomes(
        condition,
        today,
        len(courses),
        sum(c.screened for c in courses),
        len(started),
        len(reached),
        len(started) - len(stopped),
        len(stopped),
        len(reached) - len(reports),
        proportion(k30, len(reports), small_n=small_n),
        proportion(k50, len(reports), small_n=small_n),
        proportion(k30, len(due), small_n=small_n),
        proportion(k50, len(due), small_n=small_n),
        kaplan_meier(
            [t for t, _ in ttr],
            [e for _, e in ttr],
            what="time to response",
            event="responded",
            censoring="censored at the last diary day on LDN (a stop without response is "
            "censored too, which makes the curve look better than it is)",
            small_n=small_n,
        ),
        len(started) - len(ttr),
        kaplan_meier(
            stop_d,
            [c.stopped_on is not None for c in started],
            what="time to stopping LDN",
            event="stopped",
            censoring=f"patients still on LDN are censored on {today.isoformat()}",
            small_n=small_n,
        ),
        tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        side,
        _dose(started, small_n),
        small_n,
    )
