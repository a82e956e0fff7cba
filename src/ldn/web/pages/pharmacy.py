"""Pharmacist pages: the queue, a prescription with the worksheet shown before the batch is
recorded, the status of every strength of the current fill, batches with their labels (void
with a reason, second-person check), dispensing, and a printable label."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ldn.domain.errors import ConflictError, InputError, LdnError
from ldn.services.clinic import pharmacy, trials
from ldn.services.standalone.pdf import html_to_pdf
from ldn.web.forms import errors_by_field
from ldn.web.render import page
from ldn.web.session import WebActor, require_role, verify_csrf

router = APIRouter(prefix="/pharmacy", include_in_schema=False)
CSRF = [Depends(verify_csrf)]
API_SOURCES = {
    "powder_hcl": "naltrexone HCl powder",
    "powder_hcl_dihydrate": "naltrexone HCl dihydrate powder",
    "tablets_50mg": "crushed 50 mg tablets",
}
_FIELDS = ("strength_mg", "count", "volume_ml", "api", "tablet_mass_mg")


@router.get("")
def queue(request: Request, actor: WebActor) -> HTMLResponse:
    require_role(actor, "pharmacist")
    clinic = request.app.state.clinic
    rxs = pharmacy.prescription_queue(clinic, actor, status=None, limit=200, offset=0).items
    sealed = trials.clinic_trials(clinic, actor)
    return page(request, "pharmacy/queue.html", prescriptions=rxs, trials=sealed)


def _number(values: dict[str, str], name: str, kind: type[int] | type[float]) -> Any:
    text = values.get(name, "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise InputError.at(
            name, "write a number", "e.g. 30" if kind is int else "e.g. 1.5"
        ) from None


def _worksheet_args(values: dict[str, str]) -> dict[str, Any]:
    api = values.get("api") or "powder_hcl"
    if api not in API_SOURCES:
        raise InputError.at(
            "api", "choose one of the listed sources", "naltrexone HCl powder is usual"
        )
    return {
        "strength_mg": _number(values, "strength_mg", float),
        "count": _number(values, "count", int),
        "volume_ml": _number(values, "volume_ml", float),
        "api": api,
        "tablet_mass_mg": _number(values, "tablet_mass_mg", float),
    }


def _rx_page(
    request: Request,
    actor: Any,
    rx_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    **ctx: Any,
) -> HTMLResponse:
    clinic = request.app.state.clinic
    rx = pharmacy.get_prescription(clinic, actor, rx_id)
    vals = dict(values or {})
    errs = dict(errors or {})
    sheet: dict[str, Any] | None = None
    try:
        sheet = pharmacy.worksheet(clinic, actor, rx_id, **_worksheet_args(vals))
    except InputError as exc:
        errs = {**errors_by_field(exc), **errs}
        try:  # show the default worksheet beside the errors
            sheet = pharmacy.worksheet(clinic, actor, rx_id)
        except LdnError:
            sheet = None
    except ConflictError:
        sheet = None  # cancelled, or every fill dispensed: nothing more to make
    if sheet is not None:
        vals.setdefault("strength_mg", sheet["strength"] if sheet["strength"] != "liquid" else "")
        vals.setdefault("count" if rx["form"] == "capsule" else "volume_ml", str(sheet["units"]))
    return page(
        request,
        "pharmacy/rx.html",
        status=status,
        rx=rx,
        sheet=sheet,
        values=vals,
        errors=errs,
        api_sources=API_SOURCES,
        **ctx,
    )


@router.get("/rx/{rx_id}")
def prescription(
    request: Request,
    actor: WebActor,
    rx_id: int,
    strength_mg: str = "",
    count: str = "",
    volume_ml: str = "",
    api: str = "",
    tablet_mass_mg: str = "",
) -> HTMLResponse:
    require_role(actor, "pharmacist")
    raw = {
        "strength_mg": strength_mg,
        "count": count,
        "volume_ml": volume_ml,
        "api": api,
        "tablet_mass_mg": tablet_mass_mg,
    }
    return _rx_page(request, actor, rx_id, values={k: v[:40] for k, v in raw.items() if v})


@router.get("/rx/{rx_id}/worksheet.pdf")
def prescription_pdf(request: Request, actor: WebActor, rx_id: int) -> Response:
    """The prescription, the worksheet, the batch records and labels as a PDF."""
    require_role(actor, "pharmacist")
    html = bytes(_rx_page(request, actor, rx_id).body).decode()
    return Response(
        html_to_pdf(html),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="ldn-rx-{rx_id}.pdf"'},
    )


@router.post("/rx/{rx_id}/batch", dependencies=CSRF)
async def record_batch(request: Request, actor: WebActor, rx_id: int) -> Response:
    require_role(actor, "pharmacist")
    form = await request.form()
    values = {k: str(form.get(k) or "")[:60] for k in ("lot", *_FIELDS)}
    try:
        args = _worksheet_args(values)
        pharmacy.create_batch(request.app.state.clinic, actor, rx_id, lot=values["lot"], **args)
    except InputError as exc:
        return _rx_page(
            request, actor, rx_id, values=values, errors=errors_by_field(exc), status=422
        )
    except ConflictError as exc:
        return _rx_page(
            request,
            actor,
            rx_id,
            values=values,
            errors={"lot": f"{exc.message} — {exc.fix}"},
            status=409,
        )
    return RedirectResponse(f"/pharmacy/rx/{rx_id}?recorded=1#batches", status_code=303)


@router.post("/rx/{rx_id}/batches/{batch_id}/void", dependencies=CSRF)
def void(
    request: Request,
    actor: WebActor,
    rx_id: int,
    batch_id: int,
    reason: Annotated[str, Form()] = "",
) -> Response:
    require_role(actor, "pharmacist")
    try:
        pharmacy.void_batch(request.app.state.clinic, actor, rx_id, batch_id, reason=reason[:500])
    except (InputError, ConflictError) as exc:
        return _rx_page(
            request,
            actor,
            rx_id,
            status=422 if isinstance(exc, InputError) else 409,
            batch_errors={batch_id: f"{exc.message} — {exc.fix}"},
            batch_values={batch_id: reason[:500]},
        )
    return RedirectResponse(f"/pharmacy/rx/{rx_id}#batch-{batch_id}", status_code=303)


@router.post("/rx/{rx_id}/batches/{batch_id}/verify", dependencies=CSRF)
def verify(request: Request, actor: WebActor, rx_id: int, batch_id: int) -> Response:
    require_role(actor, "pharmacist")
    try:
        pharmacy.verify_batch(request.app.state.clinic, actor, rx_id, batch_id)
    except ConflictError as exc:
        return _rx_page(
            request, actor, rx_id, status=409, batch_errors={batch_id: f"{exc.message} — {exc.fix}"}
        )
    return RedirectResponse(f"/pharmacy/rx/{rx_id}#batch-{batch_id}", status_code=303)


@router.post("/rx/{rx_id}/dispense", dependencies=CSRF)
def dispense(request: Request, actor: WebActor, rx_id: int) -> Response:
    require_role(actor, "pharmacist")
    try:
        pharmacy.dispense_prescription(request.app.state.clinic, actor, rx_id)
    except ConflictError as exc:
        return _rx_page(
            request, actor, rx_id, status=409, action_error=f"{exc.message} — {exc.fix}"
        )
    return RedirectResponse(f"/pharmacy/rx/{rx_id}", status_code=303)


@router.post("/rx/{rx_id}/cancel", dependencies=CSRF)
def cancel(
    request: Request, actor: WebActor, rx_id: int, reason: Annotated[str, Form()] = ""
) -> Response:
    require_role(actor, "pharmacist")
    try:
        pharmacy.cancel_prescription(request.app.state.clinic, actor, rx_id, reason=reason[:500])
    except (InputError, ConflictError) as exc:
        return _rx_page(
            request,
            actor,
            rx_id,
            status=422 if isinstance(exc, InputError) else 409,
            cancel_error=f"{exc.message} — {exc.fix}",
            cancel_reason=reason[:500],
        )
    return RedirectResponse(f"/pharmacy/rx/{rx_id}", status_code=303)


@router.get("/rx/{rx_id}/batches/{batch_id}/label")
def label(request: Request, actor: WebActor, rx_id: int, batch_id: int) -> HTMLResponse:
    """One batch's label on its own page, to print."""
    require_role(actor, "pharmacist")
    batches = pharmacy.list_batches(request.app.state.clinic, actor, rx_id)
    batch = next((b for b in batches if b["id"] == batch_id), None)
    if batch is None or not batch.get("label") or batch.get("void"):
        return page(
            request,
            "error.html",
            status=404,
            status_code=404,
            message=f"no label to print for batch {batch_id} (void or unknown)",
            fix="go back to the prescription",
        )
    return page(
        request,
        "pharmacy/label.html",
        labels=[batch["label"]],
        back=f"/pharmacy/rx/{rx_id}#batch-{batch_id}",
    )
