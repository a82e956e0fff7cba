"""The patient record: examples load; bad input names the field and the fix."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ldn.domain.documents import parse_document
from ldn.domain.errors import DataFileError, InputError
from ldn.domain.patient import Dose, parse_patient
from ldn.services.standalone.files import load_patient_file
from tests.conftest import AS_OF, PATIENTS

REQUIRED = {
    "fibromyalgia.yaml",
    "chronic-migraine-moh.yaml",
    "knee-osteoarthritis.yaml",
    "tramadol-recent.yaml",
    "liver-failure.yaml",
}

BASE = {"id": "p1", "age_years": 40, "sex": "female"}


def test_required_examples_exist() -> None:
    assert {p.name for p in PATIENTS.glob("*.yaml")} >= REQUIRED


@pytest.mark.parametrize("path", sorted(PATIENTS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_loads(path: Path) -> None:
    record = load_patient_file(path, today=AS_OF)
    assert record.id.startswith("ex-")


def test_drug_class_is_inferred_from_the_name() -> None:
    rec = load_patient_file(PATIENTS / "tramadol-recent.yaml", today=AS_OF)
    assert rec.medications[0].drug_class == "tramadol"


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [("50 mg", 50, "mg"), ("4.5mg", 4.5, "mg"), ("25 µg/h", 25, "mcg/h"), ("5 ml", 5, "mL")],
)
def test_dose_text(text: str, value: float, unit: str) -> None:
    dose = Dose.model_validate(text)
    assert (dose.value, dose.unit) == (value, unit)


def _problem(data: dict[str, object]) -> str:
    with pytest.raises(InputError) as info:
        parse_patient(data, today=AS_OF, origin="p.yaml")
    assert len(info.value.lines()) == 1
    return info.value.lines()[0]


def test_negative_age_names_the_field() -> None:
    line = _problem({**BASE, "age_years": -3})
    assert line.startswith("p.yaml: age_years:")
    assert "greater than or equal to 0" in line


def test_unknown_field_names_it() -> None:
    line = _problem({**BASE, "favourite_colour": "blue"})
    assert "favourite_colour" in line
    assert "ldn schema patient" in line


def test_dose_without_unit() -> None:
    line = _problem({**BASE, "medications": [{"name": "tramadol", "dose": 50}]})
    assert line.startswith("p.yaml: medications[0].dose:")
    assert "needs a unit" in line
    assert "50 mg" in line


def test_date_in_the_future() -> None:
    line = _problem({**BASE, "medications": [{"name": "codeine", "last_dose": "2027-01-01"}]})
    assert "medications[0].last_dose" in line
    assert "in the future" in line


def test_unknown_condition_code_lists_the_vocabulary() -> None:
    line = _problem({**BASE, "conditions": [{"code": "fibro"}]})
    assert "conditions[0].code" in line
    assert "fibromyalgia" in line


def test_empty_record() -> None:
    with pytest.raises(InputError, match="empty"):
        parse_patient(None, today=AS_OF)


def test_empty_file_and_bad_yaml() -> None:
    with pytest.raises(DataFileError, match="empty"):
        parse_document("  \n", origin="x.yaml")
    with pytest.raises(DataFileError, match=r"line \d+ column \d+: invalid YAML"):
        parse_document("a: [1, 2\nb: 3", origin="x.yaml")
    with pytest.raises(DataFileError, match="invalid JSON"):
        parse_document("{", origin="x.json")


def test_future_date_is_fine_for_planned_surgery() -> None:
    rec = parse_patient(
        {**BASE, "planned_surgery": [{"date": "2027-02-01", "procedure": "hip"}]},
        today=date(2026, 11, 25),
    )
    assert rec.planned_surgery[0].opioids_expected
