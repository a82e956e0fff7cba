"""The start guard holds at every door: API and web refuse a trial or a plan inside the opioid
washout, a plan for a review verdict needs acknowledgement, and the reveal needs confirmation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import yaml

from ldn.services.clinic.context import Clinic
from tests.conftest import PATIENTS
from tests.integration.clinic.helpers import World, build_world, web_login


@pytest.fixture
def world(clinic: Clinic) -> Iterator[World]:
    w = build_world(clinic)
    with w.client:
        yield w


def _patient(world: World, rid: str, **changes: Any) -> int:
    rec: dict[str, Any] = json.loads(
        json.dumps(yaml.safe_load((PATIENTS / "fibromyalgia.yaml").read_text()), default=str)
    )
    rec.update(id=rid, **changes)
    r = world.client.post("/api/v1/patients", headers=world.as_("clinician"), json={"record": rec})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_api_refuses_a_trial_and_a_typed_plan_start_inside_the_washout(world: World) -> None:
    c, doc = world.client, world.as_("clinician")
    today = world.clinic.today()
    two_days_ago = (today - timedelta(days=2)).isoformat()
    pid = _patient(
        world,
        "g-1",
        medications=[{"name": "tramadol 50 mg", "status": "stopped", "last_dose": two_days_ago}],
    )
    r = c.post(
        f"/api/v1/patients/{pid}/trials", headers=doc, json={"start": today.isoformat(), "seed": 1}
    )
    assert r.status_code == 409 and "earliest safe start" in r.json()["detail"]
    r = c.post(f"/api/v1/patients/{pid}/plan", headers=doc, json={"start": today.isoformat()})
    assert r.status_code == 409
    plan = c.post(f"/api/v1/patients/{pid}/plan", headers=doc, json={})
    assert plan.status_code == 201 and plan.json()["start_note"]
    earliest = (today - timedelta(days=2) + timedelta(days=10)).isoformat()
    assert plan.json()["plan"]["steps"][0]["start"] == earliest


def test_api_review_verdict_needs_acknowledgement(world: World) -> None:
    c, doc = world.client, world.as_("clinician")
    pid = _patient(world, "g-2", breastfeeding=True)
    assert c.post(f"/api/v1/patients/{pid}/plan", headers=doc, json={}).status_code == 409
    r = c.post(f"/api/v1/patients/{pid}/plan", headers=doc, json={"acknowledge_review": True})
    assert r.status_code == 201 and "SAFETY_LACTATION" in r.json()["acknowledged_findings"]


def test_web_refuses_the_trial_inside_the_washout_with_a_message(world: World) -> None:
    from fastapi.testclient import TestClient

    from ldn.asgi import create_app

    c = TestClient(create_app(world.clinic.settings, clinic=world.clinic))
    web_login(c)
    today = world.clinic.today()
    pid = _patient(
        world,
        "g-3",
        medications=[
            {
                "name": "Percocet",
                "status": "stopped",
                "last_dose": (today - timedelta(days=2)).isoformat(),
            }
        ],
    )
    dash = c.get(f"/clinic/patients/{pid}")
    csrf = dash.text.split('name="csrf" value="')[1].split('"')[0]
    r = c.post(f"/clinic/patients/{pid}/trial", data={"csrf": csrf, "start": today.isoformat()})
    assert r.status_code == 409 and "earliest safe start" in r.text
    assert "No trial" in r.text  # nothing was created
