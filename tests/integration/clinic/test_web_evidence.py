"""The evidence page: every condition answers (one trial shown as one trial, none says so), one
interval method on the page, the plain-language statement for patients, PRISMA for clinicians."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ldn.domain.evidence.answer import CONDITIONS
from ldn.services.clinic.context import Clinic
from tests.integration.clinic.helpers import World, build_world, web_login


@pytest.fixture
def world(clinic: Clinic) -> Iterator[World]:
    w = build_world(clinic)
    with w.client:
        yield w


def test_every_condition_answers_for_clinician_and_patient(world: World) -> None:
    from ldn.asgi import create_app

    doc = TestClient(create_app(world.clinic.settings, clinic=world.clinic))
    web_login(doc)
    pat = TestClient(create_app(world.clinic.settings, clinic=world.clinic))
    web_login(pat, "patient@demo.ldn.example")
    for condition in CONDITIONS:
        r = doc.get("/evidence", params={"condition": condition})
        assert r.status_code == 200, (condition, r.text[:300])
        assert "In plain words" in r.text and "Summary of findings" in r.text and "PRISMA" in r.text
        p = pat.get("/evidence", params={"condition": condition})
        assert (
            p.status_code == 200
            and "In plain words" in p.text
            and "Summary of findings" not in p.text
        )
    assert "Does LDN work?" in pat.get("/me").text
