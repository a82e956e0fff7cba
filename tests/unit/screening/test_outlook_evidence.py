"""One answer per condition: every condition's outlook names its randomized evidence (or its
absence) with certainty, and a mechanism that disagrees with the trials says so instead of
deciding alone."""

from __future__ import annotations

from typing import Any

import pytest

from ldn.domain.evidence.outlook import condition_evidence
from ldn.domain.patient import parse_patient
from ldn.domain.screening import screen
from ldn.domain.vocabulary import CONDITIONS
from ldn.services.standalone.files import load_patient_file
from tests.conftest import AS_OF, PATIENTS

BASE = load_patient_file(PATIENTS / "fibromyalgia.yaml", today=AS_OF).model_dump(
    mode="json", exclude_none=True
)


def _screen(code: str) -> Any:
    """The example patient with only ``code`` as condition and no questionnaires (diagnosis alone)."""
    return screen(
        parse_patient({**BASE, "conditions": [{"code": code}], "questionnaires": {}}, today=AS_OF),
        today=AS_OF,
    )


@pytest.mark.parametrize("code", sorted(c for c in CONDITIONS if c != "other"))
def test_every_condition_names_its_evidence(code: str) -> None:
    report = _screen(code)
    ev = condition_evidence(code)
    finding = next(f for f in report.findings if f.code == "EVIDENCE_FOR_CONDITION")
    assert "randomized trial" in finding.message and "Evidence review" in finding.message
    assert ev.certainty is None or ev.certainty in finding.message
    if ev.suggests_benefit and report.mechanism.ldn_outlook == "unlikely_to_help":
        assert report.verdict == "needs_clinician_review"
        assert any(f.code == "OUTLOOK_EVIDENCE_DISAGREES" for f in report.findings)
    if report.verdict == "unlikely_to_benefit":
        assert not ev.suggests_benefit, (
            "unlikely_to_benefit only when no trial in the condition suggests benefit"
        )


def test_the_reported_disagreements() -> None:
    """Issue cases: MS (a favourable trial) and diabetic neuropathy (comparable to amitriptyline)
    go to the clinician; Crohn's has no usable pain result and stays unlikely; CRPS says no trial."""
    assert _screen("multiple_sclerosis").verdict == "needs_clinician_review"
    assert _screen("diabetic_neuropathy").verdict == "needs_clinician_review"
    crohn = _screen("crohns_disease")
    assert crohn.verdict == "unlikely_to_benefit"
    assert "does not allow an answer" in next(
        f.message for f in crohn.findings if f.code == "EVIDENCE_FOR_CONDITION"
    )
    crps = _screen("crps")
    assert crps.verdict == "candidate_with_cautions"
    assert any(f.code == "EVIDENCE_NONE_FOR_CONDITION" for f in crps.findings)


def test_the_fibromyalgia_example_keeps_its_verdict_and_states_the_trials() -> None:
    report = screen(parse_patient(BASE, today=AS_OF), today=AS_OF)
    assert report.verdict == "candidate"
    text = " ".join(f.message for f in report.findings if f.code == "EVIDENCE_FOR_CONDITION")
    assert "Fibromyalgia: 4 randomized trials" in text and "low-certainty" in text


def test_the_stored_outlook_is_current() -> None:
    """outlook.json (what the screen reads) equals the review computed now; `make docs` rewrites it."""
    import json
    from importlib import resources

    from ldn.domain.evidence.outlook import outlook_table

    stored = json.loads(
        resources.files("ldn.domain.data")
        .joinpath("evidence/outlook.json")
        .read_text(encoding="utf-8")
    )
    assert stored == json.loads(json.dumps(outlook_table([c for c in CONDITIONS if c != "other"])))


def test_the_handout_gives_the_same_answer() -> None:
    """One answer per condition, in the patient's handout too."""
    from ldn.interop.handout import evidence_lines

    rec = parse_patient(
        {**BASE, "conditions": [{"code": "crps"}, {"code": "fibromyalgia"}]}, today=AS_OF
    )
    lines = evidence_lines(rec)
    assert lines[0].startswith("Complex regional pain syndrome: No randomized trial")
    assert condition_evidence("fibromyalgia").sentence() in lines[1]
