"""Security: logging in (issue 19) — no account enumeration by timing (medium 2); behind a
trusted proxy the real client is seen and the lock-out is per account with a doubling wait, not
per proxy address (medium 4, and the low "lock-out as denial of service"); the login form has
its own CSRF token (low)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from ldn.asgi import create_app
from ldn.config import Settings
from ldn.persistence.tables import AuditEvent
from ldn.services.clinic.context import Clinic
from tests.integration.clinic.conftest import NOW
from tests.integration.clinic.helpers import PASSWORD, World, build_world

PROXY = "10.0.0.1"
ATTACKER, OWNER = "203.0.113.5", "198.51.100.7"
PHARMACIST = "pharmacist@demo.ldn.example"


def _csrf(html: str) -> str:
    """The form's CSRF token ("" on a page without one)."""
    return html.split('name="csrf" value="')[1].split('"')[0] if 'name="csrf"' in html else ""


def _with(clinic: Clinic, **changes: object) -> None:
    clinic.settings = Settings(**{**clinic.settings.model_dump(), **changes})


@pytest.fixture
def world(clinic: Clinic) -> Iterator[World]:
    _with(clinic, forwarded_allow_ips=PROXY)
    w = build_world(clinic)
    with w.client:
        yield w


def _behind_proxy(world: World) -> TestClient:
    """The web app and API as the deploy docs run them: every request comes from the proxy."""
    return TestClient(create_app(world.clinic.settings, clinic=world.clinic), client=(PROXY, 40000))


def _login(c: TestClient, email: str, password: str, client_ip: str) -> tuple[int, int]:
    r = c.post(
        "/api/v1/auth/token",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": f"{client_ip}, {PROXY}"},
    )
    return r.status_code, int(r.headers.get("Retry-After", 0))


def test_known_and_unknown_emails_do_the_same_work(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong password for a known e-mail and any password for an unknown one each verify one
    Argon2 hash of the same cost (m, t, p), so the answer's timing does not say which e-mails
    exist. Counted, not timed: a timed assertion fails on a loaded machine."""
    _with(clinic, argon2_time_cost=2, argon2_memory_kib=16384, login_max_failures=100)
    world = build_world(clinic)
    seen: list[str] = []
    verify = PasswordHasher.verify

    def counted(self: PasswordHasher, hash: str, password: str) -> bool:
        seen.append(hash.rsplit("$", 2)[0])  # $argon2id$v=19$m=...,t=...,p=...
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    work = {}
    for email in (PHARMACIST, "nobody@demo.ldn.example"):
        seen.clear()
        r = world.client.post(
            "/api/v1/auth/token", json={"email": email, "password": "wrong password!!"}
        )
        assert r.status_code == 401
        work[email] = list(seen)
    assert len(work[PHARMACIST]) == 1
    assert work["nobody@demo.ldn.example"] == work[PHARMACIST]
    assert "m=16384,t=2" in work[PHARMACIST][0]


def test_behind_a_proxy_the_client_address_is_the_real_one(world: World) -> None:
    c = _behind_proxy(world)
    r = c.post(
        "/api/v1/auth/token",
        json={"email": PHARMACIST, "password": PASSWORD},
        headers={"X-Forwarded-For": f"{OWNER}, {PROXY}", "X-Request-ID": "viaproxy"},
    )
    assert r.status_code == 200
    spoof = TestClient(
        create_app(world.clinic.settings, clinic=world.clinic), client=("192.0.2.9", 1)
    )
    r = spoof.post(
        "/api/v1/auth/token",
        json={"email": PHARMACIST, "password": PASSWORD},
        headers={"X-Forwarded-For": "127.0.0.1", "X-Request-ID": "spoofed"},
    )
    assert r.status_code == 200
    with world.clinic.db.transaction() as s:
        seen = {
            e.request_id: e.remote_addr
            for e in s.scalars(
                select(AuditEvent).where(
                    AuditEvent.request_id.in_(["viaproxy", "spoofed"]), AuditEvent.action == "login"
                )
            )
        }
    assert seen == {
        "viaproxy": OWNER,
        "spoofed": "192.0.2.9",
    }  # an untrusted peer cannot claim an address


def test_web_session_cookie_is_secure_behind_a_tls_proxy(world: World) -> None:
    c = _behind_proxy(world)
    tls = {"X-Forwarded-For": OWNER, "X-Forwarded-Proto": "https"}
    form = c.get("/login", headers=tls)
    assert "Secure" in form.headers["set-cookie"]
    assert form.headers["strict-transport-security"].startswith("max-age=")
    token = _csrf(form.text)
    nonce = form.headers["set-cookie"].split("ldn_login=")[1].split(";")[0]
    c.cookies.clear()  # the client would not send a Secure cookie over http://testserver: send it by hand
    r = c.post(
        "/login",
        data={"email": PHARMACIST, "password": PASSWORD, "csrf": token},
        headers={**tls, "Cookie": f"ldn_login={nonce}"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    session = [h for h in r.headers.get_list("set-cookie") if h.startswith("ldn_session=")]
    assert session and "Secure" in session[0] and "HttpOnly" in session[0]


def test_lockout_is_per_account_with_a_doubling_wait_not_per_proxy(world: World) -> None:
    c, now = _behind_proxy(world), [NOW]
    world.clinic.clock = lambda: now[0]
    for _ in range(5):  # the attacker fails one account from one address...
        assert _login(c, PHARMACIST, "wrong password!!", ATTACKER)[0] == 401
    for victim in ("clinician@demo.ldn.example", "patient@demo.ldn.example"):  # ...and tries others
        assert _login(c, victim, "wrong password!!", ATTACKER)[0] == 401
    # everyone else behind the same proxy still logs in, the account's owner included
    assert _login(c, "admin@demo.ldn.example", PASSWORD, OWNER)[0] == 200
    assert _login(c, PHARMACIST, PASSWORD, OWNER)[0] == 200
    # the attacker waits, and each further failure doubles the wait
    waits = []
    for _ in range(3):
        status, wait = _login(c, PHARMACIST, "wrong password!!", ATTACKER)
        assert status == 429 and wait > 0
        waits.append(wait)
        now[0] += timedelta(seconds=wait)
        assert _login(c, PHARMACIST, "wrong password!!", ATTACKER)[0] == 401
    assert waits == sorted(waits) and waits[-1] >= 4 * waits[0]
    # the waits end: after the last one the right password works from the attacker's address too
    status, wait = _login(c, PHARMACIST, PASSWORD, ATTACKER)
    assert status == 429
    now[0] += timedelta(seconds=wait)
    assert _login(c, PHARMACIST, PASSWORD, ATTACKER)[0] == 200


def test_an_account_failed_from_many_addresses_waits_too(world: World) -> None:
    c = _behind_proxy(world)
    for i in range(15):  # a distributed guess: three times the per-address threshold
        assert _login(c, PHARMACIST, "wrong password!!", f"203.0.113.{10 + i}")[0] == 401
    status, wait = _login(c, PHARMACIST, PASSWORD, OWNER)
    assert status == 429 and 0 < wait <= 2  # a short wait, not a lock-out


def test_the_login_form_needs_its_csrf_token(world: World) -> None:
    c = TestClient(create_app(world.clinic.settings, clinic=world.clinic))
    forged = c.post(
        "/login", data={"email": PHARMACIST, "password": PASSWORD}, follow_redirects=False
    )
    assert forged.status_code == 403 and "ldn_session" not in forged.headers.get("set-cookie", "")
    other_site = TestClient(create_app(world.clinic.settings, clinic=world.clinic))
    token = _csrf(other_site.get("/login").text)
    replayed = c.post(
        "/login",
        data={"email": PHARMACIST, "password": PASSWORD, "csrf": token},
        follow_redirects=False,
    )
    assert replayed.status_code == 403  # a token from another browser (no matching cookie)
    token = _csrf(c.get("/login").text)
    ok = c.post(
        "/login",
        data={"email": PHARMACIST, "password": PASSWORD, "csrf": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and "ldn_session=" in ok.headers["set-cookie"]
