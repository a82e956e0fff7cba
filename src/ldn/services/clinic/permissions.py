"""The permission table: which roles may do what. Every use case declares one of these (or
:data:`SESSION` / :data:`PUBLIC`) in its ``@use_case`` line, and the decorator checks it before
the use case runs (:mod:`ldn.services.clinic.context`); the patient's scope is checked by
:func:`ldn.services.clinic.access.authorize`.
"""

from __future__ import annotations

from ldn.domain.errors import PermissionDeniedError

__all__ = ["PERMISSIONS", "PUBLIC", "SESSION", "require_role"]

#: any signed-in actor whose token is still valid (the use case narrows it itself, and says how)
SESSION = "session"
#: no actor yet (a login attempt); the use case does its own checks
PUBLIC = "public"

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
    "outcomes.read": frozenset({"clinician", "admin"}),
    "invite.write": frozenset({"clinician"}),
    "user.admin": frozenset({"admin"}),
    "audit.read": frozenset({"admin"}),
    "aggregate.export": frozenset({"admin", "clinician"}),
    "notification.read": frozenset({"patient", "clinician", "pharmacist", "admin"}),
    "notification.inbox": frozenset({"clinician"}),
    "notification.admin": frozenset({"admin"}),
}


def require_role(role: str, permission: str) -> None:
    """``role`` holds ``permission`` (else :class:`PermissionDeniedError`)."""
    if role == "system" or permission in (SESSION, PUBLIC):
        return
    if role not in PERMISSIONS[permission]:
        raise PermissionDeniedError(
            f"a {role} may not do this ({permission})",
            fix="ask a user with the right role, or an admin to change your role",
        )
