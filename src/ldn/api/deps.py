"""Request prerequisites as ``Annotated`` aliases, so a route's signature reads as what it needs.

``ClinicDep`` the running clinic service · ``ActorDep`` the authenticated caller ·
``PageDep`` limit/offset · ``IfMatchDep`` the version an update read (from an ETag) ·
``IdempotencyKeyDep`` a client's retry key.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ldn.domain.errors import InputError
from ldn.services.clinic.accounts import decode_token
from ldn.services.clinic.context import Actor, Clinic

__all__ = [
    "ActorDep",
    "ClinicDep",
    "IdPath",
    "IdempotencyKeyDep",
    "IfMatchDep",
    "PageDep",
    "Paging",
    "etag",
]

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/token")


def _clinic(request: Request) -> Clinic:
    clinic: Clinic = request.app.state.clinic
    return clinic


ClinicDep = Annotated[Clinic, Depends(_clinic)]


def _actor(
    request: Request, clinic: ClinicDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:  # fmt: skip
    token = credentials.credentials if credentials else ""
    host = request.client.host if request.client else ""
    return decode_token(
        clinic.settings,
        token,
        now=clinic.clock(),
        remote_addr=host,
        request_id=request.state.request_id,
    )


ActorDep = Annotated[Actor, Depends(_actor)]


@dataclass(frozen=True, slots=True)
class Paging:
    limit: int
    offset: int


def _paging(
    limit: Annotated[int, Query(ge=1, le=200, description="Items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")] = 0,
) -> Paging:
    return Paging(limit, offset)


PageDep = Annotated[Paging, Depends(_paging)]

#: a database id in a path: positive and within a 64-bit integer
IdPath = Annotated[int, Path(ge=1, le=2**62)]

_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,9})"\s*$')


def etag(version: int) -> str:
    return f'"{version}"'


def _if_match(
    if_match: Annotated[str | None, Header(description='ETag read earlier, e.g. "3"')] = None,
) -> int | None:
    if if_match is None:
        return None
    m = _ETAG.match(if_match)
    if not m:
        raise InputError.at("header.If-Match", f"{if_match!r} is not an ETag from ldn",
                            'send the ETag header of your last GET, e.g. If-Match: "3"')  # fmt: skip
    return int(m.group(1))


IfMatchDep = Annotated[int | None, Depends(_if_match)]


def _idempotency_key(
    idempotency_key: Annotated[
        str | None,
        Header(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
               description="A unique key per new entry; resend it when retrying the same request"),
    ] = None,
) -> str | None:  # fmt: skip
    return idempotency_key


IdempotencyKeyDep = Annotated[str | None, Depends(_idempotency_key)]


def _nul_path(value: object, loc: str = "") -> str | None:
    if isinstance(value, str):
        return loc if "\x00" in value else None
    if isinstance(value, dict):
        for k, v in value.items():
            where = f"{loc}.{k}" if loc else str(k)
            if "\x00" in str(k):
                return where
            found = _nul_path(v, where)
            if found is not None:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _nul_path(v, f"{loc}[{i}]")
            if found is not None:
                return found
    return None


async def reject_nul_characters(request: Request) -> None:
    """Text with U+0000 is refused up front (PostgreSQL cannot store it), naming the field."""
    if "%00" in request.url.query:
        raise InputError.at(
            "query", "a query parameter contains a NUL character (U+0000)", "remove it"
        )
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    kind = request.headers.get("content-type", "")
    if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # parsed once and cached on the request
        bad = next((k for k, v in form.multi_items() if isinstance(v, str) and "\x00" in v), None)
        if bad is not None:
            raise InputError.at(
                bad, "text contains a NUL character (U+0000)", "remove the control character"
            )
        return
    body = await request.body()
    if b"\x00" not in body and b"\\u0000" not in body.lower():
        return
    loc = "(body)"
    with contextlib.suppress(ValueError):
        loc = _nul_path(json.loads(body)) or loc
    raise InputError.at(
        loc, "text contains a NUL character (U+0000)", "remove the control character"
    )
