"""Login, logout, who am I."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from ldn.api.deps import ActorDep, ClinicDep
from ldn.api.resources import MeOut
from ldn.api.schemas import LoginIn, Token
from ldn.services.clinic import accounts

router = APIRouter(prefix="/auth", tags=["accounts"])


@router.post(
    "/token", response_model=Token, summary="Log in: an access token for e-mail and password"
)
def token(body: LoginIn, request: Request, clinic: ClinicDep) -> dict[str, Any]:
    host = request.client.host if request.client else ""
    return accounts.login(
        clinic,
        email=body.email,
        password=body.password,
        remote_addr=host,
        request_id=request.state.request_id,
    )


@router.post("/logout", status_code=204, summary="Revoke every token of the caller")
def logout(clinic: ClinicDep, actor: ActorDep) -> Response:
    accounts.logout(clinic, actor)
    return Response(status_code=204)


@router.get(
    "/me",
    response_model=MeOut,
    summary="The caller: user id, role, clinic, and patient id for a patient (a revoked token: 401)",
)
def me(actor: ActorDep) -> dict[str, Any]:
    return {
        "user_id": actor.user_id,
        "role": actor.role,
        "clinic_id": actor.clinic_id,
        "patient_id": actor.patient_id,
    }
