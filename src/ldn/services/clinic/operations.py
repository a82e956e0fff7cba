"""Operating the service: schema upgrade, backup and restore, health, audit verification."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import String, and_, cast, or_, select

from ldn import __version__
from ldn.persistence import backup as backups
from ldn.persistence import migrate
from ldn.persistence.audit import AuditBreak, verify_chain
from ldn.persistence.tables import AuditEvent, Patient, User
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
    return {
        "status": "ok" if ok and current == head else "unavailable",
        "version": __version__,
        "database": clinic.db.dialect,
        "database_reachable": ok,
        "schema_revision": current,
        "schema_head": head,
    }


@use_case("audit.read")
def verify_audit(
    tx: Tx,
    actor: Actor,
    *,
    progress: Callable[[int], None] | None = None,
    accept_unkeyed: bool = False,
) -> dict[str, Any]:
    """Walk every audit chain; report each break (a changed, deleted or cut event, or one not
    keyed with the audit key). ``accept_unkeyed``: the operator vouches for events written by
    ldn 0.1 before the trail was keyed (accepted at the start of a chain only, and counted)."""
    tx.check_actor(actor)
    require(actor, "audit.read")
    breaks: list[AuditBreak] = []
    n = unkeyed = 0
    for item in verify_chain(
        tx.session, tx.settings.resolved_audit_keys(), accept_unkeyed=accept_unkeyed
    ):
        if isinstance(item, AuditBreak):
            breaks.append(item)
        else:
            n += 1
            unkeyed += item == 0
            if progress is not None and n % 1000 == 0:
                progress(n)
    return {
        "events": n,
        "ok": not breaks,
        "unkeyed": unkeyed,
        "breaks": [{"chain": b.chain, "seq": b.seq, "problem": b.problem} for b in breaks],
    }


@use_case("audit.read")
def list_audit(
    tx: Tx, actor: Actor, *, patient_id: int | None, limit: int, offset: int
) -> Page[dict[str, Any]]:
    """Audit events of the caller's clinic, newest first (optionally of one patient).

    An event belongs to a clinic when its actor is one of the clinic's users, it concerns one of
    the clinic's patients, or it names one of its users or the clinic itself. The operator's
    command line (``system``) sees the whole installation. A patient of another clinic named in
    an event of this clinic's user (a refused attempt) is shown without its id.
    """
    tx.check_actor(actor)
    require(actor, "audit.read")
    q = select(AuditEvent)
    own_patients = select(Patient.id).where(Patient.clinic_id == actor.clinic_id)
    if actor.role != "system":
        users = select(User.id).where(User.clinic_id == actor.clinic_id)
        user_ids = select(cast(User.id, String)).where(User.clinic_id == actor.clinic_id)
        q = q.where(
            or_(
                AuditEvent.actor_user_id.in_(users),
                AuditEvent.patient_id.in_(own_patients),
                and_(AuditEvent.resource == "user", AuditEvent.resource_id.in_(user_ids)),
                and_(
                    AuditEvent.resource == "clinic", AuditEvent.resource_id == str(actor.clinic_id)
                ),
            )
        )
    if patient_id is not None:
        q = q.where(AuditEvent.patient_id == patient_id)
    rows, total = tx.paged(
        q, AuditEvent.at.desc(), AuditEvent.id.desc(), limit=limit, offset=offset
    )
    mine = (
        None
        if actor.role == "system"
        else set(
            tx.session.scalars(
                own_patients.where(Patient.id.in_({e.patient_id for e in rows if e.patient_id}))
            )
        )
    )

    def patient(e: AuditEvent) -> int | None:
        return e.patient_id if mine is None or e.patient_id in mine else None

    items = [
        {
            "id": e.id,
            "at": e.at.isoformat(),
            "actor_user_id": e.actor_user_id,
            "actor_role": e.actor_role,
            "action": e.action,
            "resource": e.resource,
            "resource_id": e.resource_id if patient(e) == e.patient_id else "",
            "patient_id": patient(e),
            "remote_addr": e.remote_addr,
            "request_id": e.request_id,
            "detail": e.detail,
            "chain": e.chain,
            "seq": e.seq,
            "hash": e.hash,
        }
        for e in rows
    ]
    tx.audit(actor, "read", "audit", detail=f"n={len(items)}")
    return Page(items, total, limit, offset)
