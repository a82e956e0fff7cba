"""Reading user files (patient records, data sets) into validated domain objects."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from ldn.domain.documents import parse_document
from ldn.domain.errors import DataFileError, Problem
from ldn.domain.patient import PatientRecord, parse_patient

__all__ = ["load_document", "load_patient_file", "read_text"]


def read_text(path: Path) -> str:
    """The file's text, or a :class:`DataFileError` that says why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(
            Problem("(file)", "no such file", "check the path"), origin=str(path)
        ) from None
    except IsADirectoryError:
        raise DataFileError(
            Problem("(file)", "is a folder, not a file", "name a file"), origin=str(path)
        ) from None
    except UnicodeDecodeError:
        raise DataFileError(
            Problem("(file)", "is not UTF-8 text", "save it as UTF-8 YAML or JSON"),
            origin=str(path),
        ) from None
    except OSError as exc:
        raise DataFileError(
            Problem("(file)", f"cannot be read: {exc.strerror}", "check the path and permissions"),
            origin=str(path),
        ) from None


def load_document(path: Path) -> Any:
    return parse_document(read_text(path), origin=str(path))


def load_patient_file(path: Path, *, today: date) -> PatientRecord:
    """Load and validate a patient record from a YAML or JSON file."""
    return parse_patient(load_document(path), today=today, origin=str(path))
