"""One run of every notification rule over every clinic (the scheduler calls it each minute).

Patients are evaluated while they have an active plan or a running trial; prescriptions and
batches while they are in the pharmacy's hands. What each rule checks is in
:mod:`ldn.domain.notifications`; :func:`ldn.services.clinic.notifications.enqueue` makes the
notifications that do not exist yet, so running this twice, or on two workers at once, creates
each notification once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from ldn.domain import notifications as rules
from ldn.domain.diary import DiaryEntry
from ldn.domain.errors import InputError
from ldn.domain.notifications import Intent, Thresholds
from ldn.domain.response import assess_response
from ldn.domain.titration import TitrationPlan
from ldn.persistence.tables import Batch, Patient, Plan, Prescription, Trial, User
from ldn.services.clinic.context import Actor, Tx, use_case
from ldn.services.clinic.diary import diary_entries
from ldn.services.clinic.notifications import enqueue, preferences_row, thresholds, zone

__all__ = ["evaluate_rules"]

_OPEN_RX = ("issued", "compounding", "compounded", "ready", "dispensed")


def _patient_side(
    tx: Tx,
    patient: Patient,
    plan: TitrationPlan | None,
    trials: list[Trial],
    entries: list[DiaryEntry],
    rxs: list[Prescription],
    t: Thresholds,
) -> list[Intent]:
    """The patient's own reminders, in the patient's time zone."""
    user = tx.session.scalar(
        select(User).where(User.patient_id == patient.id, User.active.is_(True))
    )
    if user is None:
        return []
    prefs = preferences_row(tx, user.id)
    local = tx.now.astimezone(zone(prefs.time_zone))
    today = local.date()
    pid = patient.id
    out: list[Intent | None] = [
        rules.diary_reminder(
            patient_id=pid,
            now_local=local,
            reminder_time=prefs.reminder_time or tx.settings.notify_reminder_time,
            logged_today=any(e.date == today for e in entries),
        ),
    ]
    if plan is not None:
        steps = [(s.start, s.dose_mg, s.timing) for s in plan.steps]
        out.append(rules.dose_step_day(patient_id=pid, steps=steps, today=today))
        out.append(
            rules.assessment_approaching(
                patient_id=pid,
                assessment_date=plan.assessment_date,
                today=today,
                lead_days=t.assessment_lead_days,
            )
        )
    for rx in rxs:
        fills = [
            (
                int(f["number"]),
                date.fromisoformat(f["first_day"]),
                date.fromisoformat(f["last_day"]),
            )
            for f in rx.data.get("supply", {}).get("fills", [])
        ]
        out.append(
            rules.refill_due(
                patient_id=pid,
                prescription_id=rx.id,
                fills=fills,
                dispensed=[int(n) for n in rx.data.get("dispensed_fills", [])],
                today=today,
                lead_days=t.refill_lead_days,
            )
        )
    for trial in trials:
        periods = [
            (int(p["index"]), str(p["bottle"]), date.fromisoformat(p["start"]))
            for p in trial.design.get("periods", [])
        ]
        out.append(
            rules.trial_period_change(
                patient_id=pid, trial_id=trial.id, periods=periods, today=today
            )
        )
    return [i for i in out if i is not None]


def _clinician_side(
    tx: Tx,
    patient: Patient,
    plan: TitrationPlan | None,
    trials: list[Trial],
    entries: list[DiaryEntry],
    rxs: list[Prescription],
    t: Thresholds,
) -> list[Intent]:
    pid, today = patient.id, tx.today
    name = patient.display_name or patient.record_id
    out: list[Intent | None] = []
    starts = [plan.start] if plan else []
    starts += [date.fromisoformat(tr.design["start"]) for tr in trials if "start" in tr.design]
    if starts:
        out.append(
            rules.diary_gap(
                patient_id=pid,
                name=name,
                last_logged=entries[-1].date if entries else None,
                since=min(starts),
                today=today,
                gap_days=t.diary_gap_days,
            )
        )
    out.append(
        rules.worst_pain_jump(
            patient_id=pid,
            name=name,
            entries=entries,
            jump_points=t.pain_jump_points,
            window_days=t.pain_window_days,
        )
    )
    if plan is not None:
        out.append(
            rules.assessment_due(
                patient_id=pid, name=name, assessment_date=plan.assessment_date, today=today
            )
        )
        if entries:
            try:
                report = assess_response(entries, first_dose=plan.start)
            except InputError:
                report = None
            if report is not None:
                out.append(
                    rules.response_reached(
                        patient_id=pid,
                        name=name,
                        reduction_pct=report.reduction_percent,
                        first_dose=plan.start,
                    )
                )
    for trial in trials:
        periods = trial.design.get("periods", [])
        if periods:
            out.append(
                rules.trial_ready_to_reveal(
                    patient_id=pid,
                    name=name,
                    trial_id=trial.id,
                    status=trial.status,
                    last_day=date.fromisoformat(periods[-1]["end"]),
                    today=today,
                )
            )
    for rx in rxs:
        out.append(
            rules.prescription_waiting(
                patient_id=pid,
                name=name,
                prescription_id=rx.id,
                status=rx.status,
                issued_on=rx.created_at.date(),
                today=today,
                wait_days=t.rx_wait_days,
            )
        )
    return [i for i in out if i is not None]


def _pharmacy_side(
    tx: Tx, patient: Patient, trials: list[Trial], rxs: list[Prescription], t: Thresholds
) -> list[Intent]:
    today, out = tx.today, []
    for rx in rxs:
        out.append(
            rules.new_prescription(
                patient_id=patient.id,
                prescription_id=rx.id,
                issued_on=rx.created_at.date(),
                status=rx.status,
                today=today,
                window_days=t.new_item_days,
            )
        )
        if rx.status == "cancelled":
            continue
        for b in tx.session.scalars(select(Batch).where(Batch.prescription_id == rx.id)):
            if not b.record.get("void"):
                out.append(
                    rules.batch_bud_near(
                        patient_id=patient.id,
                        batch_id=b.id,
                        lot=b.lot,
                        beyond_use=b.beyond_use_date,
                        today=today,
                        lead_days=t.bud_lead_days,
                        prescription_id=rx.id,
                    )
                )
    for trial in trials:
        out.append(
            rules.new_trial(
                patient_id=patient.id,
                trial_id=trial.id,
                created_on=trial.created_at.date(),
                status=trial.status,
                today=today,
                window_days=t.new_item_days,
            )
        )
    return [i for i in out if i is not None]


def _active(tx: Tx) -> list[tuple[Patient, Plan | None, list[Trial], list[Prescription]]]:
    plans = {
        p.patient_id: p for p in tx.session.scalars(select(Plan).where(Plan.status == "active"))
    }
    trials: dict[int, list[Trial]] = {}
    for tr in tx.session.scalars(select(Trial).where(Trial.status == "running").order_by(Trial.id)):
        trials.setdefault(tr.patient_id, []).append(tr)
    rxs: dict[int, list[Prescription]] = {}
    for rx in tx.session.scalars(
        select(Prescription).where(Prescription.status.in_(_OPEN_RX)).order_by(Prescription.id)
    ):
        rxs.setdefault(rx.patient_id, []).append(rx)
    ids = sorted(set(plans) | set(trials) | set(rxs))
    patients = (
        {p.id: p for p in tx.session.scalars(select(Patient).where(Patient.id.in_(ids)))}
        if ids
        else {}
    )
    return [
        (patients[i], plans.get(i), trials.get(i, []), rxs.get(i, [])) for i in ids if i in patients
    ]


@use_case("notification.admin")
def evaluate_rules(tx: Tx, actor: Actor) -> dict[str, Any]:
    """Evaluate every rule for every clinic once; create the notifications that are due and do
    not exist yet. Returns how many patients were looked at and notifications created."""
    t = thresholds(tx)
    created = 0
    rows = _active(tx)
    for patient, plan_row, trials, rxs in rows:
        plan = TitrationPlan.from_dict(plan_row.data["plan"]) if plan_row is not None else None
        entries = diary_entries(tx, patient.id)
        intents = [
            *_patient_side(tx, patient, plan, trials, entries, rxs, t),
            *_clinician_side(tx, patient, plan, trials, entries, rxs, t),
            *_pharmacy_side(tx, patient, trials, rxs, t),
        ]
        created += enqueue(tx, actor, intents, clinic_id=patient.clinic_id)
    if created:  # a run that changed nothing leaves no trace (it runs every minute)
        tx.audit(
            actor, "evaluate", "notification_rules", detail=f"{len(rows)} patients, {created} new"
        )
    return {"patients": len(rows), "created": created}
