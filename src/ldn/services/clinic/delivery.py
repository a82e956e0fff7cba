"""Delivery: the outbox of e-mail jobs, claimed, sent over SMTP, retried, audited; and the
runner that evaluates the rules each minute and delivers continuously.

Exactly once among running workers: a job is claimed in a short transaction (PostgreSQL:
``SELECT ... FOR UPDATE SKIP LOCKED``; SQLite: ``BEGIN IMMEDIATE`` serializes the claim) that
stamps it with the worker's id and a lease (``LDN_NOTIFY_LEASE_SECONDS``); only the holder of
the lease may mark it sent. A worker killed after its claim leaves the job to the next worker
once the lease has expired. SMTP cannot be made transactional: a worker killed between the
SMTP server's acceptance and the "sent" mark sends that one message again after the lease; the
``Message-ID`` is the same both times, so a mail system can recognise the duplicate. The SMTP
timeout is kept under half the lease so that a live worker never loses a lease mid-send.

A failed send is retried after ``LDN_NOTIFY_BACKOFF_SECONDS`` x 2^(attempt - 1), at most
``LDN_NOTIFY_MAX_ATTEMPTS`` times, then marked failed. Without ``LDN_SMTP_HOST`` nothing leaves
the machine: the message is kept as "logged" (the demo's sent-mail page shows it).

The e-mail says only that there is a new message (no clinical detail, no name of a medicine or
condition), links to the app and to the preferences / unsubscribe page, and carries
``List-Unsubscribe`` (RFC 2369) with one-click unsubscribe (RFC 8058).
"""

from __future__ import annotations

import atexit
import email.policy
import logging
import os
import smtplib
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape
from typing import Any

from sqlalchemy import or_, select

from ldn.config import Settings
from ldn.persistence.tables import ClinicRow, DeliveryJob, Notification, User
from ldn.services.clinic.context import SYSTEM, Actor, Clinic, Tx, use_case
from ldn.services.clinic.demo import DEMO_CLINIC
from ldn.services.clinic.notifications import preferences_row
from ldn.services.clinic.notify_rules import evaluate_rules
from ldn.services.clinic.permissions import SESSION

__all__ = [
    "Claimed",
    "Runner",
    "claim_jobs",
    "finish_job",
    "mail_is_demo",
    "render_email",
    "send_smtp",
    "sent_mail",
    "start_background_runner",
]

log = logging.getLogger("ldn.delivery")
SUBJECT = "You have a new message in ldn"


@dataclass(frozen=True, slots=True)
class Claimed:
    job_id: int
    attempts: int
    message: dict[str, Any]


def base_url(settings: Settings) -> str:
    return settings.public_url.rstrip("/") or f"http://{settings.host}:{settings.port}"


def _sender(settings: Settings) -> str:
    return settings.smtp_sender or f"ldn@{settings.smtp_host or 'localhost'}"


def render_email(
    *, to: str, sender: str, base: str, token: str, message_id: str, when: Any
) -> dict[str, Any]:
    """The e-mail as plain data: headers, a plain-text and an HTML body. Nothing clinical."""
    inbox, prefs = f"{base}/notifications", f"{base}/account/notifications"
    unsub = f"{base}/unsubscribe/{token}"
    text = (
        f"Hello,\n\nyou have a new message in ldn. Sign in to read it:\n{inbox}\n\n"
        f"Change which e-mails you get: {prefs}\nStop these e-mails: {unsub}\n"
    )
    html = (
        f'<p>Hello,</p><p>you have a new message in ldn. <a href="{escape(inbox)}">Sign in to read it</a>.</p>'
        f'<p style="font-size:small"><a href="{escape(prefs)}">Change which e-mails you get</a> · '
        f'<a href="{escape(unsub)}">Stop these e-mails</a></p>'
    )
    headers = {
        "From": sender,
        "To": to,
        "Subject": SUBJECT,
        "Message-ID": message_id,
        "Date": format_datetime(when),
        "Auto-Submitted": "auto-generated",
        "List-Unsubscribe": f"<{unsub}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return {"headers": headers, "text": text, "html": html}


def to_email(message: dict[str, Any]) -> EmailMessage:
    """An :class:`email.message.EmailMessage` (multipart/alternative: text, then HTML)."""
    # long header lines (the unsubscribe URL) stay whole: RFC 5322 allows 998 characters
    msg = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=998))
    for k, v in message["headers"].items():
        msg[k] = v
    msg.set_content(message["text"])
    msg.add_alternative(message["html"], subtype="html")
    return msg


def send_smtp(settings: Settings, message: dict[str, Any]) -> None:
    """Send over SMTP with the ``LDN_SMTP_*`` settings (STARTTLS, then login when a user is
    set); raises on any refusal."""
    timeout = max(5.0, settings.notify_lease_seconds / 2 - 5)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(to_email(message))


@use_case("notification.admin")
def claim_jobs(tx: Tx, actor: Actor, *, worker: str, limit: int = 10) -> list[Claimed]:
    """Claim up to ``limit`` due jobs for ``worker`` under a lease; render their messages."""
    now = tx.now
    q = (
        select(DeliveryJob)
        .where(
            DeliveryJob.status == "pending",
            DeliveryJob.run_after <= now,
            or_(DeliveryJob.locked_until.is_(None), DeliveryJob.locked_until < now),
        )
        .order_by(DeliveryJob.run_after, DeliveryJob.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    out: list[Claimed] = []
    for job in tx.session.scalars(q).all():
        n = tx.session.get(Notification, job.notification_id)
        user = tx.session.get(User, n.recipient_user_id) if n else None
        if n is None or user is None or not user.active or not preferences_row(tx, user.id).email:
            job.status, job.last_error = "skipped", "recipient inactive or e-mail off"
            continue
        job.locked_by, job.locked_until = (
            worker,
            now + timedelta(seconds=tx.settings.notify_lease_seconds),
        )
        job.attempts += 1
        if not job.message_id:
            domain = _sender(tx.settings).rpartition("@")[2] or "localhost"
            job.message_id = f"<ldn.{job.id}.{uuid.uuid4().hex[:12]}@{domain}>"
        job.message = render_email(
            to=user.email,
            sender=_sender(tx.settings),
            base=base_url(tx.settings),
            token=preferences_row(tx, user.id).unsubscribe_token,
            message_id=job.message_id,
            when=now,
        )
        tx.audit(
            actor,
            "claim",
            "delivery_job",
            job.id,
            patient_id=n.patient_id,
            detail=f"{worker} try {job.attempts}",
        )
        out.append(Claimed(job.id, job.attempts, dict(job.message)))
    return out


@use_case("notification.admin")
def finish_job(
    tx: Tx, actor: Actor, job_id: int, *, worker: str, error: str | None, logged: bool = False
) -> str:
    """Record the outcome of ``worker``'s attempt: sent (or logged), retry later, or failed.
    'lost' when the lease was taken over by another worker (nothing is changed)."""
    job = tx.session.get(DeliveryJob, job_id, with_for_update=True)
    if job is None or job.locked_by != worker or job.status != "pending":
        return "lost"
    n = tx.session.get(Notification, job.notification_id)
    patient_id = n.patient_id if n else None
    job.locked_by, job.locked_until = None, None
    if error is None:
        job.status, job.sent_at, job.last_error = ("logged" if logged else "sent"), tx.now, ""
        if n is not None and n.delivered_at is None:
            n.delivered_at = tx.now
        tx.audit(actor, "deliver", "delivery_job", job.id, patient_id=patient_id, detail=job.status)
        return job.status
    job.last_error = error[:1000]
    if job.attempts >= tx.settings.notify_max_attempts:
        job.status = "failed"
        tx.audit(actor, "fail", "delivery_job", job.id, patient_id=patient_id, detail=error[:200])
        return "failed"
    delay = tx.settings.notify_backoff_seconds * 2 ** (job.attempts - 1)
    job.run_after = tx.now + timedelta(seconds=delay)
    tx.audit(
        actor,
        "retry",
        "delivery_job",
        job.id,
        patient_id=patient_id,
        detail=f"in {delay}s: {error[:150]}",
    )
    return "retry"


@use_case(SESSION)
def mail_is_demo(tx: Tx, actor: Actor) -> bool:
    """The demo without an SMTP server: the sent-mail page may show what would be e-mailed."""
    if tx.settings.smtp_host:
        return False
    return tx.session.scalar(select(ClinicRow.id).where(ClinicRow.name == DEMO_CLINIC)) is not None


@use_case("notification.read")
def sent_mail(tx: Tx, actor: Actor, *, limit: int = 100) -> list[dict[str, Any]]:
    """E-mails sent or (without SMTP) logged, newest first: an admin's clinic's (the system
    operator: all), anyone else's own."""
    q = (
        select(DeliveryJob, Notification)
        .join(Notification, Notification.id == DeliveryJob.notification_id)
        .where(DeliveryJob.status.in_(("sent", "logged")))
    )
    if actor.role == "admin":
        q = q.where(Notification.clinic_id == actor.clinic_id)
    elif actor.role != "system":
        q = q.where(Notification.recipient_user_id == actor.user_id)
    rows = tx.session.execute(
        q.order_by(DeliveryJob.sent_at.desc(), DeliveryJob.id.desc()).limit(limit)
    ).all()
    tx.audit(actor, "read", "sent_mail", detail=f"{len(rows)} messages")
    return [
        {
            "id": j.id,
            "status": j.status,
            "sent_at": j.sent_at.isoformat() if j.sent_at else None,
            "attempts": j.attempts,
            **(j.message or {}),
        }
        for j, _n in rows
    ]


class Runner:
    """The scheduler's loop: the rules every ``rules_every_s`` seconds, delivery every
    ``poll_s`` seconds; stops when :attr:`stop` is set (SIGTERM in ``ldn worker``)."""

    def __init__(
        self,
        clinic: Clinic,
        *,
        worker: str | None = None,
        poll_s: float = 2.0,
        rules_every_s: float = 60.0,
        send: Callable[[Settings, dict[str, Any]], None] = send_smtp,
    ) -> None:
        self.clinic = clinic
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.poll_s, self.rules_every_s, self.send = poll_s, rules_every_s, send
        self.stop = threading.Event()
        self._rules_at = 0.0

    def evaluate(self) -> dict[str, Any]:
        result: dict[str, Any] = evaluate_rules(self.clinic, SYSTEM)
        return result

    def deliver(self, limit: int = 10) -> dict[str, int]:
        """Claim due jobs and send each; the count of each outcome."""
        counts: dict[str, int] = {}
        settings = self.clinic.settings
        for job in claim_jobs(self.clinic, SYSTEM, worker=self.worker, limit=limit):
            if self.stop.is_set():
                break  # the lease returns the rest to the queue
            error: str | None = None
            if settings.smtp_host:
                try:
                    self.send(settings, job.message)
                except (OSError, smtplib.SMTPException) as exc:
                    error = f"{type(exc).__name__}: {exc}"
            outcome = finish_job(
                self.clinic,
                SYSTEM,
                job.job_id,
                worker=self.worker,
                error=error,
                logged=not settings.smtp_host,
            )
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    def tick(self) -> None:
        if time.monotonic() - self._rules_at >= self.rules_every_s or not self._rules_at:
            self._rules_at = time.monotonic()
            self.evaluate()
        while self.deliver() and not self.stop.is_set():
            pass

    def run(self) -> None:
        log.info("notification runner %s started", self.worker)
        while not self.stop.is_set():
            try:
                self.tick()
            except Exception:  # one bad run must not stop reminders for good
                log.exception("notification runner: a run failed; trying again")
            self.stop.wait(self.poll_s)
        log.info("notification runner %s stopped", self.worker)


def start_background_runner(clinic: Clinic) -> Runner | None:
    """Inside ``ldn serve``: run the rules and delivery in a daemon thread when
    ``LDN_RUN_JOBS_IN_SERVER`` says so (auto: SQLite only; with PostgreSQL use ``ldn worker``)."""
    mode = clinic.settings.run_jobs_in_server
    if mode == "off" or (mode == "auto" and not clinic.settings.is_sqlite):
        return None
    runner = Runner(clinic)
    threading.Thread(target=runner.run, name="ldn-notifications", daemon=True).start()
    atexit.register(runner.stop.set)
    return runner
