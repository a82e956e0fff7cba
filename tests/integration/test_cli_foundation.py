"""The foundation CLI: version, sources, facts, schema, demo, and one-line errors (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import PATIENTS


def test_version(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("--version")
    assert code == 0
    assert out.startswith("ldn ")


def test_sources_list_and_show(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("sources", "--json")
    assert code == 0
    ids = {s["id"] for s in json.loads(out)}
    assert "seed-article" in ids
    code, out, _ = cli("sources", "seed-article")
    assert code == 0
    assert "How Effective Is Low Dose Naltrexone" in out


def test_unknown_source_exits_2_with_one_line(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("sources", "no-such-id")
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1


def test_facts_json(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("facts", "--json")
    assert code == 0
    for fact in json.loads(out):
        assert {"name", "value", "unit", "source_ids"} <= fact.keys()


def test_schema_patient_is_a_valid_json_schema(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("schema", "patient")
    assert code == 0
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert "age_years" in schema["properties"]


def test_demo_runs(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("demo")
    assert code == 0
    assert "fibromyalgia.yaml" in out


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("", "empty"),
        ("id: [unclosed\n", "invalid YAML"),
        ("id: p\nage_years: 40\nsex: female\ncolour: red\n", "colour"),
        ("id: p\nage_years: -1\nsex: female\n", "age_years"),
        (
            "id: p\nage_years: 40\nsex: female\nmedications:\n  - name: tramadol\n    dose: 50\n",
            "needs a unit",
        ),
        (
            "id: p\nage_years: 40\nsex: female\nmedications:\n  - name: codeine\n    last_dose: 2099-01-01\n",
            "in the future",
        ),
    ],
    ids=["empty", "invalid-yaml", "unknown-field", "negative-age", "dose-no-unit", "future-date"],
)
def test_bad_patient_files_exit_2_with_one_line(
    cli, tmp_path: Path, content: str, needle: str
) -> None:  # type: ignore[no-untyped-def]
    """Checked through `ldn check`, the command that validates a record without screening it."""
    f = tmp_path / "p.yaml"
    f.write_text(content, encoding="utf-8")
    code, _out, err = cli("check", str(f))
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert needle in lines[0]
    assert "Traceback" not in err


def test_check_accepts_every_example(cli) -> None:  # type: ignore[no-untyped-def]
    for path in sorted(PATIENTS.glob("*.yaml")):
        code, _out, err = cli("check", str(path), "--as-of", "2026-11-25")
        assert code == 0, err


def test_missing_file_exits_2(cli) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli("check", "/no/such/file.yaml")
    assert code == 2
    assert "no such file" in err
