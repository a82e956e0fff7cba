"""The CLI imports a command's dependencies only when that command runs: `--help`, `screen`,
`score` and `plan` never load the web server, the database layer, plotting, FHIR models or
scipy.stats (issue: an instant CLI). Checked in a fresh interpreter by what is in sys.modules."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import PATIENTS

HEAVY = (
    "sqlalchemy",
    "alembic",
    "fastapi",
    "uvicorn",
    "starlette",
    "matplotlib",
    "fhir",
    "scipy.stats",
    "weasyprint",
)


def _loaded(*args: str) -> list[str]:
    code = (
        "import sys, io, contextlib\nfrom ldn.cli.main import run\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    run({list(args)!r})\n"
        f"print(__import__('json').dumps(sorted(m for m in sys.modules if m.startswith({HEAVY!r}))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("screen", str(PATIENTS / "fibromyalgia.yaml"), "--as-of", "2026-11-25", "--json"),
        ("score", "acr_2016", str(PATIENTS / "fibromyalgia.yaml")),
        ("meds", "lookup", "Percocet"),
    ],
)
def test_light_commands_load_no_heavy_module(args: tuple[str, ...]) -> None:
    assert _loaded(*args) == []
