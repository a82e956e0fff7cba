"""CDS Hooks calls: the client's JWT (CDS Hooks 2.0, "Trusting CDS Clients"), then the service.

The client signs a JWT with an asymmetric key (ES384 or RS384 recommended; HMAC and ``none`` are
refused, as the specification requires) whose public JWK is registered in ``LDN_CDS_JWKS_FILE``
under the issuer. ``aud`` must be the URL of the endpoint called; ``exp``, ``iat`` and ``jti`` are
required, and a ``jti`` seen before is refused (replay), across every worker.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from sqlalchemy import delete

from ldn.domain.errors import AuthenticationError
from ldn.interop import cds_hooks
from ldn.persistence.tables import CdsJwtId
from ldn.services.clinic.context import Clinic, Tx, use_case

__all__ = ["ASYMMETRIC", "answer_hook", "check_client_jwt", "discovery"]

ASYMMETRIC = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]


def _refuse(message: str) -> AuthenticationError:
    return AuthenticationError(f"CDS client not trusted: {message}",
                               fix="send Authorization: Bearer <JWT> signed with a key registered in LDN_CDS_JWKS_FILE")  # fmt: skip


def _trusted(clinic: Clinic) -> dict[str, Any]:
    path = clinic.settings.cds_jwks_file
    if path is None or not path.exists():
        return {}
    return _read_jwks(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _read_jwks(path: Path, mtime_ns: int) -> dict[str, Any]:
    """The trusted keys, read again only when the file changes (not on every hook call)."""
    del mtime_ns  # part of the cache key
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@use_case()
def _remember_jti(tx: Tx, *, jti: str, iss: str, expires_at: datetime) -> None:
    tx.session.execute(delete(CdsJwtId).where(CdsJwtId.expires_at < tx.now))
    if tx.session.get(CdsJwtId, jti) is not None:
        raise _refuse("this JWT (jti) was already used")
    tx.session.add(CdsJwtId(jti=jti, iss=iss, expires_at=expires_at))


def check_client_jwt(clinic: Clinic, authorization: str | None, *, audience: str) -> str | None:
    """The issuer of a valid client JWT; None when unauthenticated calls are allowed."""
    if not authorization:
        if clinic.settings.cds_allow_unauthenticated:
            return None
        raise _refuse("no Authorization header")
    token = authorization.removeprefix("Bearer ").strip()
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise _refuse("not a JWT") from None
    if header.get("alg") not in ASYMMETRIC:
        raise _refuse(
            f"algorithm {header.get('alg')!r} (use ES384 or RS384; HMAC and none are not allowed)"
        )
    iss = str(claims.get("iss", ""))
    keys = _trusted(clinic).get(iss, {}).get("keys", [])
    jwk = next((k for k in keys if k.get("kid") == header.get("kid")), None)
    if jwk is None:
        raise _refuse(f"unknown issuer or key ({iss!r}, kid {header.get('kid')!r})")
    now = clinic.clock()
    try:
        verified = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=[header["alg"]], audience=audience,
                              options={"require": ["iss", "aud", "exp", "iat", "jti"], "verify_exp": False, "verify_iat": False})  # fmt: skip
    except jwt.InvalidTokenError as exc:
        raise _refuse(str(exc)) from None
    if int(verified["exp"]) <= now.timestamp():
        raise _refuse("the JWT has expired")
    _remember_jti(
        clinic,
        jti=str(verified["jti"]),
        iss=iss,
        expires_at=datetime.fromtimestamp(int(verified["exp"]), UTC),
    )
    return iss


def discovery() -> dict[str, Any]:
    return cds_hooks.discovery()


def answer_hook(clinic: Clinic, service_id: str, body: object, *, app_url: str) -> dict[str, Any]:
    return cds_hooks.call_service(service_id, body, today=clinic.today(), app_url=app_url)
