"""Security: tokens and accounts (issue 19, low findings) — no token speaks for "system" or an
unknown role; a revoked or deactivated token is refused everywhere; an admin cannot demote or
deactivate themselves or the last admin; creating a user does not tell which e-mails exist in
other clinics; the pharmacist does not see a trial's analysis; computations are rate-limited per
user."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import jwt
import pytest
from fastapi.testclient import TestClient

from ldn.asgi import create_app
from ldn.config import Settings
from ldn.services.clinic.context import Clinic
from tests.integration.clinic.conftest import NOW
from tests.integration.clinic.helpers import PASSWORD, World, build_world, login


def _csrf(html: str) -> str:
    """The form's CSRF token ("" on a page without one)."""
    return html.split('name="csrf" value="')[1].split('"')[0] if 'name="csrf"' in html else ""


@pytest.fixture
def world(clinic: Clinic) -> Iterator[World]:
    clinic.settings = Settings(**{**clinic.settings.model_dump(), "compute_per_minute": 3})
    w = build_world(clinic)
    with w.client:
        yield w


def _forge(world: World, **claims: object) -> dict[str, str]:
    """A token signed with the service's own key (what a leaked or reused key would allow)."""
    now = int(NOW.timestamp())
    body = {"sub": "1", "clinic": 1, "pid": None, "ver": 0, "iat": now, "exp": now + 600, **claims}
    token = jwt.encode(body, world.clinic.settings.resolved_secret_key(), algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("role", ["system", "superuser", "", None])
def test_a_token_for_system_or_an_unknown_role_is_refused(world: World, role: object) -> None:
    for sub in ("0", "1"):
        h = _forge(world, role=role, sub=sub)
        for path in (
            "/api/v1/audit",
            "/api/v1/patients",
            f"/api/v1/patients/{world.foreign}",
            "/api/v1/auth/me",
        ):
            assert world.client.get(path, headers=h).status_code == 401, (role, sub, path)


def _web_login(world: World, email: str) -> TestClient:
    c = TestClient(create_app(world.clinic.settings, clinic=world.clinic))
    token = _csrf(c.get("/login").text)
    assert (
        c.post(
            "/login",
            data={"email": email, "password": PASSWORD, "csrf": token},
            follow_redirects=False,
        ).status_code
        == 303
    )
    return c


@pytest.mark.parametrize("how", ["logout", "deactivate"])
def test_a_revoked_token_is_refused_everywhere(world: World, how: str) -> None:
    c, email = world.client, "pharmacist@demo.ldn.example"
    h = login(c, email)
    web = _web_login(world, email)
    paths = [
        "/api/v1/auth/me",
        "/api/v1/compute/pk",
        "/api/v1/compute/evidence",
        "/api/v1/compute/instruments",
        "/api/v1/compute/evidence/trials",
    ]
    assert all(c.get(p, headers=h).status_code == 200 for p in paths)
    if how == "logout":
        assert c.post("/api/v1/auth/logout", headers=h).status_code == 204
    else:
        uid = c.get("/api/v1/auth/me", headers=h).json()["user_id"]
        assert (
            c.patch(
                f"/api/v1/users/{uid}", headers=world.as_("admin"), json={"active": False}
            ).status_code
            == 200
        )
    for p in paths:
        assert c.get(p, headers=h).status_code == 401, p
    r = c.post(
        "/api/v1/compute/screening",
        headers=h,
        json={"record": {"id": "x", "age_years": 40, "sex": "female"}},
    )
    assert r.status_code == 401
    for p in ("/evidence", "/pharmacology"):
        r = web.get(p, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), p


def _admin_ids(world: World) -> tuple[int, dict[str, str], int, dict[str, str]]:
    c, admin = world.client, world.as_("admin")
    me = c.get("/api/v1/auth/me", headers=admin).json()["user_id"]
    r = c.post(
        "/api/v1/users",
        headers=admin,
        json={"email": "second.admin@demo.ldn.example", "password": PASSWORD, "role": "admin"},
    )
    assert r.status_code == 201
    return me, admin, r.json()["id"], login(c, "second.admin@demo.ldn.example")


def test_an_admin_cannot_demote_or_deactivate_themselves(world: World) -> None:
    c, admin = world.client, world.as_("admin")
    me = c.get("/api/v1/auth/me", headers=admin).json()["user_id"]
    for change in (
        {"role": "clinician"},
        {"active": False},
        {"role": "pharmacist", "active": True},
    ):
        r = c.patch(f"/api/v1/users/{me}", headers=admin, json=change)
        assert r.status_code == 409, (change, r.text)
    assert (
        c.get("/api/v1/users", headers=admin).status_code == 200
    )  # still an admin, still signed in


def test_the_last_admin_stays_but_another_can_be_demoted(world: World) -> None:
    c = world.client
    me, admin, second, second_h = _admin_ids(world)
    assert (
        c.patch(f"/api/v1/users/{second}", headers=admin, json={"role": "clinician"}).status_code
        == 200
    )
    assert (
        c.patch(f"/api/v1/users/{second}", headers=admin, json={"role": "admin"}).status_code == 200
    )
    second_h = login(c, "second.admin@demo.ldn.example")
    assert (
        c.patch(f"/api/v1/users/{me}", headers=second_h, json={"active": False}).status_code == 200
    )
    # now the second admin is the clinic's last: it cannot leave (itself, and nobody else is left)
    assert (
        c.patch(f"/api/v1/users/{second}", headers=second_h, json={"role": "clinician"}).status_code
        == 409
    )
    users = c.get("/api/v1/users?limit=200", headers=second_h).json()["items"]
    assert sum(u["role"] == "admin" and u["active"] for u in users) == 1


def test_creating_a_user_does_not_disclose_other_clinics_emails(world: World) -> None:
    c, admin = world.client, world.as_("admin")
    body = {"password": PASSWORD, "role": "clinician"}
    elsewhere = c.post("/api/v1/users", headers=admin, json={**body, "email": "doc@other.example"})
    here = c.post(
        "/api/v1/users", headers=admin, json={**body, "email": "clinician@demo.ldn.example"}
    )
    assert elsewhere.status_code == here.status_code == 409
    assert elsewhere.json()["detail"] == here.json()["detail"]
    assert "doc@other.example" not in elsewhere.text and "exists" not in elsewhere.text


def test_the_pharmacist_does_not_see_a_trials_analysis(world: World) -> None:
    c = world.client
    trial = c.get(f"/api/v1/patients/{world.other}/trials", headers=world.as_("clinician")).json()[
        0
    ]
    assert trial["analysis"], "the demo trial is analysed"
    seen = c.get(f"/api/v1/trials/{trial['id']}", headers=world.as_("pharmacist")).json()
    assert "analysis" not in seen and "allocation" in seen
    listed = c.get(f"/api/v1/patients/{world.other}/trials", headers=world.as_("pharmacist")).json()
    assert all("analysis" not in t for t in listed)
    web = _web_login(world, "pharmacist@demo.ldn.example")
    assert "posterior" not in web.get("/pharmacy").text.lower()


def test_computations_are_rate_limited_per_user(world: World) -> None:
    c, now = world.client, [NOW]
    world.clinic.clock = lambda: now[0]
    pt, doc = world.as_("patient"), world.as_("clinician")
    params = {"dose_mg": 4.5, "population": 1}
    assert [
        c.get("/api/v1/compute/pk", headers=pt, params=params).status_code for _ in range(3)
    ] == [200] * 3
    limited = c.get("/api/v1/compute/pk", headers=pt, params=params)
    assert limited.status_code == 429 and 0 < int(limited.headers["Retry-After"]) <= 61
    assert (
        c.get("/api/v1/compute/evidence", headers=pt).status_code == 429
    )  # one budget for the costly ones
    assert c.get("/api/v1/compute/pk", headers=doc, params=params).status_code == 200  # per user
    now[0] += timedelta(seconds=61)
    assert c.get("/api/v1/compute/pk", headers=pt, params=params).status_code == 200
