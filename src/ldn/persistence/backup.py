"""Consistent backups and restores; a backup file is created readable by its owner only (0600).

SQLite: the online backup API (a consistent copy while the service keeps writing; the copy is a
plain SQLite file). PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean``, which must
be on PATH and of the server's major version or newer.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from ldn.domain.errors import InputError
from ldn.persistence.db import Database, private_file

__all__ = ["backup", "restore"]


def _libpq_url(db: Database) -> str:
    url = make_url(db.url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise InputError.at(
            name,
            f"{name} is not installed",
            "install the PostgreSQL client tools (Debian: postgresql-client)",
        )
    return path


def backup(db: Database, target: Path) -> Path:
    """Write a consistent copy of the database to ``target`` (refuses to overwrite)."""
    if target.exists():
        raise InputError.at(
            "FILE", f"{target} exists", "choose a new file name; backups are never overwritten"
        )
    private_file(target)  # 0600 before a byte is written (the directory 0700 if new)
    try:
        if db.dialect == "sqlite":
            raw = db.engine.raw_connection()
            try:
                dest = sqlite3.connect(target)
                with dest:
                    raw.driver_connection.backup(dest)  # type: ignore[union-attr]
                dest.close()
            finally:
                raw.close()
        else:
            subprocess.run(
                [
                    _tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    f"--file={target}",
                    _libpq_url(db),
                ],
                check=True,
                capture_output=True,
            )
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def restore(db: Database, source: Path) -> None:
    """Replace the database's contents with the backup in ``source``. Stop the service first."""
    if not source.is_file():
        raise InputError.at(
            "FILE", f"{source} is not a file", "pass a file written by `ldn db backup`"
        )
    if db.dialect == "sqlite":
        try:
            src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            src.execute("PRAGMA schema_version").fetchone()
        except sqlite3.DatabaseError:
            raise InputError.at(
                "FILE",
                f"{source} is not an SQLite backup",
                "pass a file written by `ldn db backup`",
            ) from None
        db.engine.dispose()
        raw = db.engine.raw_connection()
        try:
            src.backup(raw.driver_connection)  # type: ignore[arg-type]
        finally:
            raw.close()
            src.close()
    else:
        db.engine.dispose()
        res = subprocess.run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={_libpq_url(db)}",
                str(source),
            ],
            capture_output=True,
            text=True,
        )
        if res.returncode != 0:
            raise InputError.at(
                "FILE",
                f"pg_restore failed: {res.stderr.strip()[:300]}",
                "pass a file written by `ldn db backup`",
            )
