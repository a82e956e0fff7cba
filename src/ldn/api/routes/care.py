"""Plans (with ETags), prescriptions and compounded batches."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from ldn.api.deps import ActorDep, ClinicDep, IdPath, IfMatchDep, PageDep, etag
from ldn.api.schemas import (
    AdjustIn,
    BatchIn,
    Page,
    PlanOptionsIn,
    PlanPatch,
    PrescriptionIn,
    Resource,
)
from ldn.services.clinic import pharmacy, plans

router = APIRouter(tags=["plans and pharmacy"])


@router.post("/patients/{patient_id}/plan", status_code=201, response_model=Resource,
             summary="Screen and plan from the current record (supersedes an active plan)")  # fmt: skip
def create_plan(patient_id: IdPath, body: PlanOptionsIn, clinic: ClinicDep, actor: ActorDep,
                response: Response) -> dict[str, Any]:  # fmt: skip
    out = plans.create_plan(clinic, actor, patient_id, options=body.model_dump(exclude_unset=True))
    response.headers["ETag"] = etag(out["version"])
    response.headers["Location"] = f"/api/v1/patients/{patient_id}/plan"
    return out


@router.get(
    "/patients/{patient_id}/plan",
    response_model=Resource,
    summary="The active plan (ETag = version)",
)
def get_plan(
    patient_id: IdPath, clinic: ClinicDep, actor: ActorDep, response: Response
) -> dict[str, Any]:
    out = plans.get_plan(clinic, actor, patient_id)
    response.headers["ETag"] = etag(out["version"])
    return out


@router.put("/patients/{patient_id}/plan", response_model=Resource,
            summary="Re-plan with changed options; needs If-Match with the ETag read")  # fmt: skip
def update_plan(patient_id: IdPath, body: PlanPatch, clinic: ClinicDep, actor: ActorDep, if_version: IfMatchDep,
                response: Response) -> dict[str, Any]:  # fmt: skip
    out = plans.update_plan(clinic, actor, patient_id, options=body.model_dump(exclude_none=True, mode="json"),
                            if_version=if_version)  # fmt: skip
    response.headers["ETag"] = etag(out["version"])
    return out


@router.post("/patients/{patient_id}/plan/adjustments", response_model=Resource,
             summary="Adjust the plan for a side effect; needs If-Match")  # fmt: skip
def adjust_plan(patient_id: IdPath, body: AdjustIn, clinic: ClinicDep, actor: ActorDep, if_version: IfMatchDep,
                response: Response) -> dict[str, Any]:  # fmt: skip
    out = plans.adjust_plan(clinic, actor, patient_id, side_effect=body.side_effect, on=body.on,
                            severe=body.severe, if_version=if_version)  # fmt: skip
    response.headers["ETag"] = etag(out["version"])
    return out


@router.post("/patients/{patient_id}/prescriptions", status_code=201, response_model=Resource,
             summary="Prescribe the active plan")  # fmt: skip
def create_prescription(patient_id: IdPath, body: PrescriptionIn, clinic: ClinicDep, actor: ActorDep,
                        response: Response) -> dict[str, Any]:  # fmt: skip
    out = pharmacy.create_prescription(clinic, actor, patient_id, prescriber=body.prescriber,
                                       days_supply=body.days_supply)  # fmt: skip
    response.headers["Location"] = f"/api/v1/prescriptions/{out['id']}"
    return out


@router.get(
    "/prescriptions", response_model=Page, summary="The clinic's prescriptions (pharmacist's queue)"
)
def prescription_queue(
    clinic: ClinicDep, actor: ActorDep, page: PageDep,
    status: Annotated[Literal["issued", "compounded"] | None, Query()] = None,
) -> dict[str, Any]:  # fmt: skip
    return pharmacy.prescription_queue(
        clinic, actor, status=status, limit=page.limit, offset=page.offset
    ).as_dict()


@router.get(
    "/prescriptions/{prescription_id}",
    response_model=Resource,
    summary="A prescription and its batches",
)
def get_prescription(prescription_id: IdPath, clinic: ClinicDep, actor: ActorDep) -> dict[str, Any]:
    return pharmacy.get_prescription(clinic, actor, prescription_id)


@router.post("/prescriptions/{prescription_id}/batches", status_code=201, response_model=Resource,
             summary="Record a compounded batch (pharmacist): worksheet, lot, beyond-use date")  # fmt: skip
def create_batch(
    prescription_id: IdPath, body: BatchIn, clinic: ClinicDep, actor: ActorDep
) -> dict[str, Any]:
    return pharmacy.create_batch(clinic, actor, prescription_id, lot=body.lot, strength_mg=body.strength_mg,
                                 count=body.count, volume_ml=body.volume_ml, api=body.api)  # fmt: skip


@router.get("/prescriptions/{prescription_id}/batches", summary="Batches of a prescription")
def list_batches(
    prescription_id: IdPath, clinic: ClinicDep, actor: ActorDep
) -> list[dict[str, Any]]:
    return pharmacy.list_batches(clinic, actor, prescription_id)
