"""The clinician's patient list as a page: query parameters read leniently (a bad value falls
back to the default rather than failing the page) and the links of the sortable headers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from ldn.domain.dashboard import SORTS

__all__ = ["COLUMNS", "ListView", "list_view"]

#: the sortable columns: (sort key, header)
COLUMNS = (
    ("name", "Patient"),
    ("last_diary_day", "Last diary day"),
    ("days_missed", "Days missed"),
    ("side_effect", "Newest side effect"),
    ("dose", "Current dose"),
    ("next_action", "Next action"),
)
#: the first click on a column sorts it this way (most useful first: newest, most missed, ...)
_FIRST_DESCENDING = {"last_diary_day", "days_missed", "side_effect", "dose"}


@dataclass(frozen=True, slots=True)
class ListView:
    """What the list shows: ``query`` for :func:`ldn.services.clinic.patients.list_patients`,
    the parameters as typed (for the form) and the current sort."""

    query: dict[str, Any]
    params: dict[str, str]
    sort: str
    descending: bool
    links: dict[str, str] = field(default_factory=dict)

    def aria_sort(self, key: str) -> str:
        if key != self.sort:
            return "none"
        return "descending" if self.descending else "ascending"


def list_view(*, q: str, sort: str, condition: str, attention: str, days: str) -> ListView:
    """The list's query from the page's parameters, and a link per sortable header (the same
    filters; a second click on the sorted column reverses it)."""
    key, descending = (sort[1:], True) if sort.startswith("-") else (sort, False)
    if key not in SORTS:
        key, descending = "name", False
    want: bool | None = {"1": True, "0": False}.get(attention)
    gap = int(days) if days.isdigit() and 1 <= int(days) <= 3650 else None
    query: dict[str, Any] = {
        "q": q,
        "sort": ("-" if descending else "") + key,
        "condition": condition,
        "attention": want,
        "no_diary_days": gap,
    }
    params = {
        "q": q,
        "condition": condition,
        "attention": attention if want is not None else "",
        "no_diary_days": str(gap) if gap else "",
    }
    links = {}
    for column, _ in COLUMNS:
        flip = not descending if column == key else column in _FIRST_DESCENDING
        keep = {k: v for k, v in params.items() if v}
        links[column] = "/clinic?" + urlencode({**keep, "sort": ("-" if flip else "") + column})
    return ListView(query, params, key, descending, links)
