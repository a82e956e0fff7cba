"""The audit trail: append-only, hash-chained events, keyed.

Each event carries ``hash = HMAC-SHA-256(key, prev_hash ‖ canonical fields)`` with a key kept
outside the database (``LDN_AUDIT_KEY`` or ``audit.key`` in the data directory); changing any
field of any event, deleting an event, or cutting the tail breaks a link that
:func:`verify_chain` finds, and someone with only database access cannot recompute the chain.
An event carrying the plain ``SHA-256(prev_hash ‖ fields)`` (written by ldn 0.1 before the trail
was keyed, or recomputed by someone without the key) is a break, unless the operator vouches for
a trail from before the upgrade (``accept_unkeyed``): then plain events are accepted at the start
of a chain only, before its first keyed event, and counted.
Events are spread over :data:`CHAINS` independent chains (by patient), so that concurrent
writers for different patients do not queue on one lock; each chain's head row is locked
(``SELECT … FOR UPDATE``) while an event is appended, inside the caller's transaction. Database
triggers refuse UPDATE and DELETE on ``audit_events`` (see the migrations).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ldn.persistence.tables import AuditEvent, AuditHead

__all__ = [
    "CHAINS",
    "GENESIS",
    "AuditBreak",
    "append_event",
    "event_hash",
    "unkeyed_hash",
    "verify_chain",
]

CHAINS = 16
GENESIS = "0" * 64


def _utc_text(at: datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def _canonical(e: AuditEvent) -> str:
    fields = {
        "chain": e.chain, "seq": e.seq, "at": _utc_text(e.at), "actor_user_id": e.actor_user_id,
        "actor_role": e.actor_role, "action": e.action, "resource": e.resource,
        "resource_id": e.resource_id, "patient_id": e.patient_id, "remote_addr": e.remote_addr,
        "request_id": e.request_id, "detail": e.detail,
    }  # fmt: skip
    return e.prev_hash + json.dumps(fields, sort_keys=True, separators=(",", ":"))


def event_hash(e: AuditEvent, key: bytes) -> str:
    """The keyed link: HMAC-SHA-256 of the previous hash and the event's fields."""
    return hmac.new(key, _canonical(e).encode(), hashlib.sha256).hexdigest()


def unkeyed_hash(e: AuditEvent) -> str:
    """The link of an event written before the audit key existed (plain SHA-256)."""
    return hashlib.sha256(_canonical(e).encode()).hexdigest()


def append_event(
    session: Session,
    *,
    key: bytes,
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
    event.hash = event_hash(event, key)
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


def verify_chain(
    session: Session, keys: tuple[bytes, ...], *, accept_unkeyed: bool = False
) -> Iterator[AuditBreak | int]:
    """Walk every chain; yield each event's chain position (for progress) or a break.

    ``keys``: the audit keys (any may have written an event; see :meth:`Settings.resolved_audit_keys`).
    A yielded ``0`` is an unkeyed event accepted because of ``accept_unkeyed``.
    """
    heads = {h.chain: h for h in session.execute(select(AuditHead)).scalars()}
    for chain in range(CHAINS):
        expected_seq, prev, keyed = 1, GENESIS, False
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
        ).scalars()
        for e in rows.yield_per(2000):
            if e.seq != expected_seq:
                yield AuditBreak(chain, expected_seq, f"events {expected_seq}..{e.seq - 1} are missing (deleted)")  # fmt: skip
            if e.prev_hash != prev:
                yield AuditBreak(chain, e.seq, "the link to the previous event is broken")
            if any(hmac.compare_digest(event_hash(e, k), e.hash) for k in keys):
                keyed = True
                yield 1
            elif accept_unkeyed and not keyed and hmac.compare_digest(unkeyed_hash(e), e.hash):
                yield 0  # written before the audit key existed, as the operator vouches
            elif unkeyed_hash(e) == e.hash:
                yield AuditBreak(
                    chain, e.seq, "the event was written or rewritten without the audit key"
                )
            else:
                yield AuditBreak(chain, e.seq, "the event was changed after it was written (or the audit key is not this installation's)")  # fmt: skip
            expected_seq, prev = e.seq + 1, e.hash
        head = heads.get(chain)
        if head is None:
            yield AuditBreak(chain, 0, "the chain head is missing")
        elif head.last_seq != expected_seq - 1 or head.last_hash != prev:
            yield AuditBreak(chain, expected_seq, f"events after {expected_seq - 1} up to {head.last_seq} are missing (deleted from the end)")  # fmt: skip
