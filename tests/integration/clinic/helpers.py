"""A demo world behind a test client: logins per role and the ids of own/other patients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from ldn.api.app import create_app
from ldn.services.clinic import accounts, demo, patients
from ldn.services.clinic.context import SYSTEM, Actor, Clinic

PASSWORD = demo.DEMO_PASSWORD


@dataclass
class World:
    client: TestClient
    clinic: Clinic
    headers: dict[str, dict[str, str]]  # role -> Authorization header
    own: int  # the demo patient login's patient (in the demo clinic)
    other: int  # another patient of the demo clinic
    foreign: int  # a patient of another clinic
    ids: dict[str, Any]

    def as_(self, role: str) -> dict[str, str]:
        return self.headers[role]


def login(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def build_world(clinic: Clinic) -> World:
    logins = demo.seed_demo(clinic)
    other_clinic = accounts.create_clinic(clinic, SYSTEM, name="Other Clinic")
    oc = int(other_clinic["id"])
    doc2 = accounts.create_user(
        clinic,
        SYSTEM,
        clinic_id=oc,
        email="doc@other.example",
        password=PASSWORD,
        role="clinician",
        display_name="Dr Other Clinic",
    )
    rec = {
        "id": "other-1",
        "display_name": "Olga (other clinic)",
        "age_years": 50,
        "sex": "female",
        "conditions": [{"code": "fibromyalgia"}],
        "pain": {"duration_months": 24},
    }
    foreign = int(
        patients.create_patient(clinic, Actor(int(doc2["id"]), "clinician", oc), record=rec)["id"]
    )
    client = TestClient(create_app(clinic.settings, clinic=clinic))
    headers = {role: login(client, email) for role, email in logins.logins.items()}
    me = client.get("/api/v1/auth/me", headers=headers["patient"]).json()
    page = client.get("/api/v1/patients?limit=200", headers=headers["clinician"]).json()
    ids = {p["record_id"]: p["id"] for p in page["items"]}
    own = int(me["patient_id"])
    other = ids["ex-fibromyalgia-trial"]
    return World(client, clinic, headers, own, other, foreign, ids)


def web_login(client: TestClient, email: str = "clinician@demo.ldn.example") -> None:
    """Log in to the web app as a person would: the login form (with its CSRF token), then post."""
    page = client.get("/login").text
    token = page.split('name="csrf" value="')[1].split('"')[0] if 'name="csrf"' in page else ""
    r = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf": token}, follow_redirects=False
    )
    assert r.status_code == 303, r.text[:300]
