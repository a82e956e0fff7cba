"""The clinic database: SQLAlchemy 2 typed tables.

Clinical payloads (a patient record, a screening report, a plan) are stored as JSON documents
exactly as the domain produced them, beside the columns that are searched or joined on. Every
change to the schema is an Alembic migration in ``persistence/migrations`` (a test fails when the
two drift).

Ownership: every patient belongs to one clinic; everything about a patient hangs off
``patients.id``. Patient records are versioned (a new row per change, never an update).
Trials keep the public commitment apart from the sealed allocation, which only the pharmacist
role reads until the reveal. ``audit_events`` is append-only (triggers refuse UPDATE and DELETE)
and hash-chained per shard (``audit_heads``), see :mod:`ldn.persistence.audit`.
"""

from __future__ import annotations

from ldn.persistence.tables.accounts import CdsJwtId, ClinicRow, LoginAttempt, PatientInvite, User
from ldn.persistence.tables.audit import AuditEvent, AuditHead
from ldn.persistence.tables.base import ROLES, Base
from ldn.persistence.tables.care import (
    Batch,
    DiaryRow,
    Plan,
    PlanAdjustment,
    Prescription,
    QuestionnaireRow,
    Trial,
)
from ldn.persistence.tables.notifications import DeliveryJob, Notification, NotificationPreference
from ldn.persistence.tables.patients import (
    Patient,
    PatientIdentifier,
    PatientRecordVersion,
    Screening,
    UnmappedResource,
)

__all__ = [
    "ROLES",
    "AuditEvent",
    "AuditHead",
    "Base",
    "Batch",
    "CdsJwtId",
    "ClinicRow",
    "DeliveryJob",
    "DiaryRow",
    "LoginAttempt",
    "Notification",
    "NotificationPreference",
    "Patient",
    "PatientIdentifier",
    "PatientInvite",
    "PatientRecordVersion",
    "Plan",
    "PlanAdjustment",
    "Prescription",
    "QuestionnaireRow",
    "Screening",
    "Trial",
    "UnmappedResource",
    "User",
]
