"""`ldn network pool` on the shipped example aggregates (issue 22, part 3): the cross-clinic
answer beside the randomized trials' answer, as a report and as JSON; a bad file is one line
naming the file and the field (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ldn.domain.aggregate import aggregate_json_schema
from tests.conftest import EXAMPLES

FILES = sorted(str(p) for p in (EXAMPLES / "network").glob("*.json"))


def test_the_examples_pool_beside_the_randomized_trials(cli: Any) -> None:
    assert len(FILES) == 3
    code, out, err = cli("network", "pool", *FILES)
    assert code == 0, err
    assert "3 clinics" in out and "fibromyalgia" in out
    assert "N-of-1 trials:" in out and "Randomized trials:" in out
    assert "clinical judgement" in out


def test_the_json_answer(cli: Any) -> None:
    code, out, err = cli("network", "pool", *FILES, "--json")
    assert code == 0, err
    answer = json.loads(out)
    fibro = next(c for c in answer["conditions"] if c["condition"] == "fibromyalgia")
    assert len(fibro["clinics"]) == 3 and fibro["patients"] >= 45
    net = fibro["network"]
    lo, hi = net["delta_ci_nrs"]
    assert lo < net["delta_mean_nrs"] < hi < 0  # the synthetic clinics' truths are all below 0
    assert fibro["rct"]["condition"] == "fibromyalgia" and fibro["rct_sentence"]
    code, out, _ = cli("network", "pool", *FILES, "--json", "--condition", "chronic_migraine")
    assert code == 0
    assert [c["condition"] for c in json.loads(out)["conditions"]] == ["chronic_migraine"]


def test_a_bad_file_names_the_file_and_the_field(cli: Any, tmp_path: Path) -> None:
    doc = json.loads(Path(FILES[0]).read_text(encoding="utf-8"))
    doc["period_end_month"] = "2026-11-25"
    bad = tmp_path / "clinic-b.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    code, _, err = cli("network", "pool", FILES[1], str(bad))
    assert code == 2
    assert "clinic-b.json" in err and "period_end_month" in err
    code, _, err = cli("network", "pool", FILES[0], FILES[0])
    assert code == 2 and "once" in err
    code, _, err = cli("network", "pool", str(tmp_path / "missing.json"))
    assert code == 2 and "missing.json" in err


def test_the_schema_command_prints_the_published_schema(cli: Any) -> None:
    code, out, _ = cli("network", "schema")
    assert code == 0 and json.loads(out) == aggregate_json_schema()
