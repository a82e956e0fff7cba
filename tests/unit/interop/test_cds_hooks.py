"""CDS Hooks 2.0 services on spec-shaped requests; every response validated against a JSON
Schema written from the specification's tables, which the specification's own examples pass."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from ldn.domain.errors import InputError
from ldn.domain.patient import parse_patient
from ldn.interop.cds_hooks import MissingPrefetch, call_service, discovery
from ldn.interop.r4 import record_to_bundle
from tests.conftest import AS_OF, PATIENTS

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cds_hooks"
RESPONSE = json.loads((FIXTURES / "cds-response.schema.json").read_text())
DISCOVERY = json.loads((FIXTURES / "cds-discovery.schema.json").read_text())


def _valid(schema: dict[str, Any], doc: Any) -> None:
    jsonschema.validate(doc, schema, format_checker=jsonschema.FormatChecker())


def test_the_schemas_accept_the_specification_examples() -> None:
    _valid(RESPONSE, json.loads((FIXTURES / "spec-response.json").read_text()))
    _valid(DISCOVERY, json.loads((FIXTURES / "spec-discovery.json").read_text()))
    with pytest.raises(jsonschema.ValidationError):
        _valid(
            RESPONSE, {"cards": [{"summary": "x", "indicator": "urgent", "source": {"label": "s"}}]}
        )


def test_discovery_lists_the_three_services_with_prefetch() -> None:
    doc = discovery()
    _valid(DISCOVERY, doc)
    hooks = {s["id"]: s["hook"] for s in doc["services"]}
    assert hooks == {
        "ldn-candidacy": "patient-view",
        "ldn-order-select": "order-select",
        "ldn-order-sign": "order-sign",
    }
    assert all("{{context.patientId}}" in s["prefetch"]["patient"] for s in doc["services"])


def _prefetch(name: str) -> dict[str, Any]:
    """The example patient as an EHR would prefetch it: searchset Bundles per key."""
    record = parse_patient(yaml.safe_load((PATIENTS / f"{name}.yaml").read_text()), today=AS_OF)
    resources = [e["resource"] for e in record_to_bundle(record)["entry"]]

    def searchset(kind: str) -> dict[str, Any]:
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in resources if r["resourceType"] == kind],
        }

    return {
        "patient": resources[0],
        "conditions": searchset("Condition"),
        "medications": searchset("MedicationStatement"),
        "observations": searchset("Observation"),
    }


def _request(hook: str, prefetch: dict[str, Any], **context: Any) -> dict[str, Any]:
    return {
        "hookInstance": str(uuid.uuid4()),
        "hook": hook,
        "context": {"userId": "Practitioner/example", "patientId": "ex-1", **context},
        "prefetch": prefetch,
    }


@pytest.mark.parametrize(
    ("name", "indicator", "words"),
    [
        ("fibromyalgia", "info", "may be a candidate"),
        ("knee-osteoarthritis", "warning", "unlikely to benefit"),
        ("tramadol-recent", "warning", "do not start yet (earliest start 2026-12-04)"),
        ("liver-failure", "critical", "contraindicated"),
    ],
)
def test_patient_view_gives_the_verdict_card_with_its_source(
    name: str, indicator: str, words: str
) -> None:
    out = call_service(
        "ldn-candidacy",
        _request("patient-view", _prefetch(name)),
        today=AS_OF,
        app_url="https://ldn.example.org",
    )
    _valid(RESPONSE, out)
    first = out["cards"][0]
    assert first["indicator"] == indicator and words in first["summary"]
    assert first["source"]["label"] and first["links"][0]["type"] == "absolute"
    assert "does not replace" in first["detail"]


def test_patient_view_without_prefetch_answers_412_and_the_spec_example_is_such_a_request() -> None:
    spec = json.loads((FIXTURES / "spec-request-patient-view.json").read_text())
    with pytest.raises(MissingPrefetch) as err:
        call_service("ldn-candidacy", spec, today=AS_OF)
    assert set(err.value.keys) == {"patient", "conditions", "medications"}
    failed = _prefetch("fibromyalgia") | {
        "conditions": {"resourceType": "OperationOutcome", "issue": []}
    }
    with pytest.raises(MissingPrefetch, match="conditions"):
        call_service("ldn-candidacy", _request("patient-view", failed), today=AS_OF)


def test_a_request_missing_required_fields_is_refused_by_name() -> None:
    req = _request("patient-view", _prefetch("fibromyalgia"))
    del req["hookInstance"]
    with pytest.raises(InputError) as err:
        call_service("ldn-candidacy", req, today=AS_OF)
    assert err.value.problems[0].loc == "hookInstance"
    req = _request("order-sign", _prefetch("fibromyalgia"))
    with pytest.raises(InputError, match="draftOrders"):
        call_service("ldn-order-sign", req, today=AS_OF)
    with pytest.raises(InputError, match="hook"):
        call_service("ldn-order-sign", _request("patient-view", {}), today=AS_OF)


def _order(text: str, rid: str = "draft-1") -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "MedicationRequest",
                    "id": rid,
                    "status": "draft",
                    "intent": "order",
                    "subject": {"reference": "Patient/ex-1"},
                    "medicationCodeableConcept": {"text": text},
                }
            }
        ],
    }


def test_a_naltrexone_order_inside_the_opioid_washout_is_critical() -> None:
    out = call_service(
        "ldn-order-sign",
        _request(
            "order-sign",
            _prefetch("tramadol-recent"),
            draftOrders=_order("Naltrexone 1.5 mg capsule"),
        ),
        today=AS_OF,
    )
    _valid(RESPONSE, out)
    assert [c["indicator"] for c in out["cards"]] == ["critical"]
    assert "washout" in out["cards"][0]["summary"] and "2026-12-04" in out["cards"][0]["summary"]
    assert out["cards"][0]["source"]["label"]
    quiet = call_service(
        "ldn-order-sign",
        _request(
            "order-sign", _prefetch("fibromyalgia"), draftOrders=_order("Naltrexone 1.5 mg capsule")
        ),
        today=AS_OF,
    )
    assert quiet == {"cards": []}


def test_an_opioid_order_for_a_patient_on_ldn_warns() -> None:
    pre = _prefetch("fibromyalgia")
    pre["medications"]["entry"].append(
        {
            "resource": {
                "resourceType": "MedicationStatement",
                "id": "ldn",
                "status": "active",
                "subject": {"reference": "Patient/ex-fibromyalgia"},
                "medicationCodeableConcept": {"text": "naltrexone 4.5 mg capsule"},
            }
        }
    )
    req = _request(
        "order-select",
        pre,
        draftOrders=_order("Oxycodone 5 mg tablet"),
        selections=["MedicationRequest/draft-1"],
    )
    out = call_service("ldn-order-select", req, today=AS_OF)
    _valid(RESPONSE, out)
    assert [c["indicator"] for c in out["cards"]] == ["warning"]
    assert "naltrexone" in out["cards"][0]["summary"] and "3 days" in out["cards"][0]["detail"]


def _statement(rid: str, concept: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "resource": {
            "resourceType": "MedicationStatement",
            "id": rid,
            "status": "active",
            "subject": {"reference": "Patient/ex-fibromyalgia"},
            "medicationCodeableConcept": concept,
            **extra,
        }
    }


@pytest.mark.parametrize(
    "concept",
    [
        {"text": "Percocet 5/325"},
        {"text": "Butrans 10 mcg/h"},
        {"coding": [{"system": "http://www.whocc.no/atc", "code": "N02AJ06"}]},
        {
            "coding": [
                {
                    "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                    "code": "7804",
                    "display": "oxycodone",
                }
            ]
        },
    ],
)
def test_a_naltrexone_order_finds_coded_and_text_only_opioids(concept: dict[str, Any]) -> None:
    pre = _prefetch("fibromyalgia")
    pre["medications"]["entry"].append(_statement("opioid", concept))
    out = call_service(
        "ldn-order-sign",
        _request("order-sign", pre, draftOrders=_order("naltrexone 4.5 mg")),
        today=AS_OF,
    )
    _valid(RESPONSE, out)
    assert [c["indicator"] for c in out["cards"]] == ["critical"], out


def test_a_naltrexone_order_with_an_unreadable_medicine_warns_never_silence() -> None:
    pre = _prefetch("fibromyalgia")
    pre["medications"]["entry"].append(_statement("unknown", {"text": "Zorvexa 20 mg"}))
    pre["medications"]["entry"].append(
        _statement("nameless", {"coding": [{"system": "urn:local", "code": "X1"}]})
    )
    out = call_service(
        "ldn-order-sign",
        _request("order-sign", pre, draftOrders=_order("naltrexone 4.5 mg")),
        today=AS_OF,
    )
    _valid(RESPONSE, out)
    summaries = [c["summary"] for c in out["cards"]]
    assert len(summaries) == 2 and all("could not be identified" in s for s in summaries)
    assert all(c["indicator"] == "warning" for c in out["cards"])


def test_a_coded_naltrexone_order_is_recognised_by_its_code() -> None:
    order = _order("")
    order["entry"][0]["resource"]["medicationCodeableConcept"] = {
        "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "7243"}]
    }
    out = call_service(
        "ldn-order-sign",
        _request("order-sign", _prefetch("tramadol-recent"), draftOrders=order),
        today=AS_OF,
    )
    assert [c["indicator"] for c in out["cards"]] == ["critical"]


def test_an_unreadable_order_for_a_patient_on_ldn_warns() -> None:
    pre = _prefetch("fibromyalgia")
    pre["medications"]["entry"].append(_statement("ldn", {"text": "low dose naltrexone 4.5 mg"}))
    req = _request(
        "order-select",
        pre,
        draftOrders=_order("Qwixolam 10 mg"),
        selections=["MedicationRequest/draft-1"],
    )
    out = call_service("ldn-order-select", req, today=AS_OF)
    _valid(RESPONSE, out)
    assert [c["indicator"] for c in out["cards"]] == ["warning"]
    assert "cannot identify" in out["cards"][0]["summary"]
