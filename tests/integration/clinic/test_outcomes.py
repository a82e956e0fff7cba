"""Clinic outcomes (issue #22): the API, the web page and ``ldn clinic report`` on one small clinic
built here (not the demo), on SQLite and PostgreSQL; who may read them (clinician and admin;
the admin sees no patient's name); the clinician's recorded stop of a plan.

The clinic (report date 2026-11-25 = T), fibromyalgia unless said:

=====  ============================================================  ==========================
Ada    plan from T-150, pain 6 -> 2.5 after three weeks, vivid dreams  responder (>= 50%)
Ben    plan from T-150, pain 6 -> 5.5; stopped T-50 (no benefit)       assessed, no response
Cleo   plan from T-100; stopped T-80 (side effects), nausea           stopped before assessment
Dan    plan from T-30, pain 6 -> 3 from day 10                         not yet at assessment
Eve    screened only                                                  not started
Fay    blinded trial from T-200 (LDN 4, placebo 6), revealed           started (trial)
Gus    blinded trial from T-200 (no difference), revealed             started (trial)
Hal    chronic migraine, plan from T-120, no diary                    (another condition)
=====  ============================================================  ==========================
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from ldn.domain.diary import DiaryEntry
from ldn.domain.nof1.design import TrialDesign
from ldn.persistence.tables import DiaryRow
from ldn.services.clinic import accounts, plans, screenings, trials
from ldn.services.clinic.context import SYSTEM, Actor, Clinic
from ldn.services.clinic.patients import create_patient
from tests.conftest import PATIENTS
from tests.integration.clinic.conftest import NOW
from tests.integration.clinic.helpers import PASSWORD, login, web_login

T = NOW.date()
NAMES = ("Ada", "Ben", "Cleo", "Dan", "Eve", "Fay", "Gus", "Hal")


@dataclass
class OutcomeWorld:
    clinic: Clinic
    client: TestClient
    cid: int
    doc: Actor
    ids: dict[str, int]
    emails: dict[str, str]


def _diary(clinic: Clinic, pid: int, days: dict[date, dict[str, Any]]) -> None:
    """Diary rows written straight to the table (hundreds of days; the use case is tested elsewhere)."""
    with clinic.db.transaction() as s:
        for d, extra in sorted(days.items()):
            data = DiaryEntry.model_validate({"date": d, **extra}).model_dump(mode="json")
            s.add(
                DiaryRow(
                    patient_id=pid,
                    day=d,
                    data=data,
                    idempotency_key=None,
                    request_sha256="0" * 64,
                    version=1,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )


def _span(start: date, end: date, **fields: Any) -> dict[date, dict[str, Any]]:
    return {start + timedelta(days=i): dict(fields) for i in range((end - start).days + 1)}


def _plan(clinic: Clinic, doc: Actor, pid: int, start: date) -> dict[str, Any]:
    return plans.create_plan(
        clinic,
        doc,
        pid,
        options={"schedule": "common", "form": "capsule", "start": start, "allow_past": True},
    )


def _trial(
    clinic: Clinic, doc: Actor, pid: int, *, seed: int, ldn_nrs: float, placebo_nrs: float
) -> None:
    t = trials.create_clinic_trial(clinic, doc, pid, start=T - timedelta(days=200), seed=seed)
    revealed = trials.reveal(clinic, doc, int(t["id"]), confirm=True)
    design = TrialDesign.from_public(revealed["design"])
    ldn_bottle = revealed["allocation"]["ldn_bottle"]
    days: dict[date, dict[str, Any]] = {}
    for p in design.periods:
        pain = ldn_nrs if p.bottle == ldn_bottle else placebo_nrs
        for i, d in enumerate(_span(p.start, p.end)):
            days[d] = {
                "pain_avg": pain + (0.5 if i % 3 == 0 else -0.5 if i % 3 == 1 else 0.0),
                "bottle": p.bottle,
            }
    _diary(clinic, pid, days)


def build(clinic: Clinic) -> OutcomeWorld:
    cid = int(accounts.create_clinic(clinic, SYSTEM, name="Outcomes Clinic")["id"])
    emails = {r: f"{r}@outcomes.example" for r in ("clinician", "admin", "pharmacist", "patient")}
    uid = {}
    for role in ("clinician", "admin", "pharmacist"):
        uid[role] = int(
            accounts.create_user(
                clinic,
                SYSTEM,
                clinic_id=cid,
                email=emails[role],
                password=PASSWORD,
                role=role,
                display_name=f"Staff {role}",
            )["id"]
        )
    doc = Actor(uid["clinician"], "clinician", cid)
    base = yaml.safe_load((PATIENTS / "fibromyalgia.yaml").read_text(encoding="utf-8"))
    ids = {}
    for name in NAMES:
        code = "chronic_migraine" if name == "Hal" else "fibromyalgia"
        rec = {
            **base,
            "id": f"o-{name.lower()}",
            "display_name": f"{name} Outcomeson",
            "conditions": [{"code": code}],
        }
        ids[name] = int(create_patient(clinic, doc, record=rec)["id"])
        screenings.run_screening(clinic, doc, ids[name])
    d = lambda n: T - timedelta(days=n)  # noqa: E731
    _plan(clinic, doc, ids["Ada"], d(150))
    _diary(
        clinic,
        ids["Ada"],
        _span(d(164), d(151), pain_avg=6)
        | _span(d(150), d(130), pain_avg=6, dose_mg=1.5)
        | _span(d(129), d(10), pain_avg=2.5, dose_mg=4.5)
        | _span(d(140), d(136), pain_avg=6, side_effects=["vivid_dreams"]),
    )
    ben = _plan(clinic, doc, ids["Ben"], d(150))
    _diary(
        clinic,
        ids["Ben"],
        _span(d(164), d(151), pain_avg=6)
        | _span(d(150), d(50), pain_avg=5.5, side_effects=["tiredness"]),
    )
    plans.stop_plan(
        clinic, doc, ids["Ben"], reason="no_benefit", on=d(50), if_version=int(ben["version"])
    )
    cleo = _plan(clinic, doc, ids["Cleo"], d(100))
    _diary(
        clinic,
        ids["Cleo"],
        _span(d(114), d(101), pain_avg=7)
        | _span(d(100), d(80), pain_avg=7, side_effects=["nausea"]),
    )
    plans.stop_plan(
        clinic,
        doc,
        ids["Cleo"],
        reason="side_effects",
        note="nausea",
        on=d(80),
        if_version=int(cleo["version"]),
    )
    _plan(clinic, doc, ids["Dan"], d(30))
    _diary(
        clinic,
        ids["Dan"],
        _span(d(44), d(31), pain_avg=6)
        | _span(d(30), d(21), pain_avg=6)
        | _span(d(20), d(1), pain_avg=3),
    )
    _trial(clinic, doc, ids["Fay"], seed=11, ldn_nrs=4.0, placebo_nrs=6.0)
    _trial(clinic, doc, ids["Gus"], seed=12, ldn_nrs=5.0, placebo_nrs=5.0)
    _plan(clinic, doc, ids["Hal"], d(120))
    pat = accounts.create_user(
        clinic,
        SYSTEM,
        clinic_id=cid,
        email=emails["patient"],
        password=PASSWORD,
        role="patient",
        display_name="Dan",
        patient_id=ids["Dan"],
    )
    assert pat["role"] == "patient"
    from ldn.asgi import create_app

    client = TestClient(create_app(clinic.settings, clinic=clinic))
    return OutcomeWorld(clinic, client, cid, doc, ids, emails)


@pytest.fixture
def world(clinic: Clinic) -> Iterator[OutcomeWorld]:
    w = build(clinic)
    with w.client:
        yield w


def _fibro(report: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in report["conditions"] if s["condition"] == "fibromyalgia")


def test_api_figures_rest_on_what_the_clinic_recorded(world: OutcomeWorld) -> None:
    h = login(world.client, world.emails["clinician"])
    r = world.client.get("/api/v1/outcomes", headers=h)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["as_of"] == T.isoformat() and report["patients"] == 8 and report["limits"]
    assert [s["condition"] for s in report["conditions"]] == ["fibromyalgia", "chronic_migraine"]
    f = _fibro(report)
    assert {
        k: f["counts"][k]
        for k in ("patients", "screened", "started", "reached_assessment", "still_on", "stopped")
    } == {
        "patients": 7,
        "screened": 7,
        "started": 6,
        "reached_assessment": 2,
        "still_on": 4,
        "stopped": 2,
    }
    # Ada (>= 50%) and Ben (8%) assessable; counting every due patient adds Cleo (stopped early)
    assert (f["responders_30"]["k"], f["responders_30"]["n"]) == (1, 2)
    assert (f["responders_50"]["k"], f["responders_50"]["n"]) == (1, 2)
    assert (f["responders_30_all"]["k"], f["responders_30_all"]["n"]) == (1, 3)
    assert (
        f["responders_30"]["small"]
        and "few patients: read with care" in f["responders_30"]["sentence"]
    )
    assert 0 < f["responders_30"]["ci_low"] < 0.5 < f["responders_30"]["ci_high"] < 1
    ttr, tts = f["time_to_response"], f["time_to_stopping"]
    assert (ttr["n"], ttr["events"]) == (4, 2) and f["time_to_response_no_baseline"] == 2
    assert (tts["n"], tts["events"]) == (6, 2) and "censored" in tts["censoring"]
    assert {r["reason"]: r["patients"] for r in f["stop_reasons"]} == {
        "no_benefit": 1,
        "side_effects": 1,
    }
    effects = {e["effect"]: e for e in f["side_effects"]}
    assert (effects["vivid_dreams"]["k"], effects["vivid_dreams"]["n"]) == (1, 6)
    assert "risk ratio" in effects["vivid_dreams"]["in_trials"]
    assert effects["tiredness"]["in_trials"] == "No trial rate recorded in ldn's evidence data."
    assert f["dose_reached"]["n"] == 4 and f["dose_reached"]["median_mg"] == 4.5
    assert any("4 of 49" in t["sentence"] for t in f["stopping_in_trials"])
    pooled = f["pooled_nof1"]
    assert (
        pooled["n_trials"] == 2
        and pooled["sentence"]
        and pooled["prior"]["words"] == "the evidence prior for fibromyalgia"
    )
    own = {p["label"]: p["own_mean_nrs"] for p in pooled["patients"]}
    assert set(own) == {"Fay Outcomeson", "Gus Outcomeson"}
    assert own["Fay Outcomeson"] == pytest.approx(-2.0, abs=0.3) and own[
        "Gus Outcomeson"
    ] == pytest.approx(0.0, abs=0.3)
    assert pooled["delta_ci_nrs"][0] < pooled["delta_mean_nrs"] < pooled["delta_ci_nrs"][1]
    one = world.client.get(
        "/api/v1/outcomes", params={"condition": "chronic_migraine"}, headers=h
    ).json()
    assert one["all"] is None and [s["counts"]["started"] for s in one["conditions"]] == [1]
    bad = world.client.get("/api/v1/outcomes", params={"condition": "gout"}, headers=h)
    assert bad.status_code == 422 and "condition" in bad.text


def test_only_clinicians_and_admins_read_outcomes_and_admins_see_no_names(
    world: OutcomeWorld,
) -> None:
    for role in ("patient", "pharmacist"):
        r = world.client.get("/api/v1/outcomes", headers=login(world.client, world.emails[role]))
        assert r.status_code == 403, (role, r.text)
    r = world.client.get("/api/v1/outcomes", headers=login(world.client, world.emails["admin"]))
    assert r.status_code == 200
    assert "Outcomeson" not in r.text and not any(n in r.text for n in ("Ada", "Cleo", "Gus"))
    assert _fibro(r.json())["counts"]["started"] == 6
    assert {p["label"] for p in _fibro(r.json())["pooled_nof1"]["patients"]} == {
        "patient 1",
        "patient 2",
    }
    web_login(world.client, world.emails["admin"])
    page = world.client.get("/clinic/outcomes")
    assert page.status_code == 200 and "Outcomeson" not in page.text
    assert 'href="/clinic/outcomes"' in page.text


def test_web_page_has_sentences_limits_and_charts(world: OutcomeWorld) -> None:
    web_login(world.client, world.emails["clinician"])
    r = world.client.get("/clinic/outcomes")
    assert r.status_code == 200, r.text[:300]
    text = r.text
    assert "Clinic outcomes" in text and "self-selected" in text and "no control" in text
    assert (
        "few patients" in text and "95% interval" in text and text.count("<svg") >= 5
    )  # KM curves (all, fibromyalgia, migraine) and the forest strip
    assert "Read these figures with their limits" in text and 'href="/clinic/outcomes"' in text
    only = world.client.get("/clinic/outcomes", params={"condition": "chronic_migraine"})
    assert (
        only.status_code == 200
        and "Chronic migraine" in only.text
        and "Fibromyalgia (" not in only.text
    )
    web_login(world.client, world.emails["patient"])
    assert world.client.get("/clinic/outcomes").status_code == 403


def test_a_clinician_records_a_stop_from_the_patient_page_and_the_api(world: OutcomeWorld) -> None:
    c = world.client
    web_login(c, world.emails["clinician"])
    dan = world.ids["Dan"]
    page = c.get(f"/clinic/patients/{dan}").text
    assert "Record the stop" in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    version = re.search(r'name="version" value="(\d+)"', page)
    assert csrf and version
    bad = c.post(
        f"/clinic/patients/{dan}/plan/stop",
        data={"csrf": csrf[1], "reason": "other", "version": version[1]},
    )
    assert bad.status_code == 422 and "say why" in bad.text
    ok = c.post(
        f"/clinic/patients/{dan}/plan/stop",
        follow_redirects=False,
        data={"csrf": csrf[1], "reason": "cost", "note": "cannot afford it", "version": version[1]},
    )
    assert ok.status_code == 303
    h = login(c, world.emails["clinician"])
    f = _fibro(c.get("/api/v1/outcomes", headers=h).json())
    assert f["counts"]["stopped"] == 3 and {r["reason"] for r in f["stop_reasons"]} >= {"cost"}
    hal = world.ids["Hal"]
    etag = c.get(f"/api/v1/patients/{hal}/plan", headers=h).headers["ETag"]
    assert (
        c.post(f"/api/v1/patients/{hal}/plan/stop", headers=h, json={"reason": "cost"}).status_code
        == 428
    )
    assert (
        c.post(
            f"/api/v1/patients/{hal}/plan/stop",
            headers={**h, "If-Match": etag},
            json={"reason": "x"},
        ).status_code
        == 422
    )
    pat = login(c, world.emails["patient"])
    assert (
        c.post(
            f"/api/v1/patients/{dan}/plan/stop",
            headers={**pat, "If-Match": etag},
            json={"reason": "cost"},
        ).status_code
        == 403
    )
    r = c.post(
        f"/api/v1/patients/{hal}/plan/stop",
        headers={**h, "If-Match": etag},
        json={"reason": "improved", "on": (T - timedelta(days=3)).isoformat()},
    )
    assert (
        r.status_code == 200
        and r.json()["status"] == "stopped"
        and r.json()["stop_reason"] == "improved"
    )
    assert c.get(f"/api/v1/patients/{hal}/plan", headers=h).status_code == 404


def test_cli_report_prints_tables_with_sentences_and_json(world: OutcomeWorld, cli: Any) -> None:
    url = world.clinic.settings.resolved_database_url
    code, out, err = cli("clinic", "report", "--clinic", str(world.cid), "--database-url", url)
    assert code == 0, err
    assert (
        "Clinic outcomes" in out
        and "Fibromyalgia" in out
        and "Limits" in out
        and "self-selected" in out
    )
    assert "Outcomeson" not in out
    code, out, _ = cli(
        "clinic",
        "report",
        "--clinic",
        str(world.cid),
        "--condition",
        "fibromyalgia",
        "--database-url",
        url,
        "--json",
    )
    assert code == 0 and _fibro(json.loads(out))["counts"]["started"] == 6
    code, _, err = cli(
        "clinic", "report", "--clinic", str(world.cid), "--condition", "gout", "--database-url", url
    )
    assert code == 2 and "condition" in err and "Traceback" not in err
