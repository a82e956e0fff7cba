"""Prescriptions: drafted from the active plan, signed by the logged-in clinician, sent once.

The prescriber is the caller's own profile (display name, the clinic's name, and the licence
number from ``LDN_PRESCRIBER_LICENCES``); nobody types it. A prescription is for one version of
the plan: sending it again for the same version returns the one already sent (a double click,
or a retried request, makes one prescription), and the plan row is locked while that is decided
so two concurrent sends cannot both create one. Its status follows
:mod:`ldn.domain.dispensing`; every change is kept in its history with who and when.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from ldn.domain.compounding import Supply, plan_supply
from ldn.domain.dispensing import (
    LEGACY,
    StrengthProgress,
    check_can_cancel,
    check_can_dispense,
    fill_needs,
    fill_progress,
)
from ldn.domain.errors import ClinicalRefusal, InputError, NotFoundError, PreconditionFailed
from ldn.domain.prescription import Prescriber, RxPatient, make_prescription
from ldn.domain.screening import screen
from ldn.domain.titration import TitrationPlan
from ldn.persistence.tables import Batch, ClinicRow, Patient, Plan, Prescription, User
from ldn.services.clinic.access import authorize, patient_in_scope, require
from ldn.services.clinic.context import Actor, Page, Tx, use_case
from ldn.services.clinic.notifications import notify_new_prescription
from ldn.services.clinic.patients import load_record

__all__ = [
    "batch_dict",
    "cancel_prescription",
    "check_plan_version",
    "create_prescription",
    "dispense_prescription",
    "get_prescription",
    "list_prescriptions",
    "load_rx",
    "prescription_queue",
    "preview_prescription",
    "progress",
    "rx_dict",
    "rx_supply",
]  # fmt: skip


def _prescriber(tx: Tx, actor: Actor) -> Prescriber:
    """The caller's profile: name, licence number (settings), clinic."""
    user = tx.session.get(User, actor.user_id) if actor.user_id else None
    if user is None or not user.display_name.strip():
        raise InputError.at(
            "prescriber",
            "your profile has no name to sign the prescription with",
            "ask an administrator to set your display name (the name on your licence)",
        )
    clinic = tx.session.get(ClinicRow, user.clinic_id)
    licence = tx.settings.prescriber_licences.get(user.email, "")
    return Prescriber(user.display_name.strip(), licence, clinic.name if clinic else "")


def _active_plan(tx: Tx, patient: Patient, *, lock: bool = False) -> Plan:
    q = select(Plan).where(Plan.patient_id == patient.id, Plan.status == "active")
    plan = tx.session.scalar(q.with_for_update() if lock else q)
    if plan is None:
        raise NotFoundError(
            "no active plan to prescribe", fix="create the plan first: POST .../plan"
        )
    return plan


def _draft(
    tx: Tx, actor: Actor, patient: Patient, plan: Plan, number: int | None = None
) -> dict[str, Any]:
    record = load_record(tx, patient)
    if screen(record, today=tx.today).verdict == "contraindicated":
        raise ClinicalRefusal(
            "LDN is contraindicated for this patient now",
            fix="see the screening findings; screen again",
        )
    titration = TitrationPlan.from_dict(plan.data["plan"])
    form = str(plan.options.get("form", "capsule"))
    doc = make_prescription(
        titration,
        form=form,
        patient=RxPatient.from_record(record),
        prescriber=_prescriber(tx, actor),
        issued_on=tx.today,
        number=number,
    )
    strengths = sorted(doc.supply.capsules_total()) if form == "capsule" else [1.0]
    return {
        "form": form,
        "strengths_mg": strengths,
        "plan_version": plan.version,
        "plan": titration.as_dict(),
        "issued_on": tx.today.isoformat(),
        "supply": doc.supply.as_dict(),
        "document": doc.fields(),
        "text": doc.text(),
        "prescriber": doc.prescriber.as_dict(),
        "patient_name": doc.patient.name,
    }


def rx_supply(rx: Prescription) -> Supply | None:
    """The supply the prescription was written for (None for rows older than supply planning)."""
    if "plan" not in rx.data or "issued_on" not in rx.data:
        return None
    plan = TitrationPlan.from_dict(rx.data["plan"])
    return plan_supply(
        plan,
        form="liquid" if rx.data["form"] == "liquid" else "capsule",
        compounded_on=date.fromisoformat(rx.data["issued_on"]),
    )


def _fills(rx: Prescription) -> list[dict[str, Any]]:
    return list(rx.data.get("supply", {}).get("fills", []))


def progress(
    rx: Prescription, batches: list[Batch], *, fill: int | None = None
) -> tuple[StrengthProgress, ...]:
    """Each strength of the current fill (or ``fill``): needed, made by valid (not void) batches."""
    form, fill = str(rx.data["form"]), fill or int(rx.data.get("fill", 1))
    fills = _fills(rx)
    needs = (
        fill_needs(fills[fill - 1], form=form)
        if fills
        else {
            ("liquid" if form == "liquid" else f"{float(s):g}"): 1.0
            for s in rx.data["strengths_mg"]
        }
    )
    made = [
        (str(b.record.get("strength_key", "")), float(b.record.get("units", 0)))
        for b in batches
        if not b.record.get("void") and int(b.record.get("fill_number", 1)) == fill
    ]
    return fill_progress(needs, made, form=form)


def batch_dict(b: Batch) -> dict[str, Any]:
    r = b.record
    return {
        "id": b.id,
        "prescription_id": b.prescription_id,
        "lot": b.lot,
        "beyond_use_date": b.beyond_use_date.isoformat(),
        "created_at": b.created_at.isoformat(),
        "fill": r.get("fill_number", 1),
        "strength": r.get("strength_key"),
        "units": r.get("units"),
        "compounded_by": r.get("compounded_by", ""),
        "label": r.get("dispensing_label"),
        "label_text": r.get("label", ""),
        "void": r.get("void"),
        "verification": r.get("verification"),
        "worksheet": r,
    }


def rx_dict(rx: Prescription, batches: list[Batch] | None = None) -> dict[str, Any]:
    out = {
        "id": rx.id,
        "patient_id": rx.patient_id,
        "plan_id": rx.plan_id,
        "status": LEGACY.get(rx.status, rx.status),
        "created_at": rx.created_at.isoformat(),
        **rx.data,
    }
    fills = _fills(rx)
    out["fill"] = int(rx.data.get("fill", 1))
    out["fills_total"] = len(fills) or 1
    out["refills_left"] = max(0, out["fills_total"] - len(rx.data.get("dispensed_fills", [])))
    if batches is not None:
        out["batches"] = [batch_dict(b) for b in batches]
        out["progress"] = [p.as_dict() for p in progress(rx, batches)]
    return out


def _history(rx: Prescription, tx: Tx, actor: Actor, status: str, reason: str = "") -> None:
    entry = {
        "status": status,
        "at": tx.now.isoformat(),
        "by": actor.user_id or None,
        **({"reason": reason} if reason else {}),
    }
    rx.status = status
    rx.data = {**rx.data, "history": [*rx.data.get("history", []), entry]}


@use_case("prescription.write")
def preview_prescription(tx: Tx, actor: Actor, patient_id: int) -> dict[str, Any]:
    """The prescription as it would be sent now (nothing is written but the audit event)."""
    patient = authorize(tx, actor, "prescription.write", patient_id)
    plan = _active_plan(tx, patient)
    tx.audit(actor, "read", "prescription_draft", plan.id, patient_id=patient.id)
    return {
        "patient_id": patient.id,
        "plan_id": plan.id,
        "status": "draft",
        **_draft(tx, actor, patient, plan),
    }


@use_case("prescription.write", retry_on_conflict=True)
def create_prescription(
    tx: Tx, actor: Actor, patient_id: int, *, plan_version: int | None = None
) -> dict[str, Any]:
    """Send the prescription for the active plan; ``replayed`` is true when this plan version
    already had one (then that one is returned and nothing is written)."""
    patient = authorize(tx, actor, "prescription.write", patient_id)
    plan = _active_plan(tx, patient, lock=True)
    if plan_version is not None and plan_version != plan.version:
        raise PreconditionFailed(
            f"the plan changed since the preview (now version {plan.version})",
            fix="look at the new preview, then send it",
        )
    for old in tx.session.scalars(
        select(Prescription).where(Prescription.plan_id == plan.id).order_by(Prescription.id)
    ):
        if old.data.get("plan_version") == plan.version and old.status != "cancelled":
            return {**rx_dict(old), "replayed": True}
    rx = Prescription(
        patient_id=patient.id,
        clinic_id=patient.clinic_id,
        plan_id=plan.id,
        status="issued",
        data={},
        created_at=tx.now,
        created_by=actor.user_id or None,
    )
    tx.session.add(rx)
    tx.session.flush()
    rx.data = {
        **_draft(tx, actor, patient, plan, number=rx.id),
        "fill": 1,
        "dispensed_fills": [],
        "history": [{"status": "issued", "at": tx.now.isoformat(), "by": actor.user_id or None}],
    }
    tx.audit(actor, "create", "prescription", rx.id, patient_id=patient.id)
    notify_new_prescription(tx, actor, rx)  # issue #18: the pharmacists, in this transaction
    return {**rx_dict(rx), "replayed": False}


def load_rx(
    tx: Tx, actor: Actor, permission: str, prescription_id: int
) -> tuple[Prescription, Patient]:
    tx.check_actor(actor)
    rx = tx.session.get(Prescription, prescription_id)
    patient = tx.session.get(Patient, rx.patient_id) if rx else None
    tx.denied_patient = patient.id if patient else None
    require(actor, permission)
    if rx is None or patient is None or not patient_in_scope(actor, patient):
        raise NotFoundError(
            f"no prescription {prescription_id} that you can see", fix="check the id"
        )
    tx.denied_patient = None
    return rx, patient


def _batches(tx: Tx, rx: Prescription) -> list[Batch]:
    return list(
        tx.session.scalars(select(Batch).where(Batch.prescription_id == rx.id).order_by(Batch.id))
    )


@use_case("prescription.read")
def get_prescription(tx: Tx, actor: Actor, prescription_id: int) -> dict[str, Any]:
    """A prescription with its batches and the progress of its current fill."""
    rx, patient = load_rx(tx, actor, "prescription.read", prescription_id)
    tx.audit(actor, "read", "prescription", rx.id, patient_id=patient.id)
    return rx_dict(rx, _batches(tx, rx))


@use_case("prescription.read")
def list_prescriptions(tx: Tx, actor: Actor, patient_id: int) -> list[dict[str, Any]]:
    """A patient's prescriptions, newest first."""
    patient = authorize(tx, actor, "prescription.read", patient_id)
    rows = tx.session.scalars(
        select(Prescription)
        .where(Prescription.patient_id == patient.id)
        .order_by(Prescription.id.desc())
    )
    tx.audit(actor, "read", "prescriptions", patient_id=patient.id)
    return [rx_dict(r) for r in rows]


@use_case("prescription.queue")
def prescription_queue(
    tx: Tx, actor: Actor, *, status: str | None, limit: int, offset: int
) -> Page[dict[str, Any]]:
    """The clinic's prescriptions, oldest first (``status`` 'issued' = still to compound)."""
    tx.check_actor(actor)
    require(actor, "prescription.queue")
    q = select(Prescription).where(Prescription.clinic_id == actor.clinic_id)
    if status:
        q = q.where(
            Prescription.status.in_([status, *(k for k, v in LEGACY.items() if v == status)])
        )
    rows, total = tx.paged(q, Prescription.id, limit=limit, offset=offset)
    tx.audit(actor, "read", "prescriptions", detail="ids=" + ",".join(str(r.id) for r in rows))
    return Page([rx_dict(r) for r in rows], total, limit, offset)


@use_case("prescription.dispense")
def dispense_prescription(tx: Tx, actor: Actor, prescription_id: int) -> dict[str, Any]:
    """Hand the current fill over (only when every strength of it is made)."""
    rx, patient = load_rx(tx, actor, "prescription.dispense", prescription_id)
    batches = _batches(tx, rx)
    check_can_dispense(rx.status)
    fill = int(rx.data.get("fill", 1))
    rx.data = {**rx.data, "dispensed_fills": [*rx.data.get("dispensed_fills", []), fill]}
    _history(rx, tx, actor, "dispensed", f"fill {fill}")
    tx.audit(
        actor,
        "update",
        "prescription",
        rx.id,
        patient_id=patient.id,
        detail=f"dispensed fill {fill}",
    )
    return rx_dict(rx, batches)


@use_case("prescription.cancel")
def cancel_prescription(
    tx: Tx, actor: Actor, prescription_id: int, *, reason: str
) -> dict[str, Any]:
    """Cancel with a reason (not once every fill has been dispensed)."""
    rx, patient = load_rx(tx, actor, "prescription.cancel", prescription_id)
    left = rx_dict(rx)["refills_left"]
    why = check_can_cancel(rx.status, reason=reason[:500], refills_left=left)
    _history(rx, tx, actor, "cancelled", why)
    rx.data = {**rx.data, "cancel_reason": why}
    tx.audit(actor, "update", "prescription", rx.id, patient_id=patient.id, detail="cancelled")
    return rx_dict(rx, _batches(tx, rx))


def check_plan_version(value: object) -> int | None:
    """A plan version from a form ('' = none)."""
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError:
        raise InputError.at("plan_version", "not a plan version", "reload the preview") from None
