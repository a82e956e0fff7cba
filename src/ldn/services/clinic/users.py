"""Clinics and users: creating a clinic, creating, listing and updating a clinic's logins
(changing a role or deactivating a user bumps ``token_version``, so their tokens stop working)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ldn.domain.errors import ConflictError, InputError, NotFoundError
from ldn.persistence.tables import ROLES, ClinicRow, Patient, User
from ldn.services.clinic.access import require
from ldn.services.clinic.context import Actor, Page, Tx, use_case
from ldn.services.clinic.passwords import check_new_user, password_hasher

__all__ = ["create_clinic", "create_user", "list_users", "update_user", "user_dict"]


def user_dict(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "email": u.email,
        "display_name": u.display_name,
        "role": u.role,
        "clinic_id": u.clinic_id,
        "patient_id": u.patient_id,
        "active": u.active,
    }


@use_case("user.admin")
def create_clinic(tx: Tx, actor: Actor, *, name: str) -> dict[str, Any]:
    """A new clinic (the operator's command line, or an admin)."""
    require(actor, "user.admin")
    name = name.strip()
    if len(name) > 200:
        raise InputError.at("name", "the clinic name is longer than 200 characters", "shorten it")
    if not name:
        raise InputError.at("name", "the clinic needs a name", "e.g. 'Riverside Pain Clinic'")
    if tx.session.scalar(select(ClinicRow).where(ClinicRow.name == name)):
        raise ConflictError(f"a clinic named {name!r} exists", fix="choose another name")
    clinic = ClinicRow(name=name, created_at=tx.now)
    tx.session.add(clinic)
    tx.session.flush()
    tx.audit(actor, "create", "clinic", clinic.id)
    return {"id": clinic.id, "name": clinic.name}


@use_case("user.admin")
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
    check_new_user(email, role, password, display_name)
    if actor.role != "system" and clinic_id != actor.clinic_id:
        raise NotFoundError(
            f"no clinic {clinic_id} that you administer", fix="use your clinic's id"
        )
    if tx.session.get(ClinicRow, clinic_id) is None:
        raise NotFoundError(f"no clinic {clinic_id}", fix="create it first: ldn clinic create NAME")
    if role == "patient":
        patient = tx.session.get(Patient, patient_id) if patient_id is not None else None
        if patient is None or patient.clinic_id != clinic_id:
            raise InputError.at(
                "patient_id",
                "a patient login needs the patient's id in this clinic",
                "create the patient first, then pass its id",
            )
    elif patient_id is not None:
        raise InputError.at("patient_id", "only a patient login is linked to a patient", "omit it")
    user = User(
        clinic_id=clinic_id,
        email=email,
        display_name=display_name,
        role=role,
        password_hash=password_hasher(tx.settings).hash(password),
        patient_id=patient_id,
        token_version=0,
        active=True,
        created_at=tx.now,
    )
    taken = tx.session.scalar(select(User.id).where(User.email == email))
    linked = patient_id is not None and tx.session.scalar(
        select(User.id).where(User.patient_id == patient_id)
    )
    if taken is not None or linked:
        # one message whichever clinic holds the address: no account of another clinic is disclosed
        raise ConflictError(
            "this login cannot be created with these details",
            fix="use another e-mail address; a patient has at most one login",
        )
    tx.session.add(user)
    try:
        tx.session.flush()
    except IntegrityError:
        raise ConflictError(
            "this login cannot be created with these details",
            fix="use another e-mail address; a patient has at most one login",
        ) from None
    tx.audit(actor, "create", "user", user.id, detail=f"role={role}")
    return user_dict(user)


@use_case("user.admin")
def list_users(tx: Tx, actor: Actor, *, limit: int, offset: int) -> Page[dict[str, Any]]:
    tx.check_actor(actor)
    require(actor, "user.admin")
    q = select(User).where(User.clinic_id == actor.clinic_id)
    rows, total = tx.paged(q, User.id, limit=limit, offset=offset)
    tx.audit(actor, "read", "users")
    return Page([user_dict(u) for u in rows], total, limit, offset)


@use_case("user.admin")
def update_user(
    tx: Tx, actor: Actor, user_id: int, *, role: str | None = None, active: bool | None = None
) -> dict[str, Any]:
    """Change a role or (de)activate a user; their existing tokens stop working."""
    tx.check_actor(actor)
    require(actor, "user.admin")
    user = tx.session.get(User, user_id)
    if user is None or user.clinic_id != actor.clinic_id:
        raise NotFoundError(f"no user {user_id} in your clinic", fix="check the id (GET /users)")
    if role is not None and (role not in ROLES or role == "patient" or user.role == "patient"):
        raise InputError.at(
            "role",
            f"cannot make this user a {role!r}",
            "staff roles are clinician, pharmacist, admin; patients stay patients",
        )
    loses_admin = (
        user.role == "admin"
        and user.active
        and ((role is not None and role != "admin") or active is False)
    )
    if loses_admin and user.id == actor.user_id:
        raise ConflictError(
            "an admin cannot demote or deactivate themselves",
            fix="ask another admin of the clinic to do it",
        )
    if loses_admin:
        others = tx.session.scalar(
            select(func.count())
            .select_from(User)
            .where(
                User.clinic_id == user.clinic_id,
                User.role == "admin",
                User.active.is_(True),
                User.id != user.id,
            )
        )
        if not others:
            raise ConflictError(
                "this is the clinic's last active admin", fix="make another user admin first"
            )
    if role is not None:
        user.role = role
    if active is not None:
        user.active = active
    user.token_version += 1
    tx.audit(actor, "update", "user", user.id, detail=f"role={user.role} active={user.active}")
    return user_dict(user)
