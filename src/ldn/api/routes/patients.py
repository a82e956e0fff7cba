"""Patients, their versioned records, screenings and questionnaires."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic_core import to_json

from ldn.api.deps import ActorDep, ClinicDep, IdPath, IfMatchDep, PageDep, etag
from ldn.api.resources import Listed, PatientOut, PatientSummary, QuestionnaireOut, ScreeningOut
from ldn.api.schemas import MedicationReviewIn, PatientIn, QuestionnaireIn
from ldn.services.clinic import diary, patients, screenings

router = APIRouter(prefix="/patients", tags=["patients"])


@router.get(
    "",
    response_model=Listed[PatientSummary],
    response_model_exclude_unset=True,
    summary="The clinic's patients with their status (clinician)",
)
def list_patients(
    clinic: ClinicDep,
    actor: ActorDep,
    page: PageDep,
    q: Annotated[str, Query(max_length=100, description="Filter by name or record id")] = "",
    sort: Annotated[
        str,
        Query(
            max_length=20,
            pattern=r"^-?[a-z_]+$",
            description="name, last_diary_day, days_missed, side_effect (its day), dose, next_action (most urgent first); a leading - sorts descending; no value sorts last",
        ),
    ] = "name",
    condition: Annotated[
        str,
        Query(
            max_length=60,
            description="Only patients with this condition code in the current record (not resolved)",
        ),
    ] = "",
    attention: Annotated[
        bool | None,
        Query(description="true: only patients with a next action; false: only those without"),
    ] = None,
    no_diary_days: Annotated[
        int | None,
        Query(
            ge=1,
            le=3650,
            description="Only patients being tracked with no diary entry for at least this many days",
        ),
    ] = None,
) -> Response:
    listing = patients.list_patients(
        clinic,
        actor,
        limit=page.limit,
        offset=page.offset,
        q=q,
        sort=sort,
        condition=condition,
        attention=attention,
        no_diary_days=no_diary_days,
    )
    # Sent as built, not validated again against the response model: the use case's values
    # are typed where they are made, and validating 50 items again was ~15 % of the request
    # (issue #21); encoded by pydantic-core (the standard library's encoder took another 7 %).
    # test_response_models checks the body against Listed[PatientSummary].
    return Response(to_json(listing.as_dict()), media_type="application/json")


@router.post(
    "",
    status_code=201,
    response_model=PatientOut,
    response_model_exclude_unset=True,
    summary="Add a patient from a patient record",
)
def create_patient(
    body: PatientIn, clinic: ClinicDep, actor: ActorDep, response: Response
) -> dict[str, Any]:
    out = patients.create_patient(clinic, actor, record=body.record.model_dump(mode="json"))
    response.headers["Location"] = f"/api/v1/patients/{out['id']}"
    response.headers["ETag"] = etag(out["record_version"])
    return out


@router.get(
    "/{patient_id}",
    response_model=PatientOut,
    response_model_exclude_unset=True,
    summary="A patient and the current record (ETag = version)",
)
def get_patient(
    patient_id: IdPath, clinic: ClinicDep, actor: ActorDep, response: Response
) -> dict[str, Any]:
    out = patients.get_patient(clinic, actor, patient_id)
    response.headers["ETag"] = etag(out["record_version"])
    return out


@router.put(
    "/{patient_id}/record",
    response_model=PatientOut,
    response_model_exclude_unset=True,
    summary="A new version of the record",
)
def update_record(
    patient_id: IdPath,
    body: PatientIn,
    clinic: ClinicDep,
    actor: ActorDep,
    if_version: IfMatchDep,
    response: Response,
) -> dict[str, Any]:
    out = patients.update_record(
        clinic, actor, patient_id, record=body.record.model_dump(mode="json"), if_version=if_version
    )
    response.headers["ETag"] = etag(out["record_version"])
    return out


@router.post(
    "/{patient_id}/record/medications/{index}/review",
    response_model=PatientOut,
    response_model_exclude_unset=True,
    summary="Record whether a medicine ldn could not identify contains an opioid (new record version)",
)
def review_medication(
    patient_id: IdPath,
    index: Annotated[int, Path(ge=0, le=200)],
    body: MedicationReviewIn,
    clinic: ClinicDep,
    actor: ActorDep,
    response: Response,
) -> dict[str, Any]:
    out = patients.review_medication(
        clinic,
        actor,
        patient_id,
        index=index,
        contains_opioid=body.contains_opioid,
        contains_naltrexone=body.contains_naltrexone,
    )
    response.headers["ETag"] = etag(out["record_version"])
    return out


@router.post(
    "/{patient_id}/screenings",
    status_code=201,
    response_model=ScreeningOut,
    response_model_exclude_unset=True,
    summary="Screen the current record (kept with the rules version)",
)
def run_screening(
    patient_id: IdPath, clinic: ClinicDep, actor: ActorDep, response: Response
) -> dict[str, Any]:
    out = screenings.run_screening(clinic, actor, patient_id)
    response.headers["Location"] = f"/api/v1/patients/{patient_id}/screenings/{out['id']}"
    return out


@router.get(
    "/{patient_id}/screenings",
    response_model=Listed[ScreeningOut],
    response_model_exclude_unset=True,
    summary="Screenings, newest first",
)
def list_screenings(
    patient_id: IdPath, clinic: ClinicDep, actor: ActorDep, page: PageDep
) -> dict[str, Any]:
    return screenings.list_screenings(
        clinic, actor, patient_id, limit=page.limit, offset=page.offset
    ).as_dict()


@router.get(
    "/{patient_id}/screenings/{screening_id}",
    response_model=ScreeningOut,
    response_model_exclude_unset=True,
    summary="One screening",
)
def get_screening(
    patient_id: IdPath, screening_id: IdPath, clinic: ClinicDep, actor: ActorDep
) -> dict[str, Any]:
    return screenings.get_screening(clinic, actor, patient_id, screening_id)


@router.post(
    "/{patient_id}/questionnaires",
    status_code=201,
    response_model=QuestionnaireOut,
    response_model_exclude_unset=True,
    summary="Answers to an instrument (scored; see /compute/instruments)",
)
def submit_questionnaire(
    patient_id: IdPath, body: QuestionnaireIn, clinic: ClinicDep, actor: ActorDep
) -> dict[str, Any]:
    return diary.submit_questionnaire(
        clinic,
        actor,
        patient_id,
        instrument=body.instrument,
        answers=body.answers,
        taken_on=body.taken_on,
    )


@router.get(
    "/{patient_id}/questionnaires",
    response_model=Listed[QuestionnaireOut],
    response_model_exclude_unset=True,
    summary="Questionnaires, newest first",
)
def list_questionnaires(
    patient_id: IdPath, clinic: ClinicDep, actor: ActorDep, page: PageDep
) -> dict[str, Any]:
    return diary.list_questionnaires(
        clinic, actor, patient_id, limit=page.limit, offset=page.offset
    ).as_dict()
