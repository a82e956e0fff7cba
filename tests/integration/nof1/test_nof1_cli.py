"""`ldn diary`, `ldn response`, `ldn trial` from the command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES

TRIAL = EXAMPLES / "trial"


def test_analyse_example_trial(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli(
        "trial",
        "analyse",
        str(TRIAL / "diary.csv"),
        "--allocation",
        str(TRIAL / "allocation.json"),
        "--json",
    )
    assert code == 0, err
    d = json.loads(out)
    assert {
        "delta_mean",
        "delta_sd",
        "delta_ci_low",
        "delta_ci_high",
        "p_benefit",
        "p_clinically_meaningful",
        "conclusion",
    } <= d.keys()
    assert d["delta_mean"] < 0
    assert "LDN" in d["conclusion"]


def test_example_trial_exact_likelihood_numbers(cli) -> None:  # type: ignore[no-untyped-def]
    """The shipped example with the sceptical prior. Provenance of the numbers (issue 24): the
    exact AR(1) likelihood gives delta -0.652 (SD 0.360); the independent re-implementation in
    the issue found -0.652 (0.360), and NUTS on the dense AR(1) normal agrees
    (tests/reference/nof1). The conditional likelihood used before gave -0.855 (0.415)."""
    code, out, err = cli(
        "trial",
        "analyse",
        str(TRIAL / "diary.csv"),
        "--allocation",
        str(TRIAL / "allocation.json"),
        "--prior",
        "sceptical",
        "--json",
    )
    assert code == 0, err
    d = json.loads(out)
    assert d["delta_mean"] == pytest.approx(-0.652, abs=0.001)
    assert d["delta_sd"] == pytest.approx(0.360, abs=0.001)
    assert d["warnings"] == []


def _diary_subset(tmp_path: Path, keep: Callable[[date], bool]) -> Path:
    lines = (TRIAL / "diary.csv").read_text().splitlines()
    rows = [r for r in lines[1:] if keep(date.fromisoformat(r.split(",")[0]))]
    path = tmp_path / "diary.csv"
    path.write_text("\n".join([lines[0], *rows]) + "\n")
    return path


def _analyse_text(cli, diary: Path) -> str:  # type: ignore[no-untyped-def]
    code, out, err = cli(
        "trial",
        "analyse",
        str(diary),
        "--allocation",
        str(TRIAL / "allocation.json"),
        "--design",
        str(TRIAL / "design.json"),
        "--prior",
        "sceptical",
    )
    assert code == 0, err
    return " ".join(out.split())


def test_one_cycle_diary_is_analysed_with_a_warning(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Only the first cycle (one LDN and one placebo period) logged: analysed, and the printed
    conclusion warns about trends and power and says why the frequentist line is missing."""
    text = _analyse_text(cli, _diary_subset(tmp_path, lambda d: d <= date(2026, 4, 26)))
    assert "Caution: Only 1 cycle had analysed days on both LDN and placebo" in text
    assert "cannot be told apart from an effect of LDN" in text
    assert "No frequentist check" in text
    assert "Frequentist check (paired" not in text


def test_every_other_day_diary_is_analysed(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A diary kept every other day has no consecutive days; gaps are bridged (issue 24)."""
    text = _analyse_text(cli, _diary_subset(tmp_path, lambda d: d.toordinal() % 2 == 0))
    assert "Sparse diary: pain was logged on" in text
    assert "Frequentist check (paired period means, 3 cycles)" in text


def test_design_reveal_verify(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "t"
    code, _, err = cli("trial", "design", "--out", str(out), "--seed", "9", "--start", "2026-12-01")
    assert code == 0, err
    public = json.loads((out / "design.json").read_text())
    assert "ldn_bottle" not in json.dumps(public)
    assert cli("trial", "reveal", str(out))[0] == 0
    assert cli("trial", "verify", str(out / "design.json"), str(out / "allocation.json"))[0] == 0
    # tamper: flip the bottle
    alloc = json.loads((out / "allocation.json").read_text())
    alloc["allocation"]["ldn_bottle"] = "B" if alloc["allocation"]["ldn_bottle"] == "A" else "A"
    (out / "allocation.json").write_text(json.dumps(alloc))
    code, _, err = cli("trial", "verify", str(out / "design.json"), str(out / "allocation.json"))
    assert code == 2
    assert "does NOT match" in err
    # designing into the same folder again changes nothing
    before = (out / "design.json").read_text()
    code, _, err = cli("trial", "design", "--out", str(out), "--seed", "10")
    assert code == 2
    assert (out / "design.json").read_text() == before


def test_response_and_diary(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    png = tmp_path / "r.png"
    code, out, err = cli(
        "response", str(EXAMPLES / "diary" / "titration-diary.csv"), "--json", "--plot", str(png)
    )
    assert code == 0, err
    assert json.loads(out)["immpact_category"] in ("minimal", "moderate", "substantial", "none")
    assert png.exists()
    code, out, _ = cli("diary", "import", str(EXAMPLES / "diary" / "titration-diary.csv"), "--json")
    assert code == 0
    assert len(json.loads(out)["missing_days"]) == 3


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["trial", "design", "--out", "X", "--seed", "1", "--cycles", "1"], "--cycles"),
        (["trial", "plan-power", "--sims", "5"], "--sims"),
        (
            [
                "trial",
                "analyse",
                str(TRIAL / "diary.csv"),
                "--allocation",
                str(TRIAL / "allocation.json"),
                "--prior",
                "magic",
            ],
            "--prior",
        ),
    ],
)
def test_bad_input_exits_2(cli, tmp_path: Path, args: list[str], needle: str) -> None:  # type: ignore[no-untyped-def]
    args = [str(tmp_path / a) if a == "X" else a for a in args]
    code, _, err = cli(*args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert needle in err


def test_bad_diary_exits_2(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "d.csv"
    f.write_text("date,pain_avg\n2026-01-02,5\n2026-01-01,12\n")
    code, _, err = cli("diary", "import", str(f))
    assert code == 2
    assert len(err.strip().splitlines()) == 1


def test_plan_power_runs(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("trial", "plan-power", "--delta", "-1.5", "--sims", "20", "--json")
    assert code == 0
    d = json.loads(out)
    assert 0 <= d["false_positive_rate"] <= 1
    assert d["p_conclusive"] >= d["false_positive_rate"]
