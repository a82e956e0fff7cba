"""Clinician pages, treatment from a patient's dashboard: a titration plan and a side
effect's dose change, an N-of-1 trial and its reveal (:mod:`ldn.web.pages.clinic`). A refused
form is answered on the dashboard with the reason beside it."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from ldn.domain.errors import ClinicalRefusal, ConflictError, InputError, LdnError
from ldn.services.clinic import plans, trials
from ldn.services.standalone.planning import PlanOptions
from ldn.web.pages.clinic_dashboard import _dashboard
from ldn.web.render import page
from ldn.web.session import WebActor, require_role, verify_csrf

router = APIRouter(prefix="/clinic", include_in_schema=False)
CSRF = [Depends(verify_csrf)]


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
