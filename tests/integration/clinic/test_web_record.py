"""The record in the web app: created without inventing an id, edited whole, versioned with a
history of changes, screened again on save; a duplicate number keeps the form."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ldn.services.clinic.context import Clinic
from tests.integration.clinic.helpers import World, build_world, web_login


@pytest.fixture
def world(clinic: Clinic) -> Iterator[World]:
    w = build_world(clinic)
    with w.client:
        yield w


def _web(world: World) -> TestClient:
    from ldn.asgi import create_app

    c = TestClient(create_app(world.clinic.settings, clinic=world.clinic))
    web_login(c)
    return c


def _csrf(html: str) -> str:
    return html.split('name="csrf" value="')[1].split('"')[0]


def test_new_patient_without_a_number_edit_history_and_rescreen(world: World) -> None:
    c = _web(world)
    csrf = _csrf(c.get("/clinic/new").text)
    form: dict[str, Any] = {"csrf": csrf, "display_name": "Webb", "age_years": "41", "sex": "female",
                            "conditions": "fibromyalgia", "pain.duration_months": "24",
                            "medications[0].name": "amitriptyline", "medications[0].dose": "10 mg"}  # fmt: skip
    r = c.post("/clinic/new", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    url = r.headers["location"]
    dash = c.get(url)
    assert (
        "Webb" in dash.text and "No conventional treatment recorded" not in dash.text
    )  # amitriptyline counts
    edit = c.get(url + "/edit")
    assert 'value="amitriptyline"' in edit.text and 'name="version" value="1"' in edit.text
    changed = {
        **form,
        "csrf": _csrf(edit.text),
        "version": "1",
        "id": edit.text.split('name="id" value="')[1].split('"')[0],
        "medications[1].name": "Percocet",
        "medications[1].status": "current",
    }
    r = c.post(url + "/edit", data=changed, follow_redirects=False)
    assert r.status_code == 303, r.text[:800]
    dash = c.get(url)
    assert "record v2" in dash.text and "Percocet" in dash.text
    assert "Do not start yet" in dash.text or "do not start" in dash.text.lower()
    history = c.get(url + "/history")
    assert (
        "Version 2" in history.text
        and "medications[1].name" in history.text
        and "Percocet" in history.text
    )
    stale = c.post(
        url + "/edit", data=changed, follow_redirects=False
    )  # version 1 again: someone else saved
    assert stale.status_code == 412 and "changed since you read it" in stale.text


def test_a_duplicate_number_keeps_the_form_and_says_what_to_do(world: World) -> None:
    c = _web(world)
    form = {
        "csrf": _csrf(c.get("/clinic/new").text),
        "id": "dup-1",
        "age_years": "30",
        "sex": "male",
        "display_name": "Keep Me",
    }
    assert c.post("/clinic/new", data=form, follow_redirects=False).status_code == 303
    again = c.post("/clinic/new", data={**form, "csrf": _csrf(c.get("/clinic/new").text)})
    assert (
        again.status_code == 409
        and 'value="Keep Me"' in again.text
        and "already has a patient" in again.text
    )
