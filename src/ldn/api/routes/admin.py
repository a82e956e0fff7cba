"""Users and roles, the audit trail (admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from ldn.api.deps import ActorDep, ClinicDep, IdPath, PageDep
from ldn.api.resources import AuditEventOut, AuditVerifyOut, Listed
from ldn.api.schemas import UserIn, UserOut, UserPatch
from ldn.services.clinic import accounts, operations

router = APIRouter(tags=["admin"])


@router.get(
    "/users",
    response_model=Listed[UserOut],
    response_model_exclude_unset=True,
    summary="Users of the admin's clinic",
)
def list_users(clinic: ClinicDep, actor: ActorDep, page: PageDep) -> dict[str, Any]:
    return accounts.list_users(clinic, actor, limit=page.limit, offset=page.offset).as_dict()


@router.post(
    "/users",
    response_model=UserOut,
    response_model_exclude_unset=True,
    status_code=201,
    summary="Create a user (a patient login names its patient)",
)
def create_user(
    body: UserIn, clinic: ClinicDep, actor: ActorDep, response: Response
) -> dict[str, Any]:
    user = accounts.create_user(
        clinic,
        actor,
        clinic_id=actor.clinic_id,
        email=body.email,
        password=body.password,
        role=body.role,
        display_name=body.display_name,
        patient_id=body.patient_id,
    )
    response.headers["Location"] = f"/api/v1/users/{user['id']}"
    return user


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    response_model_exclude_unset=True,
    summary="Change a role or (de)activate; revokes the user's tokens",
)
def update_user(
    user_id: IdPath, body: UserPatch, clinic: ClinicDep, actor: ActorDep
) -> dict[str, Any]:
    return accounts.update_user(clinic, actor, user_id, role=body.role, active=body.active)


@router.get(
    "/audit",
    response_model=Listed[AuditEventOut],
    response_model_exclude_unset=True,
    summary="Audit events, newest first",
)
def list_audit(
    clinic: ClinicDep,
    actor: ActorDep,
    page: PageDep,
    patient_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> dict[str, Any]:
    return operations.list_audit(
        clinic, actor, patient_id=patient_id, limit=page.limit, offset=page.offset
    ).as_dict()


@router.get(
    "/audit/verify",
    response_model=AuditVerifyOut,
    response_model_exclude_unset=True,
    summary="Check the hash chains of the audit trail",
)
def verify_audit(clinic: ClinicDep, actor: ActorDep) -> dict[str, Any]:
    return operations.verify_audit(clinic, actor)
