"""Applying a parsed search to resources (JSON): which match, which patients the query limits
itself to, and the ``_sort`` order."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ldn.interop.r4.search.params import SEARCH_PARAMS, Range
from ldn.interop.r4.search.parse import Criterion, SearchQuery

__all__ = ["matches", "patient_scope", "sorted_resources"]


def _fold(text: str) -> str:
    """Lower case without accents (``"Pérez"`` → ``perez``)."""
    decomposed = unicodedata.normalize("NFKD", text).lower()
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _token_match(
    have: Iterable[tuple[str | None, str]], want: tuple[str | None, str | None, bool]
) -> bool:
    system, code, explicit = want
    for s, c in have:
        if code is not None and c != code:
            continue
        if explicit and (system or None) != (s or None):
            continue
        return True
    return False


def _ref_match(have: Iterable[str], want: tuple[str, str]) -> bool:
    kind, ident = want
    if kind != "Patient":
        return False
    return any(re.sub(r"/_history/.*$", "", h).endswith(f"Patient/{ident}") for h in have)


def _date_holds(prefix: str, have: Range, want: Range) -> bool:
    """Whether the range ``have`` meets ``prefix`` ``want`` (FHIR search 3.1.1.4.2): ``eq``
    when it lies within, ``sa``/``eb`` when it starts after / ends before."""
    (a, b), (lo, hi) = have, want
    eq = lo <= a and b <= hi
    holds: dict[str, bool] = {
        "eq": eq,
        "ne": not eq,
        "gt": b > hi,
        "lt": a < lo,
        "ge": b > hi or eq,
        "le": a < lo or eq,
        "sa": a >= hi,
        "eb": b <= lo,
    }
    return holds[prefix]


def _date_match(have: Iterable[Range], want: tuple[str, Range]) -> bool:
    prefix, wanted = want
    return any(_date_holds(prefix, span, wanted) for span in have)


def _string_match(have: Iterable[str], want: str, modifier: str) -> bool:
    if modifier == "exact":
        return want in have
    w = _fold(want)
    if modifier == "contains":
        return any(w in _fold(h) for h in have)
    return any(_fold(h).startswith(w) for h in have)


def _criterion_met(resource: dict[str, Any], c: Criterion) -> bool:
    """Whether ``resource`` meets ``c`` by any of its values."""
    have = c.param.extract(resource)
    kind = c.param.type
    if kind == "token":
        return any(_token_match(have, v) for v in c.values)
    if kind == "reference":
        return any(_ref_match(have, v) for v in c.values)
    if kind == "date":
        return any(_date_match(have, v) for v in c.values)
    if kind == "string":
        return any(_string_match(have, v, c.modifier) for v in c.values)
    return any(v in have for v in c.values)


def matches(resource: dict[str, Any], criteria: Iterable[Criterion]) -> bool:
    """Whether ``resource`` meets every criterion (each by any of its values)."""
    return all(_criterion_met(resource, c) for c in criteria)


def patient_scope(query: SearchQuery) -> set[str] | None:
    """The patient ids the query limits itself to (``patient``, ``subject``, and ``_id``, whose
    ids start with the patient's), ANDed across parameters; None when it names no patient."""
    scope: set[str] | None = None
    for c in query.criteria:
        if c.param.name in ("patient", "subject"):
            ids = {v[1] for v in c.values if v[0] == "Patient"}
        elif c.param.name == "_id":
            ids = {str(v[1]).split("-", 1)[0] for v in c.values if v[1]}
        else:
            continue
        scope = ids if scope is None else scope & ids
    return scope


def sorted_resources(resources: list[dict[str, Any]], query: SearchQuery) -> list[dict[str, Any]]:
    """``resources`` in the query's ``_sort`` order (stable; by a date parameter's earliest
    start, resources without one last in either direction)."""
    out = list(resources)
    for name, descending in reversed(query.sort):
        if name == "_id":
            out.sort(key=lambda r: str(r.get("id", "")), reverse=descending)
            continue
        extract = SEARCH_PARAMS[query.resource_type][name].extract
        dated: list[tuple[datetime, dict[str, Any]]] = [
            (min(a for a, _ in extract(r)), r) for r in out if extract(r)
        ]
        dated.sort(key=lambda pair: pair[0], reverse=descending)
        out = [r for _, r in dated] + [r for r in out if not extract(r)]
    return out
