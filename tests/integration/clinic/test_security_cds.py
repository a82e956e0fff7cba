"""Security: CDS Hooks (issue 19) — never fail open (medium 8: one unreadable, unrelated
medication must not remove the naltrexone/opioid warning), a registered key id used with another
algorithm is refused (low, was 500), malformed selections are 422 (low, was 500)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa as rsa_key

from ldn.config import Settings
from ldn.domain.patient import parse_patient
from ldn.interop.r4 import record_to_bundle
from ldn.services.clinic.context import Clinic
from tests.conftest import AS_OF, PATIENTS
from tests.integration.clinic.conftest import NOW
from tests.integration.clinic.helpers import World, build_world

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cds_hooks"
SPEC_KEY = json.loads((FIXTURES / "spec-jwk.json").read_text())
BASE = "https://cds.example.org/cds-services"
LDN_ORDER = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {
    "resourceType": "MedicationRequest", "id": "d1", "status": "draft", "intent": "order",
    "subject": {"reference": "Patient/ex-1"},
    "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "7243"}],
                                  "text": "LDN 1.5 mg"}}}]}  # fmt: skip
#: unrelated medicines ldn cannot read, each in its own way
UNREADABLE = [
    {"resourceType": "MedicationStatement", "id": "u1", "status": "active", "subject": {"reference": "Patient/ex-1"},
     "medicationCodeableConcept": {"text": "Paracetamol 500 mg"}, "effectivePeriod": {"end": "last tuesday"}},
    {"resourceType": "MedicationStatement", "id": "u2", "status": "active", "subject": {"reference": "Patient/ex-1"},
     "medicationCodeableConcept": {"text": "Paracetamol 500 mg"},
     "dosage": [{"doseAndRate": [{"doseQuantity": {"value": -5, "unit": "mg", "code": "mg"}}]}]},
    {"resourceType": "MedicationStatement", "id": "u3", "subject": {"reference": "Patient/ex-1"},
     "medicationCodeableConcept": "Paracetamol"},
]  # fmt: skip


@pytest.fixture
def world(clinic: Clinic, tmp_path: Path) -> Iterator[World]:
    jwks = tmp_path / "cds-clients.json"
    rsa = rsa_key.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    rsa_no_alg = {
        **json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa)),
        "kid": "rsa-kid",
    }  # no "alg"
    jwks.write_text(json.dumps({SPEC_KEY["iss"]: {"keys": [SPEC_KEY["public"], rsa_no_alg]}}))
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


def _jwt(audience: str, *, alg: str = "ES384", kid: str = "example-kid") -> str:
    now = int(NOW.timestamp())
    claims = {
        "iss": SPEC_KEY["iss"],
        "aud": audience,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    }
    if alg == "ES384":
        return jwt.encode(
            claims, jwt.PyJWK(SPEC_KEY["private"]).key, algorithm=alg, headers={"kid": kid}
        )

    def b64(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")

    return f"{b64({'alg': alg, 'typ': 'JWT', 'kid': kid})}.{b64(claims)}.{base64.urlsafe_b64encode(b'x' * 64).decode().rstrip('=')}"


def _prefetch(name: str, extra_meds: list[dict[str, Any]]) -> dict[str, Any]:
    record = parse_patient(yaml.safe_load((PATIENTS / f"{name}.yaml").read_text()), today=AS_OF)
    res = [e["resource"] for e in json.loads(json.dumps(record_to_bundle(record)))["entry"]]
    meds = [r for r in res if r["resourceType"] == "MedicationStatement"] + extra_meds
    return {
        "patient": res[0],
        "medications": {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in meds],
        },
    }


def _sign(world: World, prefetch: dict[str, Any], **context: Any) -> Any:
    body = {
        "hookInstance": str(uuid.uuid4()),
        "hook": "order-sign",
        "prefetch": prefetch,
        "context": {
            "userId": "Practitioner/1",
            "patientId": "ex-1",
            "draftOrders": LDN_ORDER,
            **context,
        },
    }
    return world.client.post(
        "/cds-services/ldn-order-sign",
        json=body,
        headers={"Authorization": f"Bearer {_jwt(BASE + '/ldn-order-sign')}"},
    )


@pytest.mark.parametrize("bad", UNREADABLE, ids=lambda r: r["id"])
def test_an_unreadable_unrelated_medicine_never_removes_the_washout_card(
    world: World, bad: dict[str, Any]
) -> None:
    r = _sign(world, _prefetch("tramadol-recent", [bad]))
    assert r.status_code == 200, r.text
    cards = r.json()["cards"]
    assert cards[0]["indicator"] == "critical" and "washout" in cards[0]["summary"]
    assert any(c["indicator"] == "warning" and "could not be read" in c["summary"] for c in cards)
    clean = _sign(world, _prefetch("tramadol-recent", []))
    assert [c["summary"] for c in clean.json()["cards"]] == [cards[0]["summary"]]


def test_an_unreadable_record_answers_a_warning_never_silence(world: World) -> None:
    prefetch = _prefetch("fibromyalgia", UNREADABLE)
    prefetch["patient"] = {
        "resourceType": "Patient",
        "id": "ex-1",
    }  # no age: the record cannot be read
    r = _sign(world, prefetch)
    assert r.status_code == 200 and r.json()["cards"], r.text
    assert r.json()["cards"][0]["indicator"] in ("warning", "critical")


@pytest.mark.parametrize(
    ("alg", "kid"),
    [
        ("RS256", "example-kid"),
        ("PS384", "example-kid"),
        ("ES256", "example-kid"),
        ("ES384", "rsa-kid"),
    ],
)
def test_a_registered_key_used_with_another_algorithm_is_refused(
    world: World, alg: str, kid: str
) -> None:
    token = _jwt(BASE + "/ldn-order-sign", alg=alg, kid=kid)
    r = world.client.post(
        "/cds-services/ldn-order-sign", json={}, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 401, r.text
    assert "CDS client not trusted" in r.json()["detail"]


def test_selections_that_are_not_references_are_422(world: World) -> None:
    for selections in ([{}], "MedicationRequest/d1", [1]):
        body = {"hookInstance": str(uuid.uuid4()), "hook": "order-select", "prefetch": _prefetch("fibromyalgia", []),
                "context": {"userId": "Practitioner/1", "patientId": "ex-1", "draftOrders": LDN_ORDER,
                            "selections": selections}}  # fmt: skip
        r = world.client.post(
            "/cds-services/ldn-order-select",
            json=body,
            headers={"Authorization": f"Bearer {_jwt(BASE + '/ldn-order-select')}"},
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["loc"] == "context.selections"
