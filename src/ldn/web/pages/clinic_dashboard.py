"""Clinician pages, a patient's dashboard: the screen, the medicines as ldn read them (a
clinician's review, the name lookup), diary, plan, prescriptions and trials on one page
(:mod:`ldn.web.pages.clinic`); :func:`_dashboard` is its context, which the pages that
answer a refused form on it reuse."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ldn.domain.adjustments import RULES as ADJUSTMENT_RULES
from ldn.domain.errors import NotFoundError
from ldn.domain.medicines import identify
from ldn.domain.patient import PatientRecord
from ldn.services.clinic import diary, invites, patients, pharmacy, plans, screenings, trials
from ldn.services.standalone.visuals import pain_chart, trial_chart
from ldn.web.render import page
from ldn.web.session import WebActor, require_role, verify_csrf

router = APIRouter(prefix="/clinic", include_in_schema=False)
CSRF = [Depends(verify_csrf)]


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
