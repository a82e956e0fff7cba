"""Sessions and tokens: password login, signed access tokens, their revocation and rate limits.

A login returns a short-lived signed token (JWT, HS256, ``LDN_TOKEN_TTL_MINUTES``); the API keeps
no session state, so any worker can check any token. Logging out, deactivating a user or changing
a role bumps the user's ``token_version`` and every token issued before stops working; every
request checks it (:func:`check_session`).

Failed logins are counted in the database (every worker sees them) per account from one address,
per account and per address; past a threshold the next try must wait, and the wait doubles with
each further failure (:func:`login_wait_s`, capped at the window). A known and an unknown e-mail
cost the same (one Argon2 verification each), so timing does not tell which accounts exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from ldn.config import Settings
from ldn.domain.errors import AuthenticationError, RateLimited
from ldn.persistence.tables import ROLES, LoginAttempt, User
from ldn.services.clinic.context import Actor, Clinic, Role, Tx, is_user_role, use_case
from ldn.services.clinic.passwords import dummy_hash, password_hasher
from ldn.services.clinic.permissions import PUBLIC, SESSION
from ldn.services.clinic.users import user_dict

__all__ = [
    "check_session",
    "decode_token",
    "issue_token",
    "login",
    "login_wait_s",
    "logout",
    "throttle",
]


def issue_token(settings: Settings, user: User, *, now: datetime) -> tuple[str, int]:
    ttl = settings.token_ttl_minutes * 60
    claims = {
        "sub": str(user.id),
        "role": user.role,
        "clinic": user.clinic_id,
        "pid": user.patient_id,
        "ver": user.token_version,
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + ttl,
    }
    return jwt.encode(claims, settings.resolved_secret_key(), algorithm="HS256"), ttl


def decode_token(
    settings: Settings, token: str, *, now: datetime, remote_addr: str = "", request_id: str = ""
) -> Actor:
    """The actor a token speaks for. Signature and expiry are checked here, against the service's
    clock; revocation (``token_version``) by the use case, inside its transaction."""
    problem = AuthenticationError(
        "the access token is missing, expired or invalid",
        fix="log in again: POST /api/v1/auth/token with your e-mail and password",
    )
    try:
        c = jwt.decode(
            token,
            settings.resolved_secret_key(),
            algorithms=["HS256"],
            options={"require": ["exp", "sub"], "verify_exp": False, "verify_iat": False},
        )
        if int(c["exp"]) <= now.timestamp():
            raise problem
        role, pid = c["role"], c.get("pid")
        if role not in ROLES:  # a token never speaks for "system" (the operator's command line)
            raise problem
        if (pid is not None and type(pid) is not int) or (role == "patient") != (pid is not None):
            raise problem
        return Actor(
            user_id=_token_int(c["sub"]),
            role=role,
            clinic_id=_token_int(c["clinic"]),
            patient_id=pid,
            token_version=_token_int(c["ver"], low=0),
            remote_addr=remote_addr,
            request_id=request_id,
        )
    except (jwt.InvalidTokenError, KeyError, TypeError, ValueError):
        raise problem from None


def _token_int(value: object, *, low: int = 1) -> int:
    """A claim that must be a database id (or a version): an int in range, given as int or digits."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if type(value) is not int or not low <= value <= 2**62:
        raise ValueError("bad claim")
    return value


@use_case(SESSION)
def check_session(tx: Tx, actor: Actor) -> None:
    """The token's account still exists, is active, and the token was not revoked (every
    request, before anything else; a use case checks it again inside its own transaction)."""
    tx.check_actor(actor)


@use_case(SESSION)
def throttle(tx: Tx, actor: Actor, *, bucket: str, per_minute: int) -> None:
    """At most ``per_minute`` calls of ``bucket`` by this user in any minute (counted in the
    database, so across every worker), else :class:`RateLimited` with the wait."""
    tx.check_actor(actor)
    key = f"rate:{bucket}:{actor.user_id}"
    start = tx.now - timedelta(minutes=1)
    tx.session.execute(delete(LoginAttempt).where(LoginAttempt.key == key, LoginAttempt.at < start))
    n, first = tx.session.execute(
        select(func.count(), func.min(LoginAttempt.at)).where(LoginAttempt.key == key)
    ).one()
    if n >= per_minute:
        first = first if first.tzinfo else first.replace(tzinfo=tx.now.tzinfo)
        wait = max(int((first + timedelta(minutes=1) - tx.now).total_seconds()) + 1, 1)
        raise RateLimited(
            f"more than {per_minute} computations in a minute",
            retry_after_s=wait,
            fix=f"wait {wait} s; computations are limited per user",
        )
    tx.session.add(LoginAttempt(key=key, at=tx.now))


@dataclass(frozen=True, slots=True)
class _Attempt:
    token: str | None
    ttl_s: int = 0
    user: dict[str, Any] | None = None
    retry_after_s: int = 0


#: failures before the waits start, as multiples of ``LDN_LOGIN_MAX_FAILURES``: one account from
#: one address; one account from anywhere; one address against any account (password spraying)
_LIMITS = (("pair", 1), ("email", 3), ("addr", 10))


def login_wait_s(failures: int, threshold: int, cap_s: int) -> int:
    """Seconds to wait after ``failures`` recent failures: none below ``threshold``, then 1 s,
    doubling with each further failure, at most ``cap_s``."""
    if failures < threshold:
        return 0
    return int(min(2 ** min(failures - threshold, 30), cap_s))


@use_case(PUBLIC)
def _attempt_login(
    tx: Tx, *, email: str, password: str, remote_addr: str, request_id: str
) -> _Attempt:
    s = tx.settings
    window_start = tx.now - timedelta(minutes=s.login_window_minutes)
    keys = {
        "pair": f"pair:{email}|{remote_addr}",
        "email": f"email:{email}",
        "addr": f"addr:{remote_addr}",
    }
    tx.session.execute(delete(LoginAttempt).where(LoginAttempt.at < window_start))
    wait = 0
    for kind, times in _LIMITS:
        q = select(func.count(), func.max(LoginAttempt.at)).where(
            LoginAttempt.key == keys[kind], LoginAttempt.at >= window_start
        )
        n, last = tx.session.execute(q).one()
        backoff = login_wait_s(n, s.login_max_failures * times, s.login_window_minutes * 60)
        if backoff:
            last = last if last.tzinfo else last.replace(tzinfo=tx.now.tzinfo)
            wait = max(
                wait, math.ceil((last + timedelta(seconds=backoff) - tx.now).total_seconds())
            )
    if wait > 0:
        return _Attempt(None, retry_after_s=wait)
    hasher = password_hasher(s)
    user = tx.session.scalar(select(User).where(User.email == email))
    ok = False
    try:  # exactly one verification on every path, so timing does not tell which e-mails exist
        if user is not None:
            ok = hasher.verify(user.password_hash, password) and user.active
        else:
            params = (s.argon2_time_cost, s.argon2_memory_kib, s.argon2_parallelism)
            hasher.verify(dummy_hash(hasher, params), password)
    except (VerificationError, InvalidHashError):
        ok = False
    # a failed login for an unknown e-mail has no account: its own kind of actor, never "system"
    role: Role = user.role if user is not None and is_user_role(user.role) else "anonymous"
    actor = Actor(
        user_id=user.id if user else 0,
        role=role,
        clinic_id=user.clinic_id if user else 0,
        remote_addr=remote_addr,
        request_id=request_id,
    )
    if not ok or user is None:
        for key in keys.values():
            tx.session.add(LoginAttempt(key=key, at=tx.now))
        tx.audit(actor, "login_failed", "session")
        return _Attempt(None)
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    token, ttl = issue_token(s, user, now=tx.now)
    tx.audit(actor, "login", "session", user.id)
    return _Attempt(token, ttl, user_dict(user))


def login(
    clinic: Clinic, *, email: str, password: str, remote_addr: str = "", request_id: str = ""
) -> dict[str, Any]:
    """Check the password and return an access token, or raise after recording the failure."""
    if len(email) > 320 or len(password) > 1000:  # no account has them (and the keys stay short)
        raise AuthenticationError("wrong e-mail or password", fix="check both and try again")
    outcome = _attempt_login(
        clinic,
        email=email.strip().lower(),
        password=password,
        remote_addr=remote_addr,
        request_id=request_id,
    )
    if outcome.retry_after_s:
        raise RateLimited(
            "too many failed logins for this account or address: wait before the next try",
            retry_after_s=outcome.retry_after_s,
            fix=f"wait {outcome.retry_after_s} s, or ask an admin to check the account",
        )
    if outcome.token is None:
        raise AuthenticationError("wrong e-mail or password", fix="check both and try again")
    return {
        "access_token": outcome.token,
        "token_type": "bearer",
        "expires_in": outcome.ttl_s,
        "user": outcome.user,
    }


@use_case(SESSION)
def logout(tx: Tx, actor: Actor) -> None:
    """Revoke every token of the caller."""
    tx.check_actor(actor)
    user = tx.session.get(User, actor.user_id)
    assert user is not None
    user.token_version += 1
    tx.audit(actor, "logout", "session", user.id)
