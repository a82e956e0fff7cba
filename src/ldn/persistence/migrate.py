"""Schema migrations (Alembic), run programmatically: ``ldn db upgrade`` and the tests.

The scripts live in the package (``persistence/migrations``) so an installed ldn can upgrade its
own database. :func:`schema_drift` compares the models with a migrated database; a test keeps it
empty.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from ldn.persistence.db import Database
from ldn.persistence.tables import Base

__all__ = ["current_revision", "downgrade", "head_revision", "schema_drift", "upgrade"]


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files("ldn.persistence") / "migrations"))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (default: the newest)."""
    cfg = _config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(db: Database, revision: str) -> None:
    cfg = _config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema_drift(db: Database) -> list[Any]:
    """Differences between the models and the migrated database (empty when in step)."""
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, Base.metadata))
