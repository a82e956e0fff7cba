"""Shared pieces of the record models: the frozen base model and the "not in the future" check."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo

__all__ = ["MAX_TEXT", "RecordModel", "not_in_future"]


def not_in_future(value: Any, info: ValidationInfo, what: str) -> Any:
    """Reject dates/times after 'today' (from the validation context)."""
    today = (info.context or {}).get("today")
    if today is None or value is None:
        return value
    day = value.date() if isinstance(value, datetime) else value
    if isinstance(day, date) and day > today:
        raise ValueError(
            f"{what} {day.isoformat()} is in the future (today is {today.isoformat()})"
            " | fix: check the date; use --as-of if you meant another day"
        )
    return value


#: the longest text any record field holds (notes, descriptions); names are shorter, per field
MAX_TEXT = 5000


class RecordModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, str_max_length=MAX_TEXT
    )
