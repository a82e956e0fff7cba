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

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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

ROLES = ("patient", "clinician", "pharmacist", "admin")

#: one naming convention, so migrations name constraints the same on SQLite and PostgreSQL
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Json = JSON().with_variant(JSONB(), "postgresql")
Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite: INTEGER PRIMARY KEY is the rowid
Stamp = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: Json, datetime: Stamp}


class ClinicRow(Base):
    """A clinic (the row; the running service is :class:`ldn.services.clinic.context.Clinic`)."""

    __tablename__ = "clinics"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="role"),
        CheckConstraint("role <> 'patient' OR patient_id IS NOT NULL", name="patient_link"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), unique=True)
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class LoginAttempt(Base):
    """Failed logins by account and by address, for the lock-out (kept in the database so that
    every worker and host sees the same count)."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_at", "key", "at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(400))
    at: Mapped[datetime]


class PatientInvite(Base):
    """A one-time enrolment invite for a patient login: a link token and a short code, both kept
    only as keyed hashes (HMAC-SHA-256), with an expiry; used, revoked or expired it opens nothing."""

    __tablename__ = "patient_invites"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    used_at: Mapped[datetime | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Patient(Base):
    """A patient of a clinic. ``birth_date``, ``sex`` and ``family_key`` (the family name folded
    to lower-case ASCII letters) copy the current record for the demographic match on import."""

    __tablename__ = "patients"
    __table_args__ = (
        UniqueConstraint("clinic_id", "record_id"),
        Index("ix_patients_demographics", "clinic_id", "birth_date", "family_key"),
        Index("ix_patients_list", "clinic_id", "display_name", "id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    record_id: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(10))
    family_key: Mapped[str | None] = mapped_column(String(200))


class PatientIdentifier(Base):
    """An identifier another system gave a patient (system + value, unique in the clinic): what
    ``$import-patient`` matches on first."""

    __tablename__ = "patient_identifiers"
    __table_args__ = (UniqueConstraint("clinic_id", "system", "value"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    system: Mapped[str] = mapped_column(String(400))
    value: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20), default="")


class PatientRecordVersion(Base):
    __tablename__ = "patient_records"
    __table_args__ = (UniqueConstraint("patient_id", "version"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class UnmappedResource(Base):
    """A resource of an imported Bundle that ldn kept but could not map into the record (an
    unknown questionnaire, a pain score without a pain profile, ...), with the record version
    the import made and the reason."""

    __tablename__ = "unmapped_resources"
    __table_args__ = (Index("ix_unmapped_resources_patient", "patient_id", "record_version"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    record_version: Mapped[int] = mapped_column(Integer)
    resource_type: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    resource: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Screening(Base):
    __tablename__ = "screenings"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    record_version: Mapped[int] = mapped_column(Integer)
    rules_version: Mapped[str] = mapped_column(String(40))
    as_of: Mapped[date] = mapped_column(Date)
    verdict: Mapped[str] = mapped_column(String(40))
    earliest_start: Mapped[date | None] = mapped_column(Date)
    report: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Plan(Base):
    """A titration plan; ``version`` is its ETag (an update must name the version it read)."""

    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default="active")
    options: Mapped[dict[str, Any]]
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: a stopped plan (``status`` "stopped"): the last day on LDN, a coded reason
    #: (:data:`ldn.domain.outcomes.STOP_REASONS`) and the clinician's words (migration 0006)
    stopped_on: Mapped[date | None] = mapped_column(Date)
    stop_reason: Mapped[str | None] = mapped_column(String(40))
    stop_note: Mapped[str | None] = mapped_column(Text)


class PlanAdjustment(Base):
    __tablename__ = "plan_adjustments"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    request: Mapped[dict[str, Any]]
    result: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Prescription(Base):
    __tablename__ = "prescriptions"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    status: Mapped[str] = mapped_column(String(20), default="issued")
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Batch(Base):
    """A compounded batch: the worksheet as made, its lot and beyond-use date."""

    __tablename__ = "batches"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    prescription_id: Mapped[int] = mapped_column(ForeignKey("prescriptions.id"), index=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    lot: Mapped[str] = mapped_column(String(60))
    beyond_use_date: Mapped[date] = mapped_column(Date)
    record: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class DiaryRow(Base):
    """One diary day. ``idempotency_key`` lets a phone retry a POST without a second entry;
    ``edited_at`` is when the patient made the stored version (empty for entries older than
    migration 0007: their last save stands in)."""

    __tablename__ = "diary_entries"
    __table_args__ = (
        UniqueConstraint("patient_id", "day"),
        UniqueConstraint("patient_id", "idempotency_key"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    day: Mapped[date] = mapped_column(Date)
    data: Mapped[dict[str, Any]]
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_sha256: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]


class QuestionnaireRow(Base):
    __tablename__ = "questionnaires"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    instrument: Mapped[str] = mapped_column(String(40))
    taken_on: Mapped[date] = mapped_column(Date)
    answers: Mapped[dict[str, Any]]
    result: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Trial(Base):
    """An N-of-1 trial. ``design`` and ``commitment`` are public; ``sealed`` (allocation and
    salt) is read only by the pharmacist role until ``revealed_at``."""

    __tablename__ = "trials"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    trial_code: Mapped[str] = mapped_column(String(100), unique=True)
    design: Mapped[dict[str, Any]]
    commitment: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20), default="running")
    revealed_at: Mapped[datetime | None]
    analysis: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Notification(Base):
    """One thing a person should know (issue #18): who, what, why, a link, and when it was
    created, delivered and read. ``(kind, recipient_user_id, subject_key, due_on)`` is unique: a
    rule can never create the same notification twice (:mod:`ldn.services.clinic.notifications`).
    ``reason`` is shown in the app only; e-mails never carry it."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("kind", "recipient_user_id", "subject_key", "due_on"),
        Index("ix_notifications_recipient", "recipient_user_id", "read_at", "created_at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    recipient_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    urgency: Mapped[int] = mapped_column(Integer, default=1)
    reason: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(400), default="")
    action: Mapped[str] = mapped_column(String(100), default="")
    subject_key: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]


class DeliveryJob(Base):
    """The outbox: one row per notification and channel, claimed by one runner at a time
    (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) under a lease, retried with backoff."""

    __tablename__ = "delivery_jobs"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel"),
        Index("ix_delivery_jobs_due", "status", "run_after"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[datetime]
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[dict[str, Any] | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class NotificationPreference(Base):
    """A person's choices: the diary reminder (time of day in their time zone), e-mail on or
    off, quiet hours, and the token of the unsubscribe link."""

    __tablename__ = "notification_preferences"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    reminder_time: Mapped[str | None] = mapped_column(String(5))
    email: Mapped[bool] = mapped_column(Boolean, default=True)
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    unsubscribe_token: Mapped[str] = mapped_column(String(64), unique=True)
    updated_at: Mapped[datetime]


class CdsJwtId(Base):
    """JWT ids (``jti``) of CDS Hooks calls already seen, until they expire (replay protection
    shared by every worker)."""

    __tablename__ = "cds_jwt_ids"
    jti: Mapped[str] = mapped_column(String(200), primary_key=True)
    iss: Mapped[str] = mapped_column(String(400))
    expires_at: Mapped[datetime] = mapped_column(index=True)


class AuditHead(Base):
    """The last event of each audit chain (locked while an event is appended)."""

    __tablename__ = "audit_heads"
    chain: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("chain", "seq"),
        Index("ix_audit_events_patient", "patient_id", "at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    chain: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime]
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(20))
    resource: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[str] = mapped_column(String(100), default="")
    patient_id: Mapped[int | None] = mapped_column(BigInteger)
    remote_addr: Mapped[str] = mapped_column(String(100), default="")
    request_id: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
