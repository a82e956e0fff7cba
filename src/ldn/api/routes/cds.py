"""CDS Hooks 2.0 (``/cds-services``): discovery and the three services.

Authentication follows the specification: every call carries ``Authorization: Bearer <JWT>``
signed by the CDS client with an asymmetric key registered in ``LDN_CDS_JWKS_FILE``
(:mod:`ldn.services.cds`). Missing required prefetch answers 412; a malformed call 400.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Request

from ldn.api.deps import ClinicDep
from ldn.domain.errors import NotFoundError
from ldn.interop.cds_hooks import SERVICES
from ldn.services import cds

router = APIRouter(prefix="/cds-services", tags=["CDS Hooks"])
AuthHeader = Annotated[
    str | None, Header(alias="Authorization", description="Bearer <JWT> from the CDS client")
]


def _base(request: Request, clinic: ClinicDep) -> str:
    return clinic.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")


@router.get("", summary="CDS Hooks discovery")
def discovery(
    request: Request, clinic: ClinicDep, authorization: AuthHeader = None
) -> dict[str, Any]:
    cds.check_client_jwt(clinic, authorization, audience=f"{_base(request, clinic)}/cds-services")
    return cds.discovery()


@router.post("/{service_id}", summary="Call a CDS service: cards for the hook")
def call(
    service_id: str,
    request: Request,
    clinic: ClinicDep,
    body: Annotated[dict[str, Any], Body()],
    authorization: AuthHeader = None,
) -> dict[str, Any]:
    if service_id not in SERVICES:
        raise NotFoundError(
            f"no CDS service {service_id!r}",
            fix=f"use one of {', '.join(SERVICES)} (GET /cds-services)",
        )
    base = _base(request, clinic)
    cds.check_client_jwt(clinic, authorization, audience=f"{base}/cds-services/{service_id}")
    return cds.answer_hook(clinic, service_id, body, app_url=base)
