"""N-of-1 trials: design and commitment, the pharmacist's sealed allocation, reveal, analysis."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from ldn.api.deps import ActorDep, ClinicDep, IdPath
from ldn.api.resources import AllocationOut, TrialOut
from ldn.api.schemas import AnalysisIn, RevealIn, TrialIn
from ldn.services.clinic import trials

router = APIRouter(tags=["N-of-1 trials"])


@router.post(
    "/patients/{patient_id}/trials",
    status_code=201,
    response_model=TrialOut,
    response_model_exclude_unset=True,
    summary="Design a blinded trial; the allocation is sealed for the pharmacist",
)
def create_trial(
    patient_id: IdPath, body: TrialIn, clinic: ClinicDep, actor: ActorDep, response: Response
) -> dict[str, Any]:
    out = trials.create_clinic_trial(
        clinic,
        actor,
        patient_id,
        start=body.start,
        seed=body.seed,
        cycles=body.cycles,
        period_days=body.period_days,
        run_in_days=body.run_in_days,
        acknowledge_review=body.acknowledge_review,
    )
    response.headers["Location"] = f"/api/v1/trials/{out['id']}"
    return out


@router.get(
    "/patients/{patient_id}/trials",
    response_model=list[TrialOut],
    response_model_exclude_unset=True,
    summary="A patient's trials (blinded until revealed)",
)
def list_trials(patient_id: IdPath, clinic: ClinicDep, actor: ActorDep) -> list[dict[str, Any]]:
    return trials.list_trials(clinic, actor, patient_id)


@router.get(
    "/trials/{trial_id}",
    response_model=TrialOut,
    response_model_exclude_unset=True,
    summary="A trial (allocation shown only after the reveal)",
)
def get_trial(trial_id: IdPath, clinic: ClinicDep, actor: ActorDep) -> dict[str, Any]:
    return trials.get_trial(clinic, actor, trial_id)


@router.get(
    "/trials/{trial_id}/allocation",
    response_model=AllocationOut,
    response_model_exclude_unset=True,
    summary="The sealed allocation and bottle labels (pharmacist)",
)
def sealed_allocation(trial_id: IdPath, clinic: ClinicDep, actor: ActorDep) -> dict[str, Any]:
    return trials.sealed_allocation(clinic, actor, trial_id)


@router.post(
    "/trials/{trial_id}/reveal",
    response_model=TrialOut,
    response_model_exclude_unset=True,
    summary="End the blinding (checked against the commitment)",
)
def reveal(
    trial_id: IdPath, clinic: ClinicDep, actor: ActorDep, body: RevealIn | None = None
) -> dict[str, Any]:
    body = body or RevealIn()
    return trials.reveal(
        clinic, actor, trial_id, confirm=body.confirm, early_stop_reason=body.early_stop_reason
    )


@router.post(
    "/trials/{trial_id}/analysis",
    response_model=TrialOut,
    response_model_exclude_unset=True,
    summary="Bayesian analysis of the revealed trial",
)
def analyse(
    trial_id: IdPath, body: AnalysisIn, clinic: ClinicDep, actor: ActorDep
) -> dict[str, Any]:
    return trials.analyse_clinic_trial(
        clinic, actor, trial_id, prior=body.prior, condition=body.condition
    )
