"""Plans (with ETags), prescriptions and compounded batches."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from ldn.api.deps import ActorDep, ClinicDep, IdPath, IfMatchDep, PageDep, etag
from ldn.api.resources import (
    BatchOut,
    Listed,
    PlanOut,
    PrescriptionDraftOut,
    PrescriptionOut,
    WorksheetOut,
)
from ldn.api.schemas import (
    AdjustIn,
    BatchIn,
    PlanOptionsIn,
    PlanPatch,
    PrescriptionIn,
    ReasonIn,
)
from ldn.services.clinic import pharmacy, plans

router = APIRouter(tags=["plans and pharmacy"])


@router.post(
    "/patients/{patient_id}/plan",
    status_code=201,
    response_model=PlanOut,
    response_model_exclude_unset=True,
    summary="Screen and plan from the current record (supersedes an active plan)",
)
def create_plan(
    patient_id: IdPath, body: PlanOptionsIn, clinic: ClinicDep, actor: ActorDep, response: Response
) -> dict[str, Any]:
    out = plans.create_plan(clinic, actor, patient_id, options=body.model_dump(exclude_unset=True))
    response.headers["ETag"] = etag(out["version"])
    response.headers["Location"] = f"/api/v1/patients/{patient_id}/plan"
    return out


@router.get(
    "/patients/{patient_id}/plan",
    response_model=PlanOut,
    response_model_exclude_unset=True,
    summary="The active plan (ETag = version)",
)
def get_plan(
    patient_id: IdPath, clinic: ClinicDep, actor: ActorDep, response: Response
) -> dict[str, Any]:
    out = plans.get_plan(clinic, actor, patient_id)
    response.headers["ETag"] = etag(out["version"])
    return out


@router.put(
    "/patients/{patient_id}/plan",
    response_model=PlanOut,
    response_model_exclude_unset=True,
    summary="Re-plan with changed options; needs If-Match with the ETag read",
)
def update_plan(
    patient_id: IdPath,
    body: PlanPatch,
    clinic: ClinicDep,
    actor: ActorDep,
    if_version: IfMatchDep,
    response: Response,
) -> dict[str, Any]:
    out = plans.update_plan(
        clinic,
        actor,
        patient_id,
        options=body.model_dump(exclude_none=True, mode="json"),
        if_version=if_version,
    )
    response.headers["ETag"] = etag(out["version"])
    return out


@router.post(
    "/patients/{patient_id}/plan/adjustments",
    response_model=PlanOut,
    response_model_exclude_unset=True,
    summary="Adjust the plan for a side effect; needs If-Match",
)
def adjust_plan(
    patient_id: IdPath,
    body: AdjustIn,
    clinic: ClinicDep,
    actor: ActorDep,
    if_version: IfMatchDep,
    response: Response,
) -> dict[str, Any]:
    out = plans.adjust_plan(
        clinic,
        actor,
        patient_id,
        side_effect=body.side_effect,
        on=body.on,
        severe=body.severe,
        if_version=if_version,
    )
    response.headers["ETag"] = etag(out["version"])
    return out


@router.get(
    "/patients/{patient_id}/prescriptions/draft",
    response_model=PrescriptionDraftOut,
    response_model_exclude_unset=True,
    summary="The prescription the active plan would make now, signed by you (nothing is sent)",
)
def preview_prescription(patient_id: IdPath, clinic: ClinicDep, actor: ActorDep) -> dict[str, Any]:
    return pharmacy.preview_prescription(clinic, actor, patient_id)


@router.post(
    "/patients/{patient_id}/prescriptions",
    status_code=201,
    response_model=PrescriptionOut,
    response_model_exclude_unset=True,
    responses={
        200: {"model": PrescriptionOut, "description": "Already prescribed: the same prescription"}
    },
    summary="Prescribe the active plan (once per plan version: a repeat returns it, 200)",
)
def create_prescription(
    patient_id: IdPath, body: PrescriptionIn, clinic: ClinicDep, actor: ActorDep, response: Response
) -> dict[str, Any]:
    out = pharmacy.create_prescription(clinic, actor, patient_id, plan_version=body.plan_version)
    if out.pop("replayed"):
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/prescriptions/{out['id']}"
    return out


@router.get(
    "/patients/{patient_id}/prescriptions",
    response_model=list[PrescriptionOut],
    response_model_exclude_unset=True,
    summary="A patient's prescriptions, newest first",
)
def list_prescriptions(
    patient_id: IdPath, clinic: ClinicDep, actor: ActorDep
) -> list[dict[str, Any]]:
    return pharmacy.list_prescriptions(clinic, actor, patient_id)


RxStatus = Literal["issued", "compounding", "ready", "dispensed", "cancelled"]


@router.get(
    "/prescriptions",
    response_model=Listed[PrescriptionOut],
    response_model_exclude_unset=True,
    summary="The clinic's prescriptions (pharmacist's queue)",
)
def prescription_queue(
    clinic: ClinicDep,
    actor: ActorDep,
    page: PageDep,
    status: Annotated[RxStatus | None, Query()] = None,
) -> dict[str, Any]:
    return pharmacy.prescription_queue(
        clinic, actor, status=status, limit=page.limit, offset=page.offset
    ).as_dict()


@router.get(
    "/prescriptions/{prescription_id}",
    response_model=PrescriptionOut,
    response_model_exclude_unset=True,
    summary="A prescription, its batches and the progress of its current fill",
)
def get_prescription(prescription_id: IdPath, clinic: ClinicDep, actor: ActorDep) -> dict[str, Any]:
    return pharmacy.get_prescription(clinic, actor, prescription_id)


@router.post(
    "/prescriptions/{prescription_id}/cancel",
    response_model=PrescriptionOut,
    response_model_exclude_unset=True,
    summary="Cancel a prescription, with the reason",
)
def cancel_prescription(
    prescription_id: IdPath, body: ReasonIn, clinic: ClinicDep, actor: ActorDep
) -> dict[str, Any]:
    return pharmacy.cancel_prescription(clinic, actor, prescription_id, reason=body.reason)


@router.post(
    "/prescriptions/{prescription_id}/dispense",
    response_model=PrescriptionOut,
    response_model_exclude_unset=True,
    summary="Dispense the current fill (pharmacist; only when every strength is made)",
)
def dispense_prescription(
    prescription_id: IdPath, clinic: ClinicDep, actor: ActorDep
) -> dict[str, Any]:
    return pharmacy.dispense_prescription(clinic, actor, prescription_id)


@router.get(
    "/prescriptions/{prescription_id}/worksheet",
    response_model=WorksheetOut,
    response_model_exclude_unset=True,
    summary="What to weigh for the next batch (nothing is recorded)",
)
def worksheet(
    prescription_id: IdPath,
    clinic: ClinicDep,
    actor: ActorDep,
    strength_mg: Annotated[float | None, Query(gt=0, le=10)] = None,
    count: Annotated[int | None, Query(ge=1, le=1000)] = None,
    volume_ml: Annotated[float | None, Query(gt=0, le=1000)] = None,
    api: Annotated[
        Literal["powder_hcl", "powder_hcl_dihydrate", "tablets_50mg"], Query()
    ] = "powder_hcl",
    tablet_mass_mg: Annotated[float | None, Query(gt=0, le=2000)] = None,
) -> dict[str, Any]:
    return pharmacy.worksheet(
        clinic,
        actor,
        prescription_id,
        strength_mg=strength_mg,
        count=count,
        volume_ml=volume_ml,
        api=api,
        tablet_mass_mg=tablet_mass_mg,
    )


@router.post(
    "/prescriptions/{prescription_id}/batches",
    status_code=201,
    response_model=BatchOut,
    response_model_exclude_unset=True,
    summary="Record a compounded batch (pharmacist): worksheet, lot, label, beyond-use date",
)
def create_batch(
    prescription_id: IdPath, body: BatchIn, clinic: ClinicDep, actor: ActorDep
) -> dict[str, Any]:
    return pharmacy.create_batch(
        clinic,
        actor,
        prescription_id,
        lot=body.lot,
        strength_mg=body.strength_mg,
        count=body.count,
        volume_ml=body.volume_ml,
        api=body.api,
        tablet_mass_mg=body.tablet_mass_mg,
    )


@router.get(
    "/prescriptions/{prescription_id}/batches",
    response_model=list[BatchOut],
    response_model_exclude_unset=True,
    summary="Batches of a prescription",
)
def list_batches(
    prescription_id: IdPath, clinic: ClinicDep, actor: ActorDep
) -> list[dict[str, Any]]:
    return pharmacy.list_batches(clinic, actor, prescription_id)


@router.post(
    "/prescriptions/{prescription_id}/batches/{batch_id}/void",
    response_model=BatchOut,
    response_model_exclude_unset=True,
    summary="Void a batch, with the reason (it no longer counts for the fill)",
)
def void_batch(
    prescription_id: IdPath, batch_id: IdPath, body: ReasonIn, clinic: ClinicDep, actor: ActorDep
) -> dict[str, Any]:
    return pharmacy.void_batch(clinic, actor, prescription_id, batch_id, reason=body.reason)


@router.post(
    "/prescriptions/{prescription_id}/batches/{batch_id}/verification",
    response_model=BatchOut,
    response_model_exclude_unset=True,
    summary="Record a second pharmacist's check of a batch (not its compounder)",
)
def verify_batch(
    prescription_id: IdPath, batch_id: IdPath, clinic: ClinicDep, actor: ActorDep
) -> dict[str, Any]:
    return pharmacy.verify_batch(clinic, actor, prescription_id, batch_id)
