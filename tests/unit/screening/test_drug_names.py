"""Medication texts as EHRs write them still find their drug class."""

from __future__ import annotations

import pytest

from ldn.domain.vocabulary import OPIOID_CLASSES, drug_class_for


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tramadol", "tramadol"),
        ("Tramadol 50 mg capsule", "tramadol"),
        ("METHADONE 10mg/mL", "methadone"),
        ("naltrexone 4.5 mg capsule (compounded)", "naltrexone"),
        ("Vitamin D 1000 IU", "supplement"),
        ("", "unknown"),
        ("Zxqvortin 10 mg", "unknown"),
    ],
)
def test_names_with_strength_and_form(text: str, expected: str) -> None:
    assert drug_class_for(text) == expected


def test_oxycodone_with_strength_is_an_opioid() -> None:
    assert drug_class_for("Oxycodone 5 mg tablet") in OPIOID_CLASSES


@pytest.mark.parametrize(
    "text",
    [
        "Oxycodone/Naloxone 10 mg/5 mg",
        "paracetamol + codeine 500/30",
        "acetaminophen and hydrocodone",
    ],
)
def test_an_opioid_in_a_combination_is_found(text: str) -> None:
    assert drug_class_for(text) in OPIOID_CLASSES
