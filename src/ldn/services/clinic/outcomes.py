"""Clinic outcomes: per condition, what happened to the clinic's patients on LDN (open-label),
and the pooled series of their blinded N-of-1 trials.

The definitions are in :mod:`ldn.domain.outcomes`; here each patient's course is read from what
the clinic records: the current record (the condition: the first one not resolved), screenings,
plans (start, assessment date, dose steps, the recorded stop), the diary and the trials.

Admins see the same aggregate figures as clinicians, never a patient's name: in the pooled
series their patients are numbered.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from ldn.domain.diary import DiaryEntry
from ldn.domain.errors import InputError
from ldn.domain.evidence.outlook import EVIDENCE_CONDITION, condition_evidence
from ldn.domain.nof1.blinding import Allocation
from ldn.domain.nof1.design import TrialDesign
from ldn.domain.nof1.prior import NormalPrior, evidence_prior, sceptical_prior
from ldn.domain.outcomes import LIMITS, STOP_REASONS, PatientCourse, summarise
from ldn.domain.outcomes_trials import side_effects_in_trials, stopping_in_trials
from ldn.domain.titration import TitrationPlan
from ldn.domain.vocabulary import CONDITIONS
from ldn.persistence.tables import DiaryRow, Patient, PatientRecordVersion, Plan, Screening, Trial
from ldn.services.clinic.access import require
from ldn.services.clinic.context import Actor, Tx, use_case
from ldn.services.standalone.trials import design_series

__all__ = ["NO_CONDITION", "clinic_outcomes", "condition_label"]

#: the group of patients whose record names no (unresolved) condition
NO_CONDITION = "none"


def condition_label(code: str) -> str:
    if code == "all":
        return "All patients"
    if code == NO_CONDITION:
        return "No condition recorded"
    info = CONDITIONS.get(code)
    return info.display if info else code.replace("_", " ")


@dataclass(slots=True)
class _Patient:
    id: int
    name: str
    condition: str = NO_CONDITION
    screened: bool = False
    plans: list[Plan] = field(default_factory=list)
    trials: list[Trial] = field(default_factory=list)
    diary: list[DiaryEntry] = field(default_factory=list)


def _load(tx: Tx, clinic_id: int) -> dict[int, _Patient]:
    rows = tx.session.execute(
        select(Patient.id, Patient.display_name, PatientRecordVersion.data)
        .join(
            PatientRecordVersion,
            (PatientRecordVersion.patient_id == Patient.id)
            & (PatientRecordVersion.version == Patient.current_version),
        )
        .where(Patient.clinic_id == clinic_id)
        .order_by(Patient.id)
    ).all()
    out: dict[int, _Patient] = {}
    for pid, name, data in rows:
        conds = [c for c in (data or {}).get("conditions", []) if c.get("status") != "resolved"]
        out[pid] = _Patient(pid, name, str(conds[0]["code"]) if conds else NO_CONDITION)
    ids = list(out)
    if not ids:
        return out
    for pid in tx.session.scalars(
        select(Screening.patient_id).where(Screening.patient_id.in_(ids)).distinct()
    ):
        out[pid].screened = True
    for plan in tx.session.scalars(select(Plan).where(Plan.patient_id.in_(ids)).order_by(Plan.id)):
        out[plan.patient_id].plans.append(plan)
    for trial in tx.session.scalars(
        select(Trial).where(Trial.patient_id.in_(ids)).order_by(Trial.id)
    ):
        out[trial.patient_id].trials.append(trial)
    q = select(DiaryRow.patient_id, DiaryRow.data).where(DiaryRow.patient_id.in_(ids))
    for pid, data in tx.session.execute(q.order_by(DiaryRow.patient_id, DiaryRow.day)):
        out[pid].diary.append(DiaryEntry.model_validate(data))
    return out


def _course(p: _Patient, today: date) -> PatientCourse:
    """The patient's course: a plan counts from its first day while it was in force (until the
    next plan, the recorded stop, or today); a trial from its first day; a logged dose too."""
    starts, doses = [], []
    for i, plan in enumerate(p.plans):
        tp = TitrationPlan.from_dict(plan.data["plan"])
        if plan.status == "stopped" and plan.stopped_on is not None:
            end = plan.stopped_on
        elif plan.status == "superseded" and i + 1 < len(p.plans):
            end = p.plans[i + 1].created_at.date()
        else:
            end = today
        end = min(end, today)
        if tp.start <= end:
            starts.append(tp.start)
            doses += [s.dose_mg for s in tp.steps if s.start <= end]
    starts += [TrialDesign.from_public(t.design).start for t in p.trials]
    last = p.plans[-1] if p.plans else None
    stopped = last.stopped_on if last is not None and last.status == "stopped" else None
    logged = [e for e in p.diary if e.dose_mg and e.date <= (stopped or today)]
    starts += [logged[0].date] if logged else []
    doses += [float(e.dose_mg) for e in logged if e.dose_mg]
    started = min((d for d in starts if d <= today), default=None)
    assess = (
        TitrationPlan.from_dict(last.data["plan"]).assessment_date if last is not None else None
    )
    return PatientCourse(
        p.condition,
        p.screened,
        started,
        assess,
        stopped,
        last.stop_reason if stopped and last else None,
        max(doses) if started and doses else None,
        tuple(p.diary),
    )


def _series_prior(condition: str) -> tuple[NormalPrior, str]:
    """The evidence prior the single-trial analysis uses for the condition, else sceptical."""
    review = EVIDENCE_CONDITION.get(condition)
    if review is not None:
        try:
            return evidence_prior(review), f"the evidence prior for {review.replace('_', ' ')}"
        except InputError:
            pass
    return sceptical_prior(), "a sceptical prior (no poolable trials for this condition)"


def _pooled(patients: list[_Patient], condition: str, actor: Actor, small_n: int) -> dict[str, Any]:
    """The clinic's completed (revealed or analysed) N-of-1 trials in one condition, pooled."""
    done = [(p, t) for p in patients for t in p.trials if t.status in ("revealed", "analysed")]
    from ldn.domain.nof1 import hierarchy

    base = {"available": True, "n_trials": 0, "skipped": 0, "small": len(done) < small_n}
    likelihoods: list[Any] = []
    placebo_means: list[float] = []
    skipped = 0
    for p, t in done:
        design, alloc = (
            TrialDesign.from_public(t.design),
            Allocation.from_dict(t.sealed["allocation"]),
        )
        label = p.name if actor.role == "clinician" else f"patient {len(likelihoods) + 1}"
        try:
            day, pain, on_ldn, _ = design_series(p.diary, design, alloc)
            likelihoods.append(hierarchy.effect_likelihood(day, pain, on_ldn, label=label))
        except InputError:
            skipped += 1
            continue
        placebo_means.append(float(pain[on_ldn == 0].mean()))
    if not likelihoods:
        return {
            **base,
            "skipped": skipped,
            "sentence": "No completed blinded N-of-1 trial with enough diary days in this condition yet.",
        }
    prior, prior_words = _series_prior(condition)
    # the pain the 30% threshold is taken of: the trial patients' mean pain on placebo days
    baseline = sum(placebo_means) / len(placebo_means)
    result = hierarchy.pool_series(
        likelihoods, prior=prior, baseline_nrs=baseline if baseline > 0 else None
    )
    out = result.as_dict()
    note = f" {skipped} trial(s) left out: too few diary days." if skipped else ""
    return {
        **base,
        **out,
        "n_trials": len(likelihoods),
        "skipped": skipped,
        "small": len(likelihoods) < small_n,
        "prior": {
            "mean": prior.mean,
            "sd": prior.sd,
            "label": prior.label,
            "words": prior_words,
            "source_ids": list(prior.source_ids),
        },
        "baseline_words": "the 30% threshold is taken of the trial patients' mean pain on placebo days",
        "sentence": f"{out.get('sentence', '')}{note}".strip(),
    }


@use_case("outcomes.read")
def clinic_outcomes(tx: Tx, actor: Actor, *, condition: str | None = None) -> dict[str, Any]:
    """The clinic's outcomes per condition (or of one ``condition``): counts, IMMPACT responders
    with Wilson intervals, Kaplan-Meier times to response and to stopping, reasons for stopping,
    side effects beside the trials' rates, dose reached, and the pooled N-of-1 series."""
    tx.check_actor(actor)
    require(actor, "outcomes.read")
    if condition is not None and condition not in CONDITIONS and condition != NO_CONDITION:
        raise InputError.at(
            "condition",
            f"unknown condition {condition!r}",
            f"use a condition code (e.g. fibromyalgia) or {NO_CONDITION!r}",
        )
    today, small_n = tx.today, tx.settings.outcomes_small_n
    patients = _load(tx, actor.clinic_id)
    groups: dict[str, list[_Patient]] = defaultdict(list)
    for p in patients.values():
        groups[p.condition].append(p)
    codes = [condition] if condition else sorted(groups, key=lambda c: (-len(groups[c]), c))
    rates = side_effects_in_trials()
    courses = {pid: _course(p, today) for pid, p in patients.items()}
    sections = []
    for code in codes:
        members = groups.get(code, [])
        summary = summarise(
            [courses[p.id] for p in members],
            condition=code,
            today=today,
            small_n=small_n,
            trial_rates=rates,
        )
        evidence = condition_evidence(code).sentence() if code in CONDITIONS else ""
        sections.append(
            {
                **summary.as_dict(),
                "label": condition_label(code),
                "evidence": evidence,
                "stopping_in_trials": stopping_in_trials(code),
                "pooled_nof1": _pooled(members, code, actor, small_n),
            }
        )
    overall = None
    if condition is None:
        overall = summarise(
            list(courses.values()), condition="all", today=today, small_n=small_n, trial_rates=rates
        ).as_dict()
        overall.update(label=condition_label("all"), stopping_in_trials=stopping_in_trials("all"))
    tx.audit(actor, "read", "outcomes", detail=f"condition={condition or 'all'}")
    return {
        "as_of": today.isoformat(),
        "small_n": small_n,
        "condition": condition,
        "patients": len(patients),
        "limits": list(LIMITS),
        "stop_reasons": STOP_REASONS,
        "all": overall,
        "conditions": sections,
    }
