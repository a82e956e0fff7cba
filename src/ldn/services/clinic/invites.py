"""Patient enrolment: a clinician invites a patient, the patient chooses their own login.

An invite is a one-time link (a random token, 256 bits) and a short code to read aloud
(8 characters of Crockford's base 32, 40 bits, e.g. ``K7QM-4XPD``). Both are shown once, when the
invite is made, and kept only as keyed hashes (HMAC-SHA-256 with the service's secret key, so a
copy of the database alone cannot test codes). An invite expires after ``LDN_INVITE_TTL_HOURS``
(a clinic policy), opens one login only, and can be revoked; *resend* revokes the open invite and
makes a new one. Every step is audited.

Redeeming is public (there is no login yet) and throttled like the login
(:func:`ldn.services.clinic.accounts.login_wait_s`): unknown, expired, used or revoked links and
codes count as failures per address and, with a higher threshold, for the whole service, so
guessing codes is slowed to a crawl. The e-mail and password follow the same rules as every
login (:func:`ldn.services.clinic.accounts.create_user`; Argon2id); the new login is a patient
login linked to the invited patient only.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from ldn.config import Settings
from ldn.domain.errors import ConflictError, LdnError, NotFoundError, RateLimited
from ldn.persistence.tables import ClinicRow, LoginAttempt, Patient, PatientInvite, User
from ldn.services.clinic.access import authorize
from ldn.services.clinic.accounts import _check_new_user as check_new_login
from ldn.services.clinic.accounts import issue_token, login_wait_s, password_hasher, user_dict
from ldn.services.clinic.context import Actor, Clinic, Tx, use_case
from ldn.services.clinic.permissions import PUBLIC

__all__ = [
    "CODE_ALPHABET",
    "check_invite",
    "create_invite",
    "list_invites",
    "normalise_code",
    "redeem_invite",
    "resend_invite",
    "revoke_invite",
]

#: Crockford's base 32: no I, L, O or U, so a code read aloud or typed is not mistaken
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LEN = 8
_READ_AS = str.maketrans("OIL", "011")
#: failures before the waits start, as multiples of ``LDN_LOGIN_MAX_FAILURES``: from one address;
#: from anywhere (many addresses guessing codes together)
_LIMITS = (("addr", 1), ("all", 10))


def normalise_code(code: str) -> str:
    """A typed code as stored: capitals, no spaces or dashes, O read as 0 and I/L as 1."""
    out = "".join(ch for ch in code.upper() if ch.isalnum())
    return out.translate(_READ_AS)


def _digest(settings: Settings, kind: str, value: str) -> str:
    key = settings.resolved_secret_key().encode()
    return hmac.new(key, f"invite-{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def _aware(t: datetime, now: datetime) -> datetime:
    """SQLite gives back naive datetimes (stored as UTC)."""
    return t if t.tzinfo else t.replace(tzinfo=now.tzinfo)


def _status(inv: PatientInvite, now: datetime) -> str:
    if inv.used_at is not None:
        return "used"
    if inv.revoked_at is not None:
        return "revoked"
    return "expired" if _aware(inv.expires_at, now) <= now else "open"


def _dict(inv: PatientInvite, now: datetime) -> dict[str, Any]:
    return {
        "id": inv.id,
        "patient_id": inv.patient_id,
        "status": _status(inv, now),
        "created_at": _aware(inv.created_at, now).isoformat(),
        "expires_at": _aware(inv.expires_at, now).isoformat(),
        "used_at": _aware(inv.used_at, now).isoformat() if inv.used_at else None,
        "revoked_at": _aware(inv.revoked_at, now).isoformat() if inv.revoked_at else None,
    }


def _open(tx: Tx, patient_id: int) -> list[PatientInvite]:
    q = select(PatientInvite).where(
        PatientInvite.patient_id == patient_id,
        PatientInvite.used_at.is_(None),
        PatientInvite.revoked_at.is_(None),
    )
    return [i for i in tx.session.scalars(q) if _status(i, tx.now) == "open"]


def _has_login(tx: Tx, patient_id: int) -> bool:
    return tx.session.scalar(select(User.id).where(User.patient_id == patient_id)) is not None


def _issue(tx: Tx, actor: Actor, patient: Patient) -> dict[str, Any]:
    """A new invite; the only time its token and code exist outside the hashes."""
    if _has_login(tx, patient.id):
        raise ConflictError(
            "this patient already has a login",
            fix="they log in at /login with the e-mail they chose; an admin can deactivate it",
        )
    token = secrets.token_urlsafe(32)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LEN))
    inv = PatientInvite(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        token_hash=_digest(tx.settings, "token", token),
        code_hash=_digest(tx.settings, "code", code),
        expires_at=tx.now + timedelta(hours=tx.settings.invite_ttl_hours),
        created_at=tx.now,
        created_by=actor.user_id or None,
    )
    tx.session.add(inv)
    tx.session.flush()
    tx.audit(actor, "create", "invite", inv.id, patient_id=patient.id)
    return {
        **_dict(inv, tx.now),
        "token": token,
        "code": f"{code[:4]}-{code[4:]}",
        "enrol_path": f"/enrol/{token}",
    }


def _revoke_open(tx: Tx, actor: Actor, patient_id: int) -> int:
    n = 0
    for inv in _open(tx, patient_id):
        inv.revoked_at, inv.revoked_by = tx.now, actor.user_id or None
        tx.audit(actor, "revoke", "invite", inv.id, patient_id=patient_id)
        n += 1
    return n


@use_case("invite.write")
def create_invite(tx: Tx, actor: Actor, patient_id: int) -> dict[str, Any]:
    """A one-time link and code for the patient to make their login (shown this once)."""
    patient = authorize(tx, actor, "invite.write", patient_id)
    still_open = _open(tx, patient.id)
    if still_open:
        until = _aware(still_open[0].expires_at, tx.now).isoformat(timespec="minutes")
        raise ConflictError(
            f"an invite for this patient is still open (until {until})",
            fix="resend it (a new link and code; the old ones stop working) or revoke it",
        )
    return _issue(tx, actor, patient)


@use_case("invite.write")
def resend_invite(tx: Tx, actor: Actor, patient_id: int) -> dict[str, Any]:
    """Revoke the open invite (if any) and make a new one."""
    patient = authorize(tx, actor, "invite.write", patient_id)
    _revoke_open(tx, actor, patient.id)
    return _issue(tx, actor, patient)


@use_case("invite.write")
def revoke_invite(tx: Tx, actor: Actor, patient_id: int) -> dict[str, Any]:
    """Withdraw the open invite: its link and code stop working."""
    patient = authorize(tx, actor, "invite.write", patient_id)
    if not _revoke_open(tx, actor, patient.id):
        raise NotFoundError("this patient has no open invite", fix="nothing to revoke")
    return {"patient_id": patient.id, "revoked": True}


@use_case("invite.write")
def list_invites(tx: Tx, actor: Actor, patient_id: int) -> dict[str, Any]:
    """The patient's invites, newest first (never a token or code), and whether they have a login."""
    patient = authorize(tx, actor, "invite.write", patient_id)
    rows = tx.session.scalars(
        select(PatientInvite)
        .where(PatientInvite.patient_id == patient.id)
        .order_by(PatientInvite.id.desc())
    )
    tx.audit(actor, "read", "invites", patient_id=patient.id)
    return {"has_login": _has_login(tx, patient.id), "items": [_dict(i, tx.now) for i in rows]}


@dataclass(frozen=True, slots=True)
class _Outcome:
    refusal: LdnError | None = None
    retry_after_s: int = 0
    clinic_name: str = ""
    token: str = ""
    ttl_s: int = 0
    user: dict[str, Any] | None = None


def _wait_s(tx: Tx, remote_addr: str) -> tuple[int, dict[str, str]]:
    """Seconds this address must still wait before the next try (as the login's waits)."""
    s = tx.settings
    window_start = tx.now - timedelta(minutes=s.login_window_minutes)
    keys = {"addr": f"invite:addr:{remote_addr}", "all": "invite:all"}
    tx.session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.key.in_(keys.values()), LoginAttempt.at < window_start
        )
    )
    wait = 0
    for kind, times in _LIMITS:
        n, last = tx.session.execute(
            select(func.count(), func.max(LoginAttempt.at)).where(
                LoginAttempt.key == keys[kind], LoginAttempt.at >= window_start
            )
        ).one()
        backoff = login_wait_s(n, s.login_max_failures * times, s.login_window_minutes * 60)
        if backoff:
            ends = _aware(last, tx.now) + timedelta(seconds=backoff)
            wait = max(wait, math.ceil((ends - tx.now).total_seconds()))
    return wait, keys


def _find(tx: Tx, token: str, code: str) -> PatientInvite | None:
    if token:
        q = select(PatientInvite).where(
            PatientInvite.token_hash == _digest(tx.settings, "token", token[:200])
        )
    else:
        q = select(PatientInvite).where(
            PatientInvite.code_hash == _digest(tx.settings, "code", normalise_code(code)[:40])
        )
    return tx.session.scalar(q.with_for_update())


def _refusal(inv: PatientInvite | None, now: datetime) -> LdnError | None:
    if inv is None:
        return NotFoundError(
            "this invite link or code is not valid",
            fix="check the code (8 letters and digits), or ask your clinic for a new invite",
        )
    status = _status(inv, now)
    if status == "used":
        return ConflictError(
            "this invite has already been used",
            fix="log in with the e-mail and password chosen then, or ask your clinic for help",
        )
    if status == "revoked":
        return ConflictError(
            "this invite was withdrawn by your clinic",
            fix="use the newest invite your clinic sent you, or ask for a new one",
        )
    if status == "expired":
        return ConflictError(
            f"this invite expired on {_aware(inv.expires_at, now).date().isoformat()}",
            fix="ask your clinic to send you a new one",
        )
    return None


@use_case(PUBLIC)
def _attempt_enrolment(
    tx: Tx,
    *,
    token: str,
    code: str,
    email: str | None,
    password: str,
    remote_addr: str,
    request_id: str,
) -> _Outcome:
    """Check (``email`` None) or redeem an invite, counting a refused one against the address."""
    wait, keys = _wait_s(tx, remote_addr)
    if wait > 0:
        return _Outcome(retry_after_s=wait)
    inv = _find(tx, token, code)
    refusal = _refusal(inv, tx.now)
    anonymous = Actor(
        user_id=0, role="anonymous", clinic_id=0, remote_addr=remote_addr, request_id=request_id
    )
    if refusal is not None or inv is None:
        for key in keys.values():
            tx.session.add(LoginAttempt(key=key, at=tx.now))
        tx.audit(
            anonymous,
            "enrol_failed",
            "invite",
            inv.id if inv else "",
            patient_id=inv.patient_id if inv else None,
            detail=type(refusal).__name__,
        )
        return _Outcome(refusal=refusal)
    clinic_row = tx.session.get(ClinicRow, inv.clinic_id)
    clinic_name = clinic_row.name if clinic_row else ""
    if email is None:
        return _Outcome(clinic_name=clinic_name)
    email = email.strip().lower()
    check_new_login(email, "patient", password)
    patient = tx.session.get(Patient, inv.patient_id)
    assert patient is not None
    taken = tx.session.scalar(select(User.id).where(User.email == email))
    if taken is not None or _has_login(tx, patient.id):
        raise ConflictError(
            "this login cannot be created with these details",
            fix="use another e-mail address; a patient has at most one login",
        )
    user = User(
        clinic_id=inv.clinic_id,
        email=email,
        display_name=patient.display_name,
        role="patient",
        password_hash=password_hasher(tx.settings).hash(password),
        patient_id=patient.id,
        token_version=0,
        active=True,
        created_at=tx.now,
    )
    tx.session.add(user)
    tx.session.flush()
    inv.used_at, inv.user_id = tx.now, user.id
    me = Actor(
        user_id=user.id,
        role="patient",
        clinic_id=user.clinic_id,
        patient_id=patient.id,
        remote_addr=remote_addr,
        request_id=request_id,
    )
    tx.audit(me, "create", "user", user.id, patient_id=patient.id, detail="role=patient enrolment")
    tx.audit(me, "redeem", "invite", inv.id, patient_id=patient.id)
    access, ttl = issue_token(tx.settings, user, now=tx.now)
    return _Outcome(clinic_name=clinic_name, token=access, ttl_s=ttl, user=user_dict(user))


def _raise(outcome: _Outcome) -> None:
    if outcome.retry_after_s:
        raise RateLimited(
            "too many invalid invites from this address: wait before the next try",
            retry_after_s=outcome.retry_after_s,
            fix=f"wait {outcome.retry_after_s} s, then check the code; or ask your clinic",
        )
    if outcome.refusal is not None:
        raise outcome.refusal


def check_invite(
    clinic: Clinic,
    *,
    token: str = "",
    code: str = "",
    remote_addr: str = "",
    request_id: str = "",
) -> dict[str, Any]:
    """Whether an invite can be used (before the patient types a password): the clinic's name,
    or the refusal (an unusable invite counts against the address as a failure)."""
    outcome = _attempt_enrolment(
        clinic,
        token=token,
        code=code,
        email=None,
        password="",
        remote_addr=remote_addr,
        request_id=request_id,
    )
    _raise(outcome)
    return {"clinic_name": outcome.clinic_name}


def redeem_invite(
    clinic: Clinic,
    *,
    token: str = "",
    code: str = "",
    email: str,
    password: str,
    remote_addr: str = "",
    request_id: str = "",
) -> dict[str, Any]:
    """Make the patient's login from an open invite (link token or code) and log them in: an
    access token as :func:`ldn.services.clinic.accounts.login` returns."""
    outcome = _attempt_enrolment(
        clinic,
        token=token,
        code=code,
        email=email,
        password=password,
        remote_addr=remote_addr,
        request_id=request_id,
    )
    _raise(outcome)
    return {
        "access_token": outcome.token,
        "token_type": "bearer",
        "expires_in": outcome.ttl_s,
        "user": outcome.user,
    }
