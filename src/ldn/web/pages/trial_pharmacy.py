"""The pharmacist's page of a blinded N-of-1 trial: the sealed allocation, and for bottles A and
B the worksheet before the batch, the batch record and labels that show the letter only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ldn.domain.errors import ConflictError, InputError
from ldn.services.clinic import trial_bottles, trials
from ldn.web.forms import errors_by_field
from ldn.web.render import page
from ldn.web.session import WebActor, require_role, verify_csrf

router = APIRouter(prefix="/pharmacy/trials", include_in_schema=False)
CSRF = [Depends(verify_csrf)]


def _count(text: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text)
    except ValueError:
        raise InputError.at("count", "write a whole number of capsules", "e.g. 84") from None


def _page(
    request: Request,
    actor: Any,
    tid: int,
    *,
    status: int = 200,
    values: dict[str, dict[str, str]] | None = None,
    errors: dict[str, dict[str, str]] | None = None,
    **ctx: Any,
) -> HTMLResponse:
    clinic = request.app.state.clinic
    vals = values or {}
    counts: dict[str, int] = {}
    errs = dict(errors or {})
    for bottle in ("A", "B"):
        try:
            n = _count(vals.get(bottle, {}).get("count", ""))
        except InputError as exc:
            errs[bottle] = {**errors_by_field(exc), **errs.get(bottle, {})}
            n = None
        if n is not None:
            counts[bottle] = n
    try:
        bottles = trial_bottles.trial_bottles(clinic, actor, tid, counts=counts)
    except InputError as exc:
        errs = {b: {**errors_by_field(exc), **errs.get(b, {})} for b in ("A", "B")}
        bottles = trial_bottles.trial_bottles(clinic, actor, tid)
    return page(
        request,
        "pharmacy/trial.html",
        status=status,
        trial=trials.get_trial(clinic, actor, tid),
        sealed=trials.sealed_allocation(clinic, actor, tid),
        bottles=bottles,
        values=vals,
        errors=errs,
        **ctx,
    )


@router.get("/{tid}")
def sealed(
    request: Request, actor: WebActor, tid: int, count_a: str = "", count_b: str = ""
) -> HTMLResponse:
    require_role(actor, "pharmacist")
    values = {"A": {"count": count_a[:10]}, "B": {"count": count_b[:10]}}
    return _page(request, actor, tid, values=values)


@router.post("/{tid}/bottles/{bottle}/batch", dependencies=CSRF)
def record(
    request: Request,
    actor: WebActor,
    tid: int,
    bottle: str,
    lot: Annotated[str, Form()] = "",
    count: Annotated[str, Form()] = "",
) -> Response:
    require_role(actor, "pharmacist")
    bottle = bottle.upper()[:1]
    values = {bottle: {"lot": lot[:60], "count": count[:10]}}
    try:
        trial_bottles.record_trial_batch(
            request.app.state.clinic, actor, tid, bottle=bottle, lot=lot[:60], count=_count(count)
        )
    except (InputError, ConflictError) as exc:
        errors = (
            errors_by_field(exc)
            if isinstance(exc, InputError)
            else {"lot": f"{exc.message} — {exc.fix}"}
        )
        return _page(
            request,
            actor,
            tid,
            status=422 if isinstance(exc, InputError) else 409,
            values=values,
            errors={bottle: errors},
        )
    return RedirectResponse(f"/pharmacy/trials/{tid}#bottle-{bottle}", status_code=303)


@router.post("/{tid}/batches/{batch_no}/void", dependencies=CSRF)
def void(
    request: Request, actor: WebActor, tid: int, batch_no: int, reason: Annotated[str, Form()] = ""
) -> Response:
    require_role(actor, "pharmacist")
    try:
        trial_bottles.void_trial_batch(
            request.app.state.clinic, actor, tid, batch_no=batch_no, reason=reason[:500]
        )
    except (InputError, ConflictError) as exc:
        return _page(
            request,
            actor,
            tid,
            status=422 if isinstance(exc, InputError) else 409,
            batch_errors={batch_no: f"{exc.message} — {exc.fix}"},
        )
    return RedirectResponse(f"/pharmacy/trials/{tid}#trial-batch-{batch_no}", status_code=303)


@router.get("/{tid}/batches/{batch_no}/label")
def label(request: Request, actor: WebActor, tid: int, batch_no: int) -> HTMLResponse:
    require_role(actor, "pharmacist")
    bottles = trial_bottles.trial_bottles(request.app.state.clinic, actor, tid)
    batch = next((b for b in bottles["batches"] if b["id"] == batch_no), None)
    if batch is None:
        return page(
            request,
            "error.html",
            status=404,
            status_code=404,
            message=f"no batch {batch_no}",
            fix="go back to the trial",
        )
    return page(
        request,
        "pharmacy/label.html",
        labels=[batch["label"]],
        back=f"/pharmacy/trials/{tid}#trial-batch-{batch_no}",
    )
