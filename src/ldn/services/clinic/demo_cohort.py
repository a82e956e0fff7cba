"""The demo clinic's cohort, simulated from a stated truth (issue 22, part 4).

**Synthetic, never clinical.** 56 made-up patients (fibromyalgia, chronic migraine, knee
osteoarthritis, CRPS, multiple sclerosis) at every stage: screened only,
on a titration plan with a diary, or through a completed blinded N-of-1 trial (22 trials, all
revealed and analysed). Every number below is chosen to make the demo informative; none is an
estimate of anything, and :data:`DEMO_TRUTH` says so.

Trial diaries (:func:`simulate_trial_diary`): patient i's effect of LDN vs placebo is
``delta_i ~ N(delta_nrs, tau_nrs^2)`` and every calendar day of the trial::

    pain_t = baseline_i + m_t + e_t,   m_t = m_{t-1} + (delta_i * on_LDN_t - m_{t-1}) (1 - exp(-1/onset_days)),
    e_t = rho e_{t-1} + u_t,  u_t ~ N(0, sigma_nrs^2)   (stationary start)

so the effect comes and goes with first-order onset and offset well inside the 14-day run-in,
and on the analysed days the diary follows exactly the model :mod:`ldn.domain.nof1.analysis`
fits (level + delta x on LDN + AR(1) errors). Values are rounded to 0.1 and clipped to 0-10; a
few days are left out (3 %), as in a real diary. A test pools the analysed trials with
:func:`ldn.domain.nof1.hierarchy.pool_series` and checks that the 95 % intervals cover
``delta_nrs`` and ``tau_nrs`` (fixed seed).

Plan diaries (:func:`simulate_plan_diary`): 14 days before the first dose, then the plan's
doses; average pain falls by a patient's fraction ``r_i ~ N(response_mean, response_sd^2)`` of
the baseline with first-order onset (``response_onset_days``), plus the same AR(1) noise, so
some patients reach the IMMPACT 30 % and 50 % thresholds and some do not.

Seeding speed: one diary entry per transaction costs about 6 ms on SQLite, too slow for ~6,000
entries at ``make run``; :func:`seed_diary` stores one patient's simulated diary in one
transaction, through the same table and validation, audited by one event per patient's diary
(naming the range of entry ids).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from ldn.domain.diary import DiaryEntry
from ldn.domain.errors import InputError
from ldn.domain.nof1.blinding import make_allocation
from ldn.domain.nof1.design import TrialDesign
from ldn.domain.titration import TitrationPlan
from ldn.persistence.tables import DiaryRow
from ldn.services.clinic import plans, screenings, trials
from ldn.services.clinic.access import authorize
from ldn.services.clinic.context import Actor, Clinic, Tx, use_case
from ldn.services.clinic.patients import create_patient

__all__ = [
    "COHORT",
    "DEMO_TRUTH",
    "DemoTruth",
    "seed_cohort",
    "seed_diary",
    "simulate_plan_diary",
    "simulate_trial_diary",
]


@dataclass(frozen=True, slots=True)
class DemoTruth:
    """The synthetic truth the demo cohort is simulated from (NRS points). Chosen to make the demo
    informative (an average effect about the size of the example trial's); these are not clinical
    estimates and must never be cited as such."""

    delta_nrs: float = -1.0  # average effect of LDN vs placebo across the demo's trial patients
    tau_nrs: float = 0.7  # between-patient SD of that effect
    rho: float = 0.5  # day-to-day autocorrelation of pain
    sigma_nrs: float = 0.8  # SD of the daily innovation
    baseline_low_nrs: float = 4.5  # patients' pain level off LDN: uniform on low..high
    baseline_high_nrs: float = 7.5
    onset_days: float = 3.0  # time constant of the effect's onset and offset in a trial
    response_mean: float = 0.35  # share of baseline pain relieved on an open plan
    response_sd: float = 0.2
    response_onset_days: float = 14.0
    missing_share: float = 0.03  # diary days left out
    seed: int = 22


DEMO_TRUTH = DemoTruth()


@dataclass(frozen=True, slots=True)
class CohortPatient:
    key: str
    condition: str
    stage: str  # "trial" | "plan" | "screened"
    age_years: int
    sex: str


def _cohort() -> tuple[CohortPatient, ...]:
    mix = (
        ("fibromyalgia", 16, 12, 6),
        ("chronic_migraine", 6, 3, 5),
        ("knee_osteoarthritis", 0, 2, 2),
        ("crps", 0, 0, 2),
        ("multiple_sclerosis", 0, 1, 1),
    )
    out, n = [], 0
    for condition, n_trial, n_plan, n_screened in mix:
        for stage, count in (("trial", n_trial), ("plan", n_plan), ("screened", n_screened)):
            for _ in range(count):
                n += 1
                out.append(
                    CohortPatient(
                        f"{n:02d}",
                        condition,
                        stage,
                        28 + (n * 7) % 45,
                        "female" if n % 3 else "male",
                    )
                )
    return tuple(out)


COHORT = _cohort()


def _ar1(rng: np.random.Generator, n: int, truth: DemoTruth) -> np.ndarray:
    e = np.empty(n)
    e[0] = rng.normal(0.0, truth.sigma_nrs / math.sqrt(1 - truth.rho**2))
    u = rng.normal(0.0, truth.sigma_nrs, n)
    for i in range(1, n):
        e[i] = truth.rho * e[i - 1] + u[i]
    return e


def _keep(rng: np.random.Generator, n: int, truth: DemoTruth) -> np.ndarray:
    keep = rng.random(n) >= truth.missing_share
    keep[0] = True
    return keep


def _nrs(value: float) -> float:
    return round(float(np.clip(value, 0.0, 10.0)), 1)


def simulate_trial_diary(
    design: TrialDesign,
    *,
    ldn_bottle: str,
    delta_nrs: float,
    baseline_nrs: float,
    truth: DemoTruth,
    rng: np.random.Generator,
) -> list[DiaryEntry]:
    """Every day of the trial (see the module docstring); bottle and dose logged each day."""
    days = (design.end - design.start).days + 1
    e, keep = _ar1(rng, days, truth), _keep(rng, days, truth)
    step = 1.0 - math.exp(-1.0 / truth.onset_days)
    bottle_on = {}
    for p in design.periods:
        for k in range((p.end - p.start).days + 1):
            bottle_on[(p.start - design.start).days + k] = p.bottle
    out, m = [], 0.0
    for t in range(days):
        bottle = bottle_on[t]
        m += ((delta_nrs if bottle == ldn_bottle else 0.0) - m) * step
        if keep[t]:
            out.append(
                DiaryEntry(
                    date=design.start + timedelta(days=t),
                    pain_avg=_nrs(baseline_nrs + m + e[t]),
                    bottle=bottle,
                    dose_mg=4.5,
                    dose_time="22:00",
                )
            )
    return out


def simulate_plan_diary(
    plan: TitrationPlan,
    *,
    end: date,
    baseline_nrs: float,
    response: float,
    truth: DemoTruth,
    rng: np.random.Generator,
) -> list[DiaryEntry]:
    """14 days before the plan's first dose to ``end`` (see the module docstring)."""
    first = plan.start
    start = first - timedelta(days=14)
    days = (end - start).days + 1
    e, keep = _ar1(rng, days, truth), _keep(rng, days, truth)
    out = []
    for t in range(days):
        day = start + timedelta(days=t)
        k = (day - first).days
        step = plan.dose_on(day) if k >= 0 else None
        dose = step.dose_mg if step is not None else None
        relief = (
            response * baseline_nrs * (1 - math.exp(-k / truth.response_onset_days))
            if k >= 0
            else 0.0
        )
        if keep[t]:
            out.append(
                DiaryEntry(
                    date=day,
                    pain_avg=_nrs(baseline_nrs - relief + e[t]),
                    dose_mg=dose or None,
                    dose_time="22:00" if dose else "",
                    pgic=(2 if response >= 0.3 else 4) if t == days - 1 else None,
                )
            )
    return out


@use_case("diary.write")
def seed_diary(tx: Tx, actor: Actor, patient_id: int, *, entries: Sequence[DiaryEntry]) -> int:
    """Store a patient's whole (simulated) diary in one transaction: the same table, checks and
    request digest as :func:`ldn.services.clinic.diary.record_diary`, and one audit event naming
    the range of entries it created (an event per entry costs ~3 ms: the chain head is locked).
    For the demo seeding only; a day that already has an entry is refused by the database."""
    patient = authorize(tx, actor, "diary.write", patient_id)
    rows = []
    for e in entries:
        if e.date > tx.today:
            raise InputError.at(
                "date", f"{e.date.isoformat()} is in the future", "simulate the past only"
            )
        data = e.model_dump(mode="json")
        digest = hashlib.sha256(
            json.dumps({"entry": data, "update": False}, sort_keys=True).encode()
        ).hexdigest()
        rows.append(
            DiaryRow(
                patient_id=patient.id,
                day=e.date,
                data=data,
                idempotency_key=None,
                request_sha256=digest,
                version=1,
                created_at=tx.now,
                updated_at=tx.now,
            )
        )
    tx.session.add_all(rows)
    tx.session.flush()
    if rows:
        tx.audit(
            actor,
            "create",
            "diary_entry",
            f"{rows[0].id}-{rows[-1].id}",
            patient_id=patient.id,
            detail=f"demo seed: {len(rows)} entries",
        )
    return len(rows)


def _record(p: CohortPatient, baseline_nrs: float) -> dict[str, Any]:
    return {
        "id": f"demo-cohort-{p.key}",
        "display_name": f"Demo patient {p.key} (synthetic)",
        "age_years": p.age_years,
        "sex": p.sex,
        "weight_kg": 60 + (int(p.key) * 3) % 35,
        "conditions": [{"code": p.condition}],
        "pain": {
            "duration_months": 12 + (int(p.key) * 5) % 100,
            "average_nrs": round(baseline_nrs),
        },
    }


def seed_cohort(clinic: Clinic, doc: Actor, *, truth: DemoTruth = DEMO_TRUTH) -> dict[str, int]:
    """Add the synthetic cohort to the demo clinic through the clinic's use cases (dates are
    relative to the clinic's today, so every trial has ended). Returns record id -> patient id."""
    rng = np.random.default_rng(truth.seed)
    today = clinic.today()
    ids: dict[str, int] = {}
    n_trial = 0
    for p in COHORT:
        baseline = float(rng.uniform(truth.baseline_low_nrs, truth.baseline_high_nrs))
        delta_i = float(rng.normal(truth.delta_nrs, truth.tau_nrs))
        response = float(rng.normal(truth.response_mean, truth.response_sd))
        pid = int(create_patient(clinic, doc, record=_record(p, baseline))["id"])
        ids[f"demo-cohort-{p.key}"] = pid
        screenings.run_screening(clinic, doc, pid)
        if p.stage == "trial":
            start = today - timedelta(days=168 + 8 + 4 * n_trial)
            seed = 5000 + n_trial
            n_trial += 1
            t = trials.create_clinic_trial(
                clinic, doc, pid, start=start, seed=seed, acknowledge_review=True
            )
            design = TrialDesign.from_public(t["design"])
            bottle = make_allocation(trial_id=str(t["trial_id"]), seed=seed).ldn_bottle
            seed_diary(
                clinic,
                doc,
                pid,
                entries=simulate_trial_diary(
                    design,
                    ldn_bottle=bottle,
                    delta_nrs=delta_i,
                    baseline_nrs=baseline,
                    truth=truth,
                    rng=rng,
                ),
            )
            trials.reveal(clinic, doc, int(t["id"]), confirm=True)
            prior = "evidence" if p.condition == "fibromyalgia" else "sceptical"
            trials.analyse_clinic_trial(
                clinic, doc, int(t["id"]), prior=prior, condition=p.condition
            )
        elif p.stage == "plan":
            first = today - timedelta(days=int(rng.integers(70, 200)))
            made = plans.create_plan(
                clinic,
                doc,
                pid,
                options={
                    "schedule": "common",
                    "form": "capsule",
                    "start": first,
                    "allow_past": True,
                    "acknowledge_review": True,
                },
            )
            plan = TitrationPlan.from_dict(made["plan"])
            entries = simulate_plan_diary(
                plan,
                end=today - timedelta(days=1),
                baseline_nrs=baseline,
                response=response,
                truth=truth,
                rng=rng,
            )
            seed_diary(clinic, doc, pid, entries=entries)
    return ids
