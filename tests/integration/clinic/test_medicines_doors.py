"""Medication safety at every door: the API, the web form and the CLI read medicines with the same
matcher, and an unknown medicine goes to review until the clinician answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
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


def _record(rid: str, *meds: dict[str, Any]) -> dict[str, Any]:
    rec: dict[str, Any] = json.loads(
        json.dumps(yaml.safe_load((PATIENTS / "fibromyalgia.yaml").read_text()), default=str)
    )
    rec["id"] = rid
    rec["medications"] = [*rec["medications"], *meds]
    return rec


def test_api_opioid_brand_holds_the_start_and_unknown_goes_to_review_until_answered(
    world: World,
) -> None:
    c, doc = world.client, world.as_("clinician")
    yesterday = (world.clinic.today() - timedelta(days=1)).isoformat()
    pid = c.post(
        "/api/v1/patients",
        headers=doc,
        json={
            "record": _record(
                "m-1", {"name": "Norco 10/325", "status": "stopped", "last_dose": yesterday}
            )
        },
    ).json()["id"]
    assert (
        c.post(f"/api/v1/patients/{pid}/screenings", headers=doc).json()["verdict"]
        == "do_not_start_yet"
    )

    pid = c.post(
        "/api/v1/patients", headers=doc, json={"record": _record("m-2", {"name": "Zorvexa 20 mg"})}
    ).json()["id"]
    screening = c.post(f"/api/v1/patients/{pid}/screenings", headers=doc).json()
    assert screening["verdict"] == "needs_clinician_review"
    assert any(f["code"] == "MEDICATION_NOT_IDENTIFIED" for f in screening["report"]["findings"])
    index = 2  # the record's third medicine
    bad = c.post(
        f"/api/v1/patients/{pid}/record/medications/9/review",
        headers=doc,
        json={"contains_opioid": False},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "index"
    r = c.post(
        f"/api/v1/patients/{pid}/record/medications/{index}/review",
        headers=doc,
        json={"contains_opioid": False},
    )
    assert r.status_code == 200, r.text
    review = r.json()["record"]["medications"][index]["review"]
    assert review["contains_opioid"] is False and review["reviewed_by"] and review["reviewed_on"]
    assert (
        c.post(f"/api/v1/patients/{pid}/screenings", headers=doc).json()["verdict"]
        != "needs_clinician_review"
    )


def test_api_lookup(world: World) -> None:
    c, pt = world.client, world.as_("patient")
    out = c.get("/api/v1/compute/medicines", params={"name": "Butrans 10 mcg/h"}, headers=pt).json()
    assert (
        out["contains_opioid"] and out["form"] == "patch" and "buprenorphine" in out["ingredients"]
    )
    assert c.get("/api/v1/compute/medicines", headers=pt).status_code == 422


def test_web_form_shows_what_it_read_and_takes_the_clinicians_answer(world: World) -> None:
    from fastapi.testclient import TestClient

    from ldn.asgi import create_app

    c = TestClient(create_app(world.clinic.settings, clinic=world.clinic))
    web_login(c)
    page = c.get("/clinic/new")
    assert 'list="medicine-names"' in page.text and "Percocet" in page.text
    match = c.get("/clinic/medicines/lookup", params={"medications[0].name": "Percocet 5/325"})
    assert "oxycodone" in match.text and "contains an opioid" in match.text
    unknown = c.get("/clinic/medicines/lookup", params={"medications[0].name": "Zorvexa"})
    assert "Not recognised" in unknown.text
    pid = world.client.post(
        "/api/v1/patients",
        headers=world.as_("clinician"),
        json={"record": _record("w-1", {"name": "Zorvexa 20 mg"})},
    ).json()["id"]
    dash = c.get(f"/clinic/patients/{pid}")
    assert "cannot identify" in dash.text and "Zorvexa" in dash.text
    csrf = dash.text.split('name="csrf" value="')[1].split('"')[0]
    r = c.post(
        f"/clinic/patients/{pid}/medications/2/review",
        data={"csrf": csrf, "contains_opioid": "yes"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    dash = c.get(f"/clinic/patients/{pid}")
    assert (
        "Do not start yet" in dash.text
        or "do_not_start_yet" in dash.text
        or "Do not start" in dash.text
    )


def test_cli_lookup(cli: Any) -> None:
    code, out, _ = cli("meds", "lookup", "OxyContin 10 mg ER", "--json")
    assert code == 0 and json.loads(out)["contains_opioid"]
    code, _, err = cli("meds", "lookup", "")
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_cli_screen_fails_closed_on_an_unknown_medicine(cli: Any, tmp_path: Any) -> None:
    rec = _record("cli-1", {"name": "Blorbex", "status": "current"})
    f = tmp_path / "p.json"
    f.write_text(json.dumps(rec))
    code, out, _ = cli("screen", str(f), "--as-of", date.today().isoformat(), "--json")
    assert code == 0 and json.loads(out)["verdict"] == "needs_clinician_review"
