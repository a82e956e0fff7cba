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
from ldn.services.clinic.permissions import PUBLIC

__all__ = ["ASYMMETRIC", "answer_hook", "check_client_jwt", "discovery", "verify_client_jwt"]

ASYMMETRIC = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]


def _refuse(message: str) -> AuthenticationError:
    return AuthenticationError(
        f"CDS client not trusted: {message}",
        fix="send Authorization: Bearer <JWT> signed with a key registered in LDN_CDS_JWKS_FILE",
    )


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


@use_case(PUBLIC)
def _remember_jti(tx: Tx, *, jti: str, iss: str, expires_at: datetime) -> None:
    tx.session.execute(delete(CdsJwtId).where(CdsJwtId.expires_at < tx.now))
    if tx.session.get(CdsJwtId, jti) is not None:
        raise _refuse("this JWT (jti) was already used")
    tx.session.add(CdsJwtId(jti=jti, iss=iss, expires_at=expires_at))


#: the algorithms a registered key may sign with, by key type (and curve): a token must use one
#: its key can verify, or the key's own ``alg`` when the JWK names one
_KEY_ALGS: dict[tuple[Any, Any], set[str]] = {
    ("EC", "P-256"): {"ES256"},
    ("EC", "P-384"): {"ES384"},
    ("EC", "P-521"): {"ES512"},
    ("RSA", None): {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"},
}


def _key_algorithms(jwk: dict[str, Any]) -> set[str]:
    if jwk.get("alg"):
        return {str(jwk["alg"])} & set(ASYMMETRIC)
    kty = jwk.get("kty")
    return _KEY_ALGS.get((kty, jwk.get("crv") if kty == "EC" else None), set())


def verify_client_jwt(
    clinic: Clinic, authorization: str | None, *, audience: str
) -> dict[str, Any] | None:
    """The claims of a client JWT with a valid signature by a registered key, for ``audience``
    (not yet checked for replay); None when unauthenticated calls are allowed and none came."""
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
    alg = header.get("alg")
    if alg not in ASYMMETRIC:
        raise _refuse(f"algorithm {alg!r} (use ES384 or RS384; HMAC and none are not allowed)")
    iss = str(claims.get("iss", ""))
    client = _trusted(clinic).get(iss)
    keys = client.get("keys", []) if isinstance(client, dict) else []
    jwk = next((k for k in keys if isinstance(k, dict) and k.get("kid") == header.get("kid")), None)
    if jwk is None:
        raise _refuse(f"unknown issuer or key ({iss!r}, kid {header.get('kid')!r})")
    if alg not in _key_algorithms(jwk):
        raise _refuse(
            f"key {header.get('kid')!r} does not sign with {alg}; use {', '.join(sorted(_key_algorithms(jwk))) or 'an asymmetric key'}"
        )
    now = clinic.clock()
    try:
        verified: dict[str, Any] = jwt.decode(
            token,
            jwt.PyJWK(jwk, algorithm=alg).key,
            algorithms=[alg],
            audience=audience,
            options={
                "require": ["iss", "aud", "exp", "iat", "jti"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
    except (jwt.InvalidTokenError, jwt.PyJWKError) as exc:
        raise _refuse(str(exc)) from None
    exp = verified["exp"]
    if isinstance(exp, bool) or not isinstance(exp, int | float) or exp <= now.timestamp():
        raise _refuse("the JWT has expired")
    if exp > now.timestamp() + 3600:
        raise _refuse("the JWT lives longer than an hour (CDS Hooks expects about five minutes)")
    if not isinstance(verified["jti"], str) or not 1 <= len(verified["jti"]) <= 200:
        raise _refuse("jti must be a string of at most 200 characters")
    return verified


def check_client_jwt(clinic: Clinic, authorization: str | None, *, audience: str) -> str | None:
    """The issuer of a valid client JWT, used once (a replayed ``jti`` is refused); None when
    unauthenticated calls are allowed."""
    verified = verify_client_jwt(clinic, authorization, audience=audience)
    if verified is None:
        return None
    iss = str(verified["iss"])
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
