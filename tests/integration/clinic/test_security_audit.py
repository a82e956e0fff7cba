"""Security: the audit trail (issue 19) — scoped to the caller's clinic (medium 1), refused
attempts recorded (low), and a chain that someone with only database access cannot recompute
(low: HMAC with a key kept outside the database)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC

import pytest
from sqlalchemy import select, text

from ldn.config import Settings
from ldn.persistence.tables import AuditEvent, AuditHead, Patient, User
from ldn.services.clinic import accounts, operations, patients
from ldn.services.clinic.context import SYSTEM, Actor, Clinic
from tests.integration.clinic.helpers import PASSWORD, World, build_world, login


@pytest.fixture
def world(clinic: Clinic) -> Iterator[World]:
    w = build_world(clinic)
    with w.client:
        yield w


def _other_clinic(world: World) -> tuple[int, Actor]:
    """The other clinic's id and its clinician (who created the foreign patient)."""
    with world.clinic.db.transaction() as s:
        patient = s.get(Patient, world.foreign)
        assert patient is not None
        doc = s.scalars(select(User).where(User.clinic_id == patient.clinic_id)).one()
        return patient.clinic_id, Actor(doc.id, "clinician", patient.clinic_id)


def _all_events(world: World, headers: dict[str, str], **params: object) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    offset: int | None = 0
    while offset is not None:
        r = world.client.get(
            "/api/v1/audit", headers=headers, params={"limit": 200, "offset": offset, **params}
        )
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        offset = r.json()["next_offset"]
    return items


def test_an_admin_reads_only_their_own_clinics_audit(world: World) -> None:
    oc, doc2 = _other_clinic(world)
    patients.get_patient(world.clinic, doc2, world.foreign)  # the other clinic works on its patient
    accounts.create_user(
        world.clinic,
        SYSTEM,
        clinic_id=oc,
        email="admin@other.example",
        password=PASSWORD,
        role="admin",
    )
    demo_admin = world.as_("admin")
    mine = _all_events(world, demo_admin)
    assert mine, "the demo clinic's own events are listed"
    assert all(e["patient_id"] != world.foreign for e in mine)
    assert all(e["actor_user_id"] != doc2.user_id for e in mine)
    assert _all_events(world, demo_admin, patient_id=world.foreign) == []
    other_admin = login(world.client, "admin@other.example")
    theirs = _all_events(world, other_admin)
    assert any(e["patient_id"] == world.foreign for e in theirs)
    assert all(e["patient_id"] in (None, world.foreign) for e in theirs)  # no demo patient
    demo_ids = {e["id"] for e in mine}
    assert not demo_ids & {e["id"] for e in theirs if e["action"] != "denied"}


def test_refused_attempts_on_patient_data_are_audited(world: World) -> None:
    c = world.client
    r = c.get(
        f"/api/v1/patients/{world.foreign}",
        headers={**world.as_("clinician"), "X-Request-ID": "deny1"},
    )
    assert r.status_code == 404
    r = c.get(
        f"/api/v1/patients/{world.other}", headers={**world.as_("patient"), "X-Request-ID": "deny2"}
    )
    assert r.status_code == 404
    r = c.get(
        f"/api/v1/patients/{world.own}/plan",
        headers={**world.as_("pharmacist"), "X-Request-ID": "deny3"},
    )
    assert r.status_code == 403
    with world.clinic.db.transaction() as s:
        found = {
            e.request_id: e
            for e in s.scalars(
                select(AuditEvent).where(AuditEvent.request_id.in_(["deny1", "deny2", "deny3"]))
            )
        }
    assert {k: (e.action, e.actor_role, e.patient_id) for k, e in found.items()} == {
        "deny1": ("denied", "clinician", world.foreign),
        "deny2": ("denied", "patient", world.other),
        "deny3": ("denied", "pharmacist", world.own),
    }
    assert found["deny3"].detail.startswith("403") and found["deny1"].detail.startswith("404")
    # the clinic whose patient was asked for sees the attempt; the asker's admin sees it without the id
    denied = [e for e in _all_events(world, world.as_("admin")) if e["request_id"] == "deny1"]
    assert len(denied) == 1 and denied[0]["patient_id"] is None and denied[0]["resource_id"] == ""
    assert operations.verify_audit(world.clinic, SYSTEM)["ok"]


def _plain_sha_rewrite(clinic: Clinic, chain: int, *, whole: bool = True) -> None:
    """What an attacker with database access does: change an event, then recompute the chain
    (the whole of it, or from the changed event on) with the public hash and move the head."""
    with clinic.db.engine.begin() as conn:
        if clinic.db.dialect == "sqlite":
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))
    with clinic.db.transaction() as s:
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
        ).all()
        assert len(events) > 3
        middle = len(events) // 2
        events[middle].actor_user_id = 999
        start = 0 if whole else middle
        prev = events[start].prev_hash
        for e in events[start:]:
            at = e.at.astimezone(UTC).replace(tzinfo=None) if e.at.tzinfo else e.at
            fields = {"chain": e.chain, "seq": e.seq, "at": at.isoformat(timespec="microseconds"),
                      "actor_user_id": e.actor_user_id, "actor_role": e.actor_role, "action": e.action,
                      "resource": e.resource, "resource_id": e.resource_id, "patient_id": e.patient_id,
                      "remote_addr": e.remote_addr, "request_id": e.request_id, "detail": e.detail}  # fmt: skip
            e.prev_hash = prev
            e.hash = hashlib.sha256(
                (prev + json.dumps(fields, sort_keys=True, separators=(",", ":"))).encode()
            ).hexdigest()
            prev = e.hash
        head = s.get(AuditHead, chain)
        assert head is not None
        head.last_hash = prev


def test_a_chain_recomputed_without_the_key_does_not_verify(world: World) -> None:
    report = operations.verify_audit(world.clinic, SYSTEM)
    assert report["ok"] and report["unkeyed"] == 0
    _plain_sha_rewrite(world.clinic, chain=world.own % 16)
    report = operations.verify_audit(world.clinic, SYSTEM)
    assert not report["ok"]
    assert any("without the audit key" in b["problem"] for b in report["breaks"])


def test_accepting_old_unkeyed_events_still_refuses_a_rewritten_tail(world: World) -> None:
    # --accept-unkeyed (a trail begun by ldn 0.1) accepts plain events only before the first keyed one
    _plain_sha_rewrite(world.clinic, chain=world.own % 16, whole=False)
    report = operations.verify_audit(world.clinic, SYSTEM, accept_unkeyed=True)
    assert not report["ok"]
    assert any("without the audit key" in b["problem"] for b in report["breaks"])


def test_the_audit_key_lives_outside_the_database(world: World) -> None:
    key_file = world.clinic.settings.data_dir / "audit.key"
    assert key_file.is_file() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    key = key_file.read_text().strip()
    with world.clinic.db.transaction() as s:
        for table in ("audit_events", "audit_heads", "users", "clinics"):
            assert key not in json.dumps(
                [list(map(str, r)) for r in s.execute(text(f"SELECT * FROM {table}"))]
            )
    # another installation's key (or a guessed one) does not verify this trail
    world.clinic.settings = Settings(
        **{**world.clinic.settings.model_dump(), "audit_key": "not-the-key"}
    )
    assert not operations.verify_audit(world.clinic, SYSTEM)["ok"]
    # a rotation keeps the old key listed after the new one: both verify
    world.clinic.settings = Settings(
        **{**world.clinic.settings.model_dump(), "audit_key": f"new-key,{key}"}
    )
    assert operations.verify_audit(world.clinic, SYSTEM)["ok"]
