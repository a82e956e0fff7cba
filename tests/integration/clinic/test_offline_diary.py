"""Issue #18 part 4 on SQLite and PostgreSQL: the diary's latest edit wins (API and the page
script's sync route), the PWA's files, and the service worker's scope header."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ldn.persistence.tables import AuditEvent, DiaryRow
from ldn.services.clinic.context import Clinic
from tests.integration.clinic.conftest import NOW
from tests.integration.clinic.helpers import World, build_world, web_login


@pytest.fixture
def world(clinic: Clinic) -> Iterator[World]:
    w = build_world(clinic)
    with w.client:
        yield w


def _rows(clinic: Clinic, patient_id: int, day: str) -> list[DiaryRow]:
    with clinic.db.transaction() as s:
        return list(
            s.scalars(
                select(DiaryRow).where(
                    DiaryRow.patient_id == patient_id, DiaryRow.day == date.fromisoformat(day)
                )
            )
        )


def _at(minutes: int) -> str:
    return (NOW + timedelta(minutes=minutes)).isoformat()


def test_latest_edit_wins_replaces_an_older_entry_and_refuses_an_older_edit(world: World) -> None:
    c, h, pid = world.client, world.as_("patient"), world.own
    url = f"/api/v1/patients/{pid}/diary"
    day = "2026-11-19"
    first = c.post(
        url,
        params={"edited_at": _at(-60)},
        headers={**h, "Idempotency-Key": "o-1"},
        json={"date": day, "pain_avg": 6},
    )
    assert first.status_code == 201 and first.headers["Diary-Outcome"] == "created"
    world.clinic.clock = lambda: NOW + timedelta(minutes=20)  # the phone comes online later
    newer = c.post(
        url,
        params={"edited_at": _at(10)},
        headers={**h, "Idempotency-Key": "o-2"},
        json={"date": day, "pain_avg": 4},
    )
    assert newer.status_code == 200, newer.text
    assert newer.headers["Diary-Outcome"] == "replaced" and newer.json()["version"] == 2
    # an edit made before the stored entry was saved: refused, naming the newer entry
    older = c.post(
        url,
        params={"edited_at": _at(5)},
        headers={**h, "Idempotency-Key": "o-3"},
        json={"date": day, "pain_avg": 8},
    )
    assert older.status_code == 409 and "newer entry" in older.json()["detail"]
    assert _rows(world.clinic, pid, day)[0].data["pain_avg"] == 4
    # the same entry again (a second phone, another key): answered as stored, not refused
    same = c.post(
        url,
        params={"edited_at": _at(5)},
        headers={**h, "Idempotency-Key": "o-4"},
        json={"date": day, "pain_avg": 4},
    )
    assert same.status_code == 200 and same.headers["Diary-Outcome"] == "unchanged"
    # a retry of the replacing request: replayed
    again = c.post(
        url,
        params={"edited_at": _at(10)},
        headers={**h, "Idempotency-Key": "o-2"},
        json={"date": day, "pain_avg": 4},
    )
    assert again.headers["Idempotent-Replayed"] == "true"
    # a phone clock ahead of the server counts as now
    world.clinic.clock = lambda: NOW + timedelta(minutes=21)
    ahead = c.post(
        url,
        params={"edited_at": _at(600)},
        headers={**h, "Idempotency-Key": "o-5"},
        json={"date": day, "pain_avg": 3},
    )
    assert ahead.headers["Diary-Outcome"] == "replaced"
    # without edited_at the same-day rule is unchanged
    plain = c.post(url, headers=h, json={"date": day, "pain_avg": 2})
    assert plain.status_code == 409 and "update=true" in plain.json()["fix"]
    rows = _rows(world.clinic, pid, day)
    assert len(rows) == 1 and rows[0].data["pain_avg"] == 3 and rows[0].version == 3
    with world.clinic.db.transaction() as s:
        audited = s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.detail == "latest edit wins", AuditEvent.patient_id == pid)
        )
    assert audited == 2


def test_two_offline_phones_compare_edit_with_edit_not_with_arrival(world: World) -> None:
    """Phone A's edit (made at +0) arrives at +20; phone B's newer edit (made at +10) arrives at
    +25. B's edit is newer than the stored one, though it arrived after A's was saved: it
    replaces it (compared by arrival, as before migration 0007, B would have been refused)."""
    c, h, pid = world.client, world.as_("patient"), world.own
    url, day = f"/api/v1/patients/{pid}/diary", "2026-11-17"
    world.clinic.clock = lambda: NOW + timedelta(minutes=20)
    a = c.post(
        url,
        params={"edited_at": _at(0)},
        headers={**h, "Idempotency-Key": "a-1"},
        json={"date": day, "pain_avg": 6},
    )
    assert a.status_code == 201
    world.clinic.clock = lambda: NOW + timedelta(minutes=25)
    b = c.post(
        url,
        params={"edited_at": _at(10)},
        headers={**h, "Idempotency-Key": "b-1"},
        json={"date": day, "pain_avg": 3},
    )
    assert b.status_code == 200 and b.headers["Diary-Outcome"] == "replaced", b.text
    stale = c.post(
        url,
        params={"edited_at": _at(5)},
        headers={**h, "Idempotency-Key": "a-2"},
        json={"date": day, "pain_avg": 7},
    )
    assert stale.status_code == 409 and "newer entry" in stale.json()["detail"]
    (row,) = _rows(world.clinic, pid, day)
    assert row.data["pain_avg"] == 3 and row.edited_at is not None


def _patient_web(world: World) -> TestClient:
    from ldn.asgi import create_app

    c = TestClient(create_app(world.clinic.settings, clinic=world.clinic))
    web_login(c, "patient@demo.ldn.example")
    return c


def test_the_page_script_syncs_kept_entries_through_the_web_session(world: World) -> None:
    c = _patient_web(world)
    diary = c.get("/me").text
    assert "data-offline-diary" in diary and 'rel="manifest"' in diary
    assert '<script src="/static/diary.js" defer>' in diary
    session = c.get("/me/diary/session").json()
    assert session["patient_id"] == world.own and len(session["csrf"]) == 40

    def sync(key: str, minutes: int, pain: int, csrf: str = session["csrf"]) -> Any:
        form = {
            "csrf": csrf,
            "key": key,
            "edited_at": _at(minutes),
            "date": "2026-11-18",
            "pain_avg": str(pain),
            "side_effects": ["vivid_dreams", "headache"],
        }
        return c.post("/me/diary/sync", data=form)

    stored = sync("phone-a", -30, 5)
    assert stored.status_code == 201 and stored.json() == {
        "outcome": "created",
        "date": "2026-11-18",
        "version": 1,
    }
    assert sync("phone-a", -30, 5).json()["outcome"] == "replayed"
    world.clinic.clock = lambda: NOW + timedelta(minutes=25)
    assert sync("phone-b", 20, 6).json()["outcome"] == "replaced"
    late = sync("phone-c", 10, 7)  # made offline before the edit stored above
    assert late.status_code == 409 and late.json()["outcome"] == "refused"
    assert "newer entry" in late.json()["reason"]
    bad = c.post(
        "/me/diary/sync",
        data={
            "csrf": session["csrf"],
            "key": "k",
            "edited_at": "soon",
            "date": "2026-11-18",
            "pain_avg": "3",
        },
    )
    assert bad.status_code == 422 and bad.json()["outcome"] == "refused"
    world.clinic.clock = lambda: NOW + timedelta(minutes=26)  # a phone clock ahead counts as now
    future = sync("phone-d", 40, 3)
    assert future.json()["outcome"] == "replaced"
    invalid = c.post(
        "/me/diary/sync",
        data={
            "csrf": session["csrf"],
            "key": "k2",
            "edited_at": _at(41),
            "date": "2026-11-18",
            "pain_avg": "13",
        },
    )
    assert invalid.status_code == 422 and "pain_avg" in invalid.json()["reason"]
    assert sync("phone-e", 45, 2, csrf="forged").status_code == 403
    rows = _rows(world.clinic, world.own, "2026-11-18")
    assert len(rows) == 1 and rows[0].data["pain_avg"] == 3
    assert rows[0].data["side_effects"] == ["vivid_dreams", "headache"]


def test_the_pwa_files_and_the_service_worker_scope(world: World) -> None:
    c = _patient_web(world)
    sw = c.get("/me/sw.js")
    assert sw.status_code == 200 and sw.headers["Service-Worker-Allowed"] == "/me"
    assert sw.headers["content-type"].startswith("text/javascript")
    assert "script-src 'self'" in sw.headers["content-security-policy"]
    manifest = c.get("/static/manifest.webmanifest")
    assert manifest.status_code == 200
    data = json.loads(manifest.text)
    assert data["start_url"] == data["scope"] == "/me" and data["display"] == "standalone"
    sizes = set()
    for icon in data["icons"]:
        png = c.get(icon["src"])
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG\r\n\x1a\n")
        sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes
    # the clinician's pages have no manifest (the app installs the patient's diary)
    web_login(c)
    assert 'rel="manifest"' not in c.get("/clinic").text


def test_the_sync_route_is_for_patient_logins(world: World) -> None:
    from ldn.asgi import create_app

    c = TestClient(create_app(world.clinic.settings, clinic=world.clinic))
    web_login(c)
    assert c.get("/me/diary/session").status_code == 403
