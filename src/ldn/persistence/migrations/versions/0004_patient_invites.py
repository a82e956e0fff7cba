"""Patient enrolment invites (one-time link or code, expiry, single use, revoke, resend).

``patient_invites`` keeps each invite's link token and short code only as keyed hashes
(HMAC-SHA-256, never the values), its expiry, and when it was used (by which login) or revoked.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 23:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "patient_invites",
        sa.Column("id", _ID, nullable=False),
        sa.Column("clinic_id", _ID, nullable=False),
        sa.Column("patient_id", _ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", _STAMP, nullable=False),
        sa.Column("created_at", _STAMP, nullable=False),
        sa.Column("created_by", _ID, nullable=True),
        sa.Column("used_at", _STAMP, nullable=True),
        sa.Column("user_id", _ID, nullable=True),
        sa.Column("revoked_at", _STAMP, nullable=True),
        sa.Column("revoked_by", _ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_patient_invites_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_patient_invites_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_patient_invites_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_patient_invites_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"], ["users.id"], name=op.f("fk_patient_invites_revoked_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_patient_invites_token_hash")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_patient_invites_code_hash")),
    )
    with op.batch_alter_table("patient_invites", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_invites_patient_id"), ["patient_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("patient_invites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_invites_patient_id"))
    op.drop_table("patient_invites")
