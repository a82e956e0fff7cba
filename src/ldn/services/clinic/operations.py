"""Operating the service: schema upgrade, backup and restore, health, audit verification."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ldn import __version__
from ldn.persistence import backup as backups
from ldn.persistence import migrate
from ldn.persistence.audit import AuditBreak, verify_chain
from ldn.persistence.tables import AuditEvent
from ldn.services.clinic.access import require
from ldn.services.clinic.context import Actor, Clinic, Page, Tx, use_case

__all__ = ["backup", "health", "list_audit", "restore", "upgrade", "verify_audit"]


def upgrade(clinic: Clinic, revision: str = "head") -> str | None:
    """Migrate the schema; returns the revision now in place."""
    migrate.upgrade(clinic.db, revision)
    return migrate.current_revision(clinic.db)


def backup(clinic: Clinic, target: Path) -> Path:
    return backups.backup(clinic.db, target)


def restore(clinic: Clinic, source: Path) -> None:
    backups.restore(clinic.db, source)


def health(clinic: Clinic) -> dict[str, Any]:
    """Liveness and readiness: the database answers and its schema is current."""
    ok = clinic.db.ping()
    current = migrate.current_revision(clinic.db) if ok else None
    head = migrate.head_revision()
    return {"status": "ok" if ok and current == head else "unavailable", "version": __version__,
            "database": clinic.db.dialect, "database_reachable": ok,
            "schema_revision": current, "schema_head": head}  # fmt: skip


@use_case()
def verify_audit(
    tx: Tx, actor: Actor, *, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Walk every audit chain; report each break (a changed, deleted or cut event)."""
    tx.check_actor(actor)
    require(actor, "audit.read")
    breaks: list[AuditBreak] = []
    n = 0
    for item in verify_chain(tx.session):
        if isinstance(item, AuditBreak):
            breaks.append(item)
        else:
            n += item
            if progress is not None and n % 1000 == 0:
                progress(n)
    return {"events": n, "ok": not breaks,
            "breaks": [{"chain": b.chain, "seq": b.seq, "problem": b.problem} for b in breaks]}  # fmt: skip


@use_case()
def list_audit(
    tx: Tx, actor: Actor, *, patient_id: int | None, limit: int, offset: int
) -> Page[dict[str, Any]]:
    """Audit events of this installation, newest first (optionally of one patient)."""
    tx.check_actor(actor)
    require(actor, "audit.read")
    q = select(AuditEvent)
    if patient_id is not None:
        q = q.where(AuditEvent.patient_id == patient_id)
    rows, total = tx.paged(
        q, AuditEvent.at.desc(), AuditEvent.id.desc(), limit=limit, offset=offset
    )
    items = [{"id": e.id, "at": e.at.isoformat(), "actor_user_id": e.actor_user_id, "actor_role": e.actor_role,
              "action": e.action, "resource": e.resource, "resource_id": e.resource_id,
              "patient_id": e.patient_id, "remote_addr": e.remote_addr, "request_id": e.request_id,
              "detail": e.detail, "chain": e.chain, "seq": e.seq, "hash": e.hash} for e in rows]  # fmt: skip
    tx.audit(actor, "read", "audit", detail=f"n={len(items)}")
    return Page(items, total, limit, offset)
