"""Security: file permissions (issue 19, medium 9) — the data directory 0700; the SQLite
database, its WAL and shared-memory files, the keys and `ldn db backup` files 0600, whatever the
umask; files others can read are named in a warning at start-up."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ldn.config import Settings
from ldn.services.clinic import demo, operations
from ldn.services.clinic.context import SYSTEM, Clinic
from tests.integration.clinic import conftest


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the usual default: files 0644, directories 0755
    yield
    os.umask(old)


@pytest.mark.usefixtures("loose_umask")
def test_a_new_sqlite_clinic_and_its_backup_are_private(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "ldn"
    settings = Settings(**{**conftest.test_settings("", data).model_dump(), "database_url": ""})
    clinic = Clinic.open(settings)
    try:
        operations.upgrade(clinic)
        demo.seed_demo(clinic)  # writes: the WAL and shared-memory files exist now
        db = data / "ldn.sqlite3"
        wal, shm = Path(f"{db}-wal"), Path(f"{db}-shm")
        assert wal.exists() and shm.exists()
        assert _mode(data) == 0o700
        for f in (db, wal, shm, data / "audit.key"):
            assert _mode(f) == 0o600, (f.name, oct(_mode(f)))
        target = operations.backup(clinic, tmp_path / "backups" / "ldn.backup")
        assert _mode(target) == 0o600 and _mode(target.parent) == 0o700
        assert operations.verify_audit(clinic, SYSTEM)["ok"]
    finally:
        clinic.close()


@pytest.mark.usefixtures("loose_umask")
def test_a_backup_is_private_on_either_database(clinic: Clinic, tmp_path: Path) -> None:
    demo.seed_demo(clinic)
    target = operations.backup(clinic, tmp_path / "b" / "ldn.backup")
    assert _mode(target) == 0o600


def test_files_others_can_read_are_warned_about_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "ldn"
    settings = Settings(**{**conftest.test_settings("", data).model_dump(), "database_url": ""})
    Clinic.open(settings).close()
    db = data / "ldn.sqlite3"
    os.chmod(db, 0o644)
    os.chmod(data, 0o755)
    with caplog.at_level(logging.WARNING):
        Clinic.open(settings).close()
    text = caplog.text
    assert str(db) in text and "chmod 600" in text
    assert str(data) in text and "chmod 700" in text
    os.chmod(db, 0o600)
    os.chmod(data, 0o700)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        Clinic.open(settings).close()
    assert "readable" not in caplog.text
