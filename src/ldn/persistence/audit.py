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
(``SELECT … FOR UPDATE``) while an event is appended, inside the caller's transaction, and stays
locked until it ends (a caller that locked it in an earlier query hands the head in, see
:func:`append_event`). On PostgreSQL the event's INSERT and the head's UPDATE travel as one
statement (a data-modifying CTE). Database triggers refuse UPDATE and DELETE on
``audit_events`` (see the migrations).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from ldn.persistence.tables import AuditEvent, AuditHead

__all__ = [
    "CHAINS",
    "GENESIS",
    "AuditBreak",
    "AuditHeadState",
    "append_event",
    "chain_of",
    "event_hash",
    "head_columns",
    "lock_head",
    "unkeyed_hash",
    "verify_chain",
]

CHAINS = 16
GENESIS = "0" * 64
#: plain Core tables for the append (no ORM unit of work on the hot path)
_EVENTS = cast(Table, AuditEvent.__table__)
_HEADS = cast(Table, AuditHead.__table__)


def _utc_text(at: datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


_HASHED = (
    "chain",
    "seq",
    "actor_user_id",
    "actor_role",
    "action",
    "resource",
    "resource_id",
    "patient_id",
    "remote_addr",
    "request_id",
    "detail",
)


def _canonical_fields(v: dict[str, Any]) -> str:
    fields = {k: v[k] for k in _HASHED}
    fields["at"] = _utc_text(v["at"])
    return str(v["prev_hash"]) + json.dumps(fields, sort_keys=True, separators=(",", ":"))


def _canonical(e: AuditEvent) -> str:
    return _canonical_fields({k: getattr(e, k) for k in (*_HASHED, "at", "prev_hash")})


def event_hash(e: AuditEvent, key: bytes) -> str:
    """The keyed link: HMAC-SHA-256 of the previous hash and the event's fields."""
    return hmac.new(key, _canonical(e).encode(), hashlib.sha256).hexdigest()


def unkeyed_hash(e: AuditEvent) -> str:
    """The link of an event written before the audit key existed (plain SHA-256)."""
    return hashlib.sha256(_canonical(e).encode()).hexdigest()


def chain_of(patient_id: int | None) -> int:
    """The chain a patient's events go to (events about no patient: chain 0)."""
    return (patient_id or 0) % CHAINS


@dataclass(frozen=True, slots=True)
class AuditHeadState:
    """A chain's head as read under its row lock: the last event's number and hash."""

    chain: int
    last_seq: int
    last_hash: str


def head_columns() -> tuple[Any, Any]:
    """The head's columns, for a caller that locks the head inside a query of its own
    (``... JOIN audit_heads ... FOR UPDATE OF audit_heads``)."""
    return AuditHead.last_seq, AuditHead.last_hash


#: the statements of an append, built once (bound parameters; no SQL built per request)
_LOCK = (
    select(AuditHead.last_seq, AuditHead.last_hash)
    .where(AuditHead.chain == bindparam("lock_chain"))
    .with_for_update()
)
_EVENT_COLUMNS = (
    "chain",
    "seq",
    "at",
    "actor_user_id",
    "actor_role",
    "action",
    "resource",
    "resource_id",
    "patient_id",
    "remote_addr",
    "request_id",
    "detail",
    "prev_hash",
    "hash",
)
_ADD = insert(_EVENTS).values({c: bindparam(f"e_{c}") for c in _EVENT_COLUMNS})
_MOVE = (
    update(_HEADS)
    .where(_HEADS.c.chain == bindparam("e_chain"))
    .values(last_seq=bindparam("e_seq"), last_hash=bindparam("e_hash"))
)
#: PostgreSQL: the event and its head in one statement (a data-modifying CTE)
_ADD_AND_MOVE = _MOVE.add_cte(_ADD.cte("appended"))


def lock_head(session: Session, chain: int) -> AuditHeadState:
    """Lock ``chain``'s head row for the rest of the transaction and read it."""
    seq, last = session.execute(_LOCK, {"lock_chain": chain}).one()
    return AuditHeadState(chain, int(seq), str(last))


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
    head: AuditHeadState | None = None,
) -> AuditHeadState:
    """Append one event to its chain inside the caller's transaction; return the new head.

    ``head``: the chain's head as this transaction read it under the row lock it still holds
    (its last append, or a query that locked it); without it the head is locked and read here.
    """
    chain = chain_of(patient_id)
    if head is None or head.chain != chain:
        head = lock_head(session, chain)
    values: dict[str, Any] = {
        "chain": chain,
        "seq": head.last_seq + 1,
        "at": at.astimezone(UTC),
        "actor_user_id": actor_user_id,
        "actor_role": actor_role,
        "action": action,
        "resource": resource,
        "resource_id": resource_id,
        "patient_id": patient_id,
        "remote_addr": remote_addr,
        "request_id": request_id,
        "detail": detail,
        "prev_hash": head.last_hash,
    }
    values["hash"] = hmac.new(key, _canonical_fields(values).encode(), hashlib.sha256).hexdigest()
    params = {f"e_{k}": v for k, v in values.items()}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_ADD_AND_MOVE, params)  # one round trip
    else:
        session.execute(_ADD, params)
        session.execute(_MOVE, params)
    return AuditHeadState(chain, values["seq"], values["hash"])


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
                yield AuditBreak(
                    chain, expected_seq, f"events {expected_seq}..{e.seq - 1} are missing (deleted)"
                )
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
                yield AuditBreak(
                    chain,
                    e.seq,
                    "the event was changed after it was written (or the audit key is not this installation's)",
                )
            expected_seq, prev = e.seq + 1, e.hash
        head = heads.get(chain)
        if head is None:
            yield AuditBreak(chain, 0, "the chain head is missing")
        elif head.last_seq != expected_seq - 1 or head.last_hash != prev:
            yield AuditBreak(
                chain,
                expected_seq,
                f"events after {expected_seq - 1} up to {head.last_seq} are missing (deleted from the end)",
            )
