"""Clinician pages: the patient list, the screening form, a patient's dashboard, plan and
prescription, and the N-of-1 trial."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ldn.domain.adjustments import RULES as ADJUSTMENT_RULES
from ldn.domain.errors import (
    ClinicalRefusal,
    ConflictError,
    InputError,
    LdnError,
    NotFoundError,
    PreconditionFailed,
)
from ldn.domain.medicines import identify, medicine_names
from ldn.domain.patient import PatientRecord
from ldn.domain.vocabulary import CONDITIONS, WPI_REGIONS
from ldn.services.clinic import diary, invites, patients, pharmacy, plans, screenings, trials
from ldn.services.standalone.planning import PlanOptions
from ldn.services.standalone.visuals import pain_chart, trial_chart
from ldn.web import dashboard as dashboard_view
from ldn.web.forms import (
    MED_ROWS,
    PRIOR_ROWS,
    errors_by_field,
    merge_record,
    record_from_form,
    values,
    values_from_record,
)
from ldn.web.render import page
from ldn.web.session import WebActor, require_role, verify_csrf

router = APIRouter(prefix="/clinic", include_in_schema=False)
CSRF = [Depends(verify_csrf)]


def _form_context(vals: dict[str, Any] | None = None) -> dict[str, Any]:
    """Choices and row counts for the record form (one empty row more than the record has)."""
    conds = sorted(CONDITIONS.values(), key=lambda c: (not c.ldn_relevant, c.display))
    rows = {
        prefix: 1
        + max(
            (
                int(k.split("[")[1].split("]")[0])
                for k in (vals or {})
                if k.startswith(prefix + "[")
            ),
            default=-1,
        )
        for prefix in ("medications", "prior_treatments")
    }
    return {
        "conditions": conds,
        "regions": WPI_REGIONS,
        "medicine_names": medicine_names(),
        "med_rows": range(max(MED_ROWS, rows["medications"] + 1)),
        "prior_rows": range(max(PRIOR_ROWS, rows["prior_treatments"] + 1)),
    }


def _medicines(record: dict[str, Any]) -> list[dict[str, Any]]:
    """What ldn read in each of the record's medicines (shown beside the record)."""
    meds = PatientRecord.model_validate(record, context={"today": None}).medications
    return [
        {
            "index": i,
            "name": m.name,
            "explanation": m.identity.explanation(),
            "identified": m.identified,
            "opioid": m.is_opioid,
            "naltrexone": "naltrexone" in m.classes,
            "review": m.review,
        }
        for i, m in enumerate(meds)
    ]


@router.get("")
def patient_list(
    request: Request,
    actor: WebActor,
    q: str = "",
    sort: str = "name",
    condition: str = "",
    attention: str = "",
    no_diary_days: str = "",
) -> HTMLResponse:
    """The patient list: sortable columns (``sort``, ``-`` descending) and filters, as query
    parameters (a bookmark keeps them); see :func:`ldn.web.dashboard.list_view`."""
    require_role(actor, "clinician")
    view = dashboard_view.list_view(
        q=q[:100], sort=sort, condition=condition[:60], attention=attention, days=no_diary_days
    )
    clinic = request.app.state.clinic
    listing = patients.list_patients(clinic, actor, limit=200, offset=0, **view.query)
    conditions = _form_context()["conditions"]
    items, total = listing.items, listing.total
    return page(
        request,
        "clinic/patients.html",
        patients=items,
        total=total,
        q=q,
        view=view,
        conditions=conditions,
    )


@router.get("/new")
def new_patient(request: Request, actor: WebActor) -> HTMLResponse:
    require_role(actor, "clinician")
    return page(request, "clinic/new_patient.html", values={}, errors={}, **_form_context())


@router.post("/new", dependencies=CSRF)
async def create_patient(request: Request, actor: WebActor) -> Response:
    require_role(actor, "clinician")
    form = await request.form()
    clinic = request.app.state.clinic
    try:
        record = record_from_form(form)
        created = patients.create_patient(clinic, actor, record=record)
    except (InputError, ConflictError) as exc:
        errors = (
            errors_by_field(exc)
            if isinstance(exc, InputError)
            else {"id": f"{exc.message} — use another number, or leave it blank"}
        )
        vals = values(form)
        return page(
            request,
            "clinic/new_patient.html",
            status=422 if isinstance(exc, InputError) else 409,
            values=vals,
            errors=errors,
            **_form_context(vals),
        )
    screenings.run_screening(clinic, actor, int(created["id"]))
    return RedirectResponse(f"/clinic/patients/{created['id']}", status_code=303)


@router.get("/patients/{pid}/edit")
def edit_record(request: Request, actor: WebActor, pid: int) -> HTMLResponse:
    require_role(actor, "clinician")
    patient = patients.get_patient(request.app.state.clinic, actor, pid)
    vals = values_from_record(patient["record"])
    return page(
        request,
        "clinic/new_patient.html",
        values=vals,
        errors={},
        editing=True,
        version=patient["record_version"],
        action=f"/clinic/patients/{pid}/edit",
        **_form_context(vals),
    )


@router.post("/patients/{pid}/edit", dependencies=CSRF)
async def save_record(request: Request, actor: WebActor, pid: int) -> Response:
    """A new version of the record (the old one is kept), then the screen runs on it."""
    require_role(actor, "clinician")
    form = await request.form()
    clinic = request.app.state.clinic
    current = patients.get_patient(clinic, actor, pid)
    version = str(form.get("version") or "")
    try:
        edited = merge_record(current["record"], record_from_form(form))
        patients.update_record(
            clinic,
            actor,
            pid,
            record=edited,
            if_version=int(version) if version.isdigit() else None,
        )
    except (InputError, PreconditionFailed) as exc:
        errors = (
            errors_by_field(exc)
            if isinstance(exc, InputError)
            else {"form": f"{exc.message} — {exc.fix}"}
        )
        vals = values(form)
        return page(
            request,
            "clinic/new_patient.html",
            status=422 if isinstance(exc, InputError) else 412,
            values=vals,
            errors=errors,
            editing=True,
            version=version,
            action=f"/clinic/patients/{pid}/edit",
            **_form_context(vals),
        )
    screenings.run_screening(clinic, actor, pid)
    return RedirectResponse(f"/clinic/patients/{pid}", status_code=303)


@router.get("/patients/{pid}/history")
def record_history(request: Request, actor: WebActor, pid: int) -> HTMLResponse:
    require_role(actor, "clinician")
    clinic = request.app.state.clinic
    patient = patients.get_patient(clinic, actor, pid)
    return page(
        request,
        "clinic/history.html",
        patient=patient,
        versions=patients.record_history(clinic, actor, pid),
    )


def _dashboard(request: Request, actor: Any, pid: int, **extra: Any) -> dict[str, Any]:
    clinic = request.app.state.clinic
    patient = patients.get_patient(clinic, actor, pid)
    screens = screenings.list_screenings(clinic, actor, pid, limit=1, offset=0).items
    try:
        plan: dict[str, Any] | None = plans.get_plan(clinic, actor, pid)
    except NotFoundError:
        plan = None
    entries = diary.diary_history(clinic, actor, pid)
    chart, response = pain_chart(entries)
    trial_list = trials.list_trials(clinic, actor, pid)
    trial_charts = {t["id"]: trial_chart(entries, t) for t in trial_list if t.get("analysis")}
    side: dict[str, int] = {}
    for e in entries:
        for s in e.side_effects:
            side[s] = side.get(s, 0) + 1
    return {
        "patient": patient,
        "screening": screens[0] if screens else None,
        "plan": plan,
        "days_logged": len(entries),
        "chart": chart,
        "response": response,
        "side_effects": side,
        "trials": trial_list,
        "trial_charts": trial_charts,
        "today": clinic.today().isoformat(),
        "plan_error": "",
        "trial_error": "",
        "medicines": _medicines(patient["record"]),
        "prescriptions": pharmacy.list_prescriptions(clinic, actor, pid),
        "adjust_options": ADJUSTMENT_RULES,
        "access": invites.list_invites(clinic, actor, pid),
        **extra,
    }


@router.get("/patients/{pid}")
def dashboard(request: Request, actor: WebActor, pid: int) -> HTMLResponse:
    require_role(actor, "clinician")
    return page(request, "clinic/patient.html", **_dashboard(request, actor, pid))


@router.post("/patients/{pid}/screen", dependencies=CSRF)
def rescreen(request: Request, actor: WebActor, pid: int) -> Response:
    require_role(actor, "clinician")
    screenings.run_screening(request.app.state.clinic, actor, pid)
    return RedirectResponse(f"/clinic/patients/{pid}", status_code=303)


@router.post("/patients/{pid}/medications/{index}/review", dependencies=CSRF)
def review_medication(
    request: Request, actor: WebActor, pid: int, index: int, contains_opioid: Annotated[str, Form()]
) -> Response:
    require_role(actor, "clinician")
    clinic = request.app.state.clinic
    patients.review_medication(
        clinic,
        actor,
        pid,
        index=index,
        contains_opioid=contains_opioid == "yes",
        contains_naltrexone=contains_opioid == "naltrexone",
    )
    screenings.run_screening(clinic, actor, pid)
    return RedirectResponse(f"/clinic/patients/{pid}", status_code=303)


@router.get("/medicines/lookup")
def medicine_lookup(request: Request, actor: WebActor) -> HTMLResponse:
    """What ldn reads in a medicine name (htmx sends the field, ``medications[i].name``)."""
    require_role(actor, "clinician")
    name = next(
        (v for k, v in request.query_params.items() if k == "name" or k.endswith(".name")), ""
    )
    if not name.strip():
        return HTMLResponse("")
    m = identify(name[:200])
    return page(request, "clinic/_medicine_match.html", m=m)


@router.post("/patients/{pid}/plan", dependencies=CSRF)
def create_plan(
    request: Request,
    actor: WebActor,
    pid: int,
    schedule: Annotated[str, Form()] = "common",
    form: Annotated[str, Form()] = "capsule",
    start: Annotated[str, Form()] = "",
    acknowledge_review: Annotated[str, Form()] = "",
) -> Response:
    require_role(actor, "clinician")
    try:
        options = PlanOptions(
            schedule=schedule,
            form=form,
            start=date.fromisoformat(start) if start else None,
            acknowledge_review=acknowledge_review == "yes",
        )
        plans.create_plan(request.app.state.clinic, actor, pid, options=options)
    except (InputError, ClinicalRefusal, ValueError) as exc:
        message = (
            exc.message
            if isinstance(exc, (InputError, ClinicalRefusal))
            else "write the start date as YYYY-MM-DD"
        )
        return page(
            request,
            "clinic/patient.html",
            status=422,
            **_dashboard(request, actor, pid, plan_error=message),
        )
    return RedirectResponse(f"/clinic/patients/{pid}#plan", status_code=303)


@router.post("/patients/{pid}/plan/adjust", dependencies=CSRF)
def adjust_plan(
    request: Request,
    actor: WebActor,
    pid: int,
    side_effect: Annotated[str, Form(max_length=40)] = "",
    on: Annotated[str, Form(max_length=20)] = "",
    severe: Annotated[str, Form(max_length=5)] = "",
    version: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """A side effect's dose change (``ldn.domain.adjustments``) through the same use case and
    start guard as ``POST /api/v1/patients/{id}/plan/adjustments``; a refusal keeps the form."""
    require_role(actor, "clinician")
    clinic = request.app.state.clinic
    try:
        day = date.fromisoformat(on) if on else clinic.today()
        plans.adjust_plan(
            clinic,
            actor,
            pid,
            side_effect=side_effect,
            on=day,
            severe=severe == "yes",
            if_version=int(version) if version.isdigit() else None,
        )
    except (InputError, ClinicalRefusal, ConflictError, ValueError) as exc:
        message = (
            f"{exc.message} — {exc.fix}"
            if isinstance(exc, LdnError)
            else "write the date as YYYY-MM-DD"
        )
        status = exc.status if isinstance(exc, LdnError) else 422
        kept = {"side_effect": side_effect, "on": on, "severe": severe == "yes"}
        return page(
            request,
            "clinic/patient.html",
            status=status,
            **_dashboard(request, actor, pid, adjust_error=message, adjust_values=kept),
        )
    return RedirectResponse(f"/clinic/patients/{pid}#plan", status_code=303)


@router.post("/patients/{pid}/trial", dependencies=CSRF)
def start_trial(
    request: Request,
    actor: WebActor,
    pid: int,
    start: Annotated[str, Form()] = "",
    acknowledge_review: Annotated[str, Form()] = "",
) -> Response:
    require_role(actor, "clinician")
    try:
        day = date.fromisoformat(start)
        trials.create_clinic_trial(
            request.app.state.clinic,
            actor,
            pid,
            start=day,
            seed=uuid.uuid4().int % 2**31,
            acknowledge_review=acknowledge_review == "yes",
        )
    except (ClinicalRefusal, ConflictError, ValueError) as exc:
        message = (
            f"Trial: {exc.message} ({exc.fix})"
            if isinstance(exc, LdnError)
            else "Trial start: choose a date"
        )
        return page(
            request,
            "clinic/patient.html",
            status=409 if isinstance(exc, LdnError) else 422,
            **_dashboard(request, actor, pid, trial_error=message),
        )
    return RedirectResponse(f"/clinic/patients/{pid}#trial", status_code=303)


@router.post("/trials/{tid}/reveal", dependencies=CSRF)
def reveal(
    request: Request,
    actor: WebActor,
    tid: int,
    confirm: Annotated[str, Form()] = "",
    early_stop_reason: Annotated[str, Form()] = "",
) -> Response:
    require_role(actor, "clinician")
    clinic = request.app.state.clinic
    try:
        t = trials.reveal(
            clinic, actor, tid, confirm=confirm == "yes", early_stop_reason=early_stop_reason[:500]
        )
    except ClinicalRefusal as exc:
        pid = int(trials.get_trial(clinic, actor, tid)["patient_id"])
        return page(
            request,
            "clinic/patient.html",
            status=409,
            **_dashboard(request, actor, pid, trial_error=f"Reveal: {exc.message} ({exc.fix})"),
        )
    trials.analyse_clinic_trial(clinic, actor, tid)
    return RedirectResponse(f"/clinic/patients/{t['patient_id']}#trial", status_code=303)
