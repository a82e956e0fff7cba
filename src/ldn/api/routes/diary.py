"""The diary (idempotent POST, explicit update) and the response report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from ldn.api.deps import ActorDep, ClinicDep, IdempotencyKeyDep, IdPath, PageDep
from ldn.api.resources import DiaryEntryOut, Listed
from ldn.api.schemas import DiaryIn
from ldn.domain.errors import InputError
from ldn.services.clinic import diary

router = APIRouter(prefix="/patients/{patient_id}", tags=["diary"])


@router.post(
    "/diary",
    status_code=201,
    response_model=DiaryEntryOut,
    response_model_exclude_unset=True,
    responses={
        200: {"model": DiaryEntryOut, "description": "A repeated request: the entry stored"}
    },
    summary="Log a day. Idempotency-Key makes retries safe; update=true replaces the day's entry",
)
def post_entry(
    patient_id: IdPath,
    body: DiaryIn,
    clinic: ClinicDep,
    actor: ActorDep,
    response: Response,
    key: IdempotencyKeyDep = None,
    update: Annotated[bool, Query(description="Replace the day's entry if there is one")] = False,
    edited_at: Annotated[
        datetime | None,
        Query(
            description="When the patient made this edit (an offline phone syncing): latest edit wins — it replaces the day's entry when newer than the stored one's last save, else 409 naming the newer entry. Diary-Outcome says what happened"
        ),
    ] = None,
) -> dict[str, Any]:
    saved = diary.record_diary(
        clinic,
        actor,
        patient_id,
        entry=body.model_dump(mode="json"),
        idempotency_key=key,
        update=update,
        edited_at=edited_at,
    )
    response.headers["Diary-Outcome"] = saved.outcome  # created, replaced, unchanged or replayed
    if saved.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    if not saved.created:
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/patients/{patient_id}/diary/{saved.entry['date']}"
    return saved.entry


@router.put(
    "/diary/{day}",
    response_model=DiaryEntryOut,
    response_model_exclude_unset=True,
    summary="Create or replace the entry of one day",
)
def put_entry(
    patient_id: IdPath, day: date, body: DiaryIn, clinic: ClinicDep, actor: ActorDep
) -> dict[str, Any]:
    if body.date != day:
        raise InputError.at(
            "date",
            f"the entry's date {body.date} differs from the path's {day}",
            "make them the same",
        )
    return diary.record_diary(
        clinic,
        actor,
        patient_id,
        entry=body.model_dump(mode="json"),
        idempotency_key=None,
        update=True,
    ).entry


@router.get(
    "/diary",
    response_model=Listed[DiaryEntryOut],
    response_model_exclude_unset=True,
    summary="Diary entries by date",
)
def list_entries(
    patient_id: IdPath,
    clinic: ClinicDep,
    actor: ActorDep,
    page: PageDep,
    start: Annotated[date | None, Query(description="First day")] = None,
    end: Annotated[date | None, Query(description="Last day")] = None,
) -> dict[str, Any]:
    return diary.list_diary(
        clinic, actor, patient_id, start=start, end=end, limit=page.limit, offset=page.offset
    ).as_dict()


@router.get(
    "/response", summary="Response against published thresholds (IMMPACT, migraine days, PGIC)"
)
def response_report(
    patient_id: IdPath,
    clinic: ClinicDep,
    actor: ActorDep,
    first_dose: Annotated[
        date | None, Query(description="Day of the first dose (default: first logged dose)")
    ] = None,
) -> dict[str, Any]:
    return diary.response_report(clinic, actor, patient_id, first_dose=first_dose)
