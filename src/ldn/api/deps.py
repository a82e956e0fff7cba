"""Request prerequisites as ``Annotated`` aliases, so a route's signature reads as what it needs.

``ClinicDep`` the running clinic service · ``ActorDep`` the authenticated caller ·
``PageDep`` limit/offset · ``IfMatchDep`` the version an update read (from an ETag) ·
``IdempotencyKeyDep`` a client's retry key ·
``ComputeDep`` a signed-in user within the computation rate. The boundary check every request
passes is :func:`ldn.api.boundary.check_text`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ldn.domain.errors import AuthenticationError, InputError, ServiceUnavailable
from ldn.services.clinic import accounts
from ldn.services.clinic.accounts import check_session, decode_token
from ldn.services.clinic.context import Actor, Clinic, Verified

__all__ = [
    "ActorDep",
    "ClinicDep",
    "ComputeDep",
    "IdPath",
    "IdempotencyKeyDep",
    "IfMatchDep",
    "PageDep",
    "Paging",
    "etag",
]

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/token")


async def _clinic(request: Request) -> Clinic:  # async: no thread hop for a lookup
    clinic: Clinic = request.app.state.clinic
    return clinic


ClinicDep = Annotated[Clinic, Depends(_clinic)]


async def _actor(
    request: Request,
    clinic: ClinicDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AsyncIterator[Actor]:
    """The caller, from the token's signature and expiry (no database work here); revoked,
    deactivated or changed accounts are refused (401) on every route, in one of two places:

    - a route that calls a use case with this actor: inside that use case's transaction, in its
      first query (:func:`ldn.services.clinic.access.authorize`) or before it commits;
    - any other route: after the route ran and before anything is sent
      (:func:`~ldn.services.clinic.accounts.check_session`; this dependency's exit runs before
      the response, ``scope="function"``), also when the route raised an error.

    Nothing is cached between requests: the next request after a revocation is refused.
    """
    token = credentials.credentials if credentials else ""
    host = request.client.host if request.client else ""
    actor = decode_token(
        clinic.settings,
        token,
        now=clinic.clock(),
        remote_addr=host,
        request_id=request.state.request_id,
    )
    actor = replace(actor, verified=Verified())
    try:
        yield actor
    except Exception as exc:
        outage = isinstance(exc, ServiceUnavailable | AuthenticationError)
        if not outage and actor.verified is not None and not actor.verified.done:
            await run_in_threadpool(check_session, clinic, actor)  # 401 wins over the error
        raise
    if actor.verified is not None and not actor.verified.done:
        await run_in_threadpool(check_session, clinic, actor)


ActorDep = Annotated[Actor, Depends(_actor, scope="function")]


@dataclass(frozen=True, slots=True)
class Paging:
    limit: int
    offset: int


async def _paging(
    limit: Annotated[int, Query(ge=1, le=200, description="Items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")] = 0,
) -> Paging:
    return Paging(limit, offset)


PageDep = Annotated[Paging, Depends(_paging)]

#: a database id in a path: positive and within a 64-bit integer
IdPath = Annotated[int, Path(ge=1, le=2**62)]


def _compute_actor(request: Request, actor: ActorDep) -> Actor:
    clinic: Clinic = request.app.state.clinic
    accounts.throttle(
        clinic, actor, bucket="compute", per_minute=clinic.settings.compute_per_minute
    )
    return actor


#: a signed-in user within ``LDN_COMPUTE_PER_MINUTE`` computations (429 with Retry-After beyond)
ComputeDep = Annotated[Actor, Depends(_compute_actor, scope="function")]

_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,9})"\s*$')


def etag(version: int) -> str:
    return f'"{version}"'


async def _if_match(
    if_match: Annotated[str | None, Header(description='ETag read earlier, e.g. "3"')] = None,
) -> int | None:
    if if_match is None:
        return None
    m = _ETAG.match(if_match)
    if not m:
        raise InputError.at(
            "header.If-Match",
            f"{if_match!r} is not an ETag from ldn",
            'send the ETag header of your last GET, e.g. If-Match: "3"',
        )
    return int(m.group(1))


IfMatchDep = Annotated[int | None, Depends(_if_match)]


#: a client's retry key for a new entry (printable ASCII, 1-200 characters)
IdempotencyKeyDep = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="A unique key per new entry; resend it when retrying the same request",
    ),
]
