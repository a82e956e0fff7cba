"""Who may do what: one table of permissions, checked at the start of every use case.

Scopes: a **patient** reaches only their own record; a **clinician** every patient of their
clinic; a **pharmacist** the prescriptions, batches and sealed trial allocations of their clinic;
an **admin** the users and the audit trail of their clinic, but no clinical content. A patient
outside the caller's scope answers *not found* (its existence is not disclosed); a permission the
role does not have answers *permission denied*.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, select

from ldn.domain.errors import AuthenticationError, NotFoundError
from ldn.persistence.audit import AuditHeadState, chain_of, head_columns, lock_head
from ldn.persistence.tables import AuditHead, Patient, User
from ldn.services.clinic.context import ACTOR_IS_CURRENT, Actor, Tx, actor_params
from ldn.services.clinic.permissions import PERMISSIONS, require_role

__all__ = ["PERMISSIONS", "authorize", "patient_in_scope", "require"]


def require(actor: Actor, permission: str) -> None:
    """The role holds ``permission`` (else :class:`PermissionDeniedError`)."""
    require_role(actor.role, permission)


def patient_in_scope(actor: Actor, patient: Patient) -> bool:
    if actor.role == "system":
        return True
    if actor.role == "patient":
        return actor.patient_id == patient.id
    return actor.clinic_id == patient.clinic_id


def _scope(*, lock_audit: bool) -> Select[Any]:
    """The actor's ``users`` row (valid token) left-joined with the patient; with
    ``lock_audit`` also the patient's audit chain head, locked (``FOR UPDATE OF audit_heads``)."""
    q: Select[Any] = select(Patient).select_from(User)
    if lock_audit:
        q = (
            q.join(AuditHead, AuditHead.chain == bindparam("scope_chain"))
            .add_columns(*head_columns())
            .with_for_update(of=AuditHead)
        )
    return q.outerjoin(Patient, Patient.id == bindparam("scope_patient")).where(*ACTOR_IS_CURRENT)


#: built once (bound parameters): no SQL is built per request
_SCOPE, _SCOPE_LOCKED = _scope(lock_audit=False), _scope(lock_audit=True)


def authorize(
    tx: Tx, actor: Actor, permission: str, patient_id: int, *, lock_audit: bool = False
) -> Patient:
    """Check the actor, the permission and the scope; return the patient. A refusal is audited
    (by :func:`ldn.services.clinic.context.use_case`), naming the patient when it exists.

    One query: the actor's ``users`` row (active, the token's role and version, in the WHERE)
    left-joined with the patient, so a revoked token and the patient's scope cost one round
    trip together. ``lock_audit``: also lock the patient's audit chain head in that query
    (``FOR UPDATE OF audit_heads``) for a use case that will append an event anyway; the
    transaction then appends without reading the head again.
    """
    chain = chain_of(patient_id)
    if tx.checked(actor):
        patient = tx.session.get(Patient, patient_id)
        if lock_audit and chain not in tx.heads:
            tx.heads[chain] = lock_head(tx.session, chain)
    else:
        params = {**actor_params(actor), "scope_patient": patient_id, "scope_chain": chain}
        row = tx.session.execute(_SCOPE_LOCKED if lock_audit else _SCOPE, params).one_or_none()
        if row is None:
            raise AuthenticationError(
                "your session is no longer valid", fix="log in again (POST /api/v1/auth/token)"
            )
        tx.mark_checked(actor)
        patient = row[0]
        if lock_audit:
            tx.heads[chain] = AuditHeadState(chain, int(row[1]), str(row[2]))
    tx.denied_patient = patient.id if patient is not None else None
    require(actor, permission)
    if patient is None or not patient_in_scope(actor, patient):
        raise NotFoundError(
            f"no patient {patient_id} that you can see", fix="check the patient id (GET /patients)"
        )
    tx.denied_patient = None
    return patient
