"""Prescriptions (from the active plan) and compounded batches (the worksheet as made)."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import select

from ldn.domain.compounding import capsule_batch, liquid_batch
from ldn.domain.errors import InputError, NotFoundError
from ldn.domain.prescription import prescription_text
from ldn.domain.titration import TitrationPlan
from ldn.persistence.tables import Batch, Patient, Plan, Prescription
from ldn.services.clinic.access import authorize, patient_in_scope, require
from ldn.services.clinic.context import Actor, Page, Tx, use_case

__all__ = ["create_batch", "create_prescription", "get_prescription", "list_batches",
           "prescription_queue"]  # fmt: skip

ApiSource = Literal["powder_hcl", "powder_hcl_dihydrate", "tablets_50mg"]


def _rx(p: Prescription) -> dict[str, Any]:
    return {"id": p.id, "patient_id": p.patient_id, "plan_id": p.plan_id, "status": p.status,
            "created_at": p.created_at.isoformat(), **p.data}  # fmt: skip


def _batch(b: Batch) -> dict[str, Any]:
    return {"id": b.id, "prescription_id": b.prescription_id, "lot": b.lot,
            "beyond_use_date": b.beyond_use_date.isoformat(), "created_at": b.created_at.isoformat(),
            "worksheet": b.record}  # fmt: skip


@use_case()
def create_prescription(
    tx: Tx, actor: Actor, patient_id: int, *, prescriber: str = "", days_supply: int = 30
) -> dict[str, Any]:
    """A prescription for the active plan (titration and the first month at target)."""
    patient = authorize(tx, actor, "prescription.write", patient_id)
    plan = tx.session.scalar(
        select(Plan).where(Plan.patient_id == patient.id, Plan.status == "active")
    )
    if plan is None:
        raise NotFoundError(
            "no active plan to prescribe", fix="create the plan first: POST .../plan"
        )
    titration = TitrationPlan.from_dict(plan.data["plan"])
    form = str(plan.options.get("form", "capsule"))
    text = prescription_text(titration, form=form, patient=patient.display_name or patient.record_id,
                             prescriber=prescriber, days_supply=days_supply)  # fmt: skip
    strengths = sorted({s.dose_mg for s in titration.steps})
    rx = Prescription(patient_id=patient.id, clinic_id=patient.clinic_id, plan_id=plan.id, status="issued",
                      data={"form": form, "strengths_mg": strengths, "days_supply": days_supply,
                            "plan_version": plan.version, "text": text, "prescriber": prescriber},
                      created_at=tx.now, created_by=actor.user_id or None)  # fmt: skip
    tx.session.add(rx)
    tx.session.flush()
    tx.audit(actor, "create", "prescription", rx.id, patient_id=patient.id)
    return _rx(rx)


def _load_rx(
    tx: Tx, actor: Actor, permission: str, prescription_id: int
) -> tuple[Prescription, Patient]:
    tx.check_actor(actor)
    require(actor, permission)
    rx = tx.session.get(Prescription, prescription_id)
    patient = tx.session.get(Patient, rx.patient_id) if rx else None
    if rx is None or patient is None or not patient_in_scope(actor, patient):
        raise NotFoundError(
            f"no prescription {prescription_id} that you can see", fix="check the id"
        )
    return rx, patient


@use_case()
def get_prescription(tx: Tx, actor: Actor, prescription_id: int) -> dict[str, Any]:
    rx, patient = _load_rx(tx, actor, "prescription.read", prescription_id)
    batches = tx.session.scalars(
        select(Batch).where(Batch.prescription_id == rx.id).order_by(Batch.id)
    ).all()
    tx.audit(actor, "read", "prescription", rx.id, patient_id=patient.id)
    return {**_rx(rx), "batches": [_batch(b) for b in batches]}


@use_case()
def prescription_queue(
    tx: Tx, actor: Actor, *, status: str | None, limit: int, offset: int
) -> Page[dict[str, Any]]:
    """The clinic's prescriptions, oldest first (``status`` 'issued' = still to compound)."""
    tx.check_actor(actor)
    require(actor, "prescription.queue")
    q = select(Prescription).where(Prescription.clinic_id == actor.clinic_id)
    if status:
        q = q.where(Prescription.status == status)
    rows, total = tx.paged(q, Prescription.id, limit=limit, offset=offset)
    tx.audit(actor, "read", "prescriptions", detail="ids=" + ",".join(str(r.id) for r in rows))
    return Page([_rx(r) for r in rows], total, limit, offset)


@use_case()
def create_batch(tx: Tx, actor: Actor, prescription_id: int, *, lot: str, strength_mg: float | None = None,
                 count: int = 30, volume_ml: float = 100.0, api: ApiSource = "powder_hcl") -> dict[str, Any]:  # fmt: skip
    """Record a compounded batch: the worksheet for today, its lot and beyond-use date."""
    rx, patient = _load_rx(tx, actor, "batch.write", prescription_id)
    if not lot.strip():
        raise InputError.at(
            "lot", "the batch needs a lot number", "write the lot from your batch log"
        )
    name = patient.display_name or patient.record_id
    if rx.data["form"] == "liquid":
        record = liquid_batch(volume_ml=volume_ml, compounded_on=tx.today, patient=name)
    else:
        strengths = [float(s) for s in rx.data["strengths_mg"]]
        strength = strength_mg if strength_mg is not None else strengths[-1]
        if strength not in strengths:
            raise InputError.at("strength_mg", f"{strength:g} mg is not on this prescription",
                                f"use one of {', '.join(f'{s:g}' for s in strengths)} mg")  # fmt: skip
        record = capsule_batch(
            strength_mg=strength, count=count, compounded_on=tx.today, api=api, patient=name
        )
    batch = Batch(prescription_id=rx.id, clinic_id=rx.clinic_id, lot=lot.strip(),
                  beyond_use_date=record.beyond_use, record=record.as_dict(),
                  created_at=tx.now, created_by=actor.user_id or None)  # fmt: skip
    tx.session.add(batch)
    rx.status = "compounded"
    tx.session.flush()
    tx.audit(actor, "create", "batch", batch.id, patient_id=patient.id)
    return _batch(batch)


@use_case()
def list_batches(tx: Tx, actor: Actor, prescription_id: int) -> list[dict[str, Any]]:
    rx, patient = _load_rx(tx, actor, "batch.read", prescription_id)
    rows = tx.session.scalars(
        select(Batch).where(Batch.prescription_id == rx.id).order_by(Batch.id)
    ).all()
    tx.audit(actor, "read", "batches", rx.id, patient_id=patient.id)
    return [_batch(b) for b in rows]
