"""Parse YAML or JSON text into plain data, with errors that say where the text is broken.

Pure: callers read the file; this turns its text into Python data.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from ldn.domain.errors import DataFileError, Problem

__all__ = ["parse_document"]


def parse_document(text: str, *, origin: str, fmt: str | None = None) -> Any:
    """Parse ``text`` as JSON (``fmt='json'`` or a .json origin) or YAML (everything else)."""
    if not text.strip():
        raise DataFileError(
            Problem("(file)", "the file is empty", "put a record in it"), origin=origin
        )
    use_json = fmt == "json" or (fmt is None and origin.lower().endswith(".json"))
    try:
        if use_json:
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(
            Problem(
                f"line {exc.lineno} column {exc.colno}",
                f"invalid JSON: {exc.msg}",
                "fix the JSON syntax there",
            ),
            origin=origin,
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark is not None else "(file)"
        what = getattr(exc, "problem", None) or "cannot be parsed"
        raise DataFileError(
            Problem(
                where,
                f"invalid YAML: {what}",
                "fix the YAML syntax there (indentation, colons, quotes)",
            ),
            origin=origin,
        ) from None
