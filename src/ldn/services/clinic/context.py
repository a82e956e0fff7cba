"""What every clinic use case shares: the caller (:class:`Actor`), the running service
(:class:`Clinic`), the transaction (:class:`Tx`) and the :func:`use_case` decorator.

A use case is one function ``f(tx, actor, ...)``; decorated, it is called as
``f(clinic, actor, ...)`` and runs in one database transaction, committed when it returns and
rolled back when it raises. Nothing else in ``services`` commits.

The actor's token is checked inside that transaction, never cached across transactions: in the
use case's first query when it reads a patient through :func:`~ldn.services.clinic.access.authorize`
(users joined with patients, ``active``, ``token_version`` and ``role`` in the WHERE), otherwise
by :meth:`Tx.check_actor` before the transaction commits, and before any error is answered.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Concatenate, Generic, Literal, ParamSpec, TypeGuard, TypeVar

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ldn.config import Settings
from ldn.domain.errors import (
    AuthenticationError,
    LdnError,
    NotFoundError,
    OutcomeUnknown,
    PermissionDeniedError,
    ServiceUnavailable,
)
from ldn.persistence.audit import AuditHeadState, append_event, chain_of
from ldn.persistence.db import Database, exposed_files
from ldn.persistence.tables import Patient, Prescription, Trial, User
from ldn.services.clinic.permissions import PERMISSIONS, PUBLIC, SESSION, require_role

__all__ = [
    "ACTOR_IS_CURRENT",
    "SYSTEM",
    "USE_CASES",
    "Actor",
    "Clinic",
    "Page",
    "Role",
    "Tx",
    "Verified",
    "actor_params",
    "use_case",
]

#: "system" is the operator's command line only (never a token); "anonymous" a failed login
Role = Literal["patient", "clinician", "pharmacist", "admin", "system", "anonymous"]


def is_user_role(value: str) -> TypeGuard[Role]:
    """A role a stored account may hold (never "system", the operator, or "anonymous")."""
    return value in ("patient", "clinician", "pharmacist", "admin")


P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
log = logging.getLogger("ldn.services")


@dataclass(slots=True)
class Verified:
    """A request's note that a transaction found the actor's account active and its token
    current (set by :meth:`Tx.mark_checked`); the API then needs no check of its own. It holds
    for that one request only: nothing is cached between requests, so a revoked token is
    refused by the very next one."""

    done: bool = False


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking, from where (taken from a verified token, or the local operator)."""

    user_id: int
    role: Role
    clinic_id: int
    patient_id: int | None = None
    token_version: int = 0
    remote_addr: str = ""
    request_id: str = ""
    #: set by the API for one request (see :class:`Verified`); not part of the actor's identity
    verified: Verified | None = field(default=None, compare=False, repr=False)


#: the operator at the server's own command line (``ldn users create``, ``ldn db ...``)
SYSTEM = Actor(user_id=0, role="system", clinic_id=0, remote_addr="local")


@dataclass(slots=True)
class Clinic:
    """A running clinic service: its settings, database and clock."""

    settings: Settings
    db: Database
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @classmethod
    def open(cls, settings: Settings, *, clock: Callable[[], datetime] | None = None) -> Clinic:
        db = Database(settings.resolved_database_url, pool_size=settings.pool_size)
        for warning in exposed_files(settings.data_dir, db):
            log.warning(warning)
        return cls(settings, db, clock or (lambda: datetime.now(UTC)))

    def today(self) -> date:
        return self.clock().date()

    def close(self) -> None:
        self.db.dispose()


#: WHERE conditions on ``users`` that hold while an actor's token is valid: the account exists,
#: is active, has the token's role and was not revoked since (``token_version``); bound with
#: :func:`actor_params`. Built once: no SQL expression is built per request.
ACTOR_IS_CURRENT = (
    User.id == bindparam("actor_user"),
    User.active.is_(True),
    User.token_version == bindparam("actor_version"),
    User.role == bindparam("actor_role"),
)
_CHECK = select(User.id).where(*ACTOR_IS_CURRENT)


def actor_params(actor: Actor) -> dict[str, Any]:
    """The parameters of :data:`ACTOR_IS_CURRENT` for ``actor``."""
    return {
        "actor_user": actor.user_id,
        "actor_version": actor.token_version,
        "actor_role": actor.role,
    }


@dataclass(slots=True)
class Tx:
    """One use case's transaction: the session, the moment it started, the settings."""

    session: Session
    now: datetime
    settings: Settings
    _checked: set[int] = field(default_factory=set)
    #: the patient a refused request was about, when it exists (set by ``access.authorize``)
    denied_patient: int | None = None
    #: audit chain heads locked by this transaction (their rows stay locked until it ends)
    heads: dict[int, AuditHeadState] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return self.now.date()

    def paged(self, q: Select[T], *order: Any, limit: int, offset: int) -> tuple[Sequence[T], int]:
        """One page of ``q`` in ``order`` and the total count of its rows."""
        total = self.session.scalar(select(func.count()).select_from(q.subquery())) or 0
        rows = self.session.scalars(q.order_by(*order).limit(limit).offset(offset)).all()
        return rows, total

    def check_actor(self, actor: Actor) -> None:
        """The actor's account still exists, is active and its token was not revoked (one query,
        unless this transaction checked it already)."""
        if self.checked(actor):
            return
        if self.session.scalar(_CHECK, actor_params(actor)) is None:
            raise AuthenticationError(
                "your session is no longer valid", fix="log in again (POST /api/v1/auth/token)"
            )
        self.mark_checked(actor)

    def checked(self, actor: Actor) -> bool:
        return actor.role == "system" or actor.user_id in self._checked

    def mark_checked(self, actor: Actor) -> None:
        """A query of this transaction found the actor's ``users`` row by
        :data:`ACTOR_IS_CURRENT`."""
        self._checked.add(actor.user_id)
        if actor.verified is not None:
            actor.verified.done = True

    def audit(
        self,
        actor: Actor,
        action: str,
        resource: str,
        resource_id: object = "",
        *,
        patient_id: int | None = None,
        detail: str = "",
    ) -> None:
        """Record who did what to which record, from where (never the clinical content). The
        chain's head is locked once per transaction (or was, by ``authorize(lock_audit=True)``)."""
        chain = chain_of(patient_id)
        self.heads[chain] = append_event(
            self.session,
            key=self.settings.resolved_audit_keys()[0],
            at=self.now,
            actor_user_id=actor.user_id or None,
            actor_role=actor.role,
            action=action,
            resource=resource,
            resource_id=str(resource_id),
            patient_id=patient_id,
            remote_addr=actor.remote_addr,
            request_id=actor.request_id,
            detail=detail,
            head=self.heads.get(chain),
        )


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: ``items`` from ``offset``, ``total`` in all."""

    items: Sequence[T]
    total: int
    limit: int
    offset: int

    def as_dict(self, render: Callable[[T], Any] = lambda x: x) -> dict[str, Any]:
        nxt = self.offset + self.limit
        return {
            "items": [render(i) for i in self.items],
            "total": self.total,
            "limit": self.limit,
            "offset": self.offset,
            "next_offset": nxt if nxt < self.total else None,
        }


#: every use case and the permission it declares (filled by :func:`use_case`; a test checks it)
USE_CASES: dict[str, str] = {}

#: argument name -> table whose row names the patient (to say whose record a refusal was about)
_PATIENT_OF: dict[str, tuple[type[Any], str]] = {
    "patient_id": (Patient, "id"),
    "prescription_id": (Prescription, "patient_id"),
    "trial_id": (Trial, "patient_id"),
}


def use_case(
    permission: str, /, *, retry_on_conflict: bool = False
) -> Callable[[Callable[Concatenate[Tx, P], R]], Callable[Concatenate[Clinic, P], R]]:
    """Run the decorated function in one transaction on ``clinic``'s database, for an actor who
    holds ``permission`` (a key of :data:`~ldn.services.clinic.permissions.PERMISSIONS`, or
    ``SESSION`` for any signed-in actor, ``PUBLIC`` before there is one).

    Before the body runs the permission is required; the body then checks the patient's scope
    (:func:`~ldn.services.clinic.access.authorize`), whose query also checks the actor's token
    (account active, not revoked). A body that reads no patient has its actor checked by one query
    before the transaction commits, and an error is answered only after the token was found valid
    (a revoked token gets 401, never another answer). A refusal (403, or 404 for a record out of
    scope) is audited in a transaction of its own.

    With ``retry_on_conflict`` the whole transaction is retried once when a concurrent writer
    won a uniqueness race (e.g. a phone retrying a diary POST): the retry sees the committed
    row and answers as for a repeated request.
    """
    if permission not in PERMISSIONS and permission not in (SESSION, PUBLIC):
        raise ValueError(f"unknown permission {permission!r}")

    def wrap(fn: Callable[Concatenate[Tx, P], R]) -> Callable[Concatenate[Clinic, P], R]:
        USE_CASES[f"{fn.__module__}.{fn.__qualname__}"] = permission
        params = list(inspect.signature(fn).parameters)
        target = params[2] if len(params) > 2 else ""

        @functools.wraps(fn)
        def run(clinic: Clinic, /, *args: P.args, **kwargs: P.kwargs) -> R:
            attempts = 2 if retry_on_conflict else 1
            actor = args[0] if args and isinstance(args[0], Actor) else None
            checks = actor is not None and permission != PUBLIC
            for attempt in range(attempts):
                tx: Tx | None = None
                try:
                    with clinic.db.transaction() as session:
                        tx = Tx(session, clinic.clock(), clinic.settings)
                        if actor is not None and checks and permission != SESSION:
                            _require(tx, actor, permission, target, args[1:2])
                        result = fn(tx, *args, **kwargs)
                        if actor is not None and checks:
                            tx.check_actor(actor)  # a no-op when the body's first query did it
                        return result
                except IntegrityError:
                    if attempt + 1 == attempts:
                        raise
                except LdnError as exc:
                    if actor is None:
                        raise
                    unchecked = tx is None or not tx.checked(actor)
                    if checks and unchecked and not isinstance(exc, _NOT_RECHECKED):
                        _check_alone(clinic, actor)  # a revoked token: 401 before any answer
                    if isinstance(exc, PermissionDeniedError | NotFoundError):
                        denied = tx.denied_patient if tx else None
                        _audit_denial(clinic, actor, fn.__name__, args[1:], exc, denied)
                    raise
            raise AssertionError("unreachable")  # pragma: no cover

        return run

    return wrap


def _require(tx: Tx, actor: Actor, permission: str, target: str, first: tuple[object, ...]) -> None:
    """The declared permission, naming the patient in the refusal when the first argument is a
    patient (or a child record of one: a prescription, a trial)."""
    try:
        require_role(actor.role, permission)
    except PermissionDeniedError:
        if target in _PATIENT_OF and first and isinstance(first[0], int):
            table, column = _PATIENT_OF[target]
            row = tx.session.get(table, first[0])
            tx.denied_patient = getattr(row, column) if row is not None else None
        raise


#: errors answered as they are, without checking an unchecked token first: a refused token
#: itself, and a database outage (its answer says what happened to the request; a second
#: transaction would fail the same way or hide an unknown outcome)
_NOT_RECHECKED = (AuthenticationError, ServiceUnavailable, OutcomeUnknown)


def _check_alone(clinic: Clinic, actor: Actor) -> None:
    """The actor's token, in a transaction of its own (the use case's was rolled back, or its
    session is unusable after a failed statement)."""
    with clinic.db.transaction() as session:
        Tx(session, clinic.clock(), clinic.settings).check_actor(actor)


def _audit_denial(
    clinic: Clinic,
    actor: Actor,
    use: str,
    args: tuple[object, ...],
    exc: LdnError,
    patient_id: int | None,
) -> None:
    """Record a refused request (403, or 404 for a record out of scope) in its own transaction:
    the use case's own transaction was rolled back with everything it wrote."""
    target = next((a for a in args if isinstance(a, int) and not isinstance(a, bool)), "")
    status = "403" if isinstance(exc, PermissionDeniedError) else "404"
    try:
        with clinic.db.transaction() as session:
            Tx(session, clinic.clock(), clinic.settings).audit(
                actor,
                "denied",
                use[:40],
                target,
                patient_id=patient_id,
                detail=f"{status} {exc.code}",
            )
    except Exception:  # the refusal stands even if its record cannot be written
        log.exception("could not audit a refused request")
