"""Notifications as data (issue #18): the rules of :mod:`ldn.domain.notifications` evaluated for
every clinic, a person's notifications (list, mark read), their preferences, and the immediate
events (a diary entry, a new prescription) that enqueue one in the use case's own transaction.

A notification is inserted with ``ON CONFLICT DO NOTHING`` on its unique key (kind, recipient,
subject, due day): a rule evaluated again, by any number of workers at once, never creates a
second one. Each new notification gets an e-mail job (the outbox of
:mod:`ldn.services.clinic.delivery`) when its recipient keeps e-mail on; quiet hours delay the
e-mail, never the in-app notification.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ldn.domain import notifications as rules
from ldn.domain.diary import DiaryEntry
from ldn.domain.errors import InputError, NotFoundError
from ldn.domain.notifications import Intent, Thresholds
from ldn.persistence.tables import (
    DeliveryJob,
    Notification,
    NotificationPreference,
    Patient,
    User,
)
from ldn.services.clinic.context import Actor, Page, Tx, use_case
from ldn.services.clinic.permissions import PUBLIC

__all__ = [
    "enqueue",
    "get_preferences",
    "list_notifications",
    "mark_read",
    "notification_dict",
    "notify_diary_entry",
    "notify_new_prescription",
    "preferences_row",
    "set_preferences",
    "thresholds",
    "unread_count",
    "unsubscribe",
]

_HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


def thresholds(tx: Tx) -> Thresholds:
    """The clinic's rule settings (``LDN_NOTIFY_*``)."""
    s = tx.settings
    return Thresholds(
        diary_gap_days=s.notify_diary_gap_days,
        pain_jump_points=s.notify_pain_jump_points,
        pain_window_days=s.notify_pain_window_days,
        refill_lead_days=s.notify_refill_lead_days,
        assessment_lead_days=s.notify_assessment_lead_days,
        rx_wait_days=s.notify_rx_wait_days,
        bud_lead_days=s.notify_bud_lead_days,
        new_item_days=s.notify_new_item_days,
    )


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")


def preferences_row(tx: Tx, user_id: int) -> NotificationPreference:
    """A user's preferences, created with the defaults (e-mail on, UTC, no quiet hours) the
    first time they are needed."""
    row = tx.session.get(NotificationPreference, user_id)
    if row is None:
        row = NotificationPreference(
            user_id=user_id,
            time_zone="UTC",
            reminder_time=None,
            email=True,
            quiet_start=None,
            quiet_end=None,
            unsubscribe_token=secrets.token_urlsafe(32),
            updated_at=tx.now,
        )
        tx.session.add(row)
        tx.session.flush()
    return row


def _recipients(tx: Tx, intent: Intent, clinic_id: int) -> list[User]:
    q = select(User).where(User.active.is_(True))
    if intent.recipient == "patient":
        q = q.where(User.role == "patient", User.patient_id == intent.patient_id)
    else:
        q = q.where(User.role == intent.recipient, User.clinic_id == clinic_id)
    return list(tx.session.scalars(q.order_by(User.id)))


def _insert_ignore(tx: Tx, table: Any, values: dict[str, Any]) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id (None when the row already existed)."""
    dialect = tx.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(table).values(**values).on_conflict_do_nothing().returning(table.id)
    result: int | None = tx.session.scalar(stmt)
    return result


def _email_after(tx: Tx, prefs: NotificationPreference) -> datetime:
    """Now, or the end of the recipient's quiet hours when now falls inside them."""
    tz = zone(prefs.time_zone)
    local = tx.now.astimezone(tz)
    if not rules.in_quiet_hours(local, start=prefs.quiet_start, end=prefs.quiet_end):
        return tx.now
    hh, mm = (int(x) for x in str(prefs.quiet_end).split(":"))
    end = local.replace(hour=hh, minute=mm, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(tx.now.tzinfo)


def enqueue(tx: Tx, actor: Actor, intents: Iterable[Intent], *, clinic_id: int) -> int:
    """Create the notifications ``intents`` ask for (one per recipient; none that exists
    already) and their e-mail jobs; audited. The number created."""
    created = 0
    for intent in intents:
        for user in _recipients(tx, intent, clinic_id):
            nid = _insert_ignore(
                tx,
                Notification,
                {
                    "clinic_id": user.clinic_id,
                    "recipient_user_id": user.id,
                    "patient_id": intent.patient_id,
                    "kind": intent.kind,
                    "urgency": intent.urgency,
                    "reason": intent.reason[:2000],
                    "link": intent.link,
                    "action": intent.action,
                    "subject_key": intent.subject_key,
                    "due_on": intent.due_on,
                    "created_at": tx.now,
                },
            )
            if nid is None:
                continue
            created += 1
            prefs = preferences_row(tx, user.id)
            if prefs.email:
                tx.session.add(
                    DeliveryJob(
                        notification_id=nid,
                        channel="email",
                        status="pending",
                        attempts=0,
                        run_after=_email_after(tx, prefs),
                        last_error="",
                        message_id="",
                        created_at=tx.now,
                    )
                )
            tx.audit(
                actor,
                "notify",
                "notification",
                nid,
                patient_id=intent.patient_id,
                detail=f"{intent.kind} to user {user.id}",
            )
    tx.session.flush()
    return created


# ---- immediate events, called inside the use case that records them ----


def notify_diary_entry(tx: Tx, actor: Actor, patient: Patient, data: dict[str, Any]) -> int:
    """After a diary entry the patient recorded: a severe or new side effect, a flagged note, a
    jump in worst pain. ``data`` is the stored entry; ``side_effect_severe`` and
    ``flag_for_clinician`` are read when the diary carries them."""
    if actor.role != "patient":
        return 0
    from ldn.services.clinic.diary import diary_entries

    entry = DiaryEntry.model_validate(data)
    entries = [e for e in diary_entries(tx, patient.id) if e.date <= entry.date]
    earlier = [e for e in entries if e.date < entry.date]
    t = thresholds(tx)
    name = patient.display_name or patient.record_id
    intents = rules.side_effect_alerts(
        patient_id=patient.id,
        name=name,
        entry=entry,
        earlier=earlier,
        severe=bool(data.get("side_effect_severe")),
        flagged=bool(data.get("flag_for_clinician")),
    )
    jump = rules.worst_pain_jump(
        patient_id=patient.id,
        name=name,
        entries=[*earlier, entry],
        jump_points=t.pain_jump_points,
        window_days=t.pain_window_days,
    )
    return enqueue(tx, actor, [*intents, *([jump] if jump else [])], clinic_id=patient.clinic_id)


def notify_new_prescription(tx: Tx, actor: Actor, rx: Any) -> int:
    """A new prescription: the clinic's pharmacists are told at once."""
    intent = rules.new_prescription(
        patient_id=rx.patient_id,
        prescription_id=rx.id,
        issued_on=tx.today,
        status=rx.status,
        today=tx.today,
        window_days=tx.settings.notify_new_item_days,
    )
    return enqueue(tx, actor, [intent] if intent else [], clinic_id=rx.clinic_id)


# ---- a person's own notifications ----


def notification_dict(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id,
        "kind": n.kind,
        "urgency": n.urgency,
        "reason": n.reason,
        "link": n.link,
        "action": n.action,
        "patient_id": n.patient_id,
        "due_on": n.due_on.isoformat(),
        "created_at": n.created_at.isoformat(),
        "delivered_at": n.delivered_at.isoformat() if n.delivered_at else None,
        "read_at": n.read_at.isoformat() if n.read_at else None,
    }


@use_case("notification.read")
def list_notifications(
    tx: Tx, actor: Actor, *, unread_only: bool = False, limit: int = 50, offset: int = 0
) -> Page[dict[str, Any]]:
    """The caller's own notifications, newest first."""
    q = select(Notification).where(Notification.recipient_user_id == actor.user_id)
    if unread_only:
        q = q.where(Notification.read_at.is_(None))
    rows, total = tx.paged(
        q, Notification.created_at.desc(), Notification.id.desc(), limit=limit, offset=offset
    )
    tx.audit(actor, "read", "notifications", detail=f"{len(rows)} of {total}")
    return Page([notification_dict(n) for n in rows], total, limit, offset)


@use_case("notification.read")
def unread_count(tx: Tx, actor: Actor) -> int:
    """How many of the caller's notifications are unread (the bell; not audited: a count)."""
    q = select(func.count()).where(
        Notification.recipient_user_id == actor.user_id, Notification.read_at.is_(None)
    )
    return int(tx.session.scalar(q) or 0)


@use_case("notification.read")
def mark_read(tx: Tx, actor: Actor, notification_id: int | None = None) -> dict[str, Any]:
    """Mark one of the caller's notifications read (``None``: all of them); returns the one
    marked (with its link, for the one-click action) or the count."""
    mine = Notification.recipient_user_id == actor.user_id
    if notification_id is None:
        res = tx.session.execute(
            update(Notification).where(mine, Notification.read_at.is_(None)).values(read_at=tx.now)
        )
        count = int(getattr(res, "rowcount", 0) or 0)
        tx.audit(actor, "update", "notifications", detail=f"read all ({count})")
        return {"marked": count}
    n = tx.session.scalar(select(Notification).where(mine, Notification.id == notification_id))
    if n is None:
        raise NotFoundError(f"no notification {notification_id} of yours", fix="check the id")
    if n.read_at is None:
        n.read_at = tx.now
    tx.audit(actor, "update", "notification", n.id, patient_id=n.patient_id, detail="read")
    return notification_dict(n)


def _prefs_dict(tx: Tx, p: NotificationPreference) -> dict[str, Any]:
    return {
        "time_zone": p.time_zone,
        "reminder_time": p.reminder_time or tx.settings.notify_reminder_time,
        "email": p.email,
        "quiet_start": p.quiet_start,
        "quiet_end": p.quiet_end,
        "unsubscribe_token": p.unsubscribe_token,
    }


@use_case("notification.read")
def get_preferences(tx: Tx, actor: Actor) -> dict[str, Any]:
    """The caller's preferences (created with the defaults on first use)."""
    return _prefs_dict(tx, preferences_row(tx, actor.user_id))


def _hhmm_or_none(loc: str, value: object) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not re.match(_HHMM, value):
        raise InputError.at(loc, f"{value!r} is not a time of day", "use HH:MM, e.g. 20:00")
    return value


@use_case("notification.read")
def set_preferences(
    tx: Tx,
    actor: Actor,
    *,
    time_zone: str,
    reminder_time: str | None,
    email: bool,
    quiet_start: str | None,
    quiet_end: str | None,
) -> dict[str, Any]:
    """Change the caller's preferences: the diary reminder's time in their time zone (IANA
    name), e-mail on or off, quiet hours (HH:MM-HH:MM, may cross midnight)."""
    if time_zone not in _zones():
        raise InputError.at(
            "time_zone",
            f"unknown time zone {time_zone[:64]!r}",
            "use an IANA name such as Europe/London or America/New_York",
        )
    start, end = _hhmm_or_none("quiet_start", quiet_start), _hhmm_or_none("quiet_end", quiet_end)
    if (start is None) != (end is None):
        raise InputError.at(
            "quiet_end", "quiet hours need a start and an end", "give both, or neither"
        )
    p = preferences_row(tx, actor.user_id)
    p.time_zone, p.reminder_time = time_zone, _hhmm_or_none("reminder_time", reminder_time)
    p.email, p.quiet_start, p.quiet_end, p.updated_at = email, start, end, tx.now
    tx.audit(actor, "update", "notification_prefs", actor.user_id)
    return _prefs_dict(tx, p)


@use_case(PUBLIC)
def unsubscribe(tx: Tx, actor: Actor, token: str) -> bool:
    """Turn e-mail off for the holder of an unsubscribe link (no login; the token is the
    secret). False when the token is unknown."""
    p = tx.session.scalar(
        select(NotificationPreference).where(NotificationPreference.unsubscribe_token == token)
    )
    if p is None or not token:
        return False
    p.email, p.updated_at = False, tx.now
    tx.audit(
        Actor(p.user_id, "anonymous", 0, remote_addr=actor.remote_addr),
        "update",
        "notification_prefs",
        p.user_id,
        detail="unsubscribed",
    )
    return True
