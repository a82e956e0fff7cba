"""Notifications, their delivery jobs (the outbox) and each person's preferences."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
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

__all__ = ["DeliveryJob", "Notification", "NotificationPreference"]


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
