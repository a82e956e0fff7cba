"""`ldn plan`: the six files, the screening gate, adjustments, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import PATIENTS

FIBRO = str(PATIENTS / "fibromyalgia.yaml")


def test_plan_writes_six_files(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("plan", FIBRO, "--as-of", "2026-11-25", "--out", str(tmp_path))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["plan.json", "handout.html", "handout.md", "prescription.txt", "worksheet.md", "plan.ics"]
    )
    handout = (tmp_path / "handout.md").read_text()
    assert "off-label" in handout and "4.5 mg" in handout and "does not replace" in handout
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["plan"]["steps"][0]["dose_mg"] == 1.5

    code, out, err = cli(
        "plan",
        "adjust",
        str(tmp_path / "plan.json"),
        "--side-effect",
        "vivid_dreams",
        "--on",
        "2026-12-01",
        "--json",
    )
    assert code == 0, err
    assert any(s["timing"] == "morning" for s in json.loads(out)["steps"])


def test_do_not_start_yet_starts_on_the_earliest_safe_date(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli(
        "plan", str(PATIENTS / "tramadol-recent.yaml"), "--as-of", "2026-11-25", "--json"
    )
    assert code == 0
    assert json.loads(out)["plan"]["start"] == "2026-12-04"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ([str(PATIENTS / "liver-failure.yaml")], "contraindicated"),
        ([FIBRO, "--target-mg", "6"], "above the maximum"),
        ([FIBRO, "--target-mg", "50", "--max-mg", "50"], "not low-dose naltrexone"),
        ([FIBRO, "--schedule", "fast"], "unknown schedule"),
        ([FIBRO, "--form", "patch"], "unknown form"),
        ([FIBRO, "--start", "2026-11-01"], "in the past"),
        (["adjust", "/no/plan.json", "--side-effect", "nausea"], "no such file"),
    ],
)
def test_bad_plan_requests_exit_2(cli, args: list[str], needle: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli("plan", *args, "--as-of", "2026-11-25")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert needle in lines[0]


def test_allow_past(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli(
        "plan", FIBRO, "--start", "2026-11-01", "--allow-past", "--as-of", "2026-11-25", "--json"
    )
    assert code == 0
    assert json.loads(out)["plan"]["start"] == "2026-11-01"
