"""FHIR R4 mapping: lossless round trips, validation by fhir.resources, foreign Bundles, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fhir.resources.R4B.bundle import Bundle

from ldn.domain.errors import InputError
from ldn.domain.patient import PatientRecord, parse_patient
from ldn.domain.screening import screen
from ldn.interop.r4 import bundle_to_record, record_to_bundle, validated
from ldn.interop.r4.clinic import care_plan, diary_observation, medication_request
from ldn.interop.r4.codes import ICD10, LOINC, SNOMED
from ldn.interop.r4.importer import read_bundle
from tests.conftest import AS_OF, PATIENTS

EXAMPLES = sorted(PATIENTS.glob("*.yaml"))


def _record(path: Path) -> PatientRecord:
    return parse_patient(yaml.safe_load(path.read_text(encoding="utf-8")), today=AS_OF)


def _wire(bundle: dict[str, Any]) -> dict[str, Any]:
    """As it travels: JSON text and back."""
    return json.loads(json.dumps(bundle))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_round_trip_is_lossless_and_screens_the_same(path: Path) -> None:
    record = _record(path)
    bundle = _wire(record_to_bundle(record))
    Bundle.model_validate(bundle)  # valid for fhir.resources on its own
    back = bundle_to_record(bundle, today=AS_OF)
    assert back == record
    assert screen(back, today=AS_OF).verdict == screen(record, today=AS_OF).verdict


def test_every_mapped_type_is_present_and_coded() -> None:
    bundle = record_to_bundle(_record(PATIENTS / "fibromyalgia.yaml"))
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds[0] == "Patient"
    assert {"Condition", "MedicationStatement", "Observation", "QuestionnaireResponse"} <= set(
        kinds
    )
    fm = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition"
    )
    systems = {c["system"]: c["code"] for c in fm["code"]["coding"]}
    assert systems[ICD10] == "M79.7" and systems[SNOMED] == "203082005"
    pain = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and any(c["code"] == "72514-3" for c in e["resource"]["code"]["coding"])
    ]
    assert sorted(p["valueQuantity"]["value"] for p in pain) == [6.5, 8.0]
    assert all(c["system"] == LOINC for p in pain for c in p["code"]["coding"][:1])


def _foreign_bundle(**patient: Any) -> dict[str, Any]:
    """A Bundle as another EHR would send it: standard codes only, no ldn extensions."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Patient",
                    "id": "p1",
                    "gender": "female",
                    "birthDate": "1980-05-01",
                    "name": [{"given": ["Maria"], "family": "Lopez"}],
                    **patient,
                }
            },
            {
                "resource": {
                    "resourceType": "Condition",
                    "id": "c1",
                    "subject": {"reference": "Patient/p1"},
                    "clinicalStatus": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                "code": "active",
                            }
                        ]
                    },
                    "code": {
                        "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M79.7"}]
                    },
                }
            },
            {
                "resource": {
                    "resourceType": "Condition",
                    "id": "c2",
                    "subject": {"reference": "Patient/p1"},
                    "code": {
                        "coding": [
                            {
                                "system": "http://hl7.org/fhir/sid/icd-10",
                                "code": "J45.9",
                                "display": "Asthma",
                            }
                        ]
                    },
                }
            },
            {
                "resource": {
                    "resourceType": "MedicationStatement",
                    "id": "m1",
                    "status": "active",
                    "subject": {"reference": "Patient/p1"},
                    "medicationCodeableConcept": {"text": "Tramadol 50 mg capsule"},
                    "effectivePeriod": {"end": "2026-11-24"},
                    "dosage": [
                        {
                            "doseAndRate": [
                                {
                                    "doseQuantity": {
                                        "value": 50,
                                        "unit": "mg",
                                        "system": "http://unitsofmeasure.org",
                                        "code": "mg",
                                    }
                                }
                            ]
                        }
                    ],
                }
            },
        ],
    }


def test_a_bundle_from_another_ehr_imports_by_its_standard_codes() -> None:
    record = bundle_to_record(_foreign_bundle(), today=AS_OF)
    assert (
        record.age_years == 46 and record.display_name == "Maria Lopez" and record.sex == "female"
    )
    assert [(c.code, c.display) for c in record.conditions] == [
        ("fibromyalgia", None),
        ("other", "Asthma"),
    ]
    assert record.medications[0].dose is not None and record.medications[0].dose.mg == 50
    report = screen(record, today=AS_OF)
    assert report.verdict == "do_not_start_yet"  # tramadol: washout first


def test_an_invalid_resource_is_refused_naming_the_element() -> None:
    bundle = _foreign_bundle()
    bundle["entry"][1]["resource"]["clinicalStatus"] = "active"  # must be a CodeableConcept
    del bundle["entry"][3]["resource"]["subject"]  # required
    with pytest.raises(InputError) as err:
        bundle_to_record(bundle, today=AS_OF)
    locs = [p.loc for p in err.value.problems]
    assert "Bundle.entry[1].resource.clinicalStatus" in locs
    assert "Bundle.entry[3].resource.subject" in locs


def test_a_condition_in_a_local_code_system_is_kept_as_other_with_a_warning() -> None:
    """Not refused whole (issue 23): the condition stays visible, as 'other' with its text."""
    bundle = _foreign_bundle()
    bundle["entry"][1]["resource"]["code"] = {
        "coding": [
            {"system": "http://example.org/local-codes", "code": "FM", "display": "Fibro (local)"}
        ]
    }
    read = read_bundle(bundle, today=AS_OF)
    assert ("other", "Fibro (local)") in [(c.code, c.display) for c in read.record.conditions]
    warning = next(i for i in read.issues if i.severity == "warning")
    assert warning.locs == ("Bundle.entry[1].resource.code",) and "ICD-10" in warning.message


def test_a_bundle_without_a_patient_or_age_is_refused() -> None:
    no_patient = {"resourceType": "Bundle", "type": "collection", "entry": []}
    with pytest.raises(InputError, match="Patient"):
        bundle_to_record(no_patient, today=AS_OF)
    with pytest.raises(InputError, match="age"):
        bundle_to_record(_foreign_bundle(birthDate=None), today=AS_OF)


def test_clinic_resources_validate() -> None:
    """Diary day, prescription and titration plan as FHIR, each valid for fhir.resources."""
    validated(diary_observation({"date": "2026-11-20", "pain_avg": 4.5}, "7"))
    validated(
        medication_request(
            {
                "id": 3,
                "status": "issued",
                "created_at": "2026-11-25",
                "form": "capsule",
                "strengths_mg": [1.5, 3.0, 4.5],
                "text": "Rx",
            },
            "7",
        )
    )
    plan = {"id": 2, "status": "active", "version": 1, "plan": {"assessment_date": "2027-02-01", "steps": [
        {"dose_mg": 1.5, "start": "2026-11-25", "timing": "bedtime", "reason": "start"},
        {"dose_mg": 4.5, "start": "2026-12-09", "timing": "bedtime", "reason": ""}]}}  # fmt: skip
    cp = validated(care_plan(plan, "7"))
    assert [a["detail"]["scheduledPeriod"] for a in cp["activity"]] == [
        {"start": "2026-11-25", "end": "2026-12-09"},
        {"start": "2026-12-09"},
    ]


def test_the_cli_exports_and_imports(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "b.json"
    code, _, err = cli(
        "fhir",
        "export",
        str(PATIENTS / "liver-failure.yaml"),
        "--as-of",
        "2026-11-25",
        "--out",
        str(out),
    )
    assert code == 0, err
    code, stdout, _ = cli("fhir", "import", str(out), "--as-of", "2026-11-25", "--json")
    assert code == 0 and json.loads(stdout)["verdict"] == "contraindicated"
    out.write_text(
        '{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Condition"}}]}'
    )
    code, _, err = cli("fhir", "import", str(out))
    assert code == 2 and "entry[0].resource" in err and "Traceback" not in err


def _with_medication(concept: dict[str, Any]) -> dict[str, Any]:
    bundle = _foreign_bundle()
    bundle["entry"][3]["resource"]["medicationCodeableConcept"] = concept
    return bundle


@pytest.mark.parametrize(
    "concept",
    [
        {"text": "OxyContin 10 mg"},
        {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "7804"}]},
        {
            "coding": [
                {"system": "http://www.whocc.no/atc", "code": "N02AA05", "display": "oxycodone"}
            ]
        },
        {
            "coding": [{"system": "http://www.whocc.no/atc", "code": "N02AX99"}]
        },  # unlisted, still in N02A
        {
            "coding": [
                {
                    "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                    "code": "1049621",
                    "display": "oxycodone hydrochloride 5 MG Oral Tablet",
                }
            ]
        },
    ],
)
def test_an_imported_opioid_is_found_by_code_or_text(concept: dict[str, Any]) -> None:
    record = bundle_to_record(_with_medication(concept), today=AS_OF)
    assert record.medications[0].is_opioid
    assert screen(record, today=AS_OF).verdict == "do_not_start_yet"


@pytest.mark.parametrize(
    "concept",
    [
        {"text": "Vexorin 20 mg"},
        {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "99999999"}]},
    ],
)
def test_an_imported_medicine_ldn_cannot_read_goes_to_review(concept: dict[str, Any]) -> None:
    bundle = _with_medication(concept)
    del bundle["entry"][3]["resource"]["effectivePeriod"]
    record = bundle_to_record(bundle, today=AS_OF)
    assert len(record.medications) == 1, "a medicine without a readable name is kept, not dropped"
    report = screen(record, today=AS_OF)
    assert report.verdict == "needs_clinician_review"
    assert any(f.code == "MEDICATION_NOT_IDENTIFIED" for f in report.findings)


def test_a_clinician_review_and_codes_survive_the_round_trip() -> None:
    record = _record(PATIENTS / "fibromyalgia.yaml")
    data = record.model_dump(mode="json")
    data["medications"].append(
        {
            "name": "Vexorin",
            "codes": [{"system": "urn:local", "code": "V1"}],
            "review": {
                "contains_opioid": False,
                "reviewed_by": "Dr Lee",
                "reviewed_on": "2026-11-20",
            },
        }
    )
    data["renal_function"] = {"egfr_ml_min_1_73m2": 42, "date": "2026-11-01"}
    data["naloxone_challenge"] = {"date": "2026-11-20", "result": "negative"}
    record = parse_patient(data, today=AS_OF)
    back = bundle_to_record(_wire(record_to_bundle(record)), today=AS_OF)
    assert back == record


def test_egfr_is_read_from_loinc() -> None:
    bundle = _foreign_bundle()
    bundle["entry"].append(
        {
            "resource": {
                "resourceType": "Observation",
                "id": "o1",
                "status": "final",
                "subject": {"reference": "Patient/p1"},
                "effectiveDateTime": "2026-11-10",
                "code": {"coding": [{"system": LOINC, "code": "98979-8"}]},
                "valueQuantity": {"value": 24, "unit": "mL/min/{1.73_m2}"},
            }
        }
    )
    record = bundle_to_record(bundle, today=AS_OF)
    assert record.renal_function is not None and record.renal_function.egfr_ml_min_1_73m2 == 24
    assert screen(record, today=AS_OF).verdict == "contraindicated"
