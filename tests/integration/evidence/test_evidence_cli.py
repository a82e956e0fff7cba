"""`ldn evidence` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_pool_json_keys(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("evidence", "pool", "--condition", "fibromyalgia", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert {
        "k",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "tau2",
        "i2",
        "q",
        "pi_low",
        "pi_high",
        "method",
    } <= d.keys()


def test_pool_user_csv_and_forest_plot(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "d.csv"
    f.write_text("study,yi,vi\na,-0.4,0.04\nb,-0.2,0.05\nc,-0.3,0.03\n")
    png = tmp_path / "f.png"
    code, out, err = cli(
        "evidence",
        "pool",
        "--csv",
        str(f),
        "--method",
        "DL",
        "--hksj",
        "--plot",
        str(png),
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["k"] == 3
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_answer_and_list(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("evidence", "answer", "--json")
    assert code == 0
    assert {a["condition"] for a in json.loads(out)["answers"]} >= {"fibromyalgia", "any"}
    code, out, _ = cli("evidence", "answer", "--condition", "fibromyalgia")
    assert code == 0
    assert "Certainty" in out
    code, out, _ = cli("evidence", "list", "--json")
    assert code == 0
    assert all(row["source_id"] for row in json.loads(out))


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("study,yi\na,1\n", "missing column"),
        ("study,yi,vi\na,1,0.1\nb,2,-1\n", "row 3, column vi"),
        ("study,yi,vi\na,x,0.1\nb,2,1\n", "row 2, column yi"),
        ("study,yi,vi\na,nan,0.1\nb,2,1\n", "NaN"),
        ("study,yi,vi\na,1,0.1\n", "at least 2"),
    ],
)
def test_bad_csv_exits_2(cli, tmp_path: Path, content: str, needle: str) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "d.csv"
    f.write_text(content)
    code, _, err = cli("evidence", "pool", "--csv", str(f))
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert needle in err
