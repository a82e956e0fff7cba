"""Bottles A and B of a blinded N-of-1 trial, for the pharmacist: worksheets, batch records and
labels, like any prescription's batches, kept with the sealed allocation.

The LDN bottle holds capsules of the patient's target dose (the active plan's, else the usual
4.5 mg); the placebo bottle identical capsules without naltrexone (same shell, filler and fill
weight: :func:`ldn.domain.compounding.placebo.placebo_batch`). Each bottle holds the days the
trial calendar gives it, up to the beyond-use date. The records live in the trial's sealed data
(never shown to patient or clinician); the labels say "bottle A" or "bottle B" only, with the
same words on both, so a label cannot unblind anyone.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from ldn.domain.compounding import BatchRecord, capsule_batch
from ldn.domain.compounding.placebo import placebo_batch
from ldn.domain.errors import ConflictError, InputError, NotFoundError
from ldn.domain.labels import DispensingLabel, Pharmacy, trial_directions
from ldn.domain.naltrexone import LDN_USUAL_DOSE_MG
from ldn.domain.nof1.blinding import Allocation
from ldn.domain.nof1.design import TrialDesign
from ldn.domain.titration import TitrationPlan
from ldn.persistence.tables import Patient, Plan, Trial
from ldn.services.clinic.access import patient_in_scope, require
from ldn.services.clinic.context import Actor, Tx, use_case
from ldn.services.clinic.pharmacy import user_name

__all__ = ["record_trial_batch", "trial_bottles", "void_trial_batch"]

TRIAL_WARNING = (
    "Blinded trial medicine: neither you nor your clinician is told what this bottle holds."
)
TRIAL_OPIOIDS = (
    "May contain naltrexone, which blocks opioid painkillers: do not take opioids; tell every "
    "clinician you are in an LDN trial."
)


def _load(tx: Tx, actor: Actor, trial_id: int) -> tuple[Trial, Patient]:
    tx.check_actor(actor)
    trial = tx.session.get(Trial, trial_id)
    patient = tx.session.get(Patient, trial.patient_id) if trial else None
    tx.denied_patient = patient.id if patient else None
    require(actor, "trial.sealed")
    if trial is None or patient is None or not patient_in_scope(actor, patient):
        raise NotFoundError(f"no trial {trial_id} that you can see", fix="check the trial id")
    tx.denied_patient = None
    return trial, patient


def _days(design: TrialDesign, bottle: str, first: date, last: date) -> int:
    """Days of the trial calendar on ``bottle`` between ``first`` and ``last``."""
    days = 0
    for p in design.periods:
        if p.bottle == bottle:
            lo, hi = max(p.start, first), min(p.end, last)
            days += max(0, (hi - lo).days + 1)
    return days


def _dose_and_timing(tx: Tx, patient: Patient) -> tuple[float, str]:
    plan = tx.session.scalar(
        select(Plan).where(Plan.patient_id == patient.id, Plan.status == "active")
    )
    if plan is None:
        return LDN_USUAL_DOSE_MG.value, "bedtime"
    titration = TitrationPlan.from_dict(plan.data["plan"])
    return titration.target_mg, titration.steps[-1].timing


def _make(
    tx: Tx, trial: Trial, patient: Patient, *, bottle: str, count: int | None, lot: str
) -> tuple[BatchRecord, DispensingLabel, str]:
    allocation = Allocation.from_dict(trial.sealed["allocation"])
    if bottle not in ("A", "B"):
        raise InputError.at("bottle", f"no bottle {bottle!r}", "choose bottle A or B")
    design = TrialDesign.from_public(trial.design)
    dose, timing = _dose_and_timing(tx, patient)
    name = patient.display_name or patient.record_id
    probe = capsule_batch(strength_mg=dose, count=1, compounded_on=tx.today, patient=name)
    last = probe.beyond_use
    n = count if count is not None else max(1, _days(design, bottle, tx.today, last))
    active = capsule_batch(strength_mg=dose, count=n, compounded_on=tx.today, patient=name)
    is_ldn = allocation.ldn_bottle == bottle
    record = active if is_ldn else placebo_batch(active=active, count=n, compounded_on=tx.today)
    contents = (
        f"naltrexone HCl {dose:g} mg capsules" if is_ldn else "placebo capsules (no naltrexone)"
    )
    bud = min(active.beyond_use, record.beyond_use)
    doc = user_name(tx, trial.created_by)
    label = DispensingLabel(
        Pharmacy(tx.settings.pharmacy_name, tx.settings.pharmacy_phone),
        f"Trial {trial.trial_code}",
        lot.strip() or "(lot)",
        name,
        f"N-of-1 trial capsules — BOTTLE {bottle}",
        f"{n} capsules",
        trial_directions(bottle=bottle, timing=timing),
        tx.today,
        bud,
        record.storage,
        doc,
        extra_warnings=(TRIAL_WARNING,),
        opioid_warning=TRIAL_OPIOIDS,
    )
    return record, label, contents


@use_case("trial.sealed")
def trial_bottles(
    tx: Tx, actor: Actor, trial_id: int, *, counts: dict[str, int] | None = None
) -> dict[str, Any]:
    """The pharmacist's view: for each bottle its contents, the worksheet of the next batch (in
    ``counts[bottle]`` capsules, default the days the calendar gives it), and the batches made."""
    trial, patient = _load(tx, actor, trial_id)
    bottles = {}
    for bottle in ("A", "B"):
        record, label, contents = _make(
            tx, trial, patient, bottle=bottle, count=(counts or {}).get(bottle), lot=""
        )
        bottles[bottle] = {
            "contents": contents,
            "count": record.units,
            "worksheet": record.as_dict(),
            "label": label.fields(),
            "label_text": label.text(),
        }
    tx.audit(actor, "read", "trial_bottles", trial.id, patient_id=patient.id)
    return {
        "trial_id": trial.trial_code,
        "id": trial.id,
        "status": trial.status,
        "bottles": bottles,
        "batches": list(trial.sealed.get("batches", [])),
    }


@use_case("batch.write")
def record_trial_batch(
    tx: Tx, actor: Actor, trial_id: int, *, bottle: str, lot: str, count: int | None = None
) -> dict[str, Any]:
    """Record the batch made for ``bottle`` (pharmacist): worksheet as made, lot, label."""
    trial, patient = _load(tx, actor, trial_id)
    require(actor, "batch.write")
    if trial.status != "running":
        raise ConflictError("this trial has ended", fix="no more bottles are needed")
    if not lot.strip():
        raise InputError.at(
            "lot", "the batch needs a lot number", "write the lot from your batch log"
        )
    record, label, contents = _make(tx, trial, patient, bottle=bottle, count=count, lot=lot)
    batches = list(trial.sealed.get("batches", []))
    entry = {
        "id": len(batches) + 1,
        "bottle": bottle,
        "lot": lot.strip()[:60],
        "contents": contents,
        "units": record.units,
        "beyond_use_date": label.beyond_use.isoformat(),
        "created_at": tx.now.isoformat(),
        "created_by": actor.user_id or None,
        "compounded_by": user_name(tx, actor.user_id),
        "worksheet": {**record.as_dict(), "label": label.text()},
        "label": label.fields(),
        "label_text": label.text(),
        "void": None,
    }
    trial.sealed = {**trial.sealed, "batches": [*batches, entry]}
    tx.audit(
        actor,
        "create",
        "trial_batch",
        trial.id,
        patient_id=patient.id,
        detail=f"bottle batch {entry['id']}",
    )
    return entry


@use_case("batch.write")
def void_trial_batch(
    tx: Tx, actor: Actor, trial_id: int, *, batch_no: int, reason: str
) -> dict[str, Any]:
    """Void a bottle's batch with a reason."""
    trial, patient = _load(tx, actor, trial_id)
    require(actor, "batch.write")
    batches = list(trial.sealed.get("batches", []))
    if not 1 <= batch_no <= len(batches):
        raise NotFoundError(f"no batch {batch_no} for this trial", fix="check the batch number")
    if batches[batch_no - 1].get("void"):
        raise ConflictError("this batch is already void", fix="nothing to do")
    if not reason.strip():
        raise InputError.at("reason", "say why the batch is void", "e.g. 'weighing error'")
    batches[batch_no - 1] = {
        **batches[batch_no - 1],
        "void": {
            "reason": reason.strip()[:500],
            "at": tx.now.isoformat(),
            "by_name": user_name(tx, actor.user_id),
        },
    }
    trial.sealed = {**trial.sealed, "batches": batches}
    tx.audit(
        actor,
        "update",
        "trial_batch",
        trial.id,
        patient_id=patient.id,
        detail=f"void batch {batch_no}",
    )
    voided: dict[str, Any] = batches[batch_no - 1]
    return voided
