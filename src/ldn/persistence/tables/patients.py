"""Patients, their identifiers, their versioned records, what an import kept aside, screenings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ldn.persistence.tables.base import Base, Id

__all__ = ["Patient", "PatientIdentifier", "PatientRecordVersion", "Screening", "UnmappedResource"]


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
