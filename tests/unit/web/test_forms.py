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

AREAS = [
    "shoulder_girdle_left",
    "shoulder_girdle_right",
    "upper_arm_left",
    "upper_arm_right",
    "hip_left",
    "hip_right",
    "upper_leg_left",
    "upper_leg_right",
    "neck",
    "upper_back",
    "lower_back",
    "jaw_left",
]


def test_fibromyalgia_form_screens_as_a_candidate() -> None:
    form = FormData(
        [
            ("id", "f1"),
            ("age_years", "44"),
            ("sex", "female"),
            ("conditions", "fibromyalgia"),
            ("pain.duration_months", "60"),
            ("pain.average_nrs", "6.5"),
            *[("pain.locations", a) for a in AREAS],
            ("acr.fatigue", "3"),
            ("acr.waking_unrefreshed", "2"),
            ("acr.cognitive_symptoms", "2"),
            ("acr.headaches", "on"),
            ("medications[0].name", "amitriptyline"),
            ("medications[0].dose", "10 mg"),
        ]
    )
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
        "age_years": "'forty' is not a whole number — enter a whole number"
    }
    exc = InputError.at(
        "questionnaires.acr_2016.answers.fatigue",
        "Input should be less than or equal to 3",
        "use 0-3",
    )
    assert errors_by_field(exc) == {
        "acr.fatigue": "Input should be less than or equal to 3 — use 0-3"
    }


def test_every_problem_at_once_and_blank_stays_blank() -> None:
    """A blank symptom score is not 0: all three or none (the hint says blank skips)."""
    form = FormData(
        [
            ("age_years", "x"),
            ("pain.average_nrs", "lots"),
            ("pain.duration_months", "12"),
            ("acr.fatigue", "2"),
        ]
    )
    with pytest.raises(InputError) as err:
        record_from_form(form)
    fields = errors_by_field(err.value)
    assert {
        "age_years",
        "pain.average_nrs",
        "acr.waking_unrefreshed",
        "acr.cognitive_symptoms",
    } <= set(fields)


def test_out_of_range_pain_is_refused_not_dropped() -> None:
    form = FormData(
        [
            ("id", "r1"),
            ("age_years", "40"),
            ("sex", "female"),
            ("pain.duration_months", "12"),
            ("pain.average_nrs", "11"),
        ]
    )
    with pytest.raises(InputError) as err:
        parse_patient(record_from_form(form), today=AS_OF)
    assert "pain.average_nrs" in errors_by_field(err.value)


def test_the_form_round_trips_a_record_and_keeps_what_it_does_not_show() -> None:
    from ldn.services.standalone.files import load_patient_file
    from ldn.web.forms import merge_record, values_from_record
    from tests.conftest import PATIENTS

    current = load_patient_file(PATIENTS / "chronic-migraine-moh.yaml", today=AS_OF).model_dump(
        mode="json", exclude_none=True
    )
    current["medications"][0]["review"] = {
        "contains_opioid": True,
        "reviewed_by": "Dr Lee",
        "reviewed_on": "2026-11-20",
    }
    vals = values_from_record(current)
    form = FormData(
        [(k, str(x)) for k, v in vals.items() for x in (v if isinstance(v, list) else [v])]
    )
    again = merge_record(current, record_from_form(form))
    rec = parse_patient(again, today=AS_OF)
    assert rec.medications[0].review is not None and rec.medications[0].drug_class == "codeine"
    assert set(rec.questionnaires) == set(
        current["questionnaires"]
    )  # MIDAS kept though not on the form
    assert [t.name for t in rec.prior_treatments] == [
        t["name"] for t in current["prior_treatments"]
    ]
    assert (
        screen(rec, today=AS_OF).verdict
        == screen(parse_patient(current, today=AS_OF), today=AS_OF).verdict
    )
