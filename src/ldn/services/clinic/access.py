"""Who may do what: one table of permissions, checked at the start of every use case.

Scopes: a **patient** reaches only their own record; a **clinician** every patient of their
clinic; a **pharmacist** the prescriptions, batches and sealed trial allocations of their clinic;
an **admin** the users and the audit trail of their clinic, but no clinical content. A patient
outside the caller's scope answers *not found* (its existence is not disclosed); a permission the
role does not have answers *permission denied*.
"""

from __future__ import annotations

from ldn.domain.errors import NotFoundError, PermissionDeniedError
from ldn.persistence.tables import Patient
from ldn.services.clinic.context import Actor, Tx

__all__ = ["PERMISSIONS", "authorize", "patient_in_scope", "require"]

#: permission -> roles that hold it (the system operator, at the command line only, holds all;
#: a token can never carry "system": :func:`ldn.services.clinic.accounts.decode_token`)
PERMISSIONS: dict[str, frozenset[str]] = {
    "patient.list": frozenset({"clinician"}),
    "patient.read": frozenset({"clinician", "patient"}),
    "patient.write": frozenset({"clinician"}),
    "screening.read": frozenset({"clinician", "patient"}),
    "screening.write": frozenset({"clinician"}),
    "plan.read": frozenset({"clinician", "patient"}),
    "plan.write": frozenset({"clinician"}),
    "prescription.read": frozenset({"clinician", "pharmacist", "patient"}),
    "prescription.write": frozenset({"clinician"}),
    "prescription.queue": frozenset({"pharmacist", "clinician"}),
    "prescription.cancel": frozenset({"clinician", "pharmacist"}),
    "prescription.dispense": frozenset({"pharmacist"}),
    "batch.read": frozenset({"pharmacist", "clinician"}),
    "batch.write": frozenset({"pharmacist"}),
    "diary.read": frozenset({"clinician", "patient"}),
    "diary.write": frozenset({"clinician", "patient"}),
    "questionnaire.read": frozenset({"clinician", "patient"}),
    "questionnaire.write": frozenset({"clinician", "patient"}),
    "trial.read": frozenset({"clinician", "patient", "pharmacist"}),
    "trial.write": frozenset({"clinician"}),
    "trial.sealed": frozenset({"pharmacist"}),
    "user.admin": frozenset({"admin"}),
    "audit.read": frozenset({"admin"}),
}


def require(actor: Actor, permission: str) -> None:
    """The role holds ``permission`` (else :class:`PermissionDeniedError`)."""
    if actor.role == "system":
        return
    if actor.role not in PERMISSIONS[permission]:
        raise PermissionDeniedError(
            f"a {actor.role} may not do this ({permission})",
            fix="ask a user with the right role, or an admin to change your role",
        )


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
