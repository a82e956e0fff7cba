"""N-of-1 trials in the clinic: design and sealed allocation, pharmacist access, reveal, analysis.

Until the reveal, the allocation (which bottle holds LDN) and its salt are readable only by the
clinic's pharmacists; patient and clinician see the public design and the SHA-256 commitment.
The reveal checks the stored allocation against the commitment made at the start.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from ldn.domain.errors import ClinicalRefusal, ConflictError, InputError, NotFoundError
from ldn.domain.nof1.blinding import Allocation, commit, make_allocation, new_salt, verify
from ldn.domain.nof1.design import TrialDesign, design_trial
from ldn.domain.nof1.prior import NormalPrior, evidence_prior, sceptical_prior
from ldn.domain.screening import screen
from ldn.domain.start_guard import decide_start
from ldn.persistence.tables import Patient, Trial
from ldn.services.clinic.access import authorize, patient_in_scope, require
from ldn.services.clinic.context import Actor, Tx, use_case
from ldn.services.clinic.diary import diary_entries
from ldn.services.clinic.patients import load_record
from ldn.services.standalone.trials import analyse_design

__all__ = [
    "analyse_clinic_trial",
    "clinic_trials",
    "create_clinic_trial",
    "get_trial",
    "reveal",
    "sealed_allocation",
]


def _public(t: Trial, actor: Actor) -> dict[str, Any]:
    """The trial as ``actor`` may see it: the allocation after the reveal; the analysis (the
    patient's outcome) for patient and clinician only, never for the pharmacist."""
    out = {
        "id": t.id,
        "patient_id": t.patient_id,
        "trial_id": t.trial_code,
        "status": t.status,
        "commitment_sha256": t.commitment,
        "design": t.design,
        "revealed_at": t.revealed_at.isoformat() if t.revealed_at else None,
    }
    if t.status != "running":
        out["allocation"] = t.sealed["allocation"]
        out["salt"] = t.sealed["salt"]
        if actor.role != "pharmacist":
            out["analysis"] = t.analysis
    return out


@use_case("trial.write")
def create_clinic_trial(
    tx: Tx,
    actor: Actor,
    patient_id: int,
    *,
    start: date,
    seed: int,
    cycles: int = 3,
    period_days: int = 28,
    run_in_days: int = 14,
    acknowledge_review: bool = False,
) -> dict[str, Any]:
    """Design the trial, draw and seal the allocation, publish the commitment.

    The start passes the same guard as a plan (:func:`ldn.domain.start_guard.decide_start`) on
    the current record screened today: never inside a washout, never when contraindicated, and
    review findings only when the clinician acknowledges them.
    """
    patient = authorize(tx, actor, "trial.write", patient_id)
    report = screen(load_record(tx, patient), today=tx.today)
    decide_start(
        report, requested=start, today=tx.today, acknowledged=acknowledge_review, what="the trial"
    )
    if tx.session.scalar(
        select(Trial).where(Trial.patient_id == patient.id, Trial.status == "running")
    ):
        raise ConflictError(
            "this patient already has a running trial", fix="reveal or finish it first"
        )
    design, _ = design_trial(
        start=start, seed=seed, cycles=cycles, period_days=period_days, run_in_days=run_in_days
    )
    code = f"p{patient.id}-{start.isoformat()}-{seed}"
    allocation = make_allocation(trial_id=code, seed=seed)
    salt = new_salt()
    trial = Trial(
        patient_id=patient.id,
        trial_code=code,
        design=design.public_dict(),
        commitment=commit(allocation, salt),
        sealed={"allocation": allocation.as_dict(), "salt": salt},
        status="running",
        revealed_at=None,
        analysis=None,
        created_at=tx.now,
        created_by=actor.user_id or None,
    )
    tx.session.add(trial)
    tx.session.flush()
    tx.audit(actor, "create", "trial", trial.id, patient_id=patient.id)
    return _public(trial, actor)


def _trial(tx: Tx, actor: Actor, permission: str, trial_id: int) -> tuple[Trial, Patient]:
    tx.check_actor(actor)
    require(actor, permission)
    trial = tx.session.get(Trial, trial_id)
    patient = tx.session.get(Patient, trial.patient_id) if trial else None
    if trial is None or patient is None or not patient_in_scope(actor, patient):
        raise NotFoundError(f"no trial {trial_id} that you can see", fix="check the trial id")
    return trial, patient


@use_case("trial.read")
def get_trial(tx: Tx, actor: Actor, trial_id: int) -> dict[str, Any]:
    trial, patient = _trial(tx, actor, "trial.read", trial_id)
    tx.audit(actor, "read", "trial", trial.id, patient_id=patient.id)
    return _public(trial, actor)


@use_case("trial.sealed")
def sealed_allocation(tx: Tx, actor: Actor, trial_id: int) -> dict[str, Any]:
    """The pharmacist's copy: which bottle is LDN (to fill bottles A and B) and the salt."""
    trial, patient = _trial(tx, actor, "trial.sealed", trial_id)
    tx.audit(actor, "read", "trial_allocation", trial.id, patient_id=patient.id)
    a = Allocation.from_dict(trial.sealed["allocation"])
    return {
        "trial_id": trial.trial_code,
        "allocation": a.as_dict(),
        "salt": trial.sealed["salt"],
        "labels": {a.ldn_bottle: "naltrexone (LDN)", a.placebo_bottle: "placebo"},
        "note": "PHARMACIST ONLY until the reveal: label the bottles 'A' and 'B' only.",
    }


@use_case("trial.write")
def reveal(
    tx: Tx, actor: Actor, trial_id: int, *, confirm: bool = False, early_stop_reason: str = ""
) -> dict[str, Any]:
    """End the blinding: publish the allocation after checking it against the commitment.

    Unblinding is final, so it needs ``confirm``; before the last period has ended it also needs
    the reason for stopping early (kept in the audit trail and with the trial).
    """
    trial, patient = _trial(tx, actor, "trial.write", trial_id)
    if trial.status != "running":
        raise ConflictError("this trial was already revealed", fix="read it: GET /trials/{id}")
    end = TrialDesign.from_public(trial.design).end
    reason = early_stop_reason.strip()
    if end >= tx.today and not reason:
        raise ClinicalRefusal(
            f"the trial runs until {end.isoformat()}: revealing now would end the blinding early",
            fix="wait until the last period has ended, or give the reason for stopping early",
        )
    if not confirm:
        raise ClinicalRefusal(
            "unblinding cannot be undone", fix="confirm the reveal (confirm: true)"
        )
    a = Allocation.from_dict(trial.sealed["allocation"])
    if not verify(trial.commitment, a, str(trial.sealed["salt"])):
        raise ConflictError(
            "the stored allocation does not match the commitment: it was altered",
            fix="do not analyse; check the audit trail (ldn audit verify)",
        )
    trial.status, trial.revealed_at = "revealed", tx.now
    if reason:
        trial.design = {**trial.design, "early_stop_reason": reason}
    tx.audit(
        actor,
        "update",
        "trial",
        trial.id,
        patient_id=patient.id,
        detail="reveal" + (" (early stop)" if reason else ""),
    )
    return _public(trial, actor)


def _prior(prior: str, condition: str) -> NormalPrior:
    if prior == "sceptical":
        return sceptical_prior()
    if prior == "evidence":
        return evidence_prior(condition)
    raise InputError.at("prior", f"unknown prior {prior!r}", "use evidence or sceptical")


@use_case("trial.write")
def analyse_clinic_trial(
    tx: Tx, actor: Actor, trial_id: int, *, prior: str = "evidence", condition: str = "fibromyalgia"
) -> dict[str, Any]:
    """The Bayesian analysis of the revealed trial on the stored diary."""
    trial, patient = _trial(tx, actor, "trial.write", trial_id)
    if trial.status == "running":
        raise ConflictError(
            "the trial is still blinded", fix="reveal it first: POST /trials/{id}/reveal"
        )
    design = TrialDesign.from_public(trial.design)
    result = analyse_design(
        diary_entries(tx, patient.id),
        design,
        Allocation.from_dict(trial.sealed["allocation"]),
        prior=_prior(prior, condition),
    )
    trial.analysis, trial.status = result.as_dict(), "analysed"
    tx.audit(actor, "update", "trial", trial.id, patient_id=patient.id, detail="analyse")
    return _public(trial, actor)


@use_case("trial.read")
def list_trials(tx: Tx, actor: Actor, patient_id: int) -> list[dict[str, Any]]:
    patient = authorize(tx, actor, "trial.read", patient_id)
    rows = tx.session.scalars(
        select(Trial).where(Trial.patient_id == patient.id).order_by(Trial.id)
    ).all()
    tx.audit(actor, "read", "trials", patient_id=patient.id)
    return [_public(t, actor) for t in rows]


@use_case("trial.read")
def clinic_trials(tx: Tx, actor: Actor) -> list[dict[str, Any]]:
    """The clinic's trials (for the pharmacist's sealed-allocation list)."""
    tx.check_actor(actor)
    require(actor, "trial.read")
    rows = tx.session.scalars(
        select(Trial)
        .join(Patient, Patient.id == Trial.patient_id)
        .where(Patient.clinic_id == actor.clinic_id)
        .order_by(Trial.id)
    ).all()
    tx.audit(actor, "read", "trials", detail="ids=" + ",".join(str(t.id) for t in rows))
    q = select(Patient.id, Patient.display_name).where(Patient.clinic_id == actor.clinic_id)
    names = {pid: name for pid, name in tx.session.execute(q)}  # noqa: C416 - a Result has keys(): dict() would misread it
    return [{**_public(t, actor), "patient_name": names.get(t.patient_id, "")} for t in rows]
