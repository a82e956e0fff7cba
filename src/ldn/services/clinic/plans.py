"""Titration plans: made by the domain planner, kept with a version that is their ETag.

An update must say which version it read (``If-Match``); if another clinician changed the plan
in between, the update is refused (412) instead of silently overwriting their change.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import date
from typing import Any

from sqlalchemy import select

from ldn.domain.adjustments import adjust
from ldn.domain.errors import InputError, NotFoundError, PreconditionFailed, PreconditionRequired
from ldn.domain.outcomes import STOP_REASONS
from ldn.domain.screening import screen
from ldn.domain.start_guard import decide_start
from ldn.domain.titration import TitrationPlan
from ldn.persistence.tables import Plan, PlanAdjustment
from ldn.services.clinic.access import authorize
from ldn.services.clinic.context import Actor, Tx, use_case
from ldn.services.clinic.patients import load_record
from ldn.services.standalone.planning import PlanOptions, make_plan

__all__ = ["adjust_plan", "create_plan", "get_plan", "plan_options", "stop_plan", "update_plan"]

_OPTION_NAMES = {f.name for f in fields(PlanOptions)}


def plan_options(data: dict[str, Any]) -> PlanOptions:
    """Plan options from JSON (dates as ISO text); unknown names are refused by name."""
    unknown = sorted(set(data) - _OPTION_NAMES)
    if unknown:
        raise InputError.at(
            unknown[0], "unknown plan option", f"use: {', '.join(sorted(_OPTION_NAMES))}"
        )
    values = dict(data)
    if isinstance(values.get("start"), str):
        try:
            values["start"] = date.fromisoformat(values["start"])
        except ValueError:
            raise InputError.at(
                "start", f"{values['start']!r} is not a date", "write YYYY-MM-DD"
            ) from None
    return PlanOptions(**values)


def _options_json(opts: PlanOptions) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(opts).items()}


def _dict(p: Plan) -> dict[str, Any]:
    data = dict(p.data)
    record_id = data.pop("patient_id", None)  # the plan document names the record, not the row
    return {
        **data,
        "id": p.id,
        "patient_id": p.patient_id,
        "record_id": record_id,
        "version": p.version,
        "status": p.status,
        "options": p.options,
        "updated_at": p.updated_at.isoformat(),
    }


def _active(tx: Tx, patient_id: int) -> Plan:
    plan = tx.session.scalar(
        select(Plan).where(Plan.patient_id == patient_id, Plan.status == "active")
    )
    if plan is None:
        raise NotFoundError("this patient has no active plan", fix="create one: POST .../plan")
    return plan


@use_case("plan.write")
def create_plan(
    tx: Tx, actor: Actor, patient_id: int, *, options: PlanOptions | dict[str, Any]
) -> dict[str, Any]:
    """Screen and plan from the current record; an earlier active plan is superseded.
    ``options``: typed, or as JSON (the API's body; unknown names refused by name)."""
    patient = authorize(tx, actor, "plan.write", patient_id)
    opts = options if isinstance(options, PlanOptions) else plan_options(options)
    bundle = make_plan(load_record(tx, patient), opts, today=tx.today)
    for old in tx.session.scalars(
        select(Plan).where(Plan.patient_id == patient.id, Plan.status == "active")
    ):
        old.status = "superseded"
    opts_json = _options_json(opts)
    plan = Plan(
        patient_id=patient.id,
        version=1,
        status="active",
        options=opts_json,
        data=bundle.as_dict(),
        created_at=tx.now,
        updated_at=tx.now,
        updated_by=actor.user_id or None,
    )
    tx.session.add(plan)
    tx.session.flush()
    tx.audit(actor, "create", "plan", plan.id, patient_id=patient.id)
    return _dict(plan)


@use_case("plan.read")
def get_plan(tx: Tx, actor: Actor, patient_id: int) -> dict[str, Any]:
    patient = authorize(tx, actor, "plan.read", patient_id)
    plan = _active(tx, patient.id)
    tx.audit(actor, "read", "plan", plan.id, patient_id=patient.id)
    return _dict(plan)


def _check_version(plan: Plan, if_version: int | None) -> None:
    if if_version is None:
        raise PreconditionRequired(
            "a plan update must say which version it changes",
            fix="send the ETag from GET .../plan in an If-Match header",
        )
    if if_version != plan.version:
        raise PreconditionFailed(
            f"the plan changed since you read it (now version {plan.version})",
            fix="reload the plan, re-apply your change, send the new ETag",
        )


@use_case("plan.write")
def update_plan(
    tx: Tx, actor: Actor, patient_id: int, *, options: dict[str, Any], if_version: int | None
) -> dict[str, Any]:
    """Re-plan with new options (schedule, form, start), guarded by the version read."""
    patient = authorize(tx, actor, "plan.write", patient_id)
    plan = _active(tx, patient.id)
    _check_version(plan, if_version)
    opts = plan_options({**plan.options, **options})
    bundle = make_plan(load_record(tx, patient), opts, today=tx.today)
    plan.options = _options_json(opts)
    plan.data = bundle.as_dict()
    plan.version += 1
    plan.updated_at, plan.updated_by = tx.now, actor.user_id or None
    tx.audit(actor, "update", "plan", plan.id, patient_id=patient.id)
    return _dict(plan)


@use_case("plan.write")
def adjust_plan(
    tx: Tx,
    actor: Actor,
    patient_id: int,
    *,
    side_effect: str,
    on: date,
    severe: bool,
    if_version: int | None,
) -> dict[str, Any]:
    """Apply the side-effect rules (``ldn.domain.adjustments``) to the active plan.

    A dose change passes the same start guard as the plan (the current record screened today):
    not when LDN is now contraindicated, inside an opioid washout, or with an unidentified medicine.
    """
    patient = authorize(tx, actor, "plan.write", patient_id)
    plan = _active(tx, patient.id)
    _check_version(plan, if_version)
    report = screen(load_record(tx, patient), today=tx.today)
    decide_start(
        report, requested=max(on, tx.today), today=tx.today, acknowledged=True, what="a dose change"
    )
    before = TitrationPlan.from_dict(plan.data["plan"])
    after = adjust(before, side_effect=side_effect, on=on, severe=severe)
    plan.data = {**plan.data, "plan": after.as_dict()}
    plan.version += 1
    plan.updated_at, plan.updated_by = tx.now, actor.user_id or None
    tx.session.add(
        PlanAdjustment(
            plan_id=plan.id,
            kind=side_effect,
            request={"side_effect": side_effect, "on": on.isoformat(), "severe": severe},
            result=after.as_dict(),
            created_at=tx.now,
            created_by=actor.user_id or None,
        )
    )
    tx.audit(
        actor, "update", "plan", plan.id, patient_id=patient.id, detail=f"adjust={side_effect}"
    )
    return _dict(plan)


@use_case("plan.write")
def stop_plan(
    tx: Tx,
    actor: Actor,
    patient_id: int,
    *,
    reason: str,
    note: str = "",
    on: date | None = None,
    if_version: int | None,
) -> dict[str, Any]:
    """Record that the patient stopped LDN: the active plan ends on ``on`` (the last day on LDN,
    default today) with a coded ``reason`` (:data:`ldn.domain.outcomes.STOP_REASONS`) and the
    clinician's ``note``. A later plan (``create_plan``) restarts LDN."""
    patient = authorize(tx, actor, "plan.write", patient_id)
    if reason not in STOP_REASONS:
        raise InputError.at(
            "reason",
            f"unknown reason for stopping {reason!r}",
            f"use one of: {', '.join(STOP_REASONS)}",
        )
    day = on or tx.today
    if day > tx.today:
        raise InputError.at(
            "on", f"{day.isoformat()} is in the future", "record a stop that has happened"
        )
    text = note.strip()
    if len(text) > 2000:
        raise InputError.at("note", "the note is longer than 2000 characters", "shorten it")
    if reason == "other" and not text:
        raise InputError.at(
            "note", "say why (the reason is 'other')", "write the reason in the note"
        )
    plan = _active(tx, patient.id)
    _check_version(plan, if_version)
    plan.status, plan.stopped_on, plan.stop_reason, plan.stop_note = "stopped", day, reason, text
    plan.version += 1
    plan.updated_at, plan.updated_by = tx.now, actor.user_id or None
    tx.audit(actor, "update", "plan", plan.id, patient_id=patient.id, detail=f"stop={reason}")
    return {**_dict(plan), "stopped_on": day.isoformat(), "stop_reason": reason, "stop_note": text}
