"""Database fixtures: every test here runs on SQLite and on PostgreSQL.

PostgreSQL: ``LDN_TEST_DATABASE_URL`` (a database the tests may create databases from), else
``postgresql+psycopg://postgres@127.0.0.1:5432/test``. When no server answers the PostgreSQL
runs are skipped with a message, unless ``LDN_REQUIRE_POSTGRES=1`` (set by ``.ci/run``), which
makes them fail instead. Each test gets a fresh database copied from a migrated template.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from ldn.config import Settings
from ldn.persistence import migrate
from ldn.persistence.db import Database
from ldn.services.clinic.context import Clinic

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
#: the example patients were written for this day
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def pg_admin_url() -> str:
    return os.environ.get("LDN_TEST_DATABASE_URL", PG_DEFAULT)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_available() -> str | None:
    try:
        with psycopg.connect(_libpq(pg_admin_url()), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _pg_exec(sql: str) -> None:
    with psycopg.connect(_libpq(pg_admin_url()), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def test_settings(url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=url,
        data_dir=tmp_path,
        secret_key="test-secret-" + "k" * 40,
        argon2_time_cost=1,
        argon2_memory_kib=64,
        argon2_parallelism=1,
        login_max_failures=5,
        pool_size=5,
    )


class Templates:
    """Migrated template databases, made once per test session."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sqlite: Path | None = None
        self.pg: str | None = None

    def sqlite_url(self, tmp_path: Path) -> str:
        if self.sqlite is None:
            self.sqlite = self.root / "template.sqlite3"
            db = Database(f"sqlite:///{self.sqlite}")
            migrate.upgrade(db)
            db.dispose()
        target = tmp_path / "ldn.sqlite3"
        shutil.copy(self.sqlite, target)
        return f"sqlite:///{target}"

    def pg_url(self) -> str:
        base = make_url(pg_admin_url())
        if self.pg is None:
            self.pg = f"ldn_tpl_{uuid.uuid4().hex[:8]}"
            _pg_exec(f'CREATE DATABASE "{self.pg}"')
            db = Database(base.set(database=self.pg).render_as_string(hide_password=False))
            migrate.upgrade(db)
            db.dispose()
        name = f"ldn_t_{uuid.uuid4().hex[:10]}"
        _pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{self.pg}"')
        return base.set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        if self.pg is not None:
            _pg_exec(f'DROP DATABASE IF EXISTS "{self.pg}" WITH (FORCE)')


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    t = Templates(tmp_path_factory.mktemp("templates"))
    yield t
    t.close()


def _require_pg() -> None:
    why = _pg_available()
    if why is None:
        return
    msg = (
        f"PostgreSQL not reachable at {pg_admin_url()} ({why}); set LDN_TEST_DATABASE_URL to a "
        "server the tests may create databases on to run these"
    )
    if os.environ.get("LDN_REQUIRE_POSTGRES") == "1":
        pytest.fail(msg + " [LDN_REQUIRE_POSTGRES=1: PostgreSQL runs are required]")
    pytest.skip(msg)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest, templates: Templates, tmp_path: Path
) -> Iterator[str]:
    """A fresh, migrated database of each kind."""
    if request.param == "sqlite":
        yield templates.sqlite_url(tmp_path)
        return
    _require_pg()
    url = templates.pg_url()
    yield url
    _pg_exec(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return test_settings(database_url, tmp_path)


@pytest.fixture
def clinic(settings: Settings) -> Iterator[Clinic]:
    c = Clinic(settings, Database(settings.resolved_database_url, pool_size=5), lambda: NOW)
    yield c
    c.close()
