"""CDS Hooks: the JWT ids already seen (replay protection shared by every worker).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 06:13:39.833989
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cds_jwt_ids",
        sa.Column("jti", sa.String(length=200), nullable=False),
        sa.Column("iss", sa.String(length=400), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_cds_jwt_ids")),
    )
    with op.batch_alter_table("cds_jwt_ids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cds_jwt_ids_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cds_jwt_ids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cds_jwt_ids_expires_at"))

    op.drop_table("cds_jwt_ids")
