"""The boundary check every request passes before any route sees it (:func:`check_text`): what
ldn cannot store or does not read is refused once, as 422 naming the field."""

from __future__ import annotations

import json
import math
import re

from fastapi import Request

from ldn.api.schemas import EARLIEST_DAY, LATEST_DAY
from ldn.domain.errors import InputError

__all__ = ["MAX_DEPTH", "check_text"]

#: the JSON nesting ldn reads at most (a FHIR Bundle needs about ten levels)
MAX_DEPTH = 32
_ISO_DAY = re.compile(r"^(\d{4})-\d{2}-\d{2}(?:[T ][0-9:.+\-Z]*)?$")


def _text_problem(text: str, *, dates: bool = True) -> str | None:
    """Why a string cannot be stored as text, or None (``dates``: also an ISO date out of range)."""
    if "\x00" in text:
        return "text contains a NUL character (U+0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "text contains a lone surrogate (not a Unicode scalar value; e.g. half of an emoji)"
    m = _ISO_DAY.match(text) if dates and len(text) <= 40 else None
    if m and not EARLIEST_DAY.year <= int(m.group(1)) <= LATEST_DAY.year:
        return f"the date {text[:10]} is outside {EARLIEST_DAY.year}..{LATEST_DAY.year}"
    return None


def _json_problem(
    value: object, loc: str = "", depth: int = 0, *, dates: bool = True
) -> tuple[str, str] | None:
    """The first place in a parsed JSON body ldn refuses to store: (where, why)."""
    if depth > MAX_DEPTH:
        return loc or "(body)", f"nested deeper than {MAX_DEPTH} levels"
    if isinstance(value, str):
        why = _text_problem(value, dates=dates)
        return (loc or "(body)", why) if why else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return (
            (loc or "(body)", "the number is beyond a 64-bit integer")
            if abs(value) >= 2**63
            else None
        )
    if isinstance(value, float):
        return None if math.isfinite(value) else (loc or "(body)", "the number is not finite")
    if isinstance(value, dict):
        for k, v in value.items():
            where = f"{loc}.{k}" if loc else str(k)
            why = _text_problem(str(k))
            if why:
                return where, why
            found = _json_problem(v, where, depth + 1, dates=dates)
            if found is not None:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _json_problem(v, f"{loc}[{i}]", depth + 1, dates=dates)
            if found is not None:
                return found
    return None


def _refuse(loc: str, why: str) -> InputError:
    fix = (
        "nest less deeply"
        if "nested" in why
        else "send a number ldn can store"
        if "number" in why
        else f"use a date between {EARLIEST_DAY} and {LATEST_DAY}"
        if "date" in why
        else "remove the character, or send the whole character (valid UTF-8)"
    )
    return InputError.at(loc, why, fix)


def _id_problem(value: str) -> str | None:
    """A path segment that reads as a number but is none ldn could store as an id."""
    if value.isdigit() and (not value.isascii() or len(value) > 19 or int(value) > 2**62):
        return "the id is not a number from 1 to 2^62 (ASCII digits)"
    return None


async def check_text(request: Request) -> None:
    """Everything a client sends is checked once, before any route sees it, for what ldn cannot
    store or does not read: NUL characters and lone surrogates in any text (PostgreSQL and UTF-8
    cannot store them; 422 naming the field), dates outside 1900-2199, numbers beyond 64 bits or
    not finite, ids in the path that are no ASCII number in range, and JSON nested deeper than
    :data:`MAX_DEPTH`."""
    if "%00" in request.url.query:
        raise InputError.at(
            "query", "a query parameter contains a NUL character (U+0000)", "remove it"
        )
    for name, value in request.path_params.items():
        why = _text_problem(str(value)) or _id_problem(str(value))
        if why:
            raise _refuse(f"path.{name}", why)
    for name, value in request.query_params.multi_items():
        why = _text_problem(value) or _text_problem(name)
        if why:
            raise _refuse(f"query.{name}", why)
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    kind = request.headers.get("content-type", "")
    if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # parsed once and cached on the request
        for k, v in form.multi_items():
            why = _text_problem(k) or (_text_problem(v) if isinstance(v, str) else None)
            if why:
                raise _refuse(k, why)
        return
    body = await request.body()
    if not body:
        return
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        if b"\x00" in body or b"\\u0000" in body.lower():
            raise _refuse("(body)", "text contains a NUL character (U+0000)") from None
        return  # not JSON: the route answers (400 malformed JSON, or its own parsing)
    # a CDS client's prefetch is read, not stored: an odd date in it must not silence the checks
    found = _json_problem(parsed, dates=not request.url.path.startswith("/cds-services"))
    if found is not None:
        raise _refuse(*found)
