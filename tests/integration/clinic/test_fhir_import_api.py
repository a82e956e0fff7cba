"""$import-patient with patient matching (issue 23), on SQLite and PostgreSQL: identifiers first,
a demographic match only proposed (409) until a clinician confirms, never a merge on a sender's
placeholder id; the answer says what happened and lists every entry not used; kept resources
are stored with the record version."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ldn.persistence.tables import PatientIdentifier, UnmappedResource, User
from ldn.services.clinic import fhir
from ldn.services.clinic.context import Actor, Clinic
from tests.integration.clinic.helpers import World, build_world, login

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fhir"
IMPORT = "/fhir/R4/$import-patient"


@pytest.fixture
def world(clinic: Clinic) -> Iterator[World]:
    w = build_world(clinic)
    with w.client:
        yield w


def _fixture(name: str = "us-core-maria-lopez.json") -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _params(r: Any) -> dict[str, Any]:
    return {p["name"]: p for p in r.json()["parameter"]}


def _post(world: World, body: dict[str, Any], role: str = "clinician") -> Any:
    return world.client.post(IMPORT, headers=world.as_(role), json=body)


def _minimal(
    family: str,
    *,
    pid: str | None = None,
    birth: str = "1975-03-04",
    sex: str = "female",
    mrn: tuple[str, str] | None = None,
) -> dict[str, Any]:
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "gender": sex,
        "birthDate": birth,
        "name": [{"family": family, "given": ["Ann"]}],
    }
    if pid:
        patient["id"] = pid
    if mrn:
        patient["identifier"] = [
            {
                "system": mrn[0],
                "value": mrn[1],
                "type": {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}
                    ]
                },
            }
        ]
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}]}


def test_the_same_export_twice_updates_the_patient_matched_on_the_mrn(world: World) -> None:
    first = _post(world, _fixture())
    assert first.status_code == 201, first.text
    p = _params(first)
    assert p["outcome"]["valueCode"] == "created" and p["message"]["valueString"].startswith(
        "created patient"
    )
    assert (
        p["verdict"]["valueCode"] == "do_not_start_yet" and "earliestStart" in p
    )  # OxyContin three days ago
    pid = p["patient"]["valueReference"]["reference"]
    again = _post(world, _fixture())
    assert again.status_code == 200, again.text
    q = _params(again)
    assert (
        q["patient"]["valueReference"]["reference"] == pid
        and q["recordVersion"]["valueInteger"] == 2
    )
    assert q["outcome"]["valueCode"] == "updated"
    assert q["message"]["valueString"] == (
        f"updated patient {pid.split('/')[1]} (matched on MRN "
        "http://hospital.example.org/mrn|4471-0093)"
    )
    patient = world.client.get(f"/fhir/R4/{pid}", headers=world.as_("clinician")).json()
    assert patient["birthDate"] == "1980-05-01"
    assert {"system": "http://hospital.example.org/mrn", "value": "4471-0093"}.items() <= patient[
        "identifier"
    ][1].items()
    assert not any("us-ssn" in str(i) for i in patient["identifier"])


def test_the_answer_lists_every_entry_not_used_and_keeps_some(world: World) -> None:
    r = _post(world, _fixture("synthea-style-grace-okafor.json"))
    assert r.status_code == 201, r.text
    p = _params(r)
    outcome = p["issues"]["resource"]
    assert outcome["resourceType"] == "OperationOutcome"
    summary = outcome["issue"][0]["diagnostics"]
    assert summary.startswith("35 entries:") and "3 kept" in summary
    listed = {e for i in outcome["issue"][1:] for e in i.get("expression", [])}
    assert {f"Bundle.entry[{i}].resource" for i in (3, 4, 5)} <= listed  # the Encounters
    assert all(i["severity"] in ("information", "warning") for i in outcome["issue"])
    assert p["keptUnmapped"]["valueInteger"] == 3
    pid = int(p["patient"]["valueReference"]["reference"].split("/")[1])
    with world.clinic.db.transaction() as s:
        kept = s.scalars(select(UnmappedResource).where(UnmappedResource.patient_id == pid)).all()
        assert sorted(k.resource_type for k in kept) == ["Observation", "Observation", "Procedure"]
        assert {k.record_version for k in kept} == {1} and all(k.reason for k in kept)
        idents = s.scalars(
            select(PatientIdentifier).where(PatientIdentifier.patient_id == pid)
        ).all()
        assert {i.system for i in idents} == {
            "https://github.com/synthetichealth/synthea",
            "http://hospital.smarthealthit.org",
        }


def test_kept_resources_are_listed_for_the_clinician(world: World) -> None:
    r = _post(world, _fixture())
    pid = int(_params(r)["patient"]["valueReference"]["reference"].split("/")[1])
    with world.clinic.db.transaction() as s:
        doc = s.scalars(select(User).where(User.email == "clinician@demo.ldn.example")).one()
        actor = Actor(doc.id, "clinician", doc.clinic_id)
    kept = fhir.kept_resources(world.clinic, actor, pid)
    assert sorted(k["resource_type"] for k in kept) == ["AllergyIntolerance", "Observation"]
    assert all(k["record_version"] == 1 and k["reason"] for k in kept)
    assert all(k["resource"]["resourceType"] == k["resource_type"] for k in kept)


def test_patients_without_ids_or_with_the_same_local_id_never_merge(world: World) -> None:
    a = _post(world, _minimal("Adams"))
    b = _post(world, _minimal("Baker"))
    assert a.status_code == b.status_code == 201
    assert _params(a)["patient"] != _params(b)["patient"]
    # another EHR's patient with the same local Patient.id is another patient
    c = _post(world, _minimal("Chen", pid="1", mrn=("urn:ehr-a", "1")))
    d = _post(world, _minimal("Diaz", pid="1", mrn=("urn:ehr-b", "1"), birth="1990-01-01"))
    assert c.status_code == d.status_code == 201
    assert _params(c)["patient"] != _params(d)["patient"]


def test_a_demographic_match_is_proposed_and_a_clinician_confirms(world: World) -> None:
    first = _post(world, _minimal("Ólafsdóttir", mrn=("urn:ehr-a", "A-1")))
    pid = _params(first)["patient"]["valueReference"]["reference"]
    other_ehr = _minimal("Olafsdottir", mrn=("urn:ehr-b", "B-7"))
    maybe = _post(world, other_ehr)
    assert maybe.status_code == 409 and maybe.json()["resourceType"] == "OperationOutcome"
    text = maybe.json()["issue"][0]["diagnostics"]
    assert text.startswith(f"possible match: {pid}") and "confirm" in text and "mode=create" in text
    confirm = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "bundle", "resource": other_ehr},
            {"name": "patient", "valueReference": {"reference": pid}},
        ],
    }
    ok = _post(world, confirm)
    assert ok.status_code == 200, ok.text
    assert _params(ok)["matchedOn"]["valueString"].startswith("confirmed by the clinician")
    # both identifiers now name the patient: either EHR's next export matches at once
    assert (
        _params(_post(world, _minimal("Olafsdottir", mrn=("urn:ehr-b", "B-7"))))["outcome"][
            "valueCode"
        ]
        == "updated"
    )
    assert (
        _params(_post(world, _minimal("Olafsdottir", mrn=("urn:ehr-a", "A-1"))))["patient"][
            "valueReference"
        ]["reference"]
        == pid
    )
    # a different MRN of the same hospital is a different patient (twins): no proposal
    twin = _post(world, _minimal("Olafsdottir", mrn=("urn:ehr-a", "A-2")))
    assert twin.status_code == 201


def test_a_clinician_may_create_a_new_patient_instead(world: World) -> None:
    _post(world, _minimal("Evans"))
    assert _post(world, _minimal("Evans")).status_code == 409
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "bundle", "resource": _minimal("Evans")},
            {"name": "mode", "valueCode": "create"},
        ],
    }
    r = _post(world, body)
    assert r.status_code == 201 and _params(r)["outcome"]["valueCode"] == "created"


def test_an_mrn_with_a_different_birth_date_is_not_merged(world: World) -> None:
    _post(world, _minimal("Fox", mrn=("urn:ehr-a", "F-1")))
    r = _post(world, _minimal("Fox", mrn=("urn:ehr-a", "F-1"), birth="1999-09-09"))
    assert r.status_code == 409 and "birth date" in r.json()["issue"][0]["diagnostics"]


def test_identifiers_of_two_patients_conflict(world: World) -> None:
    _post(world, _minimal("Gray", mrn=("urn:ehr-a", "G-1")))
    _post(world, _minimal("Hill", mrn=("urn:ehr-b", "H-1"), birth="1960-01-01"))
    both = _minimal("Gray", mrn=("urn:ehr-a", "G-1"))
    both["entry"][0]["resource"]["identifier"].append({"system": "urn:ehr-b", "value": "H-1"})
    r = _post(world, both)
    assert r.status_code == 409 and "different patients" in r.json()["issue"][0]["diagnostics"]


def test_matching_stays_inside_the_clinic(world: World) -> None:
    """Another clinic's patient is never a match, nor can it be confirmed as one."""
    body = _minimal("Zed", mrn=("urn:ehr-a", "Z-1"))
    ours = _post(world, body)
    assert ours.status_code == 201
    other = login(world.client, "doc@other.example")
    theirs = world.client.post(IMPORT, headers=other, json=copy.deepcopy(body))
    assert theirs.status_code == 201 and _params(theirs)["patient"] != _params(ours)["patient"]
    confirm = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "bundle", "resource": body},
            {"name": "patient", "valueReference": {"reference": f"Patient/{world.foreign}"}},
        ],
    }
    assert _post(world, confirm).status_code == 404
    assert _post(world, body, role="patient").status_code == 403


def test_bad_parameters_are_named(world: World) -> None:
    r = _post(
        world,
        {
            "resourceType": "Parameters",
            "parameter": [{"name": "patient", "valueReference": {"reference": "Patient/x"}}],
        },
    )
    assert r.status_code == 422 and r.json()["issue"][0]["expression"] == [
        "Parameters.parameter[0].valueReference"
    ]
    r = _post(
        world,
        {"resourceType": "Parameters", "parameter": [{"name": "mode", "valueCode": "create"}]},
    )
    assert r.status_code == 422 and "no Bundle" in r.json()["issue"][0]["diagnostics"]
