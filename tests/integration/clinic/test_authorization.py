"""Authorization matrix: every endpoint × every role × own / other / foreign patient.

*own* = the demo patient login's own record; *other* = another patient of the same clinic;
*foreign* = a patient of another clinic. Allowed means the request got past authorization
(any answer but 401/403/404); denied means 403 (role lacks the permission) or 404 (patient out
of scope, existence not disclosed). A new endpoint without a row here fails the coverage test.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from ldn.persistence.tables import Patient, User
from ldn.services.clinic import pharmacy, plans, screenings, trials
from ldn.services.clinic.context import SYSTEM, Actor
from tests.integration.clinic.helpers import World, build_world

ROLES = ("patient", "clinician", "pharmacist", "admin")
ALL = frozenset(ROLES)
P, C, F, A = "patient", "clinician", "pharmacist", "admin"


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    roles: frozenset[str]
    scoped: bool = True  # the path names a patient (directly or through a resource)
    body: Any = None
    params: dict[str, str] | None = None


_rec = {
    "id": "matrix-x",
    "age_years": 40,
    "sex": "female",
    "conditions": [{"code": "fibromyalgia"}],
}
CASES = [
    Case("GET", "/api/v1/auth/me", ALL, scoped=False),
    Case("GET", "/api/v1/users", frozenset({A}), scoped=False),
    Case("POST", "/api/v1/users", frozenset({A}), scoped=False,
         body={"email": "new-{n}@demo.example", "password": "a-long-enough-password", "role": "clinician"}),
    Case("PATCH", "/api/v1/users/{user_id}", frozenset({A}), scoped=False, body={"active": True}),
    Case("GET", "/api/v1/audit", frozenset({A}), scoped=False),
    Case("GET", "/api/v1/audit/verify", frozenset({A}), scoped=False),
    Case("GET", "/api/v1/patients", frozenset({C}), scoped=False),
    Case("POST", "/api/v1/patients", frozenset({C}), scoped=False, body={"record": {**_rec, "id": "m-{n}"}}),
    Case("GET", "/api/v1/patients/{patient_id}", frozenset({P, C})),
    Case("PUT", "/api/v1/patients/{patient_id}/record", frozenset({C}), body={"record": _rec}),
    Case("POST", "/api/v1/patients/{patient_id}/screenings", frozenset({C})),
    Case("GET", "/api/v1/patients/{patient_id}/screenings", frozenset({P, C})),
    Case("GET", "/api/v1/patients/{patient_id}/screenings/{screening_id}", frozenset({P, C})),
    Case("POST", "/api/v1/patients/{patient_id}/questionnaires", frozenset({P, C}),
         body={"instrument": "pgic", "answers": {"pgic": 3}}),
    Case("GET", "/api/v1/patients/{patient_id}/questionnaires", frozenset({P, C})),
    Case("POST", "/api/v1/patients/{patient_id}/plan", frozenset({C}), body={}),
    Case("GET", "/api/v1/patients/{patient_id}/plan", frozenset({P, C})),
    Case("PUT", "/api/v1/patients/{patient_id}/plan", frozenset({C}), body={"form": "capsule"}),
    Case("POST", "/api/v1/patients/{patient_id}/plan/adjustments", frozenset({C}),
         body={"side_effect": "vivid_dreams", "on": "2026-11-25"}),
    Case("GET", "/api/v1/patients/{patient_id}/prescriptions/draft", frozenset({C})),
    Case("POST", "/api/v1/patients/{patient_id}/prescriptions", frozenset({C}), body={}),
    Case("GET", "/api/v1/patients/{patient_id}/prescriptions", frozenset({P, C, F})),
    Case("GET", "/api/v1/prescriptions", frozenset({F, C}), scoped=False),
    Case("GET", "/api/v1/prescriptions/{prescription_id}", frozenset({P, C, F})),
    Case("GET", "/api/v1/prescriptions/{prescription_id}/worksheet", frozenset({F, C})),
    Case("POST", "/api/v1/prescriptions/{prescription_id}/batches", frozenset({F}), body={"lot": "M-1", "count": 10}),
    Case("GET", "/api/v1/prescriptions/{prescription_id}/batches", frozenset({F, C})),
    Case("POST", "/api/v1/prescriptions/{prescription_id}/batches/{batch_id}/verification", frozenset({F})),
    Case("POST", "/api/v1/prescriptions/{prescription_id}/batches/{batch_id}/void", frozenset({F}), body={"reason": "matrix"}),
    Case("POST", "/api/v1/prescriptions/{prescription_id}/dispense", frozenset({F})),
    Case("POST", "/api/v1/prescriptions/{prescription_id}/cancel", frozenset({C, F}), body={"reason": "matrix"}),
    Case("POST", "/api/v1/patients/{patient_id}/diary", frozenset({P, C}), body={"date": "2026-11-24", "pain_avg": 5}),
    Case("PUT", "/api/v1/patients/{patient_id}/diary/{day}", frozenset({P, C}), body={"date": "2026-11-23", "pain_avg": 5}),
    Case("GET", "/api/v1/patients/{patient_id}/diary", frozenset({P, C})),
    Case("GET", "/api/v1/patients/{patient_id}/response", frozenset({P, C})),
    Case("POST", "/api/v1/patients/{patient_id}/trials", frozenset({C}), body={"start": "2026-12-01", "seed": 7}),
    Case("GET", "/api/v1/patients/{patient_id}/trials", frozenset({P, C, F})),
    Case("GET", "/api/v1/trials/{trial_id}", frozenset({P, C, F})),
    Case("GET", "/api/v1/trials/{trial_id}/allocation", frozenset({F})),
    Case("POST", "/api/v1/trials/{trial_id}/reveal", frozenset({C})),
    Case("POST", "/api/v1/trials/{trial_id}/analysis", frozenset({C}), body={}),
    Case("POST", "/api/v1/compute/screening", ALL, scoped=False, body={"record": _rec, "as_of": "2026-11-25"}),
    Case("GET", "/api/v1/compute/pk", ALL, scoped=False, params={"dose_mg": "4.5"}),
    Case("GET", "/api/v1/compute/evidence", ALL, scoped=False),
    Case("GET", "/api/v1/compute/evidence/trials", ALL, scoped=False),
    Case("GET", "/api/v1/compute/instruments", ALL, scoped=False),
    Case("GET", "/api/v1/compute/medicines", ALL, scoped=False, params={"name": "Percocet"}),
    Case("POST", "/api/v1/patients/{patient_id}/record/medications/{index}/review", frozenset({C}),
         body={"contains_opioid": False}),
    Case("POST", "/fhir/R4/$import-patient", frozenset({C}), scoped=False,
         body={"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {
             "resourceType": "Patient", "id": "m", "gender": "female", "birthDate": "1980-01-01"}}]}),
    Case("GET", "/fhir/R4/Patient/{patient_id}/$everything", frozenset({P, C})),
    Case("GET", "/fhir/R4/{resource_type}/{resource_id}", frozenset({P, C})),
    Case("GET", "/fhir/R4/{resource_type}", frozenset({P, C}), params={"_id": "{patient_id}"}),
    Case("POST", "/api/v1/patients/{patient_id}/plan/stop", frozenset({C}), body={"reason": "cost"}),
    Case("GET", "/api/v1/outcomes", frozenset({C, A}), scoped=False),
    Case("GET", "/api/v1/patients/{patient_id}/invites", frozenset({C})),
    Case("POST", "/api/v1/patients/{patient_id}/invites", frozenset({C})),
    Case("POST", "/api/v1/patients/{patient_id}/invites/resend", frozenset({C})),
    # one's own notifications: every role, never another user's (a notification id of someone
    # else answers 404: tests/integration/clinic/test_notifications.py)
    Case("GET", "/api/v1/notifications", ALL, scoped=False),
    Case("GET", "/api/v1/notifications/unread-count", ALL, scoped=False),
    Case("POST", "/api/v1/notifications/read-all", ALL, scoped=False),
    Case("GET", "/api/v1/notifications/preferences", ALL, scoped=False),
    Case("PUT", "/api/v1/notifications/preferences", ALL, scoped=False, body={"email": False}),
    Case("GET", "/api/v1/inbox", frozenset({C}), scoped=False),
]  # fmt: skip
#: rows that need a resource of the caller's own (checked in their own tests)
OWN = {
    ("POST", "/api/v1/notifications/{notification_id}/read"),  # below
    ("POST", "/api/v1/patients/{patient_id}/invites/revoke"),  # needs an open invite: below
}
PUBLIC = {
    ("POST", "/api/v1/auth/token"),
    ("GET", "/api/v1/health"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/fhir/R4/metadata"),  # public by the FHIR specification
    # CDS Hooks: the client's signed JWT, not user roles (tests/integration/clinic/test_interop_api.py)
    ("GET", "/cds-services"),
    ("POST", "/cds-services/{service_id}"),
    # an enrolment invite's token or code is the credential (test_invites.py)
    ("POST", "/api/v1/enrolment"),
}


def _resources(world: World) -> dict[int, dict[str, int]]:
    """Give each of the three patients a screening, plan, prescription and trial."""
    c = world.clinic
    out: dict[int, dict[str, int]] = {}
    for pid in (world.own, world.other, world.foreign):
        with c.db.transaction() as s:
            patient = s.get(Patient, pid)
            assert patient is not None
            doc = s.query(User).filter_by(clinic_id=patient.clinic_id, role="clinician").first()
            assert doc is not None
        actor = Actor(doc.id, "clinician", patient.clinic_id)
        sid = screenings.run_screening(c, actor, pid)["id"]
        plans.create_plan(c, actor, pid, options={})
        rx = pharmacy.create_prescription(c, actor, pid)["id"]
        batch = pharmacy.create_batch(c, SYSTEM, rx, lot=f"AUTH-{pid}")["id"]
        existing = trials.list_trials(c, actor, pid)
        tid = (
            existing[0]["id"]
            if existing
            else trials.create_clinic_trial(c, actor, pid, start=date(2026, 11, 20), seed=3)["id"]
        )
        out[pid] = {"screening_id": sid, "prescription_id": rx, "batch_id": batch, "trial_id": tid}
    return out


@pytest.fixture
def world(clinic: Any) -> Iterator[tuple[World, dict[int, dict[str, int]]]]:
    w = build_world(clinic)
    with w.client:
        yield w, _resources(w)


def test_every_endpoint_has_a_row(world: tuple[World, Any]) -> None:
    w, _ = world
    paths = w.client.app.openapi()["paths"]  # type: ignore[attr-defined]
    routes = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    covered = {(c.method, c.path) for c in CASES} | PUBLIC | OWN
    assert routes - covered == set(), "endpoints without an authorization row"
    assert covered - routes == set(), "rows for endpoints that do not exist"


def test_authorization_matrix(world: tuple[World, dict[int, dict[str, int]]]) -> None:
    w, res = world
    throwaway = w.client.post(
        "/api/v1/users",
        headers=w.as_("admin"),
        json={
            "email": "throwaway@demo.example",
            "password": "a-long-enough-password",
            "role": "pharmacist",
        },
    ).json()["id"]
    failures = []
    n = itertools.count()
    scopes = {"own": w.own, "other": w.other, "foreign": w.foreign}
    for case, role in itertools.product(CASES, ROLES):
        for scope, pid in scopes.items() if case.scoped else [("-", w.own)]:
            ids = {
                "patient_id": pid,
                "user_id": throwaway,
                "day": "2026-11-23",
                "resource_type": "Patient",
                "resource_id": str(pid),
                "index": "0",
                **res[pid],
            }
            path = case.path.format(**ids)
            body = case.body
            if isinstance(body, dict):
                body = {
                    k: (v.format(n=next(n)) if isinstance(v, str) else v) for k, v in body.items()
                }
                if "record" in body and isinstance(body["record"], dict):
                    body["record"] = {
                        **body["record"],
                        "id": str(body["record"]["id"]).format(n=next(n)),
                    }
            params = {k: v.format(**ids) for k, v in (case.params or {}).items()}
            r = w.client.request(case.method, path, headers=w.as_(role), json=body, params=params)
            allowed = role in case.roles and (
                not case.scoped or (scope == "own" if role == "patient" else scope != "foreign")
            )
            got_in = r.status_code not in (401, 403, 404)
            if allowed != got_in or r.status_code >= 500:
                failures.append(
                    f"{case.method} {case.path} as {role} ({scope}): {r.status_code} {r.text[:120]}"
                )
    assert not failures, "\n".join(failures)


def test_a_notification_is_read_only_by_its_recipient(
    world: tuple[World, dict[int, dict[str, int]]],
) -> None:
    """A patient's new side effect notifies the clinician; nobody else can open or mark it."""
    w, _ = world
    r = w.client.post(
        f"/api/v1/patients/{w.own}/diary",
        headers=w.as_("patient"),
        json={"date": "2026-11-24", "pain_avg": 5, "side_effects": ["nausea"]},
    )
    assert r.status_code == 201, r.text
    mine = w.client.get("/api/v1/notifications", headers=w.as_("clinician")).json()
    ids = [n["id"] for n in mine["items"]]
    assert ids, mine
    for role in ("patient", "pharmacist", "admin"):
        got = w.client.post(f"/api/v1/notifications/{ids[0]}/read", headers=w.as_(role))
        assert got.status_code == 404, (role, got.text)
    ok = w.client.post(f"/api/v1/notifications/{ids[0]}/read", headers=w.as_("clinician"))
    assert ok.status_code == 200, ok.text


def test_only_the_clinic_s_clinicians_revoke_an_invite(
    world: tuple[World, dict[int, dict[str, int]]],
) -> None:
    w, _ = world
    made = w.client.post(f"/api/v1/patients/{w.other}/invites", headers=w.as_("clinician"))
    assert made.status_code == 201, made.text
    for role in ("patient", "pharmacist", "admin"):
        got = w.client.post(f"/api/v1/patients/{w.other}/invites/revoke", headers=w.as_(role))
        assert got.status_code in (403, 404), (role, got.text)
    foreign = w.client.post(
        f"/api/v1/patients/{w.foreign}/invites/revoke", headers=w.as_("clinician")
    )
    assert foreign.status_code == 404
    ok = w.client.post(f"/api/v1/patients/{w.other}/invites/revoke", headers=w.as_("clinician"))
    assert ok.status_code == 200, ok.text
