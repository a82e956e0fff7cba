"""Operations on both databases: migrations up and down, backup and restore, the audit chain,
and the operator's commands (`ldn db`, `ldn clinic`, `ldn users`, `ldn audit`)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from ldn.persistence import migrate
from ldn.persistence.db import Database
from ldn.persistence.tables import AuditEvent, Base
from ldn.services.clinic import demo, diary, operations
from ldn.services.clinic.context import SYSTEM, Actor, Clinic


def _snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(r) for r in rows]
    return out


def test_migrations_upgrade_from_empty_match_the_models_and_downgrade(clinic: Clinic) -> None:
    db = clinic.db
    migrate.downgrade(db, "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(db)
    assert migrate.current_revision(db) == migrate.head_revision()
    assert migrate.schema_drift(db) == []
    assert {t.name for t in Base.metadata.sorted_tables} <= set(
        inspect(db.engine).get_table_names()
    )


def test_backup_then_restore_gives_identical_data(clinic: Clinic, tmp_path: Path) -> None:
    demo.seed_demo(clinic)
    before = _snapshot(clinic.db)
    target = operations.backup(clinic, tmp_path / "ldn.backup")
    with clinic.db.transaction() as s:
        doc = Actor(
            int(s.execute(text("SELECT id FROM users WHERE role = 'clinician'")).scalar_one()),
            "clinician",
            1,
        )
    diary.record_diary(
        clinic, doc, 1, entry={"date": "2026-11-24", "pain_avg": 2}, idempotency_key=None
    )
    assert _snapshot(clinic.db) != before
    operations.restore(clinic, target)
    assert _snapshot(clinic.db) == before
    assert operations.verify_audit(clinic, SYSTEM)["ok"]
    with pytest.raises(Exception, match="exists"):
        operations.backup(clinic, target)


def _drop_append_only(db: Database) -> None:
    """What an attacker with database access would do first."""
    with db.engine.begin() as conn:
        if db.dialect == "sqlite":
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
            conn.execute(text("DROP TRIGGER audit_events_no_delete"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))


def test_the_database_refuses_to_change_audit_events(clinic: Clinic) -> None:
    demo.seed_demo(clinic)
    with pytest.raises(Exception, match="append-only"), clinic.db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET action = 'read' WHERE id = 1"))
    with pytest.raises(Exception, match="append-only"), clinic.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = 1"))


@pytest.mark.parametrize("tamper", ["change", "delete_middle", "delete_last"])
def test_audit_verify_finds_a_changed_or_deleted_event(
    clinic: Clinic, tamper: str, cli: Any
) -> None:
    demo.seed_demo(clinic)
    assert operations.verify_audit(clinic, SYSTEM) | {"breaks": []} == operations.verify_audit(
        clinic, SYSTEM
    )
    assert operations.verify_audit(clinic, SYSTEM)["ok"]
    _drop_append_only(clinic.db)
    with clinic.db.transaction() as s:
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.chain == 1).order_by(AuditEvent.seq)
        ).all()
        victim = events[-1] if tamper == "delete_last" else events[len(events) // 2]
        if tamper == "change":
            victim.actor_user_id = 999
        else:
            s.delete(victim)
    report = operations.verify_audit(clinic, SYSTEM)
    assert not report["ok"]
    problem = report["breaks"][0]["problem"]
    assert ("changed" in problem) if tamper == "change" else ("missing" in problem)
    code, out, _ = cli("audit", "verify", "--database-url", clinic.settings.resolved_database_url)
    assert code == 1 and "BROKEN" in out


def test_operator_commands(clinic: Clinic, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    url = clinic.settings.resolved_database_url
    monkeypatch.setenv("LDN_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("LDN_ARGON2_MEMORY_KIB", "64")
    monkeypatch.setenv("LDN_ARGON2_PARALLELISM", "1")
    code, out, err = cli("db", "upgrade", "--database-url", url)
    assert code == 0 and migrate.head_revision() in out, err
    code, out, _ = cli("clinic", "create", "Riverside Pain Clinic", "--database-url", url, "--json")
    assert code == 0 and '"name": "Riverside Pain Clinic"' in out
    cid = json.loads(out)["id"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("correct horse battery staple\n"))
    code, out, err = cli(
        "users",
        "create",
        "doc@riverside.example",
        "--role",
        "clinician",
        "--clinic",
        str(cid),
        "--password-stdin",
        "--database-url",
        url,
    )
    assert code == 0 and "clinician" in out, err
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    code, _, err = cli(
        "users",
        "create",
        "x@riverside.example",
        "--role",
        "clinician",
        "--clinic",
        str(cid),
        "--password-stdin",
        "--database-url",
        url,
    )
    assert code == 2 and "password" in err and "Traceback" not in err
    code, _, err = cli("clinic", "create", "Riverside Pain Clinic", "--database-url", url)
    assert code == 2 and "exists" in err
    code, out, _ = cli("audit", "verify", "--database-url", url)
    assert code == 0 and "intact" in out
