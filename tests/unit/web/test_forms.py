"""The screening form's fields become a patient record the domain screens; problems come back
keyed by the field that caused them."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData

from ldn.domain.errors import InputError
from ldn.domain.patient import parse_patient
from ldn.domain.screening import screen
from ldn.web.forms import errors_by_field, record_from_form
from tests.conftest import AS_OF

AREAS = ["shoulder_girdle_left", "shoulder_girdle_right", "upper_arm_left", "upper_arm_right", "hip_left", "hip_right",
         "upper_leg_left", "upper_leg_right", "neck", "upper_back", "lower_back", "jaw_left"]  # fmt: skip


def test_fibromyalgia_form_screens_as_a_candidate() -> None:
    form = FormData([("id", "f1"), ("age_years", "44"), ("sex", "female"), ("conditions", "fibromyalgia"),
                     ("pain.duration_months", "60"), ("pain.average_nrs", "6.5"), *[("pain.locations", a) for a in AREAS],
                     ("acr.fatigue", "3"), ("acr.waking_unrefreshed", "2"), ("acr.cognitive_symptoms", "2"),
                     ("acr.headaches", "on"), ("medications[0].name", "amitriptyline"), ("medications[0].dose", "10 mg")])  # fmt: skip
    record = parse_patient(record_from_form(form), today=AS_OF)
    assert record.pain is not None and len(record.pain.locations) == 12
    assert screen(record, today=AS_OF).verdict in ("candidate", "candidate_with_cautions")


def test_headache_form_finds_medication_overuse() -> None:
    form = FormData([("id", "h1"), ("age_years", "35"), ("sex", "female"), ("conditions", "chronic_migraine"),
                     ("pain.duration_months", "24"), ("ichd3.headache_days_per_month", "20"), ("ichd3.migraine_days_per_month", "12"),
                     ("ichd3.months_with_this_frequency", "6"), ("ichd3.attacks_lifetime", "100"), ("ichd3.typical_attack_duration_h", "12"),
                     ("ichd3.unilateral", "on"), ("ichd3.pulsating", "on"), ("ichd3.moderate_or_severe", "on"), ("ichd3.nausea_or_vomiting", "on"),
                     ("medications[0].name", "sumatriptan"), ("medications[0].status", "as_needed"), ("medications[0].days_per_month", "14")])  # fmt: skip
    report = screen(parse_patient(record_from_form(form), today=AS_OF), today=AS_OF)
    assert "HEADACHE_MEDICATION_OVERUSE" in [f.code for f in report.findings]


def test_problems_are_keyed_by_the_form_field() -> None:
    with pytest.raises(InputError) as err:
        record_from_form(FormData([("id", "x"), ("age_years", "forty")]))
    assert errors_by_field(err.value) == {
        "age_years": "'forty' is not a number — enter a number, e.g. 6.5"
    }
    exc = InputError.at(
        "questionnaires.acr_2016.answers.fatigue",
        "Input should be less than or equal to 3",
        "use 0-3",
    )
    assert errors_by_field(exc) == {
        "acr.fatigue": "Input should be less than or equal to 3 — use 0-3"
    }
