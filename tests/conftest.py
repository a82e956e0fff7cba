"""Cross-cutting fixtures. Settings and dates are built explicitly, never read from the environment."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PATIENTS = EXAMPLES / "patients"
#: the reference date the example patients were written for
AS_OF = date(2026, 11, 25)


@pytest.fixture
def as_of() -> date:
    return AS_OF


@pytest.fixture
def examples_dir() -> Path:
    return EXAMPLES


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run the ``ldn`` CLI in-process: returns (exit code, stdout, stderr)."""
    from ldn.cli.main import run

    def invoke(*args: str) -> tuple[int, str, str]:
        code = run(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke
