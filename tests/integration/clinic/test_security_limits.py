"""Security: what the server reads (issue 19) — oversize and anonymous bodies refused before
they are read (medium 5), every text bounded (medium 6), lone surrogates refused at the boundary
(medium 7), and the inputs that answered 500 (low: ids, dates, nesting, FHIR; CDS in test_security_cds)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ldn.asgi import create_app
from ldn.config import Settings
from ldn.services.clinic.context import Clinic
from tests.integration.clinic.helpers import PASSWORD, World, build_world

LIMIT = 64 * 1024


def _csrf(html: str) -> str:
    """The form's CSRF token ("" on a page without one)."""
    return html.split('name="csrf" value="')[1].split('"')[0] if 'name="csrf"' in html else ""


@pytest.fixture
def world(clinic: Clinic) -> Iterator[World]:
    clinic.settings = Settings(**{**clinic.settings.model_dump(), "max_body_bytes": LIMIT})
    w = build_world(clinic)
    with w.client:
        yield w


def _call(app: FastAPI, method: str, path: str, headers: dict[str, str]) -> tuple[int, bool]:
    """One request straight into the ASGI app whose body is never offered: (status, was the
    body asked for)."""
    asked = False
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked = True  # a short body, whatever Content-Length claims
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("192.0.2.1", 1),
        "server": ("testserver", 80),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    # in a thread of its own: an earlier test (Playwright's sync API) may leave an event loop
    # running in this one, and asyncio.run() refuses to nest
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(app(scope, receive, send))).result()  # type: ignore[arg-type]
    return next(m["status"] for m in sent if m["type"] == "http.response.start"), asked


def test_oversize_and_anonymous_bodies_are_refused_before_they_are_read(world: World) -> None:
    app = create_app(world.clinic.settings, clinic=world.clinic)
    pid = world.own
    huge = {"content-type": "application/json", "content-length": str(300 * 1024 * 1024)}
    assert _call(
        app, "POST", f"/api/v1/patients/{pid}/diary", {**huge, **world.as_("patient")}
    ) == (413, False)
    assert _call(app, "POST", "/api/v1/auth/token", {**huge}) == (413, False)
    assert _call(app, "POST", "/fhir/R4/$import-patient", {**huge}) == (413, False)
    small = {"content-type": "application/json", "content-length": "1000"}
    assert _call(app, "POST", f"/api/v1/patients/{pid}/diary", small) == (
        401,
        False,
    )  # no token: not read
    assert _call(
        app, "POST", "/fhir/R4/$import-patient", {**small, "authorization": "Bearer forged"}
    ) == (401, False)
    assert _call(app, "POST", "/cds-services/ldn-order-sign", small) == (401, False)
    status, _ = _call(
        app, "POST", "/clinic/new", {**small, "content-type": "application/x-www-form-urlencoded"}
    )
    assert status == 303  # a page: to the login, body unread
    # the login form takes no more than a login needs
    assert _call(app, "POST", "/login", {**small, "content-length": str(64 * 1024)}) == (413, False)


def test_a_streamed_body_is_cut_off_at_the_limit(world: World) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"date": "2026-11-24", "pain_avg": 3, "note": "'
        for _ in range(200):
            yield b"x" * 1024
        yield b'"}'

    r = world.client.post(
        f"/api/v1/patients/{world.own}/diary",
        content=chunks(),
        headers={**world.as_("patient"), "content-type": "application/json"},
    )
    assert r.status_code == 413 and r.json()["type"].endswith("content_too_large")


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        (
            "/api/v1/patients/{own}/diary",
            {"date": "2026-11-24", "pain_avg": 3, "note": "n" * 20_000},
            "note",
        ),
        (
            "/api/v1/patients",
            {
                "record": {
                    "id": "long-1",
                    "age_years": 40,
                    "sex": "female",
                    "display_name": "N" * 5000,
                }
            },
            "record.display_name",
        ),
        (
            "/api/v1/patients",
            {"record": {"id": "long-2", "age_years": 40, "sex": "female", "notes": "x" * 20_000}},
            "record.notes",
        ),
    ],
)
def test_every_text_field_is_bounded(
    world: World, path: str, body: dict[str, Any], loc: str
) -> None:
    who = "patient" if "diary" in path else "clinician"
    r = world.client.post(path.format(own=world.own), json=body, headers=world.as_(who))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"] == loc


def test_web_forms_bound_their_text_fields(world: World) -> None:
    c = TestClient(create_app(world.clinic.settings, clinic=world.clinic))
    assert 'maxlength="320"' in c.get("/login").text
    token = _csrf(c.get("/login").text)
    c.post(
        "/login", data={"email": "patient@demo.ldn.example", "password": PASSWORD, "csrf": token}
    )
    today = c.get("/me").text
    assert 'id="note"' in today and 'maxlength="2000"' in today


@pytest.mark.parametrize("where", ["note", "acute_medication"])
def test_a_lone_surrogate_is_refused_naming_the_field(world: World, where: str) -> None:
    c, h, pid = world.client, world.as_("patient"), world.own
    value = '"\\ud83d"' if where == "note" else '["\\ud83d"]'
    raw = f'{{"date": "2026-11-24", "pain_avg": 3, "{where}": {value}}}'
    r = c.post(
        f"/api/v1/patients/{pid}/diary",
        content=raw,
        headers={**h, "content-type": "application/json"},
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"].startswith(where) and "surrogate" in r.json()["detail"]
    assert c.get(f"/api/v1/patients/{pid}/diary", headers=h).status_code == 200
    assert c.get(f"/api/v1/patients/{pid}/diary", headers=world.as_("clinician")).status_code == 200
    whole = (
        '{"date": "2026-11-24", "pain_avg": 3, "note": "\\ud83d\\ude00"}'  # a whole emoji is fine
    )
    assert (
        c.post(
            f"/api/v1/patients/{pid}/diary",
            content=whole,
            headers={**h, "content-type": "application/json"},
        ).status_code
        == 201
    )


def test_ids_beyond_range_or_in_other_digits_are_refused_not_500(world: World) -> None:
    c, doc = world.client, world.as_("clinician")
    for bad in ("\u0661\u0662", "99999999999999999999", "9" * 5000):
        assert c.get(f"/api/v1/patients/{bad}", headers=doc).status_code == 422, bad
        assert c.get(f"/fhir/R4/Patient/{bad}", headers=doc).status_code in (404, 422), bad
        search = c.get("/fhir/R4/Condition", params={"patient": bad}, headers=doc)
        # an empty searchset or a refusal, never 500
        assert search.status_code in (200, 400, 422), bad
        assert search.status_code != 200 or search.json()["total"] == 0
    assert c.get("/fhir/R4/Patient/\u00b2", headers=doc).status_code in (404, 422)
    web = TestClient(create_app(world.clinic.settings, clinic=world.clinic))
    token = _csrf(web.get("/login").text)
    web.post(
        "/login", data={"email": "clinician@demo.ldn.example", "password": PASSWORD, "csrf": token}
    )
    for bad in ("99999999999999999999", "\u0661\u0662"):
        assert web.get(f"/clinic/patients/{bad}").status_code == 422, bad


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_dates_at_the_ends_of_the_calendar_are_refused_not_500(world: World, day: str) -> None:
    c, doc, pid = world.client, world.as_("clinician"), world.own
    answers = [
        c.post(
            f"/api/v1/patients/{pid}/plan", headers=doc, json={"start": day, "allow_past": True}
        ),
        c.post(f"/api/v1/patients/{pid}/trials", headers=doc, json={"start": day, "seed": 1}),
        c.get(f"/api/v1/patients/{pid}/response", headers=doc, params={"first_dose": day}),
        c.get(f"/api/v1/patients/{pid}/diary", headers=doc, params={"start": day}),
        c.put(
            f"/api/v1/patients/{pid}/diary/{day}", headers=doc, json={"date": day, "pain_avg": 3}
        ),
        c.post(f"/api/v1/patients/{pid}/diary", headers=doc, json={"date": day, "pain_avg": 3}),
        c.post(
            f"/api/v1/patients/{pid}/questionnaires",
            headers=doc,
            json={"instrument": "pgic", "answers": {"pgic": 3}, "taken_on": day},
        ),
        c.post(
            f"/api/v1/patients/{pid}/plan/adjustments",
            headers={**doc, "If-Match": '"1"'},
            json={"side_effect": "insomnia", "on": day},
        ),
    ]
    assert [r.status_code for r in answers] == [422] * len(answers), [r.text[:200] for r in answers]


def test_deep_nesting_is_refused_not_500(world: World) -> None:
    deep: Any = 1
    for _ in range(300):
        deep = {"a": deep}
    c, doc = world.client, world.as_("clinician")
    record = {
        "id": "deep-1",
        "age_years": 40,
        "sex": "female",
        "questionnaires": {"pgic": {"answers": {"pgic": deep}}},
    }
    r = c.post("/api/v1/patients", headers=doc, json={"record": record})
    assert r.status_code == 422 and "nested" in r.json()["detail"], r.text[:300]
    r = c.post(
        f"/api/v1/patients/{world.own}/questionnaires",
        headers=doc,
        json={"instrument": "pgic", "answers": {"pgic": deep}},
    )
    assert r.status_code == 422 and "nested" in r.json()["detail"]
    big = c.post(
        f"/api/v1/patients/{world.own}/questionnaires",
        headers=doc,
        content='{"instrument": "pgic", "answers": {"pgic": 1e999}}',
    )
    assert big.status_code in (400, 422)


def test_fhir_import_with_text_where_a_number_belongs_is_422(world: World) -> None:
    ext = "https://ldn.example.org/fhir/StructureDefinition/age-years"
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "vs", "gender": "female",
                      "extension": [{"url": ext, "valueString": "forty"}]}},
        {"resource": {"resourceType": "Observation", "id": "o1", "status": "final",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
                      "subject": {"reference": "Patient/vs"}, "valueString": "heavy"}},
    ]}  # fmt: skip
    r = world.client.post("/fhir/R4/$import-patient", headers=world.as_("clinician"), json=bundle)
    assert r.status_code == 422, r.text
    assert r.json()["resourceType"] == "OperationOutcome"
