"""Compounded batches of a prescription: the worksheet before, the batch record and label after.

The pharmacist first sees the worksheet for what the current fill still needs (strength by
strength; the count defaults to the prescription's quantity), then records the batch with its
lot: the record keeps the worksheet as made, the fill and strength it counts for, and the
dispensing label (lot, Rx number, patient, directions with route and time, beyond-use date,
storage, "compounded", pharmacy and prescriber). A batch can be voided with a reason (it no
longer counts), and a second pharmacist can record that they checked it.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import select

from ldn.domain.compounding import BatchRecord, Supply, capsule_batch, liquid_batch
from ldn.domain.dispensing import LEGACY, status_for, strength_key
from ldn.domain.errors import ConflictError, InputError, NotFoundError
from ldn.domain.labels import DispensingLabel, Pharmacy, label_directions
from ldn.domain.titration import TitrationPlan
from ldn.persistence.tables import Batch, Patient, Prescription, User
from ldn.services.clinic.context import Actor, Tx, use_case
from ldn.services.clinic.prescriptions import (
    batch_dict,
    cancel_prescription,
    create_prescription,
    dispense_prescription,
    get_prescription,
    list_prescriptions,
    load_rx,
    prescription_queue,
    preview_prescription,
    progress,
    rx_supply,
)

__all__ = [
    "cancel_prescription",
    "create_batch",
    "create_prescription",
    "dispense_prescription",
    "get_prescription",
    "list_batches",
    "list_prescriptions",
    "prescription_queue",
    "preview_prescription",
    "user_name",
    "verify_batch",
    "void_batch",
    "worksheet",
]  # fmt: skip

ApiSource = Literal["powder_hcl", "powder_hcl_dihydrate", "tablets_50mg"]


def user_name(tx: Tx, user_id: int | None) -> str:
    user = tx.session.get(User, user_id) if user_id else None
    return (user.display_name or user.email) if user else ""


def _batches(tx: Tx, rx: Prescription) -> list[Batch]:
    return list(
        tx.session.scalars(select(Batch).where(Batch.prescription_id == rx.id).order_by(Batch.id))
    )


def _fill_for_new_batch(rx: Prescription, batches: list[Batch]) -> int:
    """The fill a new batch counts for: the current one, or the next after a dispensed fill."""
    status = LEGACY.get(rx.status, rx.status)
    fill, total = int(rx.data.get("fill", 1)), len(rx.data.get("supply", {}).get("fills", [])) or 1
    if status == "cancelled":
        raise ConflictError(
            "this prescription was cancelled", fix="ask the prescriber for a new one"
        )
    if status == "dispensed":
        if fill >= total:
            raise ConflictError(
                "every fill of this prescription has been dispensed",
                fix="ask the prescriber for a new one",
            )
        return fill + 1
    return fill


def _plan(
    tx: Tx,
    rx: Prescription,
    patient: Patient,
    batches: list[Batch],
    *,
    strength_mg: float | None,
    count: int | None,
    volume_ml: float | None,
    api: ApiSource,
    lot: str,
    tablet_mass_mg: float | None = None,
) -> tuple[int, str, BatchRecord, DispensingLabel, list[str]]:
    """The fill, strength key, worksheet, label and warnings of the next batch."""
    fill_no = _fill_for_new_batch(rx, batches)
    form = str(rx.data["form"])
    prog = {p.key: p for p in progress(rx, batches, fill=fill_no)}
    name = patient.display_name or patient.record_id
    if form == "liquid":
        key = "liquid"
        p = prog.get(key)
        volume = volume_ml if volume_ml is not None else ((p.remaining or p.needed) if p else 100.0)
        record = liquid_batch(volume_ml=volume, compounded_on=tx.today, patient=name)
        strength, quantity = 1.0, f"{volume:g} mL"
    else:
        todo = [float(k) for k, v in prog.items() if not v.done] or [float(k) for k in prog]
        strength = strength_mg if strength_mg is not None else todo[0]
        key = strength_key(strength)
        if key not in prog:
            raise InputError.at(
                "strength_mg",
                f"{strength:g} mg is not on this prescription",
                f"use one of {', '.join(prog)} mg",
            )
        n = count if count is not None else int(prog[key].remaining or prog[key].needed)
        record = capsule_batch(
            strength_mg=strength,
            count=n,
            compounded_on=tx.today,
            api=api,
            patient=name,
            tablet_mass_mg=tablet_mass_mg,
        )
        quantity = f"{n} capsules"
    supply: Supply | None = rx_supply(rx)
    warnings: list[str] = []
    if supply is not None:
        fill = supply.fills[fill_no - 1]
        last = min(fill.last_day, record.beyond_use)
        if record.beyond_use < fill.last_day:
            warnings.append(
                f"This batch's beyond-use date {record.beyond_use.isoformat()} is before the fill's last day "
                f"{fill.last_day.isoformat()}: the patient needs the next batch by then."
            )
        plan = TitrationPlan.from_dict(rx.data["plan"])
        directions = label_directions(
            plan,
            supply=supply,
            strength_mg=strength,
            first=max(fill.first_day, tx.today),
            last=last,
        )
    else:  # a prescription from before supply planning
        directions = "Take by mouth once daily as your schedule shows."
    medicine = (
        "Naltrexone HCl 1 mg/mL oral liquid"
        if form == "liquid"
        else f"Naltrexone HCl {strength:g} mg capsules"
    ) + " (low-dose naltrexone)"
    label = DispensingLabel(
        Pharmacy(tx.settings.pharmacy_name, tx.settings.pharmacy_phone),
        f"Rx {rx.id}",
        lot.strip() or "(lot)",
        name,
        medicine,
        quantity,
        directions,
        tx.today,
        record.beyond_use,
        record.storage,
        str(rx.data.get("prescriber", {}).get("name", "")),
        liquid=form == "liquid",
    )
    return fill_no, key, record, label, warnings


@use_case("batch.read")
def worksheet(
    tx: Tx,
    actor: Actor,
    prescription_id: int,
    *,
    strength_mg: float | None = None,
    count: int | None = None,
    volume_ml: float | None = None,
    api: ApiSource = "powder_hcl",
    tablet_mass_mg: float | None = None,
) -> dict[str, Any]:
    """What to weigh for the next batch (nothing is recorded): the worksheet for the strength
    still to make (or ``strength_mg``) in the quantity the fill still needs (or ``count``)."""
    rx, patient = load_rx(tx, actor, "batch.read", prescription_id)
    batches = _batches(tx, rx)
    fill_no, key, record, label, warnings = _plan(
        tx,
        rx,
        patient,
        batches,
        strength_mg=strength_mg,
        count=count,
        volume_ml=volume_ml,
        api=api,
        lot="",
        tablet_mass_mg=tablet_mass_mg,
    )
    tx.audit(actor, "read", "worksheet", rx.id, patient_id=patient.id)
    return {
        "prescription_id": rx.id,
        "fill": fill_no,
        "strength": key,
        "units": record.units,
        "api": api,
        "worksheet": record.as_dict(),
        "markdown": record.as_markdown(),
        "label": label.fields(),
        "label_text": label.text(),
        "warnings": warnings,
    }


def _set_status(tx: Tx, actor: Actor, rx: Prescription, batches: list[Batch]) -> None:
    new = status_for(progress(rx, batches))
    if new != LEGACY.get(rx.status, rx.status):
        rx.status = new
        rx.data = {
            **rx.data,
            "history": [
                *rx.data.get("history", []),
                {"status": new, "at": tx.now.isoformat(), "by": actor.user_id or None},
            ],
        }


@use_case("batch.write")
def create_batch(
    tx: Tx,
    actor: Actor,
    prescription_id: int,
    *,
    lot: str,
    strength_mg: float | None = None,
    count: int | None = None,
    volume_ml: float | None = None,
    api: ApiSource = "powder_hcl",
    tablet_mass_mg: float | None = None,
) -> dict[str, Any]:
    """Record a compounded batch (the worksheet as made today), its lot, label and BUD."""
    rx, patient = load_rx(tx, actor, "batch.write", prescription_id)
    if not lot.strip():
        raise InputError.at(
            "lot", "the batch needs a lot number", "write the lot from your batch log"
        )
    batches = _batches(tx, rx)
    fill_no, key, record, label, _ = _plan(
        tx,
        rx,
        patient,
        batches,
        strength_mg=strength_mg,
        count=count,
        volume_ml=volume_ml,
        api=api,
        lot=lot,
        tablet_mass_mg=tablet_mass_mg,
    )
    data = {**record.as_dict(), "label": label.text(), "dispensing_label": label.fields(), "fill_number": fill_no,
            "strength_key": key, "units": record.units, "compounded_by": user_name(tx, actor.user_id),
            "void": None, "verification": None}  # fmt: skip
    batch = Batch(
        prescription_id=rx.id,
        clinic_id=rx.clinic_id,
        lot=lot.strip()[:60],
        beyond_use_date=record.beyond_use,
        record=data,
        created_at=tx.now,
        created_by=actor.user_id or None,
    )
    tx.session.add(batch)
    tx.session.flush()
    if fill_no != int(rx.data.get("fill", 1)):
        rx.data = {**rx.data, "fill": fill_no}
    _set_status(tx, actor, rx, [*batches, batch])
    tx.audit(actor, "create", "batch", batch.id, patient_id=patient.id)
    return batch_dict(batch)


def _load_batch(
    tx: Tx, actor: Actor, prescription_id: int, batch_id: int
) -> tuple[Prescription, Patient, Batch]:
    rx, patient = load_rx(tx, actor, "batch.write", prescription_id)
    batch = tx.session.get(Batch, batch_id)
    if batch is None or batch.prescription_id != rx.id:
        raise NotFoundError(
            f"no batch {batch_id} on prescription {rx.id}", fix="check the batch id"
        )
    return rx, patient, batch


@use_case("batch.write")
def void_batch(
    tx: Tx, actor: Actor, prescription_id: int, batch_id: int, *, reason: str
) -> dict[str, Any]:
    """Void a batch with a reason: it stays on record but no longer counts for the fill."""
    rx, patient, batch = _load_batch(tx, actor, prescription_id, batch_id)
    if batch.record.get("void"):
        raise ConflictError("this batch is already void", fix="nothing to do")
    fill = int(batch.record.get("fill_number", 1))
    if fill in rx.data.get("dispensed_fills", []):
        raise ConflictError(
            "this batch was dispensed; it cannot be voided",
            fix="recall it through your pharmacy's procedure",
        )
    if not reason.strip():
        raise InputError.at(
            "reason", "say why the batch is void", "e.g. 'weighing error', 'spilled'"
        )
    batch.record = {
        **batch.record,
        "void": {
            "reason": reason.strip()[:500],
            "at": tx.now.isoformat(),
            "by": actor.user_id or None,
            "by_name": user_name(tx, actor.user_id),
        },
    }
    if fill == int(rx.data.get("fill", 1)) and LEGACY.get(rx.status, rx.status) in (
        "issued",
        "compounding",
        "ready",
    ):
        _set_status(tx, actor, rx, _batches(tx, rx))
    tx.audit(actor, "update", "batch", batch.id, patient_id=patient.id, detail="void")
    return batch_dict(batch)


@use_case("batch.write")
def verify_batch(tx: Tx, actor: Actor, prescription_id: int, batch_id: int) -> dict[str, Any]:
    """A second pharmacist records that they checked the batch (never its compounder)."""
    _, patient, batch = _load_batch(tx, actor, prescription_id, batch_id)
    if batch.record.get("verification"):
        raise ConflictError("this batch was already checked", fix="nothing to do")
    if batch.created_by == actor.user_id:
        raise ConflictError(
            "you compounded this batch: the check must be done by a second person",
            fix="ask another pharmacist to log in and check it",
        )
    if batch.record.get("void"):
        raise ConflictError("this batch is void", fix="check a valid batch")
    batch.record = {
        **batch.record,
        "verification": {
            "by": actor.user_id or None,
            "by_name": user_name(tx, actor.user_id),
            "at": tx.now.isoformat(),
        },
    }
    tx.audit(actor, "update", "batch", batch.id, patient_id=patient.id, detail="verified")
    return batch_dict(batch)


@use_case("batch.read")
def list_batches(tx: Tx, actor: Actor, prescription_id: int) -> list[dict[str, Any]]:
    rx, patient = load_rx(tx, actor, "batch.read", prescription_id)
    tx.audit(actor, "read", "batches", rx.id, patient_id=patient.id)
    return [batch_dict(b) for b in _batches(tx, rx)]
