"""The clinic outcomes page (clinicians and admins) and the clinician's "stopped LDN" form."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ldn.domain.errors import InputError, NotFoundError, PreconditionFailed
from ldn.domain.outcomes import STOP_REASONS
from ldn.services.clinic import outcomes, plans
from ldn.services.standalone.outcome_charts import outcome_charts
from ldn.web.render import env, page
from ldn.web.session import WebActor, require_role, verify_csrf

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
CSRF = [Depends(verify_csrf)]
#: the coded reasons, for the "stopped LDN" form on the clinician's patient page
env.globals.setdefault("stop_reasons", STOP_REASONS)


@router.get("/clinic/outcomes")
def outcomes_page(request: Request, actor: WebActor, condition: str = "") -> HTMLResponse:
    require_role(actor, "clinician", "admin")
    report = outcomes.clinic_outcomes(
        request.app.state.clinic, actor, condition=condition[:60] or None
    )
    sections = ([report["all"]] if report["all"] else []) + report["conditions"]
    charts = {s["condition"]: outcome_charts(s) for s in sections}
    return page(request, "clinic/outcomes.html", report=report, sections=sections, charts=charts)


@router.post("/clinic/patients/{pid}/plan/stop", dependencies=CSRF)
def stop_plan(
    request: Request,
    actor: WebActor,
    pid: int,
    reason: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    on: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
) -> Response:
    """The clinician records that the patient stopped LDN (a refusal comes back as a page)."""
    require_role(actor, "clinician")
    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        day = None
        error = "Stop: write the last day on LDN as YYYY-MM-DD"
    else:
        error = ""
    if not error:
        try:
            plans.stop_plan(
                request.app.state.clinic,
                actor,
                pid,
                reason=reason,
                note=note[:2000],
                on=day,
                if_version=int(version) if version.isdigit() else None,
            )
        except (InputError, PreconditionFailed, NotFoundError) as exc:
            error = f"Stop: {exc.message} ({exc.fix})"
    if error:
        from ldn.web.pages.clinic import _dashboard

        return page(
            request,
            "clinic/patient.html",
            status=422,
            **_dashboard(request, actor, pid, plan_error=error),
        )
    return RedirectResponse(f"/clinic/patients/{pid}#plan", status_code=303)
