"""Computations without storage: screen a record, a dose's pharmacology, the evidence.

Any signed-in user may compute; the costly ones (screening, PK, evidence: a population PK run
takes seconds of CPU) at most ``LDN_COMPUTE_PER_MINUTE`` times a minute per user (``ComputeDep``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from ldn.api.deps import ActorDep, ClinicDep, ComputeDep
from ldn.api.schemas import ScreenIn
from ldn.domain.errors import InputError
from ldn.services.standalone import compute
from ldn.services.standalone.pharmacology import run_simulation

router = APIRouter(prefix="/compute", tags=["computations"])


@router.post("/screening", summary="Screen a patient record without storing it")
def screening(body: ScreenIn, clinic: ClinicDep, actor: ComputeDep) -> dict[str, Any]:
    del actor  # any signed-in user
    return compute.screen_record(
        body.record.model_dump(mode="json"), today=body.as_of or clinic.today()
    )


@router.get("/pk", summary="Naltrexone and 6β-naltrexol exposure and μ-occupancy for a dose")
def pk(
    actor: ComputeDep,
    dose_mg: Annotated[float, Query(gt=0, le=200, description="mg naltrexone HCl")] = 4.5,
    interval_h: Annotated[float, Query(ge=6, le=168)] = 24.0,
    days: Annotated[int, Query(ge=1, le=60)] = 1,
    population: Annotated[int, Query(ge=1, le=2000)] = 1,
    seed: Annotated[int, Query(ge=0, le=2**31)] = 1,
    params: Annotated[Literal["recommended", "fast_6bn", "chinese_be"], Query()] = "recommended",
) -> dict[str, Any]:
    del actor
    result, _, _ = run_simulation(
        dose_mg=dose_mg,
        interval_h=interval_h,
        days=days,
        population=population,
        seed=seed,
        params=params,
    )
    return result


@router.get("/evidence", summary="How effective is LDN for pain? The pooled answer for a condition")
def evidence(
    actor: ComputeDep,
    condition: Annotated[
        Literal["fibromyalgia", "multiple_sclerosis", "arthritis", "any"], Query()
    ] = "any",
) -> dict[str, Any]:
    del actor
    return compute.evidence_answer(condition)


@router.get("/evidence/trials", summary="The curated trial data set")
def evidence_trials(actor: ActorDep) -> list[dict[str, str]]:
    del actor
    return compute.evidence_trials()


@router.get("/instruments", summary="Instruments and criteria sets, with licence status")
def instruments(actor: ActorDep) -> list[dict[str, Any]]:
    del actor
    return compute.instruments()


@router.get(
    "/medicines", summary="What ldn makes of a medicine: ingredients, classes, form, how it matched"
)
def medicines(
    actor: ActorDep,
    name: Annotated[
        str, Query(max_length=200, description="The medicine as written, e.g. Percocet 5/325")
    ] = "",
    atc: Annotated[
        str | None, Query(max_length=10, pattern=r"^[A-Za-z0-9]+$", description="WHO ATC code")
    ] = None,
    rxnorm: Annotated[
        str | None, Query(max_length=12, pattern=r"^[0-9]+$", description="RxNorm code")
    ] = None,
) -> dict[str, Any]:
    del actor
    if not name.strip() and not (atc or rxnorm):
        raise InputError.at(
            "name", "give a medicine name or a code", "add ?name=Percocet (or &atc=, &rxnorm=)"
        )
    return compute.medicine_lookup(name, atc=atc, rxnorm=rxnorm)
