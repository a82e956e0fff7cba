"""Clinic outcomes: what the outcomes report and the aggregate export need (reserved; may stay
empty).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 23:50:00.000000
"""

from __future__ import annotations

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
