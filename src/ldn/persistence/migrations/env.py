"""Alembic environment: run from :mod:`ldn.persistence.migrate` with a connection passed in."""

from __future__ import annotations

from alembic import context

from ldn.persistence.tables import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - ldn always passes a connection
    raise RuntimeError("run migrations through `ldn db upgrade` (ldn.persistence.migrate)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
