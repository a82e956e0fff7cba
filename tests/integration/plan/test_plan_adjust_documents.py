"""`ldn plan adjust PLAN.json --out DIR` writes every plan document again and says so."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import PATIENTS

FIBRO = str(PATIENTS / "fibromyalgia.yaml")
FILES = ["handout.html", "handout.md", "plan.ics", "plan.json", "prescription.txt", "worksheet.md"]


def test_adjust_regenerates_every_document(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first, second = tmp_path / "a", tmp_path / "b"
    code, out, err = cli(
        "plan",
        FIBRO,
        "--as-of",
        "2026-11-25",
        "--out",
        str(first),
        "--prescriber",
        "Dr A",
        "--licence",
        "MD-1",
    )
    assert code == 0, err
    assert (
        "Wrote 6 files" in out and "Licence no.: MD-1" in (first / "prescription.txt").read_text()
    )
    assert "in the morning" not in (first / "prescription.txt").read_text()
    code, out, err = cli(
        "plan",
        "adjust",
        str(first / "plan.json"),
        "--side-effect",
        "vivid_dreams",
        "--on",
        "2026-12-01",
        "--as-of",
        "2026-11-25",
        "--out",
        str(second),
    )
    assert code == 0, err
    assert f"Wrote 6 files to {second}" in out.replace("\n", "")
    assert all(name in out for name in FILES)
    assert sorted(p.name for p in second.iterdir()) == FILES
    assert "by mouth once daily in the morning" in (second / "prescription.txt").read_text()
    assert "in the morning" in (second / "handout.md").read_text()
    assert "T080000" in (second / "plan.ics").read_text()  # the reminder moved to the morning
    data = json.loads((second / "plan.json").read_text())
    assert any(s["timing"] == "morning" for s in data["plan"]["steps"])
    assert data["patient"]["name"] and data["plan"]["adjustments"]
    assert "# Compounding worksheet" in (second / "worksheet.md").read_text()


def test_adjust_without_out_says_nothing_was_written(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli("plan", FIBRO, "--as-of", "2026-11-25", "--out", str(tmp_path))
    assert code == 0, err
    code, out, err = cli(
        "plan",
        "adjust",
        str(tmp_path / "plan.json"),
        "--side-effect",
        "nausea",
        "--as-of",
        "2026-11-25",
    )
    assert code == 0, err
    assert "No files written" in out
