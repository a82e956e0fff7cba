"""Clinics, users and their sign-in: logins tried, enrolment invites, CDS Hooks JWT ids seen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from ldn.persistence.tables.base import ROLES, Base, Id

__all__ = ["CdsJwtId", "ClinicRow", "LoginAttempt", "PatientInvite", "User"]


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


class CdsJwtId(Base):
    """JWT ids (``jti``) of CDS Hooks calls already seen, until they expire (replay protection
    shared by every worker)."""

    __tablename__ = "cds_jwt_ids"
    jti: Mapped[str] = mapped_column(String(200), primary_key=True)
    iss: Mapped[str] = mapped_column(String(400))
    expires_at: Mapped[datetime] = mapped_column(index=True)
