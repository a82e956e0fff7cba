"""Safety rules matched to the naltrexone labels, at their boundaries.

Sources: UK SmPC (uk-smpc-naltrexone-2023) and EU core safety profile (eu-csp-naltrexone-2010):
contraindicated in severe renal impairment, severe hepatic impairment, acute hepatitis, a positive
opioid screen or a failed naloxone challenge; US label (us-naltrexone-label-overdose): acute
withdrawal, overdose and blockade warnings for everyone treated; KDIGO G4 (< 30) read as
"severe"; surgery: stop 3 days before (whately-stead-2023); LactMed for breastfeeding.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ldn.domain.patient import parse_patient
from ldn.domain.safety_rules import RULES, rules_markdown
from ldn.domain.screening import screen
from ldn.services.standalone.files import load_patient_file
from tests.conftest import AS_OF, PATIENTS, ROOT

BASE = load_patient_file(PATIENTS / "fibromyalgia.yaml", today=AS_OF).model_dump(
    mode="json", exclude_none=True
)


def _screen(**changes: Any) -> Any:
    return screen(parse_patient({**BASE, **changes}, today=AS_OF), today=AS_OF)


def _codes(report: Any) -> set[str]:
    return {f.code for f in report.findings}


def test_the_example_is_a_candidate_with_the_overdose_warning() -> None:
    report = _screen()
    assert report.verdict in ("candidate", "candidate_with_cautions")
    f = next(f for f in report.findings if f.code == "SAFETY_OPIOID_OVERDOSE_WARNING")
    assert "overcome the blockade" in f.message and "more sensitive to opioids" in f.message


@pytest.mark.parametrize(
    ("egfr", "dialysis", "verdict", "code"),
    [
        (29.9, False, "contraindicated", "SAFETY_RENAL_SEVERE"),
        (30.0, False, None, "SAFETY_RENAL_IMPAIRED"),
        (59.9, False, None, "SAFETY_RENAL_IMPAIRED"),
        (60.0, False, None, None),
        (75.0, True, "contraindicated", "SAFETY_RENAL_SEVERE"),
    ],
)
def test_renal_boundaries(
    egfr: float, dialysis: bool, verdict: str | None, code: str | None
) -> None:
    report = _screen(
        renal_function={"egfr_ml_min_1_73m2": egfr, "date": "2026-11-01", "dialysis": dialysis}
    )
    if verdict:
        assert report.verdict == verdict
    codes = _codes(report)
    assert (
        (code in codes) if code else not ({"SAFETY_RENAL_SEVERE", "SAFETY_RENAL_IMPAIRED"} & codes)
    )


@pytest.mark.parametrize(
    ("changes", "verdict"),
    [
        ({"liver_disease": "decompensated_cirrhosis"}, "contraindicated"),
        ({"liver_disease": "cirrhosis", "child_pugh_class": "C"}, "contraindicated"),
        ({"liver_disease": "cirrhosis", "child_pugh_class": "B"}, "needs_clinician_review"),
        ({"liver_disease": "cirrhosis"}, "needs_clinician_review"),
        ({"liver_disease": "compensated_cirrhosis"}, "candidate_with_cautions"),
        ({"liver_disease": "acute_hepatitis"}, "contraindicated"),
    ],
)
def test_liver_grading(changes: dict[str, Any], verdict: str) -> None:
    assert _screen(**changes).verdict == verdict


def test_bilirubin_alone() -> None:
    tests = {"date": "2026-11-01", "alt_u_per_l": 20, "ast_u_per_l": 20}
    raised = _screen(liver_tests={**tests, "bilirubin_umol_per_l": 30})
    assert (
        "SAFETY_BILIRUBIN_RAISED" in _codes(raised) and raised.verdict == "candidate_with_cautions"
    )
    high = _screen(liver_tests={**tests, "bilirubin_umol_per_l": 43})
    assert high.verdict == "needs_clinician_review"
    normal = _screen(liver_tests={**tests, "bilirubin_umol_per_l": 15})
    assert "SAFETY_BILIRUBIN_RAISED" not in _codes(normal)


@pytest.mark.parametrize(
    "changes",
    [
        {"urine_opioid_screen": "positive", "urine_opioid_screen_date": "2026-11-20"},
        {"naloxone_challenge": {"date": "2026-11-24", "result": "positive"}},
        {"opioid_withdrawal_signs": True},
    ],
)
def test_label_contraindications_about_opioids_in_the_body(changes: dict[str, Any]) -> None:
    assert _screen(**changes).verdict == "contraindicated"


def test_surgery_in_two_days_holds_the_start_until_after_recovery() -> None:
    surgery = AS_OF + timedelta(days=2)
    report = _screen(
        planned_surgery=[{"date": surgery.isoformat(), "procedure": "knee arthroscopy"}]
    )
    assert report.verdict == "do_not_start_yet"
    assert report.earliest_start == surgery + timedelta(days=10)
    assert not any("stop LDN no later than" in f.fix for f in report.findings)


def test_surgery_far_ahead_says_when_to_stop() -> None:
    surgery = AS_OF + timedelta(days=60)
    report = _screen(planned_surgery=[{"date": surgery.isoformat()}])
    f = next(f for f in report.findings if f.code == "SAFETY_PLANNED_SURGERY")
    assert (surgery - timedelta(days=3)).isoformat() in f.fix


def test_recent_surgery_with_opioids_holds_the_start() -> None:
    surgery = AS_OF - timedelta(days=4)
    report = _screen(planned_surgery=[{"date": surgery.isoformat()}])
    assert report.verdict == "do_not_start_yet" and report.earliest_start == surgery + timedelta(
        days=10
    )
    none_given = _screen(planned_surgery=[{"date": surgery.isoformat(), "opioids_expected": False}])
    assert none_given.verdict != "do_not_start_yet"


@pytest.mark.parametrize(
    ("changes", "code", "verdict"),
    [
        ({"age_years": 64}, None, None),
        ({"age_years": 65}, "SAFETY_AGE_ELDERLY", "candidate_with_cautions"),
        ({"age_years": 17}, "SAFETY_AGE_UNDER_18", "needs_clinician_review"),
        ({"breastfeeding": True}, "SAFETY_LACTATION", "needs_clinician_review"),
        ({"planning_pregnancy": True}, "SAFETY_PLANNING_PREGNANCY", "candidate_with_cautions"),
        (
            {"transplant_recipient": True},
            "SAFETY_TRANSPLANT_IMMUNOSUPPRESSION",
            "needs_clinician_review",
        ),
    ],
)
def test_people_the_labels_name(
    changes: dict[str, Any], code: str | None, verdict: str | None
) -> None:
    report = _screen(**changes)
    if code is None:
        assert "SAFETY_AGE_ELDERLY" not in _codes(report)
        return
    assert code in _codes(report) and report.verdict == verdict


def test_lactation_cites_lactmed() -> None:
    f = next(f for f in _screen(breastfeeding=True).findings if f.code == "SAFETY_LACTATION")
    assert "lactmed-naltrexone" in f.source_ids


def test_nalmefene_is_an_opioid_antagonist() -> None:
    report = _screen(
        medications=[*BASE["medications"], {"name": "Selincro 18 mg", "status": "current"}]
    )
    assert "SAFETY_OTHER_OPIOID_ANTAGONIST" in _codes(report)


def test_thyroid_wording_follows_the_record() -> None:
    hypo = _screen(conditions=[*BASE["conditions"], {"code": "hypothyroidism"}])
    f = next(f for f in hypo.findings if f.code == "SAFETY_THYROID")
    assert "no thyroid-hormone replacement recorded" in f.message
    on = _screen(
        conditions=[*BASE["conditions"], {"code": "hypothyroidism"}],
        medications=[*BASE["medications"], {"name": "levothyroxine 50 mcg"}],
    )
    assert (
        "on thyroid-hormone replacement"
        in next(f for f in on.findings if f.code == "SAFETY_THYROID").message
    )


def test_every_safety_finding_code_has_a_rule_row() -> None:
    import re

    src = "".join(
        (ROOT / "src/ldn/domain" / n).read_text()
        for n in ("safety.py", "medication_safety.py", "organ_safety.py")
    )
    codes = set(re.findall(r'"((?:SAFETY|MEDICATION)_[A-Z_]+)"', src))
    assert codes <= {r.code for r in RULES}


def test_docs_safety_is_current() -> None:
    assert (ROOT / "docs/safety.md").read_text(encoding="utf-8") == rules_markdown()


def test_every_finding_code_has_words_for_people() -> None:
    """Titles come from one wording table, never from the rule id."""
    import re

    from ldn.domain.wording import FINDING_TITLES

    src = "".join(p.read_text() for p in (ROOT / "src/ldn/domain").glob("*.py"))
    codes = set(
        re.findall(r'"((?:SAFETY|MEDICATION|PAIN|HEADACHE|HISTORY|QUESTIONNAIRE)_[A-Z_]+)"', src)
    )
    assert codes - set(FINDING_TITLES) == set()
