"""`ldn evidence answer|sof|rob|prisma|sensitivity|add`, run through the evidence command group."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ldn.cli.evidence import evidence_app

runner = CliRunner()
HEADER = (
    "id,source_id,year,condition,comparator,design,dose_mg,duration,n_randomized,outcome,measure,method,"
    "estimate,ci_low,ci_high,reported_smd,n_ldn,n_control,direction,poolable,text_source,locator,verification"
)


def run(*args: str) -> tuple[int, str]:
    res = runner.invoke(evidence_app, list(args))
    return res.exit_code, res.output


def test_answer_states_version_and_certainty() -> None:
    code, out = run("answer", "--json")
    assert code == 0
    answers = json.loads(out)["answers"]
    assert all(a["last_searched"] and a["version"] and a["statement"] for a in answers)
    code, out = run("answer", "--condition", "arthritis")
    assert code == 0 and "single trial" in out and "last searched" in out


def test_sof_rob_prisma_sensitivity(tmp_path: Path) -> None:
    code, out = run("sof", "--condition", "fibromyalgia", "--json")
    assert code == 0 and json.loads(out)[0]["outcomes"][0]["certainty"]
    code, out = run("rob", "--json")
    assert code == 0 and {"d1", "d5"} <= {d["domain"] for d in json.loads(out)[0]["domains"]}
    svg = tmp_path / "p.svg"
    code, out = run("prisma", "--out", str(svg), "--json")
    assert (
        code == 0
        and json.loads(out)["included_studies"] == 10
        and svg.read_text().startswith("<?xml")
    )
    code, out = run("sensitivity", "--condition", "fibromyalgia", "--json")
    assert code == 0 and any(r["analysis"] == "parallel trials only" for r in json.loads(out))


def test_add_shows_how_the_answer_changes(tmp_path: Path) -> None:
    f = tmp_path / "new.csv"
    f.write_text(
        "\ufeff"
        + HEADER
        + "\nnewtrial,bruun-2024,2026,fibromyalgia,placebo,parallel,4.5,12 weeks,200,pain_intensity,"
        "NRS change,smd_from_md_ci_and_d,-1.0,-1.5,-0.5,0.6,100,100,-1,yes,abstract,"
        "a test row: difference -1.0 (-1.5 to -0.5) and d 0.6,verified\n"
    )
    code, out = run("add", str(f), "--json")
    assert code == 0, out
    d = json.loads(out)
    assert d["valid"] and d["studies"] == ["newtrial"]
    (fm,) = [
        c
        for c in d["changes"]
        if c["condition"] == "fibromyalgia" and c["outcome"] == "pain_intensity"
    ]
    assert (fm["before"]["k"], fm["after"]["k"]) == (4, 5)


def test_add_refuses_rows_without_provenance(tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(
        HEADER + "\nx,no-such-source,2026,fibromyalgia,placebo,parallel,4.5,,20,pain_intensity,NRS,"
        "smd_from_md_ci_and_d,-1,-2,0,0.5,10,10,-1,yes,abstract,,verified\n"
    )
    res = runner.invoke(evidence_app, ["add", str(f)])
    assert res.exit_code != 0
    text = str(res.exception) + res.output
    assert "source registry" in text or "locator" in text
