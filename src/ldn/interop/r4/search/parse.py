"""Reading a search's query string into a :class:`SearchQuery` (criteria, and the result
parameters that shape the answer: paging, sorting, summary, format)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ldn.domain.errors import InputError, Problem
from ldn.interop.r4.search.params import SEARCH_PARAMS, Param, ParamType, instant_range

__all__ = [
    "DEFAULT_COUNT",
    "JSON_FORMATS",
    "MAX_COUNT",
    "Criterion",
    "SearchError",
    "SearchQuery",
    "parse_search",
]

DEFAULT_COUNT = 50
MAX_COUNT = 500
#: the ``_format`` values ldn serves (everything else is 406)
JSON_FORMATS = frozenset(
    {"json", "application/json", "application/fhir+json", "application/json+fhir"}
)

#: result parameters (they shape the answer, not the set of matches)
_RESULT = {"_count", "_offset", "_sort", "_summary", "_total", "_format", "_pretty"}
_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
_MODIFIERS: dict[ParamType, frozenset[str]] = {
    "reference": frozenset({"Patient"}),
    "string": frozenset({"exact", "contains"}),
    "token": frozenset(),
    "date": frozenset(),
    "uri": frozenset(),
}
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_REFERENCE = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})$")
#: how to write a valid value, by parameter type or result parameter
_FIX = {
    "token": "write system|code, code, system| or |code",
    "_count": "send a whole number from 0",
    "_offset": "send a whole number from 0",
    "_total": "use none, estimate or accurate",
    "reference": "write the patient's id, Patient/{id} or its URL",
    "date": (
        "write a date (2026, 2026-11, 2026-11-25 or a date-time) with an optional prefix: "
        "eq ne gt lt ge le sa eb"
    ),
    "string": "write text",
    "uri": "write a URL",
}
_STRICT_FIX = "remove the parameter (without Prefer: handling=strict it is ignored)"


class SearchError(InputError):
    """A search that cannot be run as asked (answered 400 with an OperationOutcome)."""

    code = "invalid_search"


@dataclass(frozen=True, slots=True)
class Criterion:
    param: Param
    modifier: str
    values: tuple[Any, ...]  # parsed values, any of which matches


@dataclass(frozen=True, slots=True)
class SearchQuery:
    resource_type: str
    criteria: tuple[Criterion, ...]
    count: int
    offset: int
    sort: tuple[tuple[str, bool], ...]  # (parameter, descending)
    summary_count: bool
    pretty: bool
    applied: tuple[tuple[str, str], ...]  # what the self link shows (without _count/_offset)
    dropped: tuple[tuple[str, str], ...]  # (parameter, why)
    types: tuple[str, ...] = ()  # $everything's _type

    def page(self, offset: int) -> list[tuple[str, str]]:
        """The query string of the page starting at ``offset``."""
        return [*self.applied, ("_count", str(self.count)), ("_offset", str(offset))]


def _split(value: str) -> list[str]:
    """Comma-separated values, ``\\,`` escaping a comma."""
    parts = re.split(r"(?<!\\),", value)
    return [p.replace("\\,", ",") for p in parts]


def _parse_value(p: Param, raw: str) -> Any:
    """One value of a parameter of ``p``'s type (ValueError when it is not valid):

    - token: (system, code, whether a system was given; None for an empty one);
    - reference: (type, id) — another type than Patient matches nothing;
    - date: (prefix, instant range);
    - string, uri: the text."""
    if p.type == "token":
        if "|" in raw:
            system, code = raw.split("|", 1)
            return (system or None, code or None, True)
        return (None, raw, False)
    if p.type == "reference":
        if "/" not in raw:
            if not _ID.fullmatch(raw):
                raise ValueError(raw)
            return ("Patient", raw)
        m = _REFERENCE.search(re.sub(r"/_history/[^/]+$", "", raw))
        if not m:
            raise ValueError(raw)
        return (m.group(1), m.group(2))
    if p.type == "date":
        prefix = raw[:2] if raw[:2] in _PREFIXES and raw[2:3].isdigit() else ""
        if prefix == "ap":
            raise ValueError("the prefix ap (approximately) is not supported")
        return (prefix or "eq", instant_range(raw[len(prefix) :]))
    return raw


def _sort_keys(value: str, table: dict[str, Param]) -> tuple[list[tuple[str, bool]], str]:
    """(the ``_sort`` keys, descending or not; the reason one is not supported, or "")."""
    keys = []
    for item in value.split(","):
        key = item.removeprefix("-")
        if key != "_id" and (key not in table or table[key].type != "date"):
            return (
                [],
                f"cannot sort by {key!r} (ldn sorts by _id and by the type's date parameters)",
            )
        keys.append((key, item.startswith("-")))
    return keys, ""


def _result_param(name: str, value: str, table: dict[str, Param], q: dict[str, Any]) -> str:
    """Apply a result parameter to ``q``; the reason it is not supported, or ""; ValueError
    for an invalid value."""
    if name in ("_count", "_offset"):
        number = int(value)
        if number < 0:
            raise ValueError(value)
        q[name] = min(number, MAX_COUNT) if name == "_count" else number
    elif name == "_summary":
        if value not in ("count", "false"):
            return f"_summary={value} is not supported (count and false are)"
        q["summary"] = value == "count"
    elif name == "_total":
        if value not in ("none", "estimate", "accurate"):
            raise ValueError(value)
    elif name == "_pretty":
        q["pretty"] = value == "true"
    elif name == "_sort":
        keys, why = _sort_keys(value, table)
        if why:
            return why
        q["sort"] = keys
    elif name == "_type":
        q["types"] = [t for t in value.split(",") if t]
    return ""


def _unsupported(name: str, resource_type: str, *, everything: bool) -> str:
    if everything:
        return f"{name} is not supported by $everything (_count, _offset and _type are)"
    return f"{name} is not a search parameter ldn supports for {resource_type}"


def parse_search(
    resource_type: str, params: Sequence[tuple[str, str]], *, strict: bool, everything: bool = False
) -> SearchQuery:
    """A query from (name, value) pairs in order (query string, then a ``_search`` form).

    ``everything``: the parameters of ``Patient/{id}/$everything`` (result parameters and
    ``_type``) instead of a type's search parameters."""
    table = {} if everything else SEARCH_PARAMS.get(resource_type, {})
    results = _RESULT | ({"_type"} if everything else set())
    criteria: list[Criterion] = []
    applied: list[tuple[str, str]] = []
    dropped: list[tuple[str, str]] = []
    problems: list[Problem] = []
    q: dict[str, Any] = {
        "_count": MAX_COUNT if everything else DEFAULT_COUNT,
        "_offset": 0,
        "summary": False,
        "pretty": False,
        "sort": [],
        "types": [],
    }
    for key, value in params:
        if value == "":
            continue  # an empty parameter is ignored (FHIR search, 3.1.1.5)
        name, _, modifier = key.partition(":")
        if modifier and name in results:
            why = f"the modifier :{modifier} is not supported on {name}"
        elif name in results:
            try:
                why = _result_param(name, value, table, q)
            except ValueError:
                problems.append(Problem(key, f"{value!r} is not a valid {name} value", _FIX[name]))
                continue
            if not why and name not in ("_count", "_offset"):
                applied.append((key, value))
        elif "." in name:
            why = f"chained parameters ({key}) are not supported"
        elif name not in table:
            why = _unsupported(name, resource_type, everything=everything)
        elif modifier and modifier not in _MODIFIERS[table[name].type]:
            why = f"the modifier :{modifier} is not supported on {name}"
        else:
            p = table[name]
            try:
                values = tuple(_parse_value(p, v) for v in _split(value) if v != "")
            except ValueError as exc:
                detail = str(exc)
                if "prefix" not in detail:
                    detail = f"{value!r} is not a valid {p.type} value for {name}"
                problems.append(Problem(key, detail, _FIX[p.type]))
                continue
            if values:
                criteria.append(Criterion(p, modifier, values))
                applied.append((key, value))
            why = ""
        if why and strict:
            problems.append(Problem(key, why, _STRICT_FIX))
        elif why:
            dropped.append((key, why))
    if problems:
        raise SearchError(problems, origin="search")
    return SearchQuery(
        resource_type=resource_type,
        criteria=tuple(criteria),
        count=q["_count"],
        offset=q["_offset"],
        sort=tuple(q["sort"]),
        summary_count=q["summary"],
        pretty=q["pretty"],
        applied=tuple(applied),
        dropped=tuple(dropped),
        types=tuple(q["types"]),
    )
