"""Clinician pages: the patient list, the screening form, a patient's dashboard, plan and
prescription, and the N-of-1 trial."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ldn.domain.errors import ClinicalRefusal, ConflictError, InputError, LdnError, NotFoundError
from ldn.domain.medicines import identify, medicine_names
from ldn.domain.patient import PatientRecord
from ldn.domain.vocabulary import CONDITIONS, WPI_REGIONS
from ldn.services.clinic import diary, patients, pharmacy, plans, screenings, trials
from ldn.services.visuals import pain_chart, trial_chart
from ldn.web.forms import MED_ROWS, errors_by_field, record_from_form, values
from ldn.web.render import page
from ldn.web.session import WebActor, require_role, verify_csrf

router = APIRouter(prefix="/clinic", include_in_schema=False)
CSRF = [Depends(verify_csrf)]


def _form_context() -> dict[str, Any]:
    conds = sorted(CONDITIONS.values(), key=lambda c: (not c.ldn_relevant, c.display))
    return {"conditions": conds, "regions": WPI_REGIONS, "med_rows": range(MED_ROWS),
            "medicine_names": medicine_names()}  # fmt: skip


def _medicines(record: dict[str, Any]) -> list[dict[str, Any]]:
    """What ldn read in each of the record's medicines (shown beside the record)."""
    meds = PatientRecord.model_validate(record, context={"today": None}).medications
    return [{"index": i, "name": m.name, "explanation": m.identity.explanation(), "identified": m.identified,
             "opioid": m.is_opioid, "naltrexone": "naltrexone" in m.classes, "review": m.review}
            for i, m in enumerate(meds)]  # fmt: skip


@router.get("")
def patient_list(request: Request, actor: WebActor, q: str = "") -> HTMLResponse:
    require_role(actor, "clinician")
    listing = patients.list_patients(
        request.app.state.clinic, actor, limit=200, offset=0, q=q[:100]
    )
    return page(request, "clinic/patients.html", patients=listing.items, total=listing.total, q=q)


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
    except InputError as exc:
        return page(request, "clinic/new_patient.html", status=422, values=values(form), errors=errors_by_field(exc),
                    **_form_context())  # fmt: skip
    screenings.run_screening(clinic, actor, int(created["id"]))
    return RedirectResponse(f"/clinic/patients/{created['id']}", status_code=303)


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
    return {"patient": patient, "screening": screens[0] if screens else None, "plan": plan, "days_logged": len(entries),
            "chart": chart, "response": response, "side_effects": side, "trials": trial_list, "trial_charts": trial_charts,
            "today": clinic.today().isoformat(), "plan_error": "", "trial_error": "", "medicines": _medicines(patient["record"]),
            **extra}  # fmt: skip


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
def review_medication(request: Request, actor: WebActor, pid: int, index: int,
                      contains_opioid: Annotated[str, Form()]) -> Response:  # fmt: skip
    require_role(actor, "clinician")
    clinic = request.app.state.clinic
    patients.review_medication(clinic, actor, pid, index=index, contains_opioid=contains_opioid == "yes",
                               contains_naltrexone=contains_opioid == "naltrexone")  # fmt: skip
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
def create_plan(request: Request, actor: WebActor, pid: int, schedule: Annotated[str, Form()] = "common",
                form: Annotated[str, Form()] = "capsule", start: Annotated[str, Form()] = "",
                acknowledge_review: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    require_role(actor, "clinician")
    options: dict[str, Any] = {
        "schedule": schedule,
        "form": form,
        "acknowledge_review": acknowledge_review == "yes",
    }
    try:
        if start:
            options["start"] = date.fromisoformat(start)
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


@router.post("/patients/{pid}/prescription", dependencies=CSRF)
def prescribe(
    request: Request, actor: WebActor, pid: int, prescriber: Annotated[str, Form()] = ""
) -> Response:
    require_role(actor, "clinician")
    rx = pharmacy.create_prescription(
        request.app.state.clinic, actor, pid, prescriber=prescriber[:200]
    )
    return RedirectResponse(f"/clinic/patients/{pid}?rx={rx['id']}#plan", status_code=303)


@router.post("/patients/{pid}/trial", dependencies=CSRF)
def start_trial(request: Request, actor: WebActor, pid: int, start: Annotated[str, Form()] = "",
                acknowledge_review: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    require_role(actor, "clinician")
    try:
        day = date.fromisoformat(start)
        trials.create_clinic_trial(request.app.state.clinic, actor, pid, start=day, seed=uuid.uuid4().int % 2**31,
                                   acknowledge_review=acknowledge_review == "yes")  # fmt: skip
    except (ClinicalRefusal, ConflictError, ValueError) as exc:
        message = (
            f"Trial: {exc.message} ({exc.fix})"
            if isinstance(exc, LdnError)
            else "Trial start: choose a date"
        )
        return page(request, "clinic/patient.html", status=409 if isinstance(exc, LdnError) else 422,
                    **_dashboard(request, actor, pid, trial_error=message))  # fmt: skip
    return RedirectResponse(f"/clinic/patients/{pid}#trial", status_code=303)


@router.post("/trials/{tid}/reveal", dependencies=CSRF)
def reveal(request: Request, actor: WebActor, tid: int, confirm: Annotated[str, Form()] = "",
           early_stop_reason: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    require_role(actor, "clinician")
    clinic = request.app.state.clinic
    try:
        t = trials.reveal(
            clinic, actor, tid, confirm=confirm == "yes", early_stop_reason=early_stop_reason[:500]
        )
    except ClinicalRefusal as exc:
        pid = int(trials.get_trial(clinic, actor, tid)["patient_id"])
        return page(request, "clinic/patient.html", status=409,
                    **_dashboard(request, actor, pid, trial_error=f"Reveal: {exc.message} ({exc.fix})"))  # fmt: skip
    trials.analyse_clinic_trial(clinic, actor, tid)
    return RedirectResponse(f"/clinic/patients/{t['patient_id']}#trial", status_code=303)
