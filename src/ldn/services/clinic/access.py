"""Who may do what: one table of permissions, checked at the start of every use case.

Scopes: a **patient** reaches only their own record; a **clinician** every patient of their
clinic; a **pharmacist** the prescriptions, batches and sealed trial allocations of their clinic;
an **admin** the users and the audit trail of their clinic, but no clinical content. A patient
outside the caller's scope answers *not found* (its existence is not disclosed); a permission the
role does not have answers *permission denied*.
"""

from __future__ import annotations

from ldn.domain.errors import NotFoundError
from ldn.persistence.tables import Patient
from ldn.services.clinic.context import Actor, Tx
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


def authorize(tx: Tx, actor: Actor, permission: str, patient_id: int) -> Patient:
    """Check the actor, the permission and the scope; return the patient. A refusal is audited
    (by :func:`ldn.services.clinic.context.use_case`), naming the patient when it exists."""
    tx.check_actor(actor)
    patient = tx.session.get(Patient, patient_id)
    tx.denied_patient = patient.id if patient is not None else None
    require(actor, permission)
    if patient is None or not patient_in_scope(actor, patient):
        raise NotFoundError(
            f"no patient {patient_id} that you can see", fix="check the patient id (GET /patients)"
        )
    tx.denied_patient = None
    return patient
