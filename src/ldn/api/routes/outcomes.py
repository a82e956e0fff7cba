"""Clinic outcomes (clinicians and admins; admins see aggregate figures only) and the recorded
stop of a patient's LDN plan."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from ldn.api.deps import ActorDep, ClinicDep, IdPath, IfMatchDep, etag
from ldn.api.resources import PlanOut
from ldn.domain.outcomes import STOP_REASONS
from ldn.services.clinic import outcomes, plans

router = APIRouter(tags=["clinic outcomes"])


class StopIn(BaseModel):
    """Why and when the patient stopped LDN (``on``: the last day on LDN, default today)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(
        max_length=40,
        description="Coded reason: " + ", ".join(STOP_REASONS),
        json_schema_extra={"enum": list(STOP_REASONS)},
    )
    note: str = Field(default="", max_length=2000, description="The clinician's words")
    on: date | None = Field(default=None, ge=date(1900, 1, 1), le=date(2199, 12, 31))


@router.get(
    "/outcomes",
    summary="Clinic outcomes per condition (open-label) and the pooled N-of-1 series",
    description=(
        "Per condition: patients screened, started, at the assessment date, still on LDN; "
        "IMMPACT responders with Wilson 95% intervals; Kaplan-Meier times to response and to "
        "stopping (censoring stated); reasons for stopping; side effects beside the trials' "
        "rates; dose reached; the pooled blinded N-of-1 trials. Each figure says how many "
        "patients it rests on and carries a plain sentence; `limits` states what the figures "
        "cannot show. Admins see aggregate figures only."
    ),
)
def get_outcomes(
    clinic: ClinicDep,
    actor: ActorDep,
    condition: Annotated[
        str | None, Query(max_length=60, description="A condition code (e.g. fibromyalgia)")
    ] = None,
) -> dict[str, Any]:
    return outcomes.clinic_outcomes(clinic, actor, condition=condition)


@router.post(
    "/patients/{patient_id}/plan/stop",
    response_model=PlanOut,
    response_model_exclude_unset=True,
    summary="Record that the patient stopped LDN (coded reason and note); needs If-Match",
)
def stop_plan(
    patient_id: IdPath,
    body: StopIn,
    clinic: ClinicDep,
    actor: ActorDep,
    if_version: IfMatchDep,
    response: Response,
) -> dict[str, Any]:
    out = plans.stop_plan(
        clinic,
        actor,
        patient_id,
        reason=body.reason,
        note=body.note,
        on=body.on,
        if_version=if_version,
    )
    response.headers["ETag"] = etag(out["version"])
    return out
