"""Notifications, delivery jobs and per-user preferences (reminders, alerts, the clinician's inbox).

``notifications`` holds what a person should know (unique per rule, recipient, subject and due
day, so a rule never creates one twice); ``delivery_jobs`` is the outbox of channels other than
the app (e-mail), claimed under a lease; ``notification_preferences`` the reminder time, time
zone, e-mail choice, quiet hours and unsubscribe token of a user.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 23:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
_STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", _ID, nullable=False),
        sa.Column("clinic_id", _ID, nullable=False),
        sa.Column("recipient_user_id", _ID, nullable=False),
        sa.Column("patient_id", _ID, nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("urgency", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=400), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("subject_key", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", _STAMP, nullable=False),
        sa.Column("delivered_at", _STAMP, nullable=True),
        sa.Column("read_at", _STAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_notifications_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_notifications_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_user_id"],
            ["users.id"],
            name=op.f("fk_notifications_recipient_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "kind",
            "recipient_user_id",
            "subject_key",
            "due_on",
            name=op.f("uq_notifications_kind_recipient_user_id_subject_key_due_on"),
        ),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notifications_recipient",
            ["recipient_user_id", "read_at", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_notifications_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "delivery_jobs",
        sa.Column("id", _ID, nullable=False),
        sa.Column("notification_id", _ID, nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", _STAMP, nullable=False),
        sa.Column("locked_by", sa.String(length=100), nullable=True),
        sa.Column("locked_until", _STAMP, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("message", _JSON, nullable=True),
        sa.Column("sent_at", _STAMP, nullable=True),
        sa.Column("created_at", _STAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_delivery_jobs_notification_id_notifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_jobs")),
        sa.UniqueConstraint(
            "notification_id", "channel", name=op.f("uq_delivery_jobs_notification_id_channel")
        ),
    )
    with op.batch_alter_table("delivery_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_jobs_due", ["status", "run_after"], unique=False)

    op.create_table(
        "notification_preferences",
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("reminder_time", sa.String(length=5), nullable=True),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("quiet_start", sa.String(length=5), nullable=True),
        sa.Column("quiet_end", sa.String(length=5), nullable=True),
        sa.Column("unsubscribe_token", sa.String(length=64), nullable=False),
        sa.Column("updated_at", _STAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_preferences_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preferences")),
        sa.UniqueConstraint(
            "unsubscribe_token", name=op.f("uq_notification_preferences_unsubscribe_token")
        ),
    )


def downgrade() -> None:
    op.drop_table("notification_preferences")
    with op.batch_alter_table("delivery_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_jobs_due")
    op.drop_table("delivery_jobs")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_patient_id"))
        batch_op.drop_index("ix_notifications_recipient")
    op.drop_table("notifications")
