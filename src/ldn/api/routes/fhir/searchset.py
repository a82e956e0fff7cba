"""The searchset Bundle of a search or ``$everything``: the page's matches, ``total``, the paging
links (``self``, ``first``, ``previous``, ``next``, ``last``), and an OperationOutcome entry for
the parameters that were dropped."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from ldn.interop.r4.search import SearchQuery

__all__ = ["searchset"]


def _links(url: str, query: SearchQuery, total: int) -> list[dict[str, str]]:
    """The paging links of ``url`` (``_count`` 0 or ``_summary=count``: only ``self``)."""
    count, offset = query.count, query.offset

    def link(relation: str, page_offset: int) -> dict[str, str]:
        return {"relation": relation, "url": f"{url}?{urlencode(query.page(page_offset))}"}

    links = [link("self", offset)]
    if query.summary_count or count <= 0:
        return links
    links.append(link("first", 0))
    if offset > 0:
        links.append(link("previous", max(0, offset - count)))
    if offset + count < total:
        links.append(link("next", offset + count))
    links.append(link("last", max(0, (total - 1) // count * count)))
    return links


def _dropped_outcome(query: SearchQuery) -> dict[str, Any]:
    """An OperationOutcome entry naming each parameter that was not applied, and why."""
    issues = [
        {
            "severity": "warning",
            "code": "not-supported",
            "diagnostics": f"ignored: {why}",
            "expression": [key],
        }
        for key, why in query.dropped
    ]
    outcome = {"resourceType": "OperationOutcome", "issue": issues}
    return {
        "fullUrl": f"urn:uuid:{uuid.uuid4()}",
        "resource": outcome,
        "search": {"mode": "outcome"},
    }


def searchset(base: str, path: str, query: SearchQuery, result: dict[str, Any]) -> dict[str, Any]:
    """The searchset Bundle of ``result`` (``total`` and this page's ``resources``) at
    ``{base}/{path}``."""
    total = result["total"]
    links = _links(f"{base}/{path}", query, total)
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
            "resource": r,
            "search": {"mode": "match"},
        }
        for r in result["resources"]
    ]
    if query.dropped:
        entries.append(_dropped_outcome(query))
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": datetime.now(UTC).isoformat(timespec="milliseconds")},
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": entries,
    }
