"""`ldn pk` commands: JSON keys, blockade with bands, the observation table, charts, caveats, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_simulate_single_dose_json(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("pk", "simulate", "--dose-mg", "4.5", "--days", "1", "--json")
    assert code == 0, err
    d = json.loads(out)
    for path in (
        "ntx.cmax_ng_ml",
        "ntx.tmax_h",
        "ntx.auc_0_inf_ng_h_ml",
        "ntx.half_life_h",
        "ntx.terminal_half_life_h",
        "nbx.cmax_ng_ml",
        "nbx.auc_0_inf_ng_h_ml",
        "auc_ratio_nbx_to_ntx",
        "occupancy.mu_percent",
        "blockade.single_dose.peak_percent.typical",
        "blockade.single_dose.below_10_after_h.p95",
        "blockade.day_28_once_daily.trough_percent.p5",
    ):
        node = d
        for part in path.split("."):
            node = node[part]
        assert isinstance(node, float)
    assert any("Johnson 2010" in c for c in d["caveats"])
    assert any("never been measured at 1-5 mg" in c for c in d["caveats"])


def test_blockade_table(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("pk", "blockade", "--json")
    assert code == 0, err
    rows = json.loads(out)["doses"]
    assert [r["dose_mg"] for r in rows] == [1.5, 3.0, 4.5]
    peaks = [r["single_dose"]["peak_percent"]["typical"] for r in rows]
    assert peaks == sorted(peaks)
    for r in rows:
        band = r["steady_state"]["trough_percent"]
        assert band["p5"] <= band["typical"] <= band["p95"]
    code, out, _ = cli("pk", "blockade", "--dose-mg", "4.5")
    assert code == 0 and "4.5 mg" in out and "below 10% after" in out


def test_observations_table(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("pk", "observations", "--json")
    assert code == 0
    rows = json.loads(out)["observations"]
    assert {r["use"] for r in rows} == {"fit", "held-out"}
    assert all(isinstance(r["predicted"], float) for r in rows)
    johnson = next(r for r in rows if r["id"] == "johnson-ntx-cmax")
    assert johnson["dose_mg"] == 2.4 and 0.77 < johnson["ratio"] < 1.3
    code, out, _ = cli("pk", "observations")
    assert code == 0 and "within ±30%" in out


def test_fifty_mg_is_flagged_not_ldn(cli) -> None:  # type: ignore[no-untyped-def]
    _, out, _ = cli("pk", "simulate", "--dose-mg", "50", "--json")
    assert any("not low-dose" in c for c in json.loads(out)["caveats"])


def test_population_chart(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    png = tmp_path / "out.png"
    code, _, err = cli(
        "pk",
        "simulate",
        "--dose-mg",
        "4.5",
        "--days",
        "3",
        "--population",
        "50",
        "--plot",
        str(png),
    )
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "out.svg"
    assert cli("pk", "simulate", "--dose-mg", "4.5", "--plot", str(svg))[0] == 0
    assert "<svg" in svg.read_text()


def test_occupancy(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("pk", "occupancy", "--dose-mg", "4.5", "--json")
    assert code == 0
    assert json.loads(out)["occupancy"]["mu_percent"] == pytest.approx(44.6, abs=0.1)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--dose-mg", "-1"], "--dose-mg"),
        (["--dose-mg", "0"], "--dose-mg"),
        (["--dose-mg", "4.5", "--interval-h", "0"], "--interval-h"),
        (["--dose-mg", "4.5", "--days", "1000"], "--days"),
        (["--dose-mg", "4.5", "--params", "nope"], "--params"),
        (["--dose-mg", "4.5", "--plot", "x.gif"], "--plot"),
    ],
)
def test_bad_input_exits_2(cli, args: list[str], needle: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli("pk", "simulate", *args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert needle in err


def test_blockade_bad_dose_exits_2(cli) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli("pk", "blockade", "--dose-mg", "0")
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "--dose-mg" in err
