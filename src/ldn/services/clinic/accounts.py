"""Clinics, users, password login and access tokens.

Passwords are hashed with Argon2id (argon2-cffi; parameters from the settings, RFC 9106's
defaults unless a test lowers them). A login returns a short-lived signed token (JWT, HS256,
``LDN_TOKEN_TTL_MINUTES``); the API keeps no session state, so any worker can check any token.
Logging out, deactivating a user or changing a role bumps the user's ``token_version`` and
every token issued before stops working. Failed logins are counted per account and per address
in the database; after ``LDN_LOGIN_MAX_FAILURES`` inside the window the login is refused with
a retry time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ldn.config import Settings
from ldn.domain.errors import (
    AuthenticationError,
    ConflictError,
    InputError,
    NotFoundError,
    RateLimited,
)
from ldn.persistence.tables import ROLES, Clinic, LoginAttempt, Patient, User
from ldn.services.clinic.access import require
from ldn.services.clinic.context import Actor, Page, Tx, use_case
from ldn.services.clinic.context import Clinic as ClinicHandle

__all__ = [
    "create_clinic",
    "create_user",
    "decode_token",
    "issue_token",
    "list_users",
    "login",
    "logout",
    "password_hasher",
    "update_user",
    "user_dict",
]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
MIN_PASSWORD_LEN = 12  # NIST SP 800-63B allows 8; ldn asks more for clinical data


def password_hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )


def user_dict(u: User) -> dict[str, Any]:
    return {"id": u.id, "email": u.email, "display_name": u.display_name, "role": u.role,
            "clinic_id": u.clinic_id, "patient_id": u.patient_id, "active": u.active}  # fmt: skip


@use_case()
def create_clinic(tx: Tx, actor: Actor, *, name: str) -> dict[str, Any]:
    """A new clinic (the operator's command line, or an admin)."""
    require(actor, "user.admin")
    name = name.strip()
    if not name:
        raise InputError.at("name", "the clinic needs a name", "e.g. 'Riverside Pain Clinic'")
    if tx.session.scalar(select(Clinic).where(Clinic.name == name)):
        raise ConflictError(f"a clinic named {name!r} exists", fix="choose another name")
    clinic = Clinic(name=name, created_at=tx.now)
    tx.session.add(clinic)
    tx.session.flush()
    tx.audit(actor, "create", "clinic", clinic.id)
    return {"id": clinic.id, "name": clinic.name}


def _check_new_user(email: str, role: str, password: str) -> None:
    if not _EMAIL.match(email):
        raise InputError.at("email", f"{email!r} is not an e-mail address", "e.g. anna@example.org")
    if role not in ROLES:
        raise InputError.at("role", f"unknown role {role!r}", f"use one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LEN:
        raise InputError.at(
            "password",
            f"the password is shorter than {MIN_PASSWORD_LEN} characters",
            "use a longer passphrase (several words)",
        )


@use_case()
def create_user(
    tx: Tx,
    actor: Actor,
    *,
    clinic_id: int,
    email: str,
    password: str,
    role: str,
    display_name: str = "",
    patient_id: int | None = None,
) -> dict[str, Any]:
    """A user of ``clinic_id``; a ``patient`` user is linked to their patient record."""
    tx.check_actor(actor)
    require(actor, "user.admin")
    email = email.strip().lower()
    _check_new_user(email, role, password)
    if actor.role != "system" and clinic_id != actor.clinic_id:
        raise NotFoundError(
            f"no clinic {clinic_id} that you administer", fix="use your clinic's id"
        )
    if tx.session.get(Clinic, clinic_id) is None:
        raise NotFoundError(f"no clinic {clinic_id}", fix="create it first: ldn clinic create NAME")
    if role == "patient":
        patient = tx.session.get(Patient, patient_id) if patient_id is not None else None
        if patient is None or patient.clinic_id != clinic_id:
            raise InputError.at("patient_id", "a patient login needs the patient's id in this clinic",
                                "create the patient first, then pass its id")  # fmt: skip
    elif patient_id is not None:
        raise InputError.at("patient_id", "only a patient login is linked to a patient", "omit it")
    user = User(clinic_id=clinic_id, email=email, display_name=display_name, role=role,
                password_hash=password_hasher(tx.settings).hash(password), patient_id=patient_id,
                token_version=0, active=True, created_at=tx.now)  # fmt: skip
    tx.session.add(user)
    try:
        tx.session.flush()
    except IntegrityError:
        raise ConflictError(
            f"a user {email} exists (or the patient already has a login)",
            fix="use another e-mail address",
        ) from None
    tx.audit(actor, "create", "user", user.id, detail=f"role={role}")
    return user_dict(user)


@use_case()
def list_users(tx: Tx, actor: Actor, *, limit: int, offset: int) -> Page[dict[str, Any]]:
    tx.check_actor(actor)
    require(actor, "user.admin")
    q = select(User).where(User.clinic_id == actor.clinic_id)
    rows, total = tx.paged(q, User.id, limit=limit, offset=offset)
    tx.audit(actor, "read", "users")
    return Page([user_dict(u) for u in rows], total, limit, offset)


@use_case()
def update_user(
    tx: Tx, actor: Actor, user_id: int, *, role: str | None = None, active: bool | None = None
) -> dict[str, Any]:
    """Change a role or (de)activate a user; their existing tokens stop working."""
    tx.check_actor(actor)
    require(actor, "user.admin")
    user = tx.session.get(User, user_id)
    if user is None or user.clinic_id != actor.clinic_id:
        raise NotFoundError(f"no user {user_id} in your clinic", fix="check the id (GET /users)")
    if role is not None:
        if role not in ROLES or role == "patient" or user.role == "patient":
            raise InputError.at("role", f"cannot make this user a {role!r}",
                                "staff roles are clinician, pharmacist, admin; patients stay patients")  # fmt: skip
        user.role = role
    if active is not None:
        user.active = active
    user.token_version += 1
    tx.audit(actor, "update", "user", user.id, detail=f"role={user.role} active={user.active}")
    return user_dict(user)


def issue_token(settings: Settings, user: User, *, now: datetime) -> tuple[str, int]:
    ttl = settings.token_ttl_minutes * 60
    claims = {"sub": str(user.id), "role": user.role, "clinic": user.clinic_id,
              "pid": user.patient_id, "ver": user.token_version,
              "iat": int(now.timestamp()), "exp": int(now.timestamp()) + ttl}  # fmt: skip
    return jwt.encode(claims, settings.resolved_secret_key(), algorithm="HS256"), ttl


def decode_token(settings: Settings, token: str, *, now: datetime, remote_addr: str = "",
                 request_id: str = "") -> Actor:  # fmt: skip
    """The actor a token speaks for. Signature and expiry are checked here, against the service's
    clock; revocation (``token_version``) by the use case, inside its transaction."""
    problem = AuthenticationError(
        "the access token is missing, expired or invalid",
        fix="log in again: POST /api/v1/auth/token with your e-mail and password",
    )
    try:
        c = jwt.decode(token, settings.resolved_secret_key(), algorithms=["HS256"],
                       options={"require": ["exp", "sub"], "verify_exp": False, "verify_iat": False})  # fmt: skip
        if int(c["exp"]) <= now.timestamp():
            raise problem
        return Actor(user_id=int(c["sub"]), role=c["role"], clinic_id=int(c["clinic"]),
                     patient_id=c.get("pid"), token_version=int(c["ver"]),
                     remote_addr=remote_addr, request_id=request_id)  # fmt: skip
    except (jwt.InvalidTokenError, KeyError, TypeError, ValueError):
        raise problem from None


@dataclass(frozen=True, slots=True)
class _Attempt:
    token: str | None
    ttl_s: int = 0
    user: dict[str, Any] | None = None
    retry_after_s: int = 0


_DUMMY_HASH: dict[tuple[int, int, int], str] = {}


@use_case()
def _attempt_login(tx: Tx, *, email: str, password: str, remote_addr: str) -> _Attempt:
    s = tx.settings
    window_start = tx.now - timedelta(minutes=s.login_window_minutes)
    keys = [f"email:{email}", f"addr:{remote_addr}"]
    tx.session.execute(delete(LoginAttempt).where(LoginAttempt.at < window_start))
    for key in keys:
        q = select(func.count(), func.min(LoginAttempt.at)).where(
            LoginAttempt.key == key, LoginAttempt.at >= window_start
        )
        n, first = tx.session.execute(q).one()
        if n >= s.login_max_failures:
            first = first if first.tzinfo else first.replace(tzinfo=tx.now.tzinfo)
            wait = int((first + timedelta(minutes=s.login_window_minutes) - tx.now).total_seconds())
            return _Attempt(None, retry_after_s=max(wait, 1))
    hasher = password_hasher(s)
    user = tx.session.scalar(select(User).where(User.email == email))
    ok = False
    try:
        if user is not None:
            ok = hasher.verify(user.password_hash, password) and user.active
        else:  # same work for an unknown address, so timing does not tell which exist
            params = (s.argon2_time_cost, s.argon2_memory_kib, s.argon2_parallelism)
            dummy = _DUMMY_HASH.setdefault(params, hasher.hash("not-a-password"))
            hasher.verify(dummy, password)
    except (VerificationError, InvalidHashError):
        ok = False
    actor = Actor(user_id=user.id if user else 0, role=user.role if user else "system",  # type: ignore[arg-type]
                  clinic_id=user.clinic_id if user else 0, remote_addr=remote_addr)  # fmt: skip
    if not ok or user is None:
        for key in keys:
            tx.session.add(LoginAttempt(key=key, at=tx.now))
        tx.audit(actor, "login_failed", "session")
        return _Attempt(None)
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    token, ttl = issue_token(s, user, now=tx.now)
    tx.audit(actor, "login", "session", user.id)
    return _Attempt(token, ttl, user_dict(user))


def login(
    clinic: ClinicHandle, *, email: str, password: str, remote_addr: str = ""
) -> dict[str, Any]:
    """Check the password and return an access token, or raise after recording the failure."""
    outcome = _attempt_login(
        clinic, email=email.strip().lower(), password=password, remote_addr=remote_addr
    )
    if outcome.retry_after_s:
        raise RateLimited(
            "too many failed logins for this account or address",
            retry_after_s=outcome.retry_after_s,
            fix=f"wait {outcome.retry_after_s} s, or ask an admin to check the account",
        )
    if outcome.token is None:
        raise AuthenticationError("wrong e-mail or password", fix="check both and try again")
    return {"access_token": outcome.token, "token_type": "bearer", "expires_in": outcome.ttl_s,
            "user": outcome.user}  # fmt: skip


@use_case()
def logout(tx: Tx, actor: Actor) -> None:
    """Revoke every token of the caller."""
    tx.check_actor(actor)
    user = tx.session.get(User, actor.user_id)
    assert user is not None
    user.token_version += 1
    tx.audit(actor, "logout", "session", user.id)
