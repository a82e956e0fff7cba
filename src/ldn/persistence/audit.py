"""The audit trail: append-only, hash-chained events.

Each event carries ``hash = SHA-256(prev_hash ‖ canonical fields)``; changing any field of any
event, deleting an event, or cutting the tail breaks a link that :func:`verify_chain` finds.
Events are spread over :data:`CHAINS` independent chains (by patient), so that concurrent
writers for different patients do not queue on one lock; each chain's head row is locked
(``SELECT … FOR UPDATE``) while an event is appended, inside the caller's transaction. Database
triggers refuse UPDATE and DELETE on ``audit_events`` (see the migrations).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ldn.persistence.tables import AuditEvent, AuditHead

__all__ = ["CHAINS", "GENESIS", "AuditBreak", "append_event", "event_hash", "verify_chain"]

CHAINS = 16
GENESIS = "0" * 64


def _utc_text(at: datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def event_hash(e: AuditEvent) -> str:
    fields = {
        "chain": e.chain, "seq": e.seq, "at": _utc_text(e.at), "actor_user_id": e.actor_user_id,
        "actor_role": e.actor_role, "action": e.action, "resource": e.resource,
        "resource_id": e.resource_id, "patient_id": e.patient_id, "remote_addr": e.remote_addr,
        "request_id": e.request_id, "detail": e.detail,
    }  # fmt: skip
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((e.prev_hash + canonical).encode()).hexdigest()


def append_event(
    session: Session,
    *,
    at: datetime,
    actor_user_id: int | None,
    actor_role: str,
    action: str,
    resource: str,
    resource_id: str = "",
    patient_id: int | None = None,
    remote_addr: str = "",
    request_id: str = "",
    detail: str = "",
) -> AuditEvent:
    """Append one event to its chain inside the caller's transaction."""
    chain = (patient_id or 0) % CHAINS
    head = session.execute(
        select(AuditHead).where(AuditHead.chain == chain).with_for_update()
    ).scalar_one()
    event = AuditEvent(
        chain=chain, seq=head.last_seq + 1, at=at.astimezone(UTC), actor_user_id=actor_user_id,
        actor_role=actor_role, action=action, resource=resource, resource_id=resource_id,
        patient_id=patient_id, remote_addr=remote_addr, request_id=request_id, detail=detail,
        prev_hash=head.last_hash,
    )  # fmt: skip
    event.hash = event_hash(event)
    session.add(event)
    head.last_seq = event.seq
    head.last_hash = event.hash
    return event


@dataclass(frozen=True, slots=True)
class AuditBreak:
    """One place where a chain does not verify."""

    chain: int
    seq: int
    problem: str


def verify_chain(session: Session) -> Iterator[AuditBreak | int]:
    """Walk every chain; yield each event's chain position (for progress) or a break."""
    heads = {h.chain: h for h in session.execute(select(AuditHead)).scalars()}
    for chain in range(CHAINS):
        expected_seq, prev = 1, GENESIS
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
        ).scalars()
        for e in rows.yield_per(2000):
            if e.seq != expected_seq:
                yield AuditBreak(chain, expected_seq, f"events {expected_seq}..{e.seq - 1} are missing (deleted)")  # fmt: skip
            if e.prev_hash != prev:
                yield AuditBreak(chain, e.seq, "the link to the previous event is broken")
            if event_hash(e) != e.hash:
                yield AuditBreak(chain, e.seq, "the event was changed after it was written")
            expected_seq, prev = e.seq + 1, e.hash
            yield 1
        head = heads.get(chain)
        if head is None:
            yield AuditBreak(chain, 0, "the chain head is missing")
        elif head.last_seq != expected_seq - 1 or head.last_hash != prev:
            yield AuditBreak(chain, expected_seq, f"events after {expected_seq - 1} up to {head.last_seq} are missing (deleted from the end)")  # fmt: skip
