"""Engines and transactions.

SQLite (the embedded default) is opened in WAL mode with foreign keys on, ``synchronous=FULL``
(an acknowledged write survives a crash or power loss) and a busy timeout; every transaction
starts with ``BEGIN IMMEDIATE`` so that concurrent writers queue instead of failing half-way.
PostgreSQL is used as is (READ COMMITTED; the audit chain heads are row-locked).

:meth:`Database.transaction` is the one place that commits: a use case runs inside it and either
everything it wrote is committed or nothing is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["Database"]


def _sqlite_engine(url: str, *, pool_size: int) -> Engine:
    path = make_url(url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, connect_args={"timeout": 30}
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """One database: its engine and a session factory."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        if url.startswith("sqlite"):
            self.engine = _sqlite_engine(url, pool_size=pool_size)
        else:
            self.engine = create_engine(
                url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
            )
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()
