"""Clinic outcomes: a plan can be stopped, with the last day on LDN and the reason.

``plans`` gets ``stopped_on`` (the last day on LDN), ``stop_reason`` (a code from
:data:`ldn.domain.outcomes.STOP_REASONS`) and ``stop_note`` (the clinician's words); a stopped
plan has ``status`` "stopped". Existing plans are not stopped (the columns stay empty).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 23:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stopped_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("stop_reason", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("stop_note", sa.Text(), nullable=True))


def downgrade() -> None:
    # plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch copy of ``plans`` would fail
    # the foreign keys that point at it (prescriptions, plan adjustments)
    for column in ("stop_note", "stop_reason", "stopped_on"):
        op.drop_column("plans", column)
