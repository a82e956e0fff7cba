"""Shared pieces of the CLI: consoles, JSON output, dates, the disclaimer."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ldn import DISCLAIMER
from ldn.domain.errors import InputError

__all__ = [
    "AsOfOpt",
    "JsonOpt",
    "console",
    "emit_json",
    "err_console",
    "parse_as_of",
    "print_disclaimer",
    "to_jsonable",
]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print machine-readable JSON instead of a report.")
]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Treat this date (YYYY-MM-DD) as today, e.g. for washout dates."),
]
PatientFileArg = Annotated[
    Path, typer.Argument(help="Patient record, YAML or JSON.", show_default=False)
]


def parse_as_of(value: str | None, *, option: str = "--as-of") -> date:
    """``value`` as a date (today when None), or an InputError naming the option."""
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError.at(option, f"{value!r} is not a date", "write it as YYYY-MM-DD") from None


def to_jsonable(obj: Any) -> Any:
    """Convert dataclasses, pydantic models, dates, enums, numpy scalars to JSON-ready data."""
    if hasattr(obj, "model_dump"):
        return to_jsonable(obj.model_dump(mode="json"))
    if is_dataclass(obj) and not isinstance(obj, type):
        if hasattr(obj, "as_dict"):
            return to_jsonable(obj.as_dict())
        return to_jsonable(asdict(obj))
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (date, datetime)):
        return obj.isoformat()
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return to_jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None  # JSON has no NaN/inf; "not estimable" is null
    if hasattr(obj, "tolist"):  # numpy array
        return obj.tolist()
    return obj


def emit_json(obj: Any) -> None:
    """Write ``obj`` as pretty JSON to stdout (stable key order as built)."""
    sys.stdout.write(
        json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    )


def print_disclaimer() -> None:
    console.print(f"[dim]{DISCLAIMER}[/dim]")
