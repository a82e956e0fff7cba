"""Patient enrolment invites: one-time link or code, expiry (a fixed clock), single use, revoke,
resend, the login-like throttle, and a patient who enrols sees only their own record (service,
API and web)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ldn.domain.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimited,
)
from ldn.persistence.db import Database
from ldn.persistence.tables import AuditEvent, PatientInvite
from ldn.services.clinic import invites, patients
from ldn.services.clinic.context import Actor, Clinic
from tests.integration.clinic.conftest import NOW
from tests.integration.clinic.helpers import World, build_world, web_login

NEW_PASSWORD = "correct horse battery staple"


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(clinic: Clinic, clock: Clock) -> Iterator[World]:
    moving = Clinic(clinic.settings, Database(clinic.settings.resolved_database_url), clock)
    w = build_world(moving)
    with w.client:
        yield w
    moving.close()


def _doc(world: World) -> Actor:
    me = world.client.get("/api/v1/auth/me", headers=world.as_("clinician")).json()
    return Actor(me["user_id"], "clinician", me["clinic_id"])


def test_an_invite_is_shown_once_and_kept_only_as_hashes(world: World) -> None:
    made = invites.create_invite(world.clinic, _doc(world), world.other)
    assert made["status"] == "open" and len(made["code"]) == 9 and made["code"][4] == "-"
    assert made["enrol_path"] == f"/enrol/{made['token']}"
    assert made["expires_at"] == (NOW + timedelta(hours=72)).isoformat()
    with world.clinic.db.transaction() as s:
        row = s.scalars(select(PatientInvite)).one()
        stored = f"{row.token_hash} {row.code_hash}"
        assert made["token"] not in stored and made["code"].replace("-", "") not in stored
    listed = invites.list_invites(world.clinic, _doc(world), world.other)
    assert listed["has_login"] is False and listed["items"][0]["status"] == "open"
    assert "token" not in listed["items"][0] and "code" not in listed["items"][0]
    with pytest.raises(ConflictError, match="still open"):  # one open invite: resend or revoke
        invites.create_invite(world.clinic, _doc(world), world.other)
    with pytest.raises(ConflictError, match="already has a login"):
        invites.create_invite(world.clinic, _doc(world), world.own)


def test_only_a_clinician_of_the_patients_clinic_invites(world: World) -> None:
    patient = Actor(0, "patient", 1, patient_id=world.own)
    me = world.client.get("/api/v1/auth/me", headers=world.as_("patient")).json()
    patient = replace(patient, user_id=me["user_id"], clinic_id=me["clinic_id"])
    with pytest.raises(PermissionDeniedError):
        invites.create_invite(world.clinic, patient, world.own)
    with pytest.raises(NotFoundError):
        invites.create_invite(world.clinic, _doc(world), world.foreign)


def test_expiry_with_a_fixed_clock_then_resend(world: World, clock: Clock) -> None:
    doc = _doc(world)
    made = invites.create_invite(world.clinic, doc, world.other)
    clock.now = NOW + timedelta(hours=72)  # the expiry itself: no longer valid
    with pytest.raises(ConflictError, match="expired on 2026-11-28"):
        invites.redeem_invite(
            world.clinic, token=made["token"], email="p1@example.org", password=NEW_PASSWORD
        )
    assert invites.list_invites(world.clinic, doc, world.other)["items"][0]["status"] == "expired"
    again = invites.create_invite(world.clinic, doc, world.other)  # an expired one is not open
    fresh = invites.resend_invite(world.clinic, doc, world.other)
    with pytest.raises(ConflictError, match="withdrawn"):
        invites.redeem_invite(
            world.clinic, code=again["code"], email="p1@example.org", password=NEW_PASSWORD
        )
    out = invites.redeem_invite(
        world.clinic,
        code=fresh["code"].lower().replace("-", " "),
        email="P1@Example.org",
        password=NEW_PASSWORD,
    )
    assert out["user"]["role"] == "patient" and out["user"]["patient_id"] == world.other
    assert out["user"]["email"] == "p1@example.org"


def test_single_use_and_the_same_password_rules(world: World) -> None:
    made = invites.create_invite(world.clinic, _doc(world), world.other)
    with pytest.raises(InputError, match="shorter than 12"):
        invites.redeem_invite(
            world.clinic, token=made["token"], email="p2@example.org", password="short"
        )
    with pytest.raises(ConflictError, match="cannot be created"):  # the e-mail is taken
        invites.redeem_invite(
            world.clinic,
            token=made["token"],
            email="clinician@demo.ldn.example",
            password=NEW_PASSWORD,
        )
    invites.redeem_invite(
        world.clinic, token=made["token"], email="p2@example.org", password=NEW_PASSWORD
    )
    with pytest.raises(ConflictError, match="already been used"):
        invites.redeem_invite(
            world.clinic, token=made["token"], email="p3@example.org", password=NEW_PASSWORD
        )
    with pytest.raises(NotFoundError):
        invites.revoke_invite(world.clinic, _doc(world), world.other)  # nothing open
    with world.clinic.db.transaction() as s:
        done = {(e.action, e.resource) for e in s.scalars(select(AuditEvent))}
    assert {("create", "invite"), ("redeem", "invite"), ("enrol_failed", "invite")} <= done


def test_guessing_codes_is_throttled_like_the_login(world: World, clock: Clock) -> None:
    """LDN_LOGIN_MAX_FAILURES (5 in the tests) refusals from one address, then 1 s, 2 s, ...;
    another address is not slowed until the service-wide threshold (10 x 5)."""
    for _ in range(5):
        with pytest.raises(NotFoundError):
            invites.check_invite(world.clinic, code="AAAA-AAAA", remote_addr="203.0.113.9")
    with pytest.raises(RateLimited) as waited:
        invites.check_invite(world.clinic, code="AAAA-AAAA", remote_addr="203.0.113.9")
    assert waited.value.retry_after_s == 1
    made = invites.create_invite(world.clinic, _doc(world), world.other)
    with pytest.raises(RateLimited):  # even a good code waits: the wait comes first
        invites.check_invite(world.clinic, token=made["token"], remote_addr="203.0.113.9")
    assert invites.check_invite(world.clinic, token=made["token"], remote_addr="198.51.100.7")
    clock.now += timedelta(seconds=2)
    assert invites.check_invite(world.clinic, token=made["token"], remote_addr="203.0.113.9")


def test_api_enrolment_then_the_patient_sees_only_their_record(world: World) -> None:
    c, doc = world.client, world.as_("clinician")
    made = c.post(f"/api/v1/patients/{world.other}/invites", headers=doc)
    assert made.status_code == 201 and made.json()["enrol_url"].endswith(made.json()["enrol_path"])
    body = {"code": made.json()["code"], "email": "api-p@example.org", "password": NEW_PASSWORD}
    r = c.post("/api/v1/enrolment", json=body)
    assert r.status_code == 200, r.text
    mine = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert c.get(f"/api/v1/patients/{world.other}", headers=mine).status_code == 200
    assert c.get(f"/api/v1/patients/{world.own}", headers=mine).status_code == 404
    assert c.get("/api/v1/patients", headers=mine).status_code == 403
    reused = c.post("/api/v1/enrolment", json={**body, "email": "again@example.org"})
    assert reused.status_code == 409
    assert reused.headers["content-type"].startswith("application/problem+json")
    assert "already been used" in reused.json()["detail"]
    both = c.post("/api/v1/enrolment", json={**body, "token": "x"})
    assert both.status_code == 422
    assert c.post(f"/api/v1/patients/{world.other}/invites", headers=mine).status_code == 403
    listed = c.get(f"/api/v1/patients/{world.other}/invites", headers=doc).json()
    assert listed["has_login"] is True and listed["items"][0]["status"] == "used"


def test_api_resend_and_revoke(world: World) -> None:
    c, doc = world.client, world.as_("clinician")
    first = c.post(f"/api/v1/patients/{world.other}/invites", headers=doc).json()
    assert c.post(f"/api/v1/patients/{world.other}/invites", headers=doc).status_code == 409
    second = c.post(f"/api/v1/patients/{world.other}/invites/resend", headers=doc).json()
    assert second["code"] != first["code"]
    old = c.post(
        "/api/v1/enrolment",
        json={"token": first["token"], "email": "r@example.org", "password": NEW_PASSWORD},
    )
    assert old.status_code == 409 and "withdrawn" in old.json()["detail"]
    assert c.post(f"/api/v1/patients/{world.other}/invites/revoke", headers=doc).status_code == 200
    gone = c.post(
        "/api/v1/enrolment",
        json={"token": second["token"], "email": "r@example.org", "password": NEW_PASSWORD},
    )
    assert gone.status_code == 409
    unknown = c.post(
        "/api/v1/enrolment",
        json={"code": "ZZZZ-ZZZZ", "email": "r@example.org", "password": NEW_PASSWORD},
    )
    assert unknown.status_code == 404


def _web(world: World) -> TestClient:
    from ldn.asgi import create_app

    return TestClient(create_app(world.clinic.settings, clinic=world.clinic))


def _csrf(html: str) -> str:
    return html.split('name="csrf" value="')[1].split('"')[0]


def test_web_clinician_invites_and_the_patient_enrols_by_link(world: World) -> None:
    doc = _web(world)
    web_login(doc)
    dash = doc.get(f"/clinic/patients/{world.other}")
    assert "Invite to make a login" in dash.text
    made = doc.post(
        f"/clinic/patients/{world.other}/invite",
        data={"csrf": _csrf(dash.text), "action": "create"},
    )
    assert made.status_code == 200 and "shown <strong>only now</strong>" in made.text
    link = made.text.split('id="invite-link"')[1].split(">", 1)[1].split("</code>")[0]
    assert "Resend invite" in doc.get(f"/clinic/patients/{world.other}").text
    patient = _web(world)
    form = patient.get(link.replace("http://testserver", ""))
    assert form.status_code == 200 and form.headers["referrer-policy"] == "no-referrer"
    token = form.text.split('name="token" value="')[1].split('"')[0]
    data = {
        "csrf": _csrf(form.text),
        "token": token,
        "email": "web-p@example.org",
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD + "x",
    }
    mismatch = patient.post("/enrol", data=data)
    assert mismatch.status_code == 422 and "not the same" in mismatch.text
    done = patient.post(
        "/enrol", data={**data, "password_again": NEW_PASSWORD}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/me"
    assert patient.get("/me").status_code == 200
    assert patient.get(f"/clinic/patients/{world.own}").status_code == 403
    again = _web(world).get(link.replace("http://testserver", ""))
    assert again.status_code == 409 and "already been used" in again.text
    assert "The patient has a login" in doc.get(f"/clinic/patients/{world.other}").text


def test_web_code_page_refuses_a_wrong_code_and_a_foreign_form(world: World) -> None:
    c = _web(world)
    page = c.get("/enrol")
    assert page.status_code == 200 and 'name="code"' in page.text
    data = {
        "csrf": _csrf(page.text),
        "code": "ZZZZ-ZZZZ",
        "email": "w@example.org",
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD,
    }
    wrong = c.post("/enrol", data=data)
    assert (
        wrong.status_code == 404
        and "not valid" in wrong.text
        and 'value="w@example.org"' in wrong.text
    )
    foreign = _web(world).post("/enrol", data=data)  # no pre-session cookie: not from this site
    assert foreign.status_code == 403


def test_a_patient_without_login_is_not_listed_as_having_one(clinic: Clinic) -> None:
    """A patient created without an invite has none: the section offers one."""
    w = build_world(clinic)
    doc = _doc(w)
    created = patients.create_patient(clinic, doc, record={"age_years": 40, "sex": "female"})
    listed = invites.list_invites(clinic, doc, int(created["id"]))
    assert listed == {"has_login": False, "items": []}
