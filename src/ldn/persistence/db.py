"""Engines and transactions.

SQLite (the embedded default) is opened in WAL mode with foreign keys on, ``synchronous=FULL``
(an acknowledged write survives a crash or power loss) and a busy timeout; every transaction
starts with ``BEGIN IMMEDIATE`` so that concurrent writers queue instead of failing half-way.
PostgreSQL is used as is (READ COMMITTED; the audit chain heads are row-locked).

:meth:`Database.transaction` is the one place that commits: a use case runs inside it and either
everything it wrote is committed or nothing is.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["Database", "exposed_files", "private_file"]


def private_file(path: Path) -> None:
    """Create ``path`` (and its directory) readable by the owner only, unless it exists."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_engine(url: str, *, pool_size: int) -> Engine:
    path = make_url(url).database
    if path and path != ":memory:" and not path.startswith("file:"):
        # SQLite creates the -wal and -shm files with the database file's permissions
        private_file(Path(path))
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


def exposed_files(data_dir: Path, db: Database | None = None) -> list[str]:
    """Warnings for the data directory, keys and SQLite files that others than the owner can
    read or write (they hold patient data and the keys that protect it): directory 0700,
    files 0600."""
    paths = [data_dir, data_dir / "secret.key", data_dir / "audit.key"]
    if db is not None and db.dialect == "sqlite":
        name = make_url(db.url).database
        if name and name != ":memory:" and not name.startswith("file:"):
            base = Path(name)
            paths += [base.parent, base, Path(f"{base}-wal"), Path(f"{base}-shm")]
    out: list[str] = []
    for p in dict.fromkeys(paths):
        try:
            mode = stat.S_IMODE(p.stat().st_mode)
        except OSError:
            continue
        if mode & 0o077:
            want = 0o700 if p.is_dir() else 0o600
            out.append(f"{p} is readable or writable by others (mode {mode:o}); it holds patient data "
                       f"or its keys: chmod {want:o} {p}")  # fmt: skip
    return out
