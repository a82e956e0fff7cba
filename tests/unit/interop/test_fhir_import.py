"""FHIR import with real-shaped Bundles (tests/fixtures/fhir): every entry accounted for,
identifiers and birth dates kept, required codes refused by name, allergies, merging into the
matched patient's record, content-keyed logical ids, the body weight vital sign."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from fhir.resources.R4B import get_fhir_model_class

from ldn.domain.errors import InputError
from ldn.domain.patient import parse_patient
from ldn.domain.screening import screen
from ldn.interop.r4 import record_to_bundle
from ldn.interop.r4.codes import BODYWEIGHT_PROFILE
from ldn.interop.r4.export import record_resources
from ldn.interop.r4.importer import BundleRead, family_key, issues_outcome, read_bundle
from tests.conftest import AS_OF, PATIENTS

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fhir"


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


US_CORE = "us-core-maria-lopez.json"
SYNTHEA = "synthea-style-grace-okafor.json"


def _issue(read: BundleRead, text: str) -> tuple[str, ...]:
    """The entries an issue whose message contains ``text`` names."""
    found = [i for i in read.issues if text in i.message]
    assert found, f"no issue about {text!r}: {[i.message for i in read.issues]}"
    return tuple(loc for i in found for loc in i.locs)


@pytest.mark.parametrize("name", [US_CORE, SYNTHEA])
def test_fixtures_are_valid_fhir(name: str) -> None:
    """The hand-written fixtures (README.md) hold valid resources, checked by fhir.resources."""
    bundle = _fixture(name)
    get_fhir_model_class("Bundle").model_validate({**bundle, "entry": []})
    for entry in bundle["entry"]:
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])


@pytest.mark.parametrize("name", [US_CORE, SYNTHEA])
def test_every_entry_is_used_kept_or_listed(name: str) -> None:
    bundle = _fixture(name)
    read = read_bundle(bundle, today=AS_OF)
    listed = {loc for i in read.issues for loc in i.locs if loc.endswith("].resource")}
    kept = {k.loc for k in read.kept}
    assert kept <= listed, "a kept resource is also listed in the answer"
    summary = issues_outcome(read)["issue"][0]["diagnostics"]
    used = read.entries - len(read.kept) - read.ignored
    assert summary.startswith(f"{len(bundle['entry'])} entries: {used} used, {len(read.kept)} kept")
    assert used + len(read.kept) + read.ignored == len(bundle["entry"])
    # every entry not listed was used: its data is in the record
    unlisted = {f"Bundle.entry[{i}].resource" for i in range(len(bundle["entry"]))} - listed
    assert len(unlisted) == used


def test_a_us_core_export_keeps_the_mrn_and_birth_date_and_finds_the_opioid() -> None:
    read = read_bundle(_fixture(US_CORE), today=AS_OF)
    record = read.record
    assert [(i.system, i.value, i.type) for i in record.identifiers] == [
        ("http://hospital.example.org/mrn", "4471-0093", "MR")
    ]
    assert "social security number" in " ".join(
        i.message for i in read.issues
    )  # not stored, and said so
    assert record.birth_date == date(1980, 5, 1) and record.age_years == 46
    assert read.patient.family == "Lopez" and read.patient.source_id == "example-mrn-4471"
    oxy, tramadol = record.medications
    assert oxy.is_opioid and oxy.last_dose == date(2026, 11, 22)  # OxyContin, ended three days ago
    assert tramadol.is_opioid, "medicationReference to a Medication coded only in RxNorm"
    report = screen(record, today=AS_OF)
    assert report.verdict == "do_not_start_yet" and report.earliest_start is not None
    assert _issue(read, "system ldn does not read") == ("Bundle.entry[2].resource.code",)
    assert ("other", "Chronic low back pain, mechanical") in [
        (c.code, c.display) for c in record.conditions
    ]
    assert "Intolerance to morphine recorded in the EHR" in record.notes
    assert _issue(read, "opioid allergy") == ("Bundle.entry[7].resource",)
    assert _issue(read, "pain score") == ("Bundle.entry[6].resource",)  # no pain history to hold it
    assert _issue(read, "Encounter") == ("Bundle.entry[8].resource",)


def test_a_synthea_style_bundle_reads_the_newest_results_and_lists_the_rest() -> None:
    read = read_bundle(_fixture(SYNTHEA), today=AS_OF)
    record = read.record
    assert record.weight_kg == 78.4  # the newest of three
    lt = record.liver_tests
    assert (
        lt is not None and lt.alt_u_per_l == 31.0 and lt.bilirubin_umol_per_l == 13.68
    )  # 0.8 mg/dL
    assert len(_issue(read, "older result")) == 4  # two older weights, two older pain scores
    assert len(_issue(read, "Body Height")) == 3 and len(_issue(read, "Encounter")) == 3
    assert _issue(read, "PHQ-2")  # a questionnaire score: kept for the clinician
    hydrocodone = [m for m in record.medications if "Hydrocodone" in m.name]
    assert len(hydrocodone) == 1 and hydrocodone[0].is_opioid  # two prescriptions, one medicine
    assert _issue(read, "same medicine")
    assert {i.type for i in record.identifiers} == {"", "MR"}  # no SSN, licence or passport
    assert read.patient.family_key == "okafor"  # Synthea's digits folded away
    assert record.display_name == "Grace456 Okafor123" and record.age_years == 55
    assert not [
        k for k in read.kept if k.resource["resourceType"] in ("Encounter", "Claim", "Provenance")
    ]


def _with(bundle: dict[str, Any], index: int, **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(bundle)
    out["entry"][index]["resource"].update(changes)
    return out


@pytest.mark.parametrize(
    ("index", "changes", "loc"),
    [
        (3, {"status": "bogus"}, "Bundle.entry[3].resource.status"),
        (
            1,
            {"clinicalStatus": {"coding": [{"code": "bogus"}]}},
            "Bundle.entry[1].resource.clinicalStatus",
        ),
        (6, {"status": "done"}, "Bundle.entry[6].resource.status"),
        (7, {"criticality": "severe"}, "Bundle.entry[7].resource.criticality"),
        (0, {"gender": "f"}, "Bundle.entry[0].resource.gender"),
    ],
)
def test_a_code_outside_a_required_binding_is_refused_by_name(
    index: int, changes: dict[str, Any], loc: str
) -> None:
    with pytest.raises(InputError) as err:
        read_bundle(_with(_fixture(US_CORE), index, **changes), today=AS_OF)
    assert [p.loc for p in err.value.problems] == [loc]
    assert (
        "required binding" in err.value.problems[0].fix or "use one of" in err.value.problems[0].fix
    )


def test_a_resource_about_another_patient_is_refused() -> None:
    bundle = _with(_fixture(US_CORE), 3, subject={"reference": "Patient/someone-else"})
    with pytest.raises(InputError) as err:
        read_bundle(bundle, today=AS_OF)
    assert err.value.problems[0].loc == "Bundle.entry[3].resource.subject"


def test_an_unreadable_medication_reference_is_kept_unnamed_for_review() -> None:
    bundle = _with(
        _fixture(US_CORE), 4, medicationReference={"reference": "Medication/not-in-bundle"}
    )
    read = read_bundle(bundle, today=AS_OF)
    names = [m.name for m in read.record.medications]
    assert "unnamed medicine (reference Medication/not-in-bundle)" in names
    assert _issue(read, "not in the Bundle") == ("Bundle.entry[4].resource.medicationReference",)
    assert _issue(read, "no MedicationStatement")  # the Medication nobody refers to now


def test_an_allergy_to_naltrexone_sets_hypersensitivity() -> None:
    bundle = _with(
        _fixture(US_CORE),
        7,
        code={
            "coding": [
                {
                    "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                    "code": "7243",
                    "display": "naltrexone",
                }
            ]
        },
    )
    read = read_bundle(bundle, today=AS_OF)
    assert read.record.naltrexone_hypersensitivity
    assert screen(read.record, today=AS_OF).verdict == "contraindicated"
    refuted = copy.deepcopy(bundle)
    refuted["entry"][7]["resource"]["verificationStatus"]["coding"][0]["code"] = "refuted"
    assert not read_bundle(refuted, today=AS_OF).record.naltrexone_hypersensitivity


def test_an_update_keeps_what_the_bundle_cannot_carry() -> None:
    """Merged into the matched record: pain history, reviews, medicines the EHR does not list."""
    current = read_bundle(_fixture(US_CORE), today=AS_OF).record
    data = current.model_dump(mode="json")
    data["pain"] = {"duration_months": 30, "locations": ["lower_back"]}
    data["medications"].append({"name": "Kratom tea", "status": "current"})
    data["medications"][1]["review"] = {
        "contains_opioid": True,
        "reviewed_by": "Dr Lee",
        "reviewed_on": "2026-11-24",
    }
    data["identifiers"].append({"system": "urn:other-ehr", "value": "A-9"})
    current = parse_patient(data, today=AS_OF)
    again = read_bundle(_fixture(US_CORE), today=AS_OF, current=current)
    record = again.record
    assert (
        record.pain is not None
        and record.pain.duration_months == 30
        and record.pain.average_nrs == 7
    )
    assert _issue(again, "newest 0-10 pain score") == ("Bundle.entry[6].resource",)
    assert [m.name for m in record.medications][-1] == "Kratom tea" and _issue(again, "Kratom tea")
    assert (
        record.medications[1].review is not None
        and record.medications[1].review.reviewed_by == "Dr Lee"
    )
    assert {i.system for i in record.identifiers} == {
        "urn:other-ehr",
        "http://hospital.example.org/mrn",
    }
    assert record.notes.count("Intolerance to morphine") == 1
    no_birth = copy.deepcopy(_fixture(US_CORE))
    del no_birth["entry"][0]["resource"]["birthDate"]
    assert read_bundle(no_birth, today=AS_OF, current=current).record.birth_date == date(1980, 5, 1)


def test_identifiers_and_birth_date_round_trip_and_age_follows_the_birth_date() -> None:
    record = parse_patient(
        yaml.safe_load((PATIENTS / "fibromyalgia.yaml").read_text()), today=AS_OF
    )
    data = record.model_dump(mode="json") | {
        "birth_date": "1970-11-26",
        "identifiers": [{"system": "urn:mrn", "value": "77", "type": "MR"}],
    }
    record = parse_patient(data, today=AS_OF)
    assert record.age_years == 55  # one day before the 56th birthday
    bundle = json.loads(json.dumps(record_to_bundle(record)))
    patient = bundle["entry"][0]["resource"]
    assert (
        patient["birthDate"] == "1970-11-26"
        and patient["identifier"][1]["type"]["coding"][0]["code"] == "MR"
    )
    assert read_bundle(bundle, today=AS_OF).record == record
    assert parse_patient(data, today=date(2026, 11, 26)).age_years == 56


def test_logical_ids_name_the_content_not_the_position() -> None:
    record = parse_patient(
        yaml.safe_load((PATIENTS / "fibromyalgia.yaml").read_text()), today=AS_OF
    )
    ids = {r["id"] for r in record_resources(record, fid="16")}
    data = record.model_dump(mode="json")
    first = data["conditions"].pop(0)
    fewer = {r["id"] for r in record_resources(parse_patient(data, today=AS_OF), fid="16")}
    assert fewer < ids, "removing one condition changes no other resource's id"
    assert f"16-condition-{first['code'].replace('_', '-')}" in ids - fewer


def test_the_weight_is_a_vital_sign_with_a_date() -> None:
    record = parse_patient(
        yaml.safe_load((PATIENTS / "fibromyalgia.yaml").read_text()), today=AS_OF
    )
    record = record.model_copy(update={"weight_kg": 70.0})
    weight = next(
        r for r in record_resources(record, fid="3", recorded=AS_OF) if r["id"] == "3-weight"
    )
    assert weight["category"][0]["coding"][0]["code"] == "vital-signs"
    assert weight["effectiveDateTime"] == AS_OF.isoformat() and weight["meta"]["profile"] == [
        BODYWEIGHT_PROFILE
    ]
    get_fhir_model_class("Observation").model_validate(weight)


def test_family_key_folds_accents_case_and_digits() -> None:
    assert family_key("García Pérez") == "garciaperez" and family_key("Okafor123") == "okafor"
    assert family_key("123") is None


@pytest.mark.parametrize(
    ("element", "value"),
    [
        ("medicationCodeableConcept", "oxycodone"),
        ("medicationReference", "Medication/oxy"),
        ("medicationCodeableConcept", ["oxycodone"]),
    ],
)
def test_a_malformed_medicine_in_a_dispense_is_read_as_text_never_a_crash(
    element: str, value: Any
) -> None:
    """MedicationDispense/Administration are kept unread and validated shallowly: a medicine
    element that is not a JSON object must neither crash the import (a 500) nor hide an opioid
    named in its text (a door that fails closed)."""
    bundle = _fixture(US_CORE)
    dispense = {
        "resourceType": "MedicationDispense",
        "id": "d1",
        "status": "completed",
        "subject": {"reference": bundle["entry"][0]["fullUrl"]},
        element: value,
    }
    bundle["entry"].append({"fullUrl": "urn:uuid:d1", "resource": dispense})
    read = read_bundle(bundle, today=AS_OF)
    loc = f"Bundle.entry[{len(bundle['entry']) - 1}].resource"
    assert _issue(read, "not a ")[0].startswith(f"{loc}.{element}")
    assert loc in {k.loc for k in read.kept}
    if value == "oxycodone":
        assert _issue(read, "an opioid or naltrexone in a MedicationDispense") == (loc,)
