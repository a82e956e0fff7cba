"""The REST API end to end on SQLite and PostgreSQL: a clinic's path, bad input, retries, ETags,
rate limits and revocation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from ldn.persistence.tables import AuditEvent, DiaryRow
from ldn.services.clinic.context import Clinic
from tests.conftest import PATIENTS
from tests.integration.clinic.helpers import PASSWORD, World, build_world, login


@pytest.fixture
def world(clinic: Clinic) -> Iterator[World]:
    w = build_world(clinic)
    with w.client:
        yield w


def _diary_rows(clinic: Clinic, patient_id: int) -> int:
    with clinic.db.transaction() as s:
        return int(
            s.scalar(
                select(func.count()).select_from(DiaryRow).where(DiaryRow.patient_id == patient_id)
            )
            or 0
        )


def test_clinic_path_screen_plan_prescribe_compound_log(world: World) -> None:
    """A clinician adds a patient and screens, plans and prescribes; the pharmacist compounds;
    the patient (given a login by the admin) logs the diary and reads the plan."""
    c, doc, ph = world.client, world.as_("clinician"), world.as_("pharmacist")
    record: dict[str, Any] = json.loads(
        json.dumps(yaml.safe_load((PATIENTS / "fibromyalgia.yaml").read_text()), default=str)
    )
    record["id"] = "new-fm"
    r = c.post("/api/v1/patients", headers=doc, json={"record": record})
    assert r.status_code == 201 and r.headers["ETag"] == '"1"'
    pid = r.json()["id"]
    screening = c.post(f"/api/v1/patients/{pid}/screenings", headers=doc).json()
    assert screening["verdict"] == "candidate" and screening["rules_version"]
    assert all(f["source_ids"] for f in screening["report"]["findings"])
    plan = c.post(f"/api/v1/patients/{pid}/plan", headers=doc, json={"schedule": "common"})
    assert plan.status_code == 201 and plan.json()["plan"]["target_mg"] == 4.5
    old_api = c.post(
        f"/api/v1/patients/{pid}/prescriptions", headers=doc, json={"prescriber": "Dr T"}
    )
    assert old_api.status_code == 422  # the prescriber is the caller's profile, never typed
    rx = c.post(f"/api/v1/patients/{pid}/prescriptions", headers=doc, json={}).json()
    assert "Naltrexone" in rx["text"] and rx["status"] == "issued"
    assert rx["document"]["prescriber"]["name"] == "Dr Demo Clinician"
    queue = c.get("/api/v1/prescriptions?status=issued", headers=ph).json()
    assert rx["id"] in [p["id"] for p in queue["items"]]
    batch = c.post(
        f"/api/v1/prescriptions/{rx['id']}/batches",
        headers=ph,
        json={"lot": "L-77", "strength_mg": 1.5, "count": 14},
    )
    assert batch.status_code == 201, batch.text
    assert batch.json()["beyond_use_date"] > "2026-11-25" and "microcrystalline" in str(
        batch.json()["worksheet"]
    )
    user = c.post(
        "/api/v1/users",
        headers=world.as_("admin"),
        json={
            "email": "new-fm@example.org",
            "password": PASSWORD,
            "role": "patient",
            "patient_id": pid,
        },
    )
    assert user.status_code == 201, user.text
    me = login(c, "new-fm@example.org")
    for day in ("2026-11-22", "2026-11-23", "2026-11-24"):
        r = c.post(
            f"/api/v1/patients/{pid}/diary",
            headers={**me, "Idempotency-Key": f"k-{day}"},
            json={"date": day, "pain_avg": 5.5, "dose_mg": 1.5, "side_effects": ["vivid_dreams"]},
        )
        assert r.status_code == 201, r.text
    entries = c.get(f"/api/v1/patients/{pid}/diary", headers=me).json()
    assert entries["total"] == 3 and [e["date"] for e in entries["items"]] == [
        "2026-11-22",
        "2026-11-23",
        "2026-11-24",
    ]
    assert c.get(f"/api/v1/patients/{pid}/plan", headers=me).status_code == 200


def test_bad_input_is_a_4xx_problem_naming_the_field_and_writes_nothing(world: World) -> None:
    c, h, pid = world.client, world.as_("patient"), world.own
    url = f"/api/v1/patients/{pid}/diary"
    before = _diary_rows(world.clinic, pid)
    cases = [
        ({"content": b'{"date": "2026-11-24", "pain_avg":', "headers": {**h, "Content-Type": "application/json"}}, 400, None),
        ({"json": {"date": "2026-11-24", "pain_avg": "a lot"}, "headers": h}, 422, "pain_avg"),
        ({"json": {"date": "2026-11-24", "pain_avg": 4, "pain_level": 3}, "headers": h}, 422, "pain_level"),
        ({"json": {"date": "2026-11-24", "pain_avg": 14}, "headers": h}, 422, "pain_avg"),
        ({"json": {"date": "2031-01-01", "pain_avg": 4}, "headers": h}, 422, "date"),
        ({"json": {"date": "2026-11-24"}, "headers": h}, 422, "pain_avg"),
    ]  # fmt: skip
    for kwargs, status, field in cases:
        r = c.post(url, **kwargs)  # type: ignore[arg-type]
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert body["status"] == status and body["type"].startswith(
            "https://ldn.example.org/problems/"
        )
        if field:
            assert any(e["loc"] == field for e in body["errors"]), body
    assert _diary_rows(world.clinic, pid) == before
    q = c.post(
        f"/api/v1/patients/{pid}/questionnaires",
        headers=h,
        json={"instrument": "pgic", "answers": {"pgic": 9}},
    )
    assert q.status_code == 422 and q.json()["errors"][0]["loc"] == "answers.pgic"
    assert c.post(url, headers=h, json={"date": "2026-11-24", "pain_avg": 4}).status_code == 201
    dup = c.post(url, headers=h, json={"date": "2026-11-24", "pain_avg": 5})
    assert (
        dup.status_code == 409
        and "date" in dup.json()["detail"]
        and "update=true" in dup.json()["fix"]
    )
    upd = c.post(url + "?update=true", headers=h, json={"date": "2026-11-24", "pain_avg": 5})
    assert upd.status_code == 200 and upd.json()["pain_avg"] == 5 and upd.json()["version"] == 2
    assert _diary_rows(world.clinic, pid) == before + 1


def test_a_retried_diary_post_stores_one_entry(world: World) -> None:
    c, h, pid = world.client, world.as_("patient"), world.own
    entry = {"date": "2026-11-21", "pain_avg": 3}
    first = c.post(
        f"/api/v1/patients/{pid}/diary", headers={**h, "Idempotency-Key": "phone-1"}, json=entry
    )
    again = c.post(
        f"/api/v1/patients/{pid}/diary", headers={**h, "Idempotency-Key": "phone-1"}, json=entry
    )
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    other = c.post(
        f"/api/v1/patients/{pid}/diary",
        headers={**h, "Idempotency-Key": "phone-1"},
        json={**entry, "pain_avg": 4},
    )
    assert other.status_code == 409 and "Idempotency-Key" in other.json()["detail"]


def test_two_clinicians_cannot_overwrite_each_others_plan(world: World) -> None:
    c, h, pid = world.client, world.as_("clinician"), world.own
    tag = c.get(f"/api/v1/patients/{pid}/plan", headers=h).headers["ETag"]
    one = c.put(
        f"/api/v1/patients/{pid}/plan", headers={**h, "If-Match": tag}, json={"schedule": "slow"}
    )
    assert one.status_code == 200 and one.headers["ETag"] != tag
    two = c.put(
        f"/api/v1/patients/{pid}/plan", headers={**h, "If-Match": tag}, json={"form": "liquid"}
    )
    assert two.status_code == 412 and "reload" in two.json()["fix"]
    assert (
        c.put(f"/api/v1/patients/{pid}/plan", headers=h, json={"form": "liquid"}).status_code == 428
    )
    assert (
        c.put(f"/api/v1/patients/{pid}/plan", headers={**h, "If-Match": "v1"}, json={}).status_code
        == 422
    )
    assert c.get(f"/api/v1/patients/{pid}/plan", headers=h).json()["options"]["schedule"] == "slow"


def test_failed_logins_lock_the_account_for_a_while(world: World) -> None:
    c = world.client
    email = "pharmacist@demo.ldn.example"
    for _ in range(5):
        assert (
            c.post(
                "/api/v1/auth/token", json={"email": email, "password": "wrong password!"}
            ).status_code
            == 401
        )
    locked = c.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0


def test_logout_and_deactivation_revoke_tokens(world: World) -> None:
    c = world.client
    h = login(c, "pharmacist@demo.ldn.example")
    assert c.get("/api/v1/prescriptions", headers=h).status_code == 200
    assert c.post("/api/v1/auth/logout", headers=h).status_code == 204
    assert c.get("/api/v1/prescriptions", headers=h).status_code == 401
    h = login(c, "pharmacist@demo.ldn.example")
    uid = c.get("/api/v1/auth/me", headers=h).json()["user_id"]
    assert (
        c.patch(
            f"/api/v1/users/{uid}", headers=world.as_("admin"), json={"active": False}
        ).status_code
        == 200
    )
    assert c.get("/api/v1/prescriptions", headers=h).status_code == 401
    bad = c.post(
        "/api/v1/auth/token", json={"email": "pharmacist@demo.ldn.example", "password": PASSWORD}
    )
    assert bad.status_code == 401


def test_reads_and_writes_of_patient_data_are_audited(world: World) -> None:
    c, h = world.client, world.as_("clinician")
    r = c.get(f"/api/v1/patients/{world.own}", headers={**h, "X-Request-ID": "abc123"})
    assert r.status_code == 200 and r.headers["x-request-id"] == "abc123"
    with world.clinic.db.transaction() as s:
        e = s.scalars(select(AuditEvent).where(AuditEvent.request_id == "abc123")).one()
        assert (e.action, e.resource, e.patient_id, e.actor_role) == (
            "read",
            "patient",
            world.own,
            "clinician",
        )
        assert e.remote_addr  # from where


def test_sealed_allocation_only_for_the_pharmacist_until_reveal(world: World) -> None:
    c = world.client
    trial = c.get(f"/api/v1/patients/{world.other}/trials", headers=world.as_("clinician")).json()[
        0
    ]
    assert "allocation" in trial  # the demo trial is revealed and analysed
    new = c.post(
        f"/api/v1/patients/{world.own}/trials",
        headers=world.as_("clinician"),
        json={"start": "2026-12-01", "seed": 5},
    )
    assert (
        new.status_code == 201
        and "allocation" not in new.json()
        and new.json()["commitment_sha256"]
    )
    tid = new.json()["id"]
    assert "allocation" not in c.get(f"/api/v1/trials/{tid}", headers=world.as_("patient")).json()
    assert (
        c.get(f"/api/v1/trials/{tid}/allocation", headers=world.as_("clinician")).status_code == 403
    )
    sealed = c.get(f"/api/v1/trials/{tid}/allocation", headers=world.as_("pharmacist")).json()
    assert sealed["allocation"]["ldn_bottle"] in ("A", "B")
    doc = world.as_("clinician")
    early = c.post(f"/api/v1/trials/{tid}/reveal", headers=doc, json={"confirm": True})
    assert early.status_code == 409 and "early" in early.json()["detail"]
    unconfirmed = c.post(
        f"/api/v1/trials/{tid}/reveal",
        headers=doc,
        json={"early_stop_reason": "patient moved away"},
    )
    assert unconfirmed.status_code == 409 and "cannot be undone" in unconfirmed.json()["detail"]
    revealed = c.post(
        f"/api/v1/trials/{tid}/reveal",
        headers=doc,
        json={"confirm": True, "early_stop_reason": "patient moved away"},
    ).json()
    assert revealed["allocation"] == sealed["allocation"]


def test_health(world: World) -> None:
    r = world.client.get("/api/v1/health")
    assert (
        r.status_code == 200
        and r.json()["status"] == "ok"
        and r.json()["schema_revision"] == r.json()["schema_head"]
    )


def test_an_invalid_questionnaire_answer_is_refused_when_the_record_is_saved(world: World) -> None:
    rec = {
        "id": "q-bad",
        "age_years": 40,
        "sex": "female",
        "questionnaires": {"pgic": {"answers": {"pgic": 9}}},
    }
    r = world.client.post("/api/v1/patients", headers=world.as_("clinician"), json={"record": rec})
    assert (
        r.status_code == 422 and r.json()["errors"][0]["loc"] == "questionnaires.pgic.answers.pgic"
    )
    listing = world.client.get("/api/v1/patients?q=q-bad", headers=world.as_("clinician")).json()
    assert listing["total"] == 0
