"""Clinician pages, the records: the patient list, a new patient's record form, editing a
record (a new version, then the screen runs on it) and its history (:mod:`ldn.web.pages.clinic`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ldn.domain.errors import ConflictError, InputError, PreconditionFailed
from ldn.domain.medicines import medicine_names
from ldn.domain.vocabulary import CONDITIONS, WPI_REGIONS
from ldn.services.clinic import patients, screenings
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
