"""Patient enrolment invites (one-time link or code, expiry, single use, revoke, resend).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 23:50:00.000000
"""

from __future__ import annotations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
