"""The rest of the clinic's path on the web (issue #17): a dose adjustment from the clinician's
page (through the same use case and start guard as the API; a refused one keeps the form), the
patient's handout page (a way back, print, the clinic's telephone) and dates in the clinic's
locale (``LDN_LOCALE``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from ldn.persistence.db import Database
from ldn.services.clinic import patients, plans
from ldn.services.clinic.context import Actor, Clinic
from ldn.services.clinic.demo import examples_dir
from tests.integration.clinic.conftest import NOW
from tests.integration.clinic.helpers import World, build_world, web_login


@pytest.fixture
def world(clinic: Clinic) -> Iterator[World]:
    w = build_world(clinic)
    with w.client:
        yield w


def _web(clinic: Clinic, email: str = "clinician@demo.ldn.example", **settings: Any) -> TestClient:
    from ldn.asgi import create_app

    if settings:
        changed = clinic.settings.model_copy(update=settings)
        clinic = Clinic(changed, Database(changed.resolved_database_url), clinic.clock)
    c = TestClient(create_app(clinic.settings, clinic=clinic))
    web_login(c, email)
    return c


def _csrf(html: str) -> str:
    return html.split('name="csrf" value="')[1].split('"')[0]


def _doc(world: World) -> Actor:
    me = world.client.get("/api/v1/auth/me", headers=world.as_("clinician")).json()
    return Actor(me["user_id"], "clinician", me["clinic_id"])


def _planned(world: World) -> tuple[int, dict[str, Any]]:
    """A fibromyalgia patient (the example record) with a plan."""
    doc = _doc(world)
    record = yaml.safe_load((examples_dir() / "patients" / "fibromyalgia.yaml").read_text("utf-8"))
    record["id"] = "adjust-1"
    pid = int(patients.create_patient(world.clinic, doc, record=record)["id"])
    plan = plans.create_plan(world.clinic, doc, pid, options={})
    return pid, plan


def test_the_adjustment_form_changes_the_plan(world: World) -> None:
    pid, plan = _planned(world)
    c = _web(world.clinic)
    dash = c.get(f"/clinic/patients/{pid}")
    assert f'action="/clinic/patients/{pid}/plan/adjust"' in dash.text
    assert "Vivid dreams: switch to morning dosing" in dash.text  # the domain's rules, as options
    first = plan["plan"]["steps"][0]["start"]
    r = c.post(
        f"/clinic/patients/{pid}/plan/adjust",
        follow_redirects=False,
        data={
            "csrf": _csrf(dash.text),
            "side_effect": "headache",
            "on": first,
            "version": str(plan["version"]),
        },
    )
    assert r.status_code == 303, r.text[:500]
    after = plans.get_plan(world.clinic, _doc(world), pid)
    assert after["version"] == plan["version"] + 1
    assert len(after["plan"]["steps"]) == len(plan["plan"]["steps"])  # held, not a new step
    assert after["plan"]["steps"][1]["start"] > plan["plan"]["steps"][1]["start"]


def test_an_invalid_or_unsafe_adjustment_is_refused_with_the_form_kept(world: World) -> None:
    pid, plan = _planned(world)
    c = _web(world.clinic)
    form = {
        "csrf": _csrf(c.get(f"/clinic/patients/{pid}").text),
        "side_effect": "dizziness",
        "on": plan["plan"]["steps"][0]["start"],
        "version": str(plan["version"]),
    }
    bad = c.post(f"/clinic/patients/{pid}/plan/adjust", data=form)
    assert bad.status_code == 422 and 'id="adjust-error"' in bad.text
    assert (
        "unknown side effect" in bad.text and '<details id="adjust" class="card" open' in bad.text
    )
    stale = c.post(
        f"/clinic/patients/{pid}/plan/adjust",
        data={**form, "side_effect": "nausea", "version": "99"},
    )
    assert stale.status_code == 412 and "changed since you read it" in stale.text
    current = patients.get_patient(world.clinic, _doc(world), pid)
    record = {
        **current["record"],
        "medications": [
            *current["record"].get("medications", []),
            {"name": "tramadol", "status": "current"},
        ],
    }
    patients.update_record(
        world.clinic, _doc(world), pid, record=record, if_version=current["record_version"]
    )
    unsafe = c.post(f"/clinic/patients/{pid}/plan/adjust", data={**form, "side_effect": "nausea"})
    assert unsafe.status_code == 409 and 'id="adjust-error"' in unsafe.text
    assert "opioid" in unsafe.text.split('id="adjust-error"')[1].split("</p>")[0].lower()
    assert plans.get_plan(world.clinic, _doc(world), pid)["version"] == plan["version"]


def test_the_handout_page_has_a_way_back_print_and_the_clinics_phone(world: World) -> None:
    patient = "patient@demo.ldn.example"
    plain = _web(world.clinic, patient).get("/me/handout")
    assert plain.status_code == 200 and 'href="/me/plan"' in plain.text
    assert "data-print" in plain.text and "<script>" not in plain.text  # the CSP: no inline script
    assert plain.text.count("<h1") == 1 and "Your low-dose naltrexone (LDN) plan" in plain.text
    assert 'id="clinic-phone"' not in plain.text  # no number set: none shown
    phoned = _web(world.clinic, patient, clinic_phone="+44 20 7946 0000").get("/me/handout")
    assert 'href="tel:+442079460000"' in phoned.text and "+44 20 7946 0000" in phoned.text


def test_dates_follow_the_clinics_locale(world: World) -> None:
    pid, plan = _planned(world)
    first = plan["plan"]["steps"][0]["start"]  # e.g. 2026-11-25
    iso = _web(world.clinic).get(f"/clinic/patients/{pid}").text
    assert f"<td>{first}</td>" in iso  # no locale set: ISO 8601
    us = _web(world.clinic, locale="en_US").get(f"/clinic/patients/{pid}").text
    gb = _web(world.clinic, locale="en_GB").get(f"/clinic/patients/{pid}").text
    assert NOW.date().isoformat() == "2026-11-25"
    assert "Nov 25, 2026" in us and "25 Nov 2026" in gb
    assert f'value="{first}"' in gb  # a form's date field keeps its ISO value
    history = _web(world.clinic, locale="en_GB").get(f"/clinic/patients/{pid}/history").text
    assert "25 Nov 2026 12:00 UTC" in history
