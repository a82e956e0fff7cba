"""The clinician's list reads its page from an index; a diary entry keeps the patient's edit time.

``patients`` gets an index on ``(clinic_id, display_name, id)``: the list's default page (50
patients by name) is then an index range scan instead of sorting the clinic's patients on every
request (issue #21). ``diary_entries`` gets ``edited_at``: when the patient made the stored
version of the entry (the phone's edit time, clamped to the server's clock; the server's save
time when the request did not say), so that latest-edit-wins compares edit with edit, not an
edit with the time the other one arrived. Existing entries keep it empty and compare by their
last save, as before.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_patients_list", "patients", ["clinic_id", "display_name", "id"])
    op.add_column(
        "diary_entries", sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("diary_entries", "edited_at")
    op.drop_index("ix_patients_list", table_name="patients")
