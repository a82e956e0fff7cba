"""FHIR search and read over HTTP as the specification says (issue 23), on SQLite and
PostgreSQL: declared parameters, paging with total and links, code and date search, AND/OR,
unsupported parameters (strict: 400; lenient: left out of the self link), conditional reads,
406 for XML, POST _search and $everything, logical ids that keep their meaning."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from fhir.resources.R4B import get_fhir_model_class

from ldn.persistence.tables import User
from ldn.services.clinic import patients
from ldn.services.clinic.context import Actor, Clinic
from tests.integration.clinic.helpers import World, build_world

LOINC_PAIN = "http://loinc.org|72514-3"


@pytest.fixture
def world(clinic: Clinic) -> Iterator[World]:
    w = build_world(clinic)
    with w.client:
        yield w


def _get(world: World, url: str, role: str = "clinician", **headers: str) -> Any:
    r = world.client.get(url, headers={**world.as_(role), **headers})
    return r


def _link(bundle: dict[str, Any], relation: str) -> str | None:
    return next((link["url"] for link in bundle["link"] if link["relation"] == relation), None)


def _query(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query)


def test_the_capability_statement_declares_the_search_parameters(world: World) -> None:
    cap = world.client.get("/fhir/R4/metadata").json()
    get_fhir_model_class("CapabilityStatement").model_validate(cap)
    by_type = {r["type"]: r for r in cap["rest"][0]["resource"]}
    obs = {p["name"]: p["type"] for p in by_type["Observation"]["searchParam"]}
    assert obs == {
        "_id": "token",
        "patient": "reference",
        "subject": "reference",
        "code": "token",
        "category": "token",
        "status": "token",
        "date": "date",
    }
    assert {"identifier", "birthdate", "family"} <= {
        p["name"] for p in by_type["Patient"]["searchParam"]
    }
    assert by_type["Condition"]["conditionalRead"] == "full-support"


def test_paging_follows_next_links_with_a_correct_total(world: World) -> None:
    first = _get(world, f"/fhir/R4/Observation?patient={world.own}&_count=10").json()
    total = first["total"]
    assert total > 90 and len(first["entry"]) == 10
    assert dict(_query(_link(first, "self") or "")) == {
        "patient": str(world.own),
        "_count": "10",
        "_offset": "0",
    }
    assert _link(first, "previous") is None
    seen, page, pages = [], first, 0
    while True:
        seen += [e["resource"]["id"] for e in page["entry"]]
        pages += 1
        nxt = _link(page, "next")
        if nxt is None:
            break
        assert nxt.startswith("http://testserver/fhir/R4/Observation?")
        page = _get(world, nxt.removeprefix("http://testserver")).json()
        assert page["total"] == total and _link(page, "previous") is not None
    assert len(seen) == len(set(seen)) == total and pages == -(-total // 10)
    only_total = _get(world, f"/fhir/R4/Observation?patient={world.own}&_count=0").json()
    assert only_total["total"] == total and not only_total.get("entry")
    summary = _get(world, f"/fhir/R4/Observation?patient={world.own}&_summary=count").json()
    assert summary["total"] == total and not summary.get("entry")


def test_code_date_and_id_search(world: World) -> None:
    pid = world.own
    pain = _get(world, f"/fhir/R4/Observation?patient={pid}&code={LOINC_PAIN}&_count=500").json()
    weight = _get(world, f"/fhir/R4/Observation?patient={pid}&code=http://loinc.org|29463-7").json()
    everything = _get(world, f"/fhir/R4/Observation?patient={pid}&_count=500").json()
    codes = [{c["code"] for c in e["resource"]["code"]["coding"]} for e in everything["entry"]]
    assert pain["total"] == sum("72514-3" in c for c in codes) > 90
    assert (
        weight["total"] == 1
        and weight["entry"][0]["resource"]["category"][0]["coding"][0]["code"] == "vital-signs"
    )
    assert (
        "effectiveDateTime" in weight["entry"][0]["resource"]
    )  # the vital-signs profile needs effective[x]
    either = _get(
        world, f"/fhir/R4/Observation?patient={pid}&code=29463-7,http://loinc.org|1742-6"
    ).json()
    assert either["total"] == 2
    dated = [
        e["resource"]["effectiveDateTime"]
        for e in everything["entry"]
        if "effectiveDateTime" in e["resource"]
    ]
    day = sorted(dated)[len(dated) // 2][:10]
    on_or_after = _get(world, f"/fhir/R4/Observation?patient={pid}&date=ge{day}&_count=500").json()
    before = _get(world, f"/fhir/R4/Observation?patient={pid}&date=lt{day}&_count=500").json()
    assert on_or_after["total"] + before["total"] == len(dated)
    assert all(e["resource"]["effectiveDateTime"][:10] >= day for e in on_or_after["entry"])
    window = _get(world, f"/fhir/R4/Observation?patient={pid}&date=ge{day}&date=le{day}").json()
    assert window["total"] == sum(d[:10] == day for d in dated)
    some = [e["resource"]["id"] for e in everything["entry"][:3]]
    by_id = _get(world, f"/fhir/R4/Observation?_id={','.join(some)}").json()
    assert sorted(e["resource"]["id"] for e in by_id["entry"]) == sorted(some)
    newest = _get(world, f"/fhir/R4/Observation?patient={pid}&_sort=-date&_count=1").json()
    assert newest["entry"][0]["resource"]["effectiveDateTime"] == max(dated)


def test_repeated_parameters_and_and_commas_or(world: World) -> None:
    a, b = world.own, world.other
    one = _get(world, f"/fhir/R4/Condition?patient={a}").json()["total"]
    two = _get(world, f"/fhir/R4/Condition?patient={b}").json()["total"]
    assert _get(world, f"/fhir/R4/Condition?patient={a}&patient={b}").json()["total"] == 0
    assert _get(world, f"/fhir/R4/Condition?patient={a},{b}").json()["total"] == one + two
    assert _get(world, f"/fhir/R4/Condition?subject=Patient/{a}").json()["total"] == one
    fm = _get(
        world, f"/fhir/R4/Condition?patient={a}&code=http://hl7.org/fhir/sid/icd-10|M79.7"
    ).json()
    assert fm["total"] == 1 and fm["entry"][0]["resource"]["id"] == f"{a}-condition-fibromyalgia"


def test_an_unsupported_parameter_is_dropped_or_refused_when_strict(world: World) -> None:
    url = f"/fhir/R4/Condition?patient={world.own}&_elements=id&_include=Condition:subject"
    lenient = _get(world, url).json()
    self_query = dict(_query(_link(lenient, "self") or ""))
    assert (
        "_elements" not in self_query
        and "_include" not in self_query
        and self_query["patient"] == str(world.own)
    )
    outcome = next(e for e in lenient["entry"] if e["search"]["mode"] == "outcome")["resource"]
    assert [i["expression"] for i in outcome["issue"]] == [["_elements"], ["_include"]]
    strict = _get(world, url, Prefer="handling=strict")
    assert strict.status_code == 400 and strict.json()["resourceType"] == "OperationOutcome"
    assert strict.json()["issue"][0]["expression"] == ["_elements"]
    bad = _get(world, f"/fhir/R4/Observation?patient={world.own}&date=yesterday")
    assert bad.status_code == 400 and bad.json()["issue"][0]["expression"] == ["date"]


def test_patient_search_by_identifier_family_and_birth_date(world: World) -> None:
    body = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {
        "resourceType": "Patient", "gender": "male", "birthDate": "1969-02-03", "name": [{"family": "Nguyễn", "given": ["Bao"]}],
        "identifier": [{"system": "urn:ehr", "value": "N-42"}]}}]}  # fmt: skip
    pid = world.client.post(
        "/fhir/R4/$import-patient", headers=world.as_("clinician"), json=body
    ).json()
    ref = next(p for p in pid["parameter"] if p["name"] == "patient")["valueReference"]["reference"]
    for query in (
        "identifier=urn:ehr|N-42",
        "family=nguyen",
        "birthdate=1969-02",
        "family=ngu&gender=male",
    ):
        found = _get(world, f"/fhir/R4/Patient?{query}").json()
        assert [e["resource"]["id"] for e in found["entry"]] == [ref.split("/")[1]], query
    assert _get(world, "/fhir/R4/Patient?identifier=urn:ehr|N-43").json()["total"] == 0
    mine = _get(world, "/fhir/R4/Patient", role="patient").json()
    assert [e["resource"]["id"] for e in mine["entry"]] == [str(world.own)]
    own_conditions = _get(world, "/fhir/R4/Condition", role="patient").json()
    assert own_conditions["total"] >= 1
    assert (
        _get(world, f"/fhir/R4/Condition?patient={world.other}", role="patient").status_code == 404
    )
    assert _get(world, f"/fhir/R4/Condition?patient={world.foreign}").status_code == 404
    assert (
        _get(world, f"/fhir/R4/Condition?patient={world.own}", role="pharmacist").status_code == 403
    )


def test_conditional_read_with_etags_and_dates(world: World) -> None:
    url = f"/fhir/R4/Condition/{world.own}-condition-fibromyalgia"
    r = _get(world, url)
    version = r.json()["meta"]["versionId"]
    assert r.headers["etag"] == f'W/"{version}"' and r.json()["meta"]["lastUpdated"]
    for tag in (
        f'W/"{version}"',
        f'"{version}"',
        version,
        '"other", *',
    ):  # fhirpy sends the bare versionId
        not_modified = _get(world, url, **{"If-None-Match": tag})
        assert not_modified.status_code == 304 and not_modified.content == b"", tag
    assert _get(world, url, **{"If-None-Match": 'W/"stale"'}).status_code == 200
    assert _get(world, url, **{"If-Modified-Since": r.headers["last-modified"]}).status_code == 304
    assert (
        _get(world, url, **{"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code
        == 200
    )


def test_only_json_is_served(world: World) -> None:
    for url, headers in (
        (f"/fhir/R4/Patient/{world.own}?_format=xml", {}),
        (f"/fhir/R4/Patient/{world.own}?_format=application/fhir+xml", {}),
        (f"/fhir/R4/Patient/{world.own}", {"Accept": "application/fhir+xml"}),
        ("/fhir/R4/metadata?_format=xml", {}),
    ):
        r = _get(world, url, **headers)
        assert r.status_code == 406 and r.json()["resourceType"] == "OperationOutcome", url
    assert _get(world, f"/fhir/R4/Patient/{world.own}?_format=json").status_code == 200
    assert (
        _get(
            world, f"/fhir/R4/Patient/{world.own}", Accept="application/fhir+json; fhirVersion=4.0"
        ).status_code
        == 200
    )


def test_post_search_and_post_everything(world: World) -> None:
    h = world.as_("clinician")
    got = _get(world, f"/fhir/R4/Observation?patient={world.own}&code={LOINC_PAIN}&_count=5").json()
    posted = world.client.post(
        "/fhir/R4/Observation/_search",
        headers=h,
        data={"patient": str(world.own), "code": LOINC_PAIN, "_count": "5"},
    ).json()
    assert posted["total"] == got["total"] and [e["resource"]["id"] for e in posted["entry"]] == [
        e["resource"]["id"] for e in got["entry"]
    ]
    everything = _get(world, f"/fhir/R4/Patient/{world.own}/$everything").json()
    post = world.client.post(f"/fhir/R4/Patient/{world.own}/$everything", headers=h).json()
    assert post["total"] == everything["total"] == len(everything["entry"])
    typed = world.client.post(
        f"/fhir/R4/Patient/{world.own}/$everything",
        headers=h,
        json={
            "resourceType": "Parameters",
            "parameter": [{"name": "_type", "valueString": "Condition"}],
        },
    ).json()
    assert {e["resource"]["resourceType"] for e in typed["entry"]} == {"Condition"}
    other = world.client.post(
        f"/fhir/R4/Patient/{world.other}/$everything", headers=world.as_("patient")
    )
    assert other.status_code == 404
    assert (
        world.client.post(
            "/fhir/R4/Observation/_search",
            headers=world.as_("patient"),
            data={"patient": str(world.other)},
        ).status_code
        == 404
    )


def test_logical_ids_keep_their_meaning_across_record_edits(world: World) -> None:
    pid = world.own
    before = {
        e["resource"]["id"]: e["resource"]
        for e in _get(world, f"/fhir/R4/Condition?patient={pid}").json()["entry"]
    }
    record = world.client.get(f"/api/v1/patients/{pid}", headers=world.as_("clinician")).json()[
        "record"
    ]
    removed = record["conditions"].pop(0)
    with world.clinic.db.transaction() as s:
        doc = s.query(User).filter_by(role="clinician").first()
        assert doc is not None
        actor = Actor(doc.id, "clinician", doc.clinic_id)
    patients.update_record(world.clinic, actor, pid, record=record, if_version=None)
    after = {
        e["resource"]["id"]: e["resource"]
        for e in _get(world, f"/fhir/R4/Condition?patient={pid}").json()["entry"]
    }
    gone = f"{pid}-condition-{removed['code'].replace('_', '-')}"
    assert set(after) == set(before) - {gone}
    for rid, res in after.items():
        assert res["code"] == before[rid]["code"], "an id never names another condition"
        assert res["meta"]["versionId"] == before[rid]["meta"]["versionId"], (
            "unchanged content, same version"
        )
    assert _get(world, f"/fhir/R4/Condition/{gone}").status_code == 404
