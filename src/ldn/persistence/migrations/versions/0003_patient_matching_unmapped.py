"""Patient matching on FHIR import and unmapped resources.

Patients get ``birth_date``, ``sex`` and ``family_key`` (the family name folded to lower-case
ASCII letters) for the demographic match; ``patient_identifiers`` holds identifiers from other
systems (system + value, unique in a clinic); ``unmapped_resources`` keeps the resources of an
imported Bundle that ldn could not map, with the record version the import made.

Existing patients are backfilled from their current record (sex, birth date when the record has
one) and display name (the last word, as the family name).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 09:00:00.000000
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def _family_key(display_name: str) -> str | None:
    """As :func:`ldn.services.clinic.patients.family_key` for a display name (frozen here)."""
    words = re.sub(r"\([^)]*\)", " ", display_name).split()
    if not words:
        return None
    folded = unicodedata.normalize("NFKD", words[-1])
    key = "".join(ch for ch in folded.lower() if "a" <= ch <= "z")
    return key or None


def _backfill() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT p.id, p.display_name, r.data FROM patients p JOIN patient_records r "
            "ON r.patient_id = p.id AND r.version = p.current_version"
        )
    ).all()
    for pid, name, raw in rows:
        data: dict[str, Any] = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
        born = data.get("birth_date")
        conn.execute(
            sa.text(
                "UPDATE patients SET sex = :sex, family_key = :fam, birth_date = :born WHERE id = :id"
            ),
            {
                "sex": str(data.get("sex") or "unknown")[:10],
                "fam": _family_key(name or ""),
                "born": date.fromisoformat(born) if isinstance(born, str) else None,
                "id": pid,
            },
        )


def upgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("birth_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("sex", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("family_key", sa.String(length=200), nullable=True))
        batch_op.create_index(
            "ix_patients_demographics", ["clinic_id", "birth_date", "family_key"], unique=False
        )
    _backfill()

    op.create_table(
        "patient_identifiers",
        sa.Column("id", _ID, nullable=False),
        sa.Column("clinic_id", _ID, nullable=False),
        sa.Column("patient_id", _ID, nullable=False),
        sa.Column("system", sa.String(length=400), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_patient_identifiers_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_patient_identifiers_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_identifiers")),
        sa.UniqueConstraint(
            "clinic_id",
            "system",
            "value",
            name=op.f("uq_patient_identifiers_clinic_id_system_value"),
        ),
    )
    with op.batch_alter_table("patient_identifiers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_identifiers_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "unmapped_resources",
        sa.Column("id", _ID, nullable=False),
        sa.Column("patient_id", _ID, nullable=False),
        sa.Column("record_version", sa.Integer(), nullable=False),
        sa.Column("resource_type", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("resource", _JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", _ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_unmapped_resources_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_unmapped_resources_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unmapped_resources")),
    )
    with op.batch_alter_table("unmapped_resources", schema=None) as batch_op:
        batch_op.create_index(
            "ix_unmapped_resources_patient", ["patient_id", "record_version"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("unmapped_resources", schema=None) as batch_op:
        batch_op.drop_index("ix_unmapped_resources_patient")
    op.drop_table("unmapped_resources")
    with op.batch_alter_table("patient_identifiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_identifiers_patient_id"))
    op.drop_table("patient_identifiers")
    # plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch copy of ``patients`` would
    # fail the foreign keys that point at it
    op.drop_index("ix_patients_demographics", table_name="patients")
    for column in ("family_key", "sex", "birth_date"):
        op.drop_column("patients", column)
