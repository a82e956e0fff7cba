"""Patient enrolment invites: a clinician makes, resends or revokes one; the patient redeems it
(no login yet) and gets an access token for their own record."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ldn.api.deps import ActorDep, ClinicDep, IdPath
from ldn.api.resources import InviteLinkOut, InviteListOut, InviteRevokedOut
from ldn.api.schemas import Token
from ldn.services.clinic import invites

router = APIRouter(tags=["enrolment"])


class EnrolIn(BaseModel):
    """The invite (its link's token, or the short code) and the login the patient chooses."""

    model_config = ConfigDict(extra="forbid")
    token: str = Field(default="", max_length=200, description="The token from the invite link")
    code: str = Field(default="", max_length=40, description="The short code, e.g. K7QM-4XPD")
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1000, description="At least 12 characters")

    @model_validator(mode="after")
    def _one_invite(self) -> EnrolIn:
        if bool(self.token) == bool(self.code):
            raise ValueError("give the invite's token or its code (one of them)")
        return self


def _link(request: Request, clinic: Any, out: dict[str, Any]) -> dict[str, Any]:
    base = clinic.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return {**out, "enrol_url": base + out["enrol_path"]}


@router.post(
    "/patients/{patient_id}/invites",
    response_model=InviteLinkOut,
    response_model_exclude_unset=True,
    status_code=201,
    summary="Invite the patient to make a login: a one-time link and code (shown once)",
)
def create_invite(
    patient_id: IdPath, request: Request, clinic: ClinicDep, actor: ActorDep
) -> dict[str, Any]:
    return _link(request, clinic, invites.create_invite(clinic, actor, patient_id))


@router.get(
    "/patients/{patient_id}/invites",
    response_model=InviteListOut,
    response_model_exclude_unset=True,
    summary="The patient's invites (status only; never a link or code) and whether they have a login",
)
def list_invites(patient_id: IdPath, clinic: ClinicDep, actor: ActorDep) -> dict[str, Any]:
    return invites.list_invites(clinic, actor, patient_id)


@router.post(
    "/patients/{patient_id}/invites/resend",
    response_model=InviteLinkOut,
    response_model_exclude_unset=True,
    status_code=201,
    summary="Revoke the open invite and make a new one (shown once)",
)
def resend_invite(
    patient_id: IdPath, request: Request, clinic: ClinicDep, actor: ActorDep
) -> dict[str, Any]:
    return _link(request, clinic, invites.resend_invite(clinic, actor, patient_id))


@router.post(
    "/patients/{patient_id}/invites/revoke",
    response_model=InviteRevokedOut,
    response_model_exclude_unset=True,
    summary="Withdraw the open invite: its link and code stop working",
)
def revoke_invite(patient_id: IdPath, clinic: ClinicDep, actor: ActorDep) -> dict[str, Any]:
    return invites.revoke_invite(clinic, actor, patient_id)


@router.post(
    "/enrolment",
    response_model=Token,
    summary="Redeem an invite (no login): choose e-mail and password, get an access token",
)
def enrol(body: EnrolIn, request: Request, clinic: ClinicDep) -> dict[str, Any]:
    host = request.client.host if request.client else ""
    return invites.redeem_invite(
        clinic,
        token=body.token,
        code=body.code,
        email=body.email,
        password=body.password,
        remote_addr=host,
        request_id=request.state.request_id,
    )
