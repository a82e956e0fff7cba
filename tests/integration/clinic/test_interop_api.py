"""FHIR R4 and CDS Hooks over HTTP, on SQLite and PostgreSQL: import every example patient as a
Bundle (same verdict as from YAML), read and search, $everything, OperationOutcome errors; CDS
Hooks with the specification's ES384 example key, replay and algorithm checks, 412."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import jwt
import pytest
import yaml
from fhir.resources.R4B import get_fhir_model_class

from ldn.config import Settings
from ldn.domain.patient import parse_patient
from ldn.domain.screening import screen
from ldn.interop.r4 import record_to_bundle
from ldn.services.clinic.context import Clinic
from tests.conftest import AS_OF, PATIENTS
from tests.integration.clinic.conftest import NOW
from tests.integration.clinic.helpers import World, build_world

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cds_hooks"
SPEC_KEY = json.loads((FIXTURES / "spec-jwk.json").read_text())
RESPONSE_SCHEMA = json.loads((FIXTURES / "cds-response.schema.json").read_text())


@pytest.fixture
def world(clinic: Clinic, tmp_path: Path) -> Iterator[World]:
    jwks = tmp_path / "cds-clients.json"
    jwks.write_text(json.dumps({SPEC_KEY["iss"]: {"keys": [SPEC_KEY["public"]]}}))
    clinic.settings = Settings(
        **{
            **clinic.settings.model_dump(),
            "cds_jwks_file": jwks,
            "public_url": "https://cds.example.org",
        }
    )
    w = build_world(clinic)
    with w.client:
        yield w


def _bundle(name: str) -> dict[str, Any]:
    record = parse_patient(yaml.safe_load((PATIENTS / f"{name}.yaml").read_text()), today=AS_OF)
    return json.loads(json.dumps(record_to_bundle(record)))


@pytest.mark.parametrize("path", sorted(PATIENTS.glob("*.yaml")), ids=lambda p: p.stem)
def test_each_example_bundle_imports_and_screens_as_from_yaml(world: World, path: Path) -> None:
    bundle = _bundle(path.stem)
    bundle["entry"][0]["resource"]["identifier"][0]["value"] += (
        "-fhir"  # a new patient, not the demo one
    )
    r = world.client.post("/fhir/R4/$import-patient", headers=world.as_("clinician"), json=bundle)
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    params = {p["name"]: p for p in r.json()["parameter"]}
    expected = screen(
        parse_patient(yaml.safe_load(path.read_text()), today=AS_OF), today=NOW.date()
    ).verdict
    assert params["verdict"]["valueCode"] == expected
    again = world.client.post(
        "/fhir/R4/$import-patient", headers=world.as_("clinician"), json=bundle
    )
    assert (
        again.status_code == 200
        and {p["name"]: p for p in again.json()["parameter"]}["recordVersion"]["valueInteger"] == 2
    )


def test_read_search_and_everything_return_valid_resources(world: World) -> None:
    c, h, pid = world.client, world.as_("clinician"), world.own
    assert c.get("/fhir/R4/metadata").json()["fhirVersion"] == "4.0.1"
    everything = c.get(f"/fhir/R4/Patient/{pid}/$everything", headers=h).json()
    kinds = [e["resource"]["resourceType"] for e in everything["entry"]]
    assert {
        "Patient",
        "Condition",
        "MedicationStatement",
        "Observation",
        "MedicationRequest",
        "CarePlan",
    } <= set(kinds)
    assert kinds.count("Observation") > 90  # the demo patient's months of diary
    for e in everything["entry"]:
        get_fhir_model_class(e["resource"]["resourceType"]).model_validate(e["resource"])
    search = c.get(f"/fhir/R4/Condition?patient=Patient/{pid}", headers=h).json()
    assert search["type"] == "searchset" and search["total"] >= 1
    one = search["entry"][0]["resource"]
    assert c.get(f"/fhir/R4/Condition/{one['id']}", headers=h).json() == one
    assert c.get(f"/fhir/R4/Patient/{pid}", headers=world.as_("patient")).json()["id"] == str(pid)
    denied = c.get(f"/fhir/R4/Patient/{world.other}", headers=world.as_("patient"))
    assert denied.status_code == 404 and denied.json()["resourceType"] == "OperationOutcome"


def test_fhir_errors_are_operation_outcomes_naming_the_element(world: World) -> None:
    bad = _bundle("fibromyalgia")
    bad["entry"][1]["resource"]["clinicalStatus"] = "active"
    r = world.client.post("/fhir/R4/$import-patient", headers=world.as_("clinician"), json=bad)
    assert r.status_code == 422 and r.json()["resourceType"] == "OperationOutcome"
    assert any(
        i.get("expression", [""])[0] == "Bundle.entry[1].resource.clinicalStatus"
        for i in r.json()["issue"]
    )
    bogus = _bundle("fibromyalgia")
    med = next(
        i
        for i, e in enumerate(bogus["entry"])
        if e["resource"]["resourceType"] == "MedicationStatement"
    )
    bogus["entry"][med]["resource"]["status"] = "bogus"
    r = world.client.post("/fhir/R4/$import-patient", headers=world.as_("clinician"), json=bogus)
    assert r.status_code == 422
    assert r.json()["issue"][0]["expression"] == [f"Bundle.entry[{med}].resource.status"]
    local = _bundle("fibromyalgia")
    local["entry"][0]["resource"]["identifier"][0]["value"] += "-local"
    local["entry"][1]["resource"]["code"] = {"coding": [{"system": "urn:local", "code": "x"}]}
    r = world.client.post("/fhir/R4/$import-patient", headers=world.as_("clinician"), json=local)
    assert r.status_code == 201, r.text  # kept as 'other', with a warning, not refused whole
    issues = {p["name"]: p for p in r.json()["parameter"]}["issues"]["resource"]["issue"]
    assert any(
        i["severity"] == "warning" and i["expression"] == ["Bundle.entry[1].resource.code"]
        for i in issues
    )
    no_patient = world.client.get("/fhir/R4/Condition", headers=world.as_("clinician"))
    assert no_patient.status_code == 400 and no_patient.json()["issue"][0]["expression"] == [
        "patient"
    ]
    assert world.client.get("/fhir/R4/Condition?patient=1").status_code == 401


def _jwt(audience: str, *, alg: str = "ES384", jti: str | None = None, exp_in: int = 300) -> str:
    now = int(NOW.timestamp())
    claims = {
        "iss": SPEC_KEY["iss"],
        "aud": audience,
        "iat": now,
        "exp": now + exp_in,
        "jti": jti or str(uuid.uuid4()),
    }
    if alg == "HS256":
        return jwt.encode(
            claims,
            "a-shared-secret-that-is-long-enough-for-hs256",
            algorithm="HS256",
            headers={"kid": "example-kid"},
        )
    key = jwt.PyJWK(SPEC_KEY["private"]).key
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": "example-kid"})


def _hook(service: str, prefetch: dict[str, Any], **context: Any) -> dict[str, Any]:
    return {
        "hookInstance": str(uuid.uuid4()),
        "hook": {"ldn-candidacy": "patient-view", "ldn-order-sign": "order-sign"}[service],
        "context": {"userId": "Practitioner/1", "patientId": "ex-1", **context},
        "prefetch": prefetch,
    }


def _prefetch(name: str) -> dict[str, Any]:
    res = [e["resource"] for e in _bundle(name)["entry"]]

    def ss(kind: str) -> dict[str, Any]:
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in res if r["resourceType"] == kind],
        }

    return {
        "patient": res[0],
        "conditions": ss("Condition"),
        "medications": ss("MedicationStatement"),
        "observations": ss("Observation"),
    }


def test_cds_hooks_discovery_and_services_with_the_spec_key(world: World) -> None:
    c, base = world.client, "https://cds.example.org/cds-services"
    assert c.get("/cds-services").status_code == 401
    disc = c.get("/cds-services", headers={"Authorization": f"Bearer {_jwt(base)}"})
    assert disc.status_code == 200 and len(disc.json()["services"]) == 3
    auth = {"Authorization": f"Bearer {_jwt(base + '/ldn-candidacy')}"}
    cards = c.post(
        "/cds-services/ldn-candidacy",
        headers=auth,
        json=_hook("ldn-candidacy", _prefetch("fibromyalgia")),
    )
    assert cards.status_code == 200, cards.text
    jsonschema.validate(cards.json(), RESPONSE_SCHEMA)
    assert cards.json()["cards"][0]["links"][0]["url"].startswith("https://cds.example.org/")
    replay = c.post(
        "/cds-services/ldn-candidacy",
        headers=auth,
        json=_hook("ldn-candidacy", _prefetch("fibromyalgia")),
    )
    assert replay.status_code == 401 and "already used" in replay.json()["detail"]
    wrong_aud = {"Authorization": f"Bearer {_jwt(base + '/ldn-order-sign')}"}
    assert c.post("/cds-services/ldn-candidacy", headers=wrong_aud, json={}).status_code == 401
    hmac = {"Authorization": f"Bearer {_jwt(base + '/ldn-candidacy', alg='HS256')}"}
    assert "HMAC" in c.post("/cds-services/ldn-candidacy", headers=hmac, json={}).json()["detail"]
    expired = {"Authorization": f"Bearer {SPEC_KEY['expired_token']}"}
    assert c.post("/cds-services/ldn-candidacy", headers=expired, json={}).status_code == 401


def test_cds_hooks_missing_prefetch_is_412_and_bad_request_is_4xx(world: World) -> None:
    c, base = world.client, "https://cds.example.org/cds-services"
    spec_request = json.loads((FIXTURES / "spec-request-patient-view.json").read_text())
    r = c.post(
        "/cds-services/ldn-candidacy",
        headers={"Authorization": f"Bearer {_jwt(base + '/ldn-candidacy')}"},
        json=spec_request,
    )
    assert r.status_code == 412 and "prefetch" in r.json()["detail"]
    bad = _hook("ldn-candidacy", _prefetch("fibromyalgia"))
    del bad["context"]
    r = c.post(
        "/cds-services/ldn-candidacy",
        headers={"Authorization": f"Bearer {_jwt(base + '/ldn-candidacy')}"},
        json=bad,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "context"
    order = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {
        "resourceType": "MedicationRequest", "id": "d1", "status": "draft", "intent": "order", "subject": {"reference": "Patient/ex-1"},
        "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "7243"}], "text": "LDN 1.5 mg"}}}]}  # fmt: skip
    req = _hook("ldn-order-sign", _prefetch("tramadol-recent"), draftOrders=order)
    r = c.post(
        "/cds-services/ldn-order-sign",
        headers={"Authorization": f"Bearer {_jwt(base + '/ldn-order-sign')}"},
        json=req,
    )
    assert r.status_code == 200 and r.json()["cards"][0]["indicator"] == "critical"
