"""The care path: plans and their adjustments, prescriptions, batches, the diary, questionnaires, trials."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ldn.persistence.tables.base import Base, Id

__all__ = [
    "Batch",
    "DiaryRow",
    "Plan",
    "PlanAdjustment",
    "Prescription",
    "QuestionnaireRow",
    "Trial",
]


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
