"""Engines and transactions.

SQLite (the embedded default) is opened in WAL mode with foreign keys on, ``synchronous=FULL``
(an acknowledged write survives a crash or power loss) and a busy timeout; every transaction
starts with ``BEGIN IMMEDIATE`` so that concurrent writers queue instead of failing half-way.
PostgreSQL is used as is (READ COMMITTED; the audit chain heads are row-locked).

:meth:`Database.transaction` is the one place that commits: a use case runs inside it and either
everything it wrote is committed or nothing is. It also says honestly what a database outage did:
a connection-level failure (:func:`is_outage`) before COMMIT raises
:class:`~ldn.domain.errors.ServiceUnavailable` (rolled back, nothing changed; retry later), one
raised by COMMIT itself raises :class:`~ldn.domain.errors.OutcomeUnknown` (the server may have
committed before the connection broke; retry with the same idempotency key).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from ldn.domain.errors import OutcomeUnknown, ServiceUnavailable

__all__ = [
    "RETRY_AFTER_S",
    "Database",
    "exposed_files",
    "is_outage",
    "outage_summary",
    "private_file",
]

#: ``Retry-After`` for an outage, in seconds: an operational choice (not a clinical number) —
#: the fault tests (docs/reliability.md) see the servers recover within about a second of the
#: database coming back
RETRY_AFTER_S = 2

#: SQLite's transient failures (another writer holds the lock past the busy timeout, a failing
#: or missing disk): everything else SQLite calls OperationalError (no such table, a syntax
#: error) is a bug or a deployment error, not an outage
_SQLITE_TRANSIENT = (
    "database is locked",
    "database table is locked",
    "disk i/o error",
    "unable to open database file",
    "database or disk is full",
)


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
        """A session in one transaction: committed on success, rolled back on any error.

        A connection-level failure (:func:`is_outage`) becomes
        :class:`~ldn.domain.errors.ServiceUnavailable` when it happened before COMMIT (nothing
        was changed) and :class:`~ldn.domain.errors.OutcomeUnknown` when COMMIT itself failed
        (the outcome is unknown); every other error passes through unchanged.
        """
        committing = False
        try:
            with self._sessions() as session:
                session.begin()
                try:
                    yield session
                    session.flush()  # every statement before COMMIT: a failure here is known
                except BaseException:
                    # the connection may be gone already; the server then rolls back by itself
                    with suppress(sa_exc.DBAPIError, sa_exc.TimeoutError):
                        session.rollback()
                    raise
                committing = True
                session.commit()
        except (sa_exc.DBAPIError, sa_exc.TimeoutError) as exc:
            if not is_outage(exc):
                raise
            if committing:
                raise OutcomeUnknown(
                    retry_after_s=RETRY_AFTER_S, cause=outage_summary(exc)
                ) from exc
            raise ServiceUnavailable(
                retry_after_s=RETRY_AFTER_S, cause=outage_summary(exc)
            ) from exc

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` means the database is (for now) not answering, rather than a bug: a pool
    checkout that timed out, a connection refused, reset or invalidated, a server shutting down
    or starting up (PostgreSQL: every ``OperationalError``, which also covers deadlocks and
    serialization failures — retrying is the right answer to those too), SQLite locked past its
    busy timeout or a disk I/O error."""
    if isinstance(exc, sa_exc.TimeoutError):  # QueuePool: no connection within pool_timeout
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, sa_exc.OperationalError):
        return False
    if type(exc.orig).__module__.startswith("sqlite3"):
        return any(part in str(exc.orig).lower() for part in _SQLITE_TRANSIENT)
    return True


def outage_summary(exc: BaseException) -> str:
    """One short line naming a database failure for the log: the driver's class and the first
    line of its message — never SQLAlchemy's rendering, which carries the statement and its
    parameters (patient data)."""
    cause = exc.__cause__ or exc
    orig = getattr(cause, "orig", None) or cause
    first = (str(orig).strip().splitlines() or [""])[0]
    return f"{type(orig).__name__}: {first[:200]}"


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
            out.append(
                f"{p} is readable or writable by others (mode {mode:o}); it holds patient data "
                f"or its keys: chmod {want:o} {p}"
            )
    return out
