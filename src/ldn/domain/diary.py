"""The daily pain diary: entries, validation and CSV text (import/export).

One row a day. Missing days are allowed and reported, never filled. Pain, sleep, fatigue and
mood are 0-10 numerical ratings (pain: 0 no pain, 10 worst imaginable — the IMMPACT core scale).
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ldn.domain.errors import DataFileError, InputError, Problem, problems_from_pydantic

__all__ = ["COLUMNS", "DiaryEntry", "diary_to_csv", "missing_days", "parse_diary_csv"]

SideEffect = Literal["vivid_dreams", "insomnia", "nausea", "headache", "tiredness", "other"]
COLUMNS = (
    "date",
    "pain_avg",
    "pain_worst",
    "sleep_quality",
    "fatigue",
    "mood",
    "headache_day",
    "headache_severity",
    "acute_medication",
    "dose_mg",
    "dose_time",
    "bottle",
    "side_effects",
    "pgic",
    "note",
)
_NRS = Field(default=None, ge=0, le=10)
#: a diary day: none before 1900 (the future is refused where "today" is known)
Day = Annotated[date, Field(ge=date(1900, 1, 1), le=date(2199, 12, 31))]


class DiaryEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=2000)

    date: Day
    pain_avg: float = Field(ge=0, le=10, description="Average pain today, 0-10")
    pain_worst: float | None = _NRS
    sleep_quality: float | None = _NRS
    fatigue: float | None = _NRS
    mood: float | None = _NRS
    headache_day: bool = False
    headache_severity: float | None = _NRS
    acute_medication: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Acute medication classes taken (MOH check)",
    )
    dose_mg: float | None = Field(default=None, ge=0, le=50)
    dose_time: str = ""
    bottle: str = Field(default="", description="Blinded bottle label (A/B) during a trial")
    side_effects: list[SideEffect] = Field(default_factory=list)
    side_effect_severe: bool = Field(
        default=False, description="A side effect today was severe (the clinician is told at once)"
    )
    flag_for_clinician: bool = Field(
        default=False, description="The patient asks the clinician to read this entry's note"
    )
    pgic: int | None = Field(default=None, ge=1, le=7)
    note: str = ""

    @field_validator("acute_medication", "side_effects", mode="before")
    @classmethod
    def _split(cls, v: Any) -> Any:
        if isinstance(v, str):
            return [x.strip() for x in v.split(";") if x.strip()]
        return v


def _row_to_entry(row: dict[str, str], n: int, origin: str) -> DiaryEntry:
    data: dict[str, Any] = {k: v for k, v in row.items() if k is not None and v not in ("", None)}
    if "headache_day" in data:
        data["headache_day"] = str(data["headache_day"]).strip().lower() in (
            "1",
            "true",
            "yes",
            "y",
        )
    try:
        return DiaryEntry.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from_pydantic(exc, prefix=f"row {n}"), origin=origin) from None


def parse_diary_csv(
    text: str, *, origin: str = "diary.csv", today: date | None = None
) -> list[DiaryEntry]:
    """Entries from CSV text; dates must strictly increase (no duplicates, none in the future)."""
    reader = csv.DictReader(io.StringIO(text))
    if (
        not reader.fieldnames
        or "date" not in reader.fieldnames
        or "pain_avg" not in reader.fieldnames
    ):
        raise DataFileError(
            Problem(
                "header",
                "the diary needs at least the columns date and pain_avg",
                f"columns: {', '.join(COLUMNS)}",
            ),
            origin=origin,
        )
    unknown = [c for c in reader.fieldnames if c not in COLUMNS]
    if unknown:
        raise DataFileError(
            Problem(
                "header", f"unknown column(s) {', '.join(unknown)}", f"use: {', '.join(COLUMNS)}"
            ),
            origin=origin,
        )
    entries: list[DiaryEntry] = []
    for n, row in enumerate(reader, start=2):
        e = _row_to_entry(row, n, origin)
        if entries and e.date <= entries[-1].date:
            what = "is a duplicate of" if e.date == entries[-1].date else "comes before"
            raise InputError.at(
                f"row {n}, column date",
                f"{e.date.isoformat()} {what} the previous row's date",
                "sort the diary by date with one row per day",
                origin=origin,
            )
        if today is not None and e.date > today:
            raise InputError.at(
                f"row {n}, column date",
                f"{e.date.isoformat()} is in the future",
                "remove entries for days that have not happened",
                origin=origin,
            )
        entries.append(e)
    if not entries:
        raise DataFileError(
            Problem("(file)", "no diary rows", "add one row per day"), origin=origin
        )
    return entries


def diary_to_csv(entries: list[DiaryEntry]) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for e in entries:
        d = e.model_dump(mode="json")
        d["acute_medication"] = ";".join(e.acute_medication)
        d["side_effects"] = ";".join(e.side_effects)
        d["headache_day"] = "yes" if e.headache_day else "no"
        w.writerow({k: ("" if d[k] is None else d[k]) for k in COLUMNS})
    return out.getvalue()


def missing_days(entries: list[DiaryEntry]) -> list[date]:
    """Days between the first and last entry with no entry (reported, never filled)."""
    have = {e.date for e in entries}
    first, last = entries[0].date, entries[-1].date
    return [
        first + timedelta(days=i)
        for i in range((last - first).days + 1)
        if first + timedelta(days=i) not in have
    ]
