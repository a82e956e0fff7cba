"""Notifications end to end on SQLite and PostgreSQL (issue #18): a patient's diary entry reaches
the clinician's inbox; rules evaluated again create nothing twice; e-mail over a real SMTP server
(aiosmtpd on a free port) with headers, text and HTML parts, no clinical detail and a working
unsubscribe link; two runners send each message once; a killed worker's job is sent after its
lease; an SMTP refusal is retried with backoff, audited."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ldn.asgi import create_app
from ldn.config import Settings
from ldn.persistence.db import Database
from ldn.persistence.tables import AuditEvent, DeliveryJob, Notification
from ldn.services.clinic.context import SYSTEM, Clinic
from ldn.services.clinic.delivery import Runner, claim_jobs
from ldn.services.clinic.notify_rules import evaluate_rules
from tests.integration.clinic.conftest import NOW
from tests.integration.clinic.helpers import World, build_world, web_login
from tests.net import free_port


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Inbox:
    """What the SMTP server received; ``refuse`` answers the next N messages with 451."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refuse > 0:
                self.refuse -= 1
                return "451 4.3.0 try again later"
            msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append(msg)  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _mail_settings(settings: Settings, port: int) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_starttls": False,
            "smtp_sender": "clinic@ldn.example",
            "public_url": "https://ldn.example",
            "notify_lease_seconds": 60,
            "notify_backoff_seconds": 60,
        }
    )


def _clinic(settings: Settings, clock: Clock) -> Clinic:
    return Clinic(settings, Database(settings.resolved_database_url, pool_size=5), clock)


@pytest.fixture
def world(settings: Settings, smtp: tuple[Inbox, int]) -> Iterator[tuple[World, Clock]]:
    clock = Clock()
    clinic = _clinic(_mail_settings(settings, smtp[1]), clock)
    yield build_world(clinic), clock
    clinic.close()


def _patient_logs(w: World, *, day: str, side_effects: list[str]) -> None:
    r = w.client.post(
        f"/api/v1/patients/{w.own}/diary",
        headers=w.as_("patient"),
        json={"date": day, "pain_avg": 5, "pain_worst": 6, "side_effects": side_effects},
    )
    assert r.status_code == 201, r.text


def _count(clinic: Clinic, model: Any, *where: Any) -> int:
    with clinic.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_a_new_side_effect_reaches_the_clinicians_inbox(world: tuple[World, Clock]) -> None:
    w, _clock = world
    _patient_logs(w, day="2026-11-25", side_effects=["nausea"])
    entries = w.client.get("/api/v1/inbox", headers=w.as_("clinician")).json()
    mine = [e for e in entries if e["patient_id"] == w.own]
    assert mine and mine[0]["urgency_label"] == "high"
    assert any(
        "new side effect" in r["reason"] and "nausea" in r["reason"] for r in mine[0]["reasons"]
    )
    assert mine[0]["action"]["link"] == f"/clinic/patients/{w.own}"
    # the same entry again (an update) does not create a second alert
    r = w.client.put(
        f"/api/v1/patients/{w.own}/diary/2026-11-25",
        headers=w.as_("patient"),
        json={"date": "2026-11-25", "pain_avg": 4, "side_effects": ["nausea"]},
    )
    assert r.status_code in (200, 201), r.text
    assert _count(w.clinic, Notification, Notification.kind == "side_effect_new") == 1
    # the web inbox and the bell
    web = TestClient(create_app(w.clinic.settings, clinic=w.clinic), base_url="https://testserver")
    web_login(web)
    page = web.get("/clinic/inbox")
    assert page.status_code == 200 and "nausea" in page.text
    assert 'data-unread="' in web.get("/notifications/bell").text
    # one click: marked read, taken to the record
    nid = mine[0]["action"]["id"]
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    r = web.post(f"/notifications/{nid}/open", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/clinic/patients/{w.own}"
    assert all(
        e["action"]["id"] != nid
        for e in w.client.get("/api/v1/inbox", headers=w.as_("clinician")).json()
    )


def test_patients_and_pharmacists_see_only_their_own(world: tuple[World, Clock]) -> None:
    w, _clock = world
    _patient_logs(w, day="2026-11-25", side_effects=["nausea"])
    assert w.client.get("/api/v1/inbox", headers=w.as_("patient")).status_code == 403
    theirs = w.client.get("/api/v1/notifications", headers=w.as_("pharmacist")).json()["items"]
    assert all("nausea" not in n["reason"] for n in theirs)
    r = w.client.post(f"/api/v1/notifications/{10**6}/read", headers=w.as_("patient"))
    assert r.status_code == 404


def test_rules_run_twice_create_each_notification_once(world: tuple[World, Clock]) -> None:
    w, clock = world
    clock.now = NOW.replace(hour=21)  # past the default reminder time (20:00 UTC)
    first = evaluate_rules(w.clinic, SYSTEM)
    assert first["created"] > 0
    assert evaluate_rules(w.clinic, SYSTEM)["created"] == 0
    assert _count(w.clinic, Notification, Notification.kind == "diary_reminder") == 1
    clock.now += timedelta(days=1)  # the next day: a new reminder, the old ones stay single
    assert evaluate_rules(w.clinic, SYSTEM)["created"] >= 1
    assert _count(w.clinic, Notification, Notification.kind == "diary_reminder") == 2


def test_email_over_smtp_says_nothing_clinical(
    world: tuple[World, Clock], smtp: tuple[Inbox, int]
) -> None:
    w, _clock = world
    inbox, _port = smtp
    _patient_logs(w, day="2026-11-25", side_effects=["nausea"])
    counts = Runner(w.clinic).deliver(limit=100)
    assert counts.get("sent", 0) >= 1 and not inbox.refuse
    to_doc = [m for m in inbox.messages if m["To"] == "clinician@demo.ldn.example"]
    assert len(to_doc) == 1
    msg = to_doc[0]
    assert msg["From"] == "clinic@ldn.example" and msg["Subject"] == "You have a new message in ldn"
    assert msg["Message-ID"].endswith("@ldn.example>") and msg["Auto-Submitted"] == "auto-generated"
    assert msg["List-Unsubscribe"].strip().startswith("<https://ldn.example/unsubscribe/")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert (
        "https://ldn.example/notifications" in text
        and "https://ldn.example/account/notifications" in html
    )
    # one click on the unsubscribe link (RFC 8058 POST) turns e-mail off
    token = msg["List-Unsubscribe"].strip().rsplit("/", 1)[1].rstrip(">")
    # the words, outside the random unsubscribe token (which may hold "mg" or "Anna" by chance)
    words = (text + html + msg["Subject"]).replace(token, "").lower()
    for secret in ("nausea", "Anna", "side effect", "mg", "pain", "naltrexone"):
        assert secret.lower() not in words
    web = TestClient(create_app(w.clinic.settings, clinic=w.clinic), base_url="https://testserver")
    assert web.post(f"/unsubscribe/{token}").status_code == 200
    assert web.post("/unsubscribe/not-a-token").status_code == 404
    prefs = w.client.get("/api/v1/notifications/preferences", headers=w.as_("clinician")).json()
    assert prefs["email"] is False
    assert _count(w.clinic, AuditEvent, AuditEvent.action == "deliver") >= 1


def test_two_runners_send_each_message_exactly_once(
    world: tuple[World, Clock], smtp: tuple[Inbox, int]
) -> None:
    w, clock = world
    inbox, _port = smtp
    for day in range(1, 11):  # ten diary days, ten new side effects -> ten alerts to the clinician
        _patient_logs(
            w,
            day=f"2026-11-{day:02d}",
            side_effects=[
                ["nausea", "headache", "insomnia", "tiredness", "vivid_dreams", "other"][day % 6]
            ],
        )
    jobs = _count(w.clinic, DeliveryJob)
    assert jobs >= 6
    second = _clinic(w.clinic.settings, clock)  # another worker: its own engine and connections
    runners = [Runner(w.clinic, worker="one"), Runner(second, worker="two")]
    barrier = threading.Barrier(2)

    def work(r: Runner) -> None:
        barrier.wait()
        for _ in range(jobs):
            r.deliver(limit=1)

    threads = [threading.Thread(target=work, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    second.close()
    ids = [m["Message-ID"] for m in inbox.messages]
    assert len(ids) == jobs and len(set(ids)) == jobs
    assert _count(w.clinic, DeliveryJob, DeliveryJob.status == "sent") == jobs


def test_a_killed_workers_job_is_sent_after_its_lease(
    world: tuple[World, Clock], smtp: tuple[Inbox, int]
) -> None:
    w, clock = world
    inbox, _port = smtp
    _patient_logs(w, day="2026-11-25", side_effects=["nausea"])
    claimed = claim_jobs(
        w.clinic, SYSTEM, worker="killed", limit=100
    )  # claimed, then the worker dies
    assert claimed
    live = Runner(w.clinic, worker="live")
    assert live.deliver(limit=100) == {}  # the lease still holds
    clock.now += timedelta(seconds=w.clinic.settings.notify_lease_seconds + 1)
    assert live.deliver(limit=100) == {"sent": len(claimed)}
    assert len(inbox.messages) == len(claimed)


def test_an_smtp_refusal_is_retried_with_backoff(
    world: tuple[World, Clock], smtp: tuple[Inbox, int]
) -> None:
    w, clock = world
    inbox, _port = smtp
    _patient_logs(w, day="2026-11-25", side_effects=["nausea"])
    total = _count(w.clinic, DeliveryJob)
    inbox.refuse = 10**6
    runner = Runner(w.clinic, worker="w")
    assert runner.deliver(limit=100) == {"retry": total}
    inbox.refuse = 0
    clock.now += timedelta(seconds=59)  # first backoff: 60 s
    assert runner.deliver(limit=100) == {}
    clock.now += timedelta(seconds=1)
    assert runner.deliver(limit=100) == {"sent": total}
    assert len(inbox.messages) == total
    assert _count(w.clinic, AuditEvent, AuditEvent.action == "retry") == total
    with w.clinic.db.transaction() as s:
        assert {j.attempts for j in s.scalars(select(DeliveryJob))} == {2}


def test_without_smtp_the_demo_shows_what_would_be_sent(clinic: Clinic) -> None:
    w = build_world(clinic)
    _patient_logs(w, day="2026-11-25", side_effects=["nausea"])
    assert Runner(clinic).deliver(limit=100).get("logged", 0) >= 1
    web = TestClient(create_app(clinic.settings, clinic=clinic))
    web_login(web)
    assert 'href="/demo/sent-mail"' in web.get("/notifications").text
    page = web.get("/demo/sent-mail")
    assert page.status_code == 200
    assert "clinician@demo.ldn.example" in page.text and "nausea" not in page.text
    web_login(web, "patient@demo.ldn.example")
    assert "clinician@demo.ldn.example" not in web.get("/demo/sent-mail").text  # only their own


def test_preferences_quiet_hours_delay_the_email_not_the_alert(world: tuple[World, Clock]) -> None:
    w, clock = world
    r = w.client.put(
        "/api/v1/notifications/preferences",
        headers=w.as_("clinician"),
        json={
            "time_zone": "Europe/London",
            "email": True,
            "quiet_start": "11:00",
            "quiet_end": "13:30",
        },
    )
    assert r.status_code == 200, r.text
    bad = w.client.put(
        "/api/v1/notifications/preferences",
        headers=w.as_("clinician"),
        json={"time_zone": "Mars/Olympus", "email": True},
    )
    assert bad.status_code == 422 and "time_zone" in bad.text
    _patient_logs(w, day="2026-11-25", side_effects=["nausea"])  # 12:00 London: quiet
    assert (
        w.client.get("/api/v1/notifications/unread-count", headers=w.as_("clinician")).json()[
            "unread"
        ]
        >= 1
    )
    runner = Runner(w.clinic, worker="w")
    runner.deliver(limit=100)
    with w.clinic.db.transaction() as s:
        job = s.scalar(
            select(DeliveryJob).join(Notification).where(Notification.kind == "side_effect_new")
        )
        assert job is not None and job.status == "pending"
    clock.now = NOW.replace(hour=13, minute=30)
    runner.deliver(limit=100)
    with w.clinic.db.transaction() as s:
        job = s.scalar(
            select(DeliveryJob).join(Notification).where(Notification.kind == "side_effect_new")
        )
        assert job is not None and job.status == "sent"


class Stalling(Inbox):
    """Holds the first sender at RCPT until released (a worker killed mid-send)."""

    def __init__(self) -> None:
        super().__init__()
        self.held = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        import asyncio

        if not self.held.is_set():
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 connection gone"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.mark.postgres
def test_a_job_survives_a_killed_worker_process(settings: Settings, tmp_path: Any) -> None:
    """``ldn worker`` (a real process) is killed with SIGKILL while it sends; after its lease
    the job is sent once by another worker."""
    import os
    import subprocess
    import sys

    if settings.is_sqlite:
        pytest.skip("separate worker processes are the PostgreSQL set-up")
    stalling, port = Stalling(), free_port()
    controller = Controller(stalling, hostname="127.0.0.1", port=port)
    controller.start()
    clock = Clock(now=datetime.now(NOW.tzinfo))
    clinic = _clinic(
        _mail_settings(settings, port).model_copy(update={"notify_lease_seconds": 5}), clock
    )
    try:
        w = build_world(clinic)
        _patient_logs(w, day=clock.now.date().isoformat(), side_effects=["nausea"])
        env = {
            **os.environ,
            "LDN_DATA_DIR": str(settings.data_dir),
            "LDN_SECRET_KEY": settings.secret_key,
            "LDN_SMTP_HOST": "127.0.0.1",
            "LDN_SMTP_PORT": str(port),
            "LDN_SMTP_STARTTLS": "false",
            "LDN_NOTIFY_LEASE_SECONDS": "5",
            "LDN_LOG_LEVEL": "WARNING",
        }
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ldn",
                "worker",
                "--database-url",
                settings.database_url,
                "--poll",
                "0.2",
            ],
            env=env,
        )
        try:
            assert stalling.held.wait(60), "the worker never reached the SMTP server"
            proc.kill()
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
        stalling.release.set()
        with clinic.db.transaction() as s:
            held = s.scalars(select(DeliveryJob).where(DeliveryJob.locked_by.is_not(None))).all()
            assert held and all(j.status == "pending" for j in held)
        clock.now = datetime.now(NOW.tzinfo) + timedelta(seconds=6)  # the lease has expired
        runner = Runner(clinic, worker="survivor")
        while runner.deliver(limit=100):
            pass
        with clinic.db.transaction() as s:
            jobs = s.scalars(select(DeliveryJob)).all()
            assert {j.status for j in jobs} == {"sent"}
        ids = [m["Message-ID"] for m in stalling.messages]
        assert len(ids) == len(jobs) == len(set(ids))
    finally:
        controller.stop()
        clinic.close()
