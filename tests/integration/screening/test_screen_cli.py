"""`ldn screen` on the example patients gives the expected verdicts; bad input exits 2 with one line."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldn.domain.findings import VERDICT_ORDER
from ldn.domain.screening import screen
from ldn.domain.sources import unresolved
from ldn.services.standalone.files import load_patient_file
from tests.conftest import PATIENTS

EXPECTED = {
    "fibromyalgia.yaml": ("candidate", None),
    "knee-osteoarthritis.yaml": ("unlikely_to_benefit", None),
    "tramadol-recent.yaml": ("do_not_start_yet", "2026-12-04"),
    "chronic-migraine-moh.yaml": ("do_not_start_yet", "2026-12-02"),
    "liver-failure.yaml": ("contraindicated", None),
}


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_example_verdicts(cli, name: str, expected: tuple[str, str | None]) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("screen", str(PATIENTS / name), "--as-of", "2026-11-25", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["verdict"], report["earliest_start"]) == expected
    assert {"verdict", "findings", "instruments", "mechanism", "disclaimer"} <= report.keys()
    for f in report["findings"]:
        assert {"code", "level", "message", "patient_message", "fix", "source_ids"} <= f.keys()
        assert f["source_ids"] and unresolved(f["source_ids"]) == []


def test_migraine_example_has_moh_finding(cli) -> None:  # type: ignore[no-untyped-def]
    _, out, _ = cli(
        "screen", str(PATIENTS / "chronic-migraine-moh.yaml"), "--as-of", "2026-11-25", "--json"
    )
    report = json.loads(out)
    assert "HEADACHE_MEDICATION_OVERUSE" in {f["code"] for f in report["findings"]}
    assert "8.2.4" in report["instruments"]["ichd3"]["diagnoses"]


def test_human_report_says_it_supports_judgement(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("screen", str(PATIENTS / "fibromyalgia.yaml"), "--as-of", "2026-11-25")
    assert code == 0
    assert "does not replace" in out and "off-label" in out


def test_score_and_instruments(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli(
        "score", "acr_2016", str(PATIENTS / "fibromyalgia.yaml"), "--as-of", "2026-11-25", "--json"
    )
    assert code == 0
    assert json.loads(out)["criteria_met"] is True
    code, out, _ = cli("instruments", "--json")
    assert code == 0
    assert "bpi" in json.loads(out)["named_not_reproduced"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["score", "nope", "x.yaml"], "unknown instrument"),
        (["screen", "/no/such.yaml"], "no such file"),
    ],
)
def test_bad_commands_exit_2(cli, args: list[str], needle: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli(*args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and needle in err


def test_out_of_range_answer_becomes_a_finding_and_safety_still_runs(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The screen never stops short of safety: an invalid questionnaire is a finding naming the item."""
    data = yaml.safe_load((PATIENTS / "fibromyalgia.yaml").read_text())
    data["questionnaires"]["csi"]["answers"]["q7"] = 9
    data["medications"].append({"name": "Percocet", "status": "current"})
    f = tmp_path / "p.yaml"
    f.write_text(yaml.safe_dump(data))
    code, out, _ = cli("screen", str(f), "--as-of", "2026-11-25", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["verdict"] == "do_not_start_yet"  # the opioid washout still found
    bad = [f for f in report["findings"] if f["code"] == "QUESTIONNAIRE_INVALID"]
    assert len(bad) == 1 and "questionnaires.csi.answers.q7" in bad[0]["message"]


def test_missing_item_and_unknown_questionnaire(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load((PATIENTS / "fibromyalgia.yaml").read_text())
    del data["questionnaires"]["csi"]["answers"]["q3"]
    data["questionnaires"]["bpi"] = {"answers": {"x": 1}}
    f = tmp_path / "p.yaml"
    f.write_text(yaml.safe_dump(data))
    code, out, _ = cli("screen", str(f), "--as-of", "2026-11-25", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["verdict"] == "needs_clinician_review"
    text = " ".join(
        f["message"] for f in report["findings"] if f["code"] == "QUESTIONNAIRE_INVALID"
    )
    assert "questionnaires.bpi" in text and "q3" in text


_SEVERITY = {v: i for i, v in enumerate(reversed(VERDICT_ORDER))}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(0, 40), st.integers(0, 40))
def test_later_as_of_never_stricter(d1: int, d2: int) -> None:
    """A later 'today' never turns do_not_start_yet into a stricter verdict (waiting periods only end)."""
    first, later = sorted((d1, d2))
    for name in ("tramadol-recent.yaml", "chronic-migraine-moh.yaml"):
        t1 = date(2026, 11, 25) + timedelta(days=first)
        t2 = date(2026, 11, 25) + timedelta(days=later)
        v1 = screen(load_patient_file(PATIENTS / name, today=t1), today=t1).verdict
        v2 = screen(load_patient_file(PATIENTS / name, today=t2), today=t2).verdict
        assert _SEVERITY[v2] <= _SEVERITY[v1]
        if first == 0:
            assert v1 == "do_not_start_yet"
