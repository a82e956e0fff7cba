"""Patient pages: today's diary (quick on a phone, safe to submit twice), my plan and calendar,
my progress, my trial (blinded: bottle A or B only)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from importlib.resources import files
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup

from ldn.domain.compounding import Supply, plan_supply
from ldn.domain.cost import monthly_cost
from ldn.domain.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from ldn.domain.patient import PatientRecord
from ldn.domain.titration import TitrationPlan
from ldn.interop.handout import HandoutContext, evidence_lines, render_handout
from ldn.interop.ical import plan_calendar
from ldn.services.clinic import diary, patients, plans, trials
from ldn.services.clinic.context import Actor
from ldn.services.standalone.visuals import pain_chart
from ldn.web.render import page
from ldn.web.session import WebActor, require_role, verify_csrf

router = APIRouter(prefix="/me", include_in_schema=False)
SIDE_EFFECTS = ("vivid_dreams", "insomnia", "tiredness", "headache", "nausea", "other")


def _pid(actor: Actor) -> int:
    if actor.patient_id is None:
        raise PermissionDeniedError("this page is for patient logins", fix="go to your home page")
    return int(actor.patient_id)


def _entries(request: Request, actor: Actor) -> list[dict[str, Any]]:
    return list(
        diary.list_diary(
            request.app.state.clinic, actor, _pid(actor), start=None, end=None, limit=2000, offset=0
        ).items
    )


def _today_page(
    request: Request,
    actor: Any,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    status: int = 200,
) -> HTMLResponse:
    clinic = request.app.state.clinic
    today = clinic.today()
    entries = _entries(request, actor)
    todays = next((e for e in entries if e["date"] == today.isoformat()), None)
    try:
        plan = plans.get_plan(clinic, actor, _pid(actor))
        step = TitrationPlan.from_dict(plan["plan"]).dose_on(today)
    except NotFoundError:
        step = None
    vals = (
        values
        if values is not None
        else (todays or {"date": today.isoformat(), "dose_mg": step.dose_mg if step else ""})
    )
    return page(
        request,
        "patient/today.html",
        status=status,
        values=vals,
        errors=errors or {},
        saved=saved,
        recent=list(reversed(entries[-14:])),
        today=today.isoformat(),
        step=step,
        editing=todays is not None,
        side_effects=SIDE_EFFECTS,
        key=uuid.uuid4().hex,
    )


@router.get("")
def today(request: Request, actor: WebActor) -> HTMLResponse:
    require_role(actor, "patient")
    return _today_page(request, actor)


@router.post("/diary", dependencies=[Depends(verify_csrf)])
async def save_entry(request: Request, actor: WebActor) -> Response:
    require_role(actor, "patient")
    form = await request.form()
    vals: dict[str, Any] = {
        k: form.get(k) for k in ("date", "pain_avg", "sleep_quality", "fatigue", "dose_mg", "note")
    }
    vals["side_effects"] = list(form.getlist("side_effects"))
    vals["headache_day"] = form.get("headache_day") == "on"
    vals["side_effect_severe"] = form.get("side_effect_severe") == "on"
    vals["flag_for_clinician"] = form.get("flag_for_clinician") == "on"
    entry = {k: v for k, v in vals.items() if v not in (None, "")}
    try:
        diary.record_diary(
            request.app.state.clinic,
            actor,
            _pid(actor),
            entry=entry,
            idempotency_key=str(form.get("key") or "") or None,
            update=form.get("update") == "1",
        )
    except InputError as exc:
        errors = {p.loc.split(".")[-1] if p.loc else "form": p.message for p in exc.problems}
        return _today_page(request, actor, values=vals, errors=errors, status=422)
    return _today_page(request, actor, saved=True)


@router.get("/plan")
def my_plan(request: Request, actor: WebActor) -> HTMLResponse:
    require_role(actor, "patient")
    try:
        plan: dict[str, Any] | None = plans.get_plan(request.app.state.clinic, actor, _pid(actor))
    except NotFoundError:
        plan = None
    return page(request, "patient/plan.html", plan=plan)


@router.get("/plan.ics")
def my_calendar(request: Request, actor: WebActor) -> Response:
    require_role(actor, "patient")
    plan = plans.get_plan(request.app.state.clinic, actor, _pid(actor))
    supply = _supply(plan)
    body = plan_calendar(
        TitrationPlan.from_dict(plan["plan"]),
        patient_id=str(actor.patient_id),
        refills=[(f.number, f.first_day, f.last_day) for f in supply.fills[1:]],
    )
    return Response(
        body,
        media_type="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="ldn-plan.ics"'},
    )


@router.get("/handout")
def my_handout(request: Request, actor: WebActor) -> Response:
    """The plan's patient handout (the same document `ldn plan` writes)."""
    require_role(actor, "patient")
    plan = plans.get_plan(request.app.state.clinic, actor, _pid(actor))
    form = str(plan["options"].get("form", "capsule"))
    record = PatientRecord.model_validate(
        patients.get_patient(request.app.state.clinic, actor, _pid(actor))["record"],
        context={"today": None},
    )
    ctx = HandoutContext(
        "",
        TitrationPlan.from_dict(plan["plan"]),
        form,
        monthly_cost(form),
        supply=_supply(plan),
        evidence=evidence_lines(record),
    )
    return _handout_page(request, render_handout(ctx, fmt="html"))


def _handout_page(request: Request, document: str) -> HTMLResponse:
    """The handout inside the app's page: a way back, a print button, the clinic's telephone."""
    body = document.split("<body>", 1)[-1].rsplit("</body>", 1)[0]
    phone = request.app.state.clinic.settings.clinic_phone
    return page(request, "patient/handout.html", handout=Markup(body), clinic_phone=phone)


def _supply(plan: dict[str, Any]) -> Supply:
    """The plan's supply (fills, beyond-use days), as planned on the day the plan was made."""
    fills = (plan.get("supply") or {}).get("fills") or []
    made = (
        date.fromisoformat(fills[0]["compound_on"])
        if fills
        else date.fromisoformat(plan["updated_at"][:10])
    )
    form: Literal["capsule", "liquid"] = (
        "liquid" if plan["options"].get("form") == "liquid" else "capsule"
    )
    return plan_supply(TitrationPlan.from_dict(plan["plan"]), form=form, compounded_on=made)


@router.get("/progress")
def progress(request: Request, actor: WebActor) -> HTMLResponse:
    require_role(actor, "patient")
    entries = diary.diary_history(request.app.state.clinic, actor, _pid(actor))
    chart, response = pain_chart(entries)
    return page(request, "patient/progress.html", chart=chart, response=response, days=len(entries))


@router.get("/trial")
def my_trial(request: Request, actor: WebActor) -> HTMLResponse:
    require_role(actor, "patient")
    clinic = request.app.state.clinic
    mine = trials.list_trials(clinic, actor, _pid(actor))
    today = clinic.today().isoformat()
    current = None
    for t in mine:
        for p in t["design"]["periods"]:
            if p["start"] <= today <= p["end"]:
                current = p
    return page(
        request,
        "patient/trial.html",
        trials=mine,
        current=current,
        today=today,
        timedelta=timedelta,
    )


# -- the diary offline (issue #18): service worker, session for the page script, sync ----------
_SW = files("ldn.web") / "static" / "diary-sw.js"
_FIELDS = ("date", "pain_avg", "sleep_quality", "fatigue", "dose_mg", "note")


@router.get("/sw.js")
def service_worker() -> Response:
    """The diary's service worker, allowed to control ``/me`` (its pages work offline)."""
    allowed = {"Service-Worker-Allowed": "/me"}
    return Response(_SW.read_bytes(), media_type="text/javascript", headers=allowed)


@router.get("/diary/session")
def diary_session(request: Request, actor: WebActor) -> JSONResponse:
    """The current session's CSRF token and patient, for diary.js to send kept entries (the
    answer is same-origin only: another site cannot read it)."""
    require_role(actor, "patient")
    return JSONResponse({"csrf": request.state.csrf, "patient_id": _pid(actor)})


def _kept_entry(form: Any) -> dict[str, Any]:
    vals: dict[str, Any] = {k: form.get(k) for k in _FIELDS}
    vals["side_effects"] = list(form.getlist("side_effects"))
    vals["headache_day"] = form.get("headache_day") == "on"
    vals["side_effect_severe"] = form.get("side_effect_severe") == "on"
    vals["flag_for_clinician"] = form.get("flag_for_clinician") == "on"
    return {k: v for k, v in vals.items() if v not in (None, "")}


def _refused(day: str, reason: str, status: int) -> JSONResponse:
    return JSONResponse({"outcome": "refused", "date": day, "reason": reason}, status_code=status)


@router.post("/diary/sync", dependencies=[Depends(verify_csrf)])
async def sync_entry(request: Request, actor: WebActor) -> JSONResponse:
    """An entry kept on the phone while offline (sent by diary.js with its own Idempotency-Key
    and the time it was made): the latest edit of a day wins. JSON: ``outcome`` (created,
    replaced, unchanged, replayed) or 409/422 with ``outcome: refused`` and the ``reason``."""
    require_role(actor, "patient")
    form = await request.form()
    day = str(form.get("date") or "")
    try:
        edited = datetime.fromisoformat(str(form.get("edited_at") or ""))
    except ValueError:
        return _refused(day, "the entry has no valid edit time", 422)
    key = str(form.get("key") or "")[:200] or None
    try:
        saved = diary.record_diary(
            request.app.state.clinic,
            actor,
            _pid(actor),
            entry=_kept_entry(form),
            idempotency_key=key,
            update=True,
            edited_at=edited if edited.tzinfo else edited.replace(tzinfo=UTC),
        )
    except (InputError, ConflictError) as exc:
        return _refused(day, exc.message, 409 if isinstance(exc, ConflictError) else 422)
    out = {"outcome": saved.outcome, "date": saved.entry["date"], "version": saved.entry["version"]}
    return JSONResponse(out, status_code=201 if saved.created else 200)
