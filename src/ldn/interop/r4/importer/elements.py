"""Reading FHIR elements the importer's modules share: ldn's extensions, codings, dates,
references within a Bundle."""

from __future__ import annotations

import json
import re
from typing import Any

from ldn.domain.errors import InputError
from ldn.interop.r4.codes import EXT

__all__ = [
    "codes",
    "concept_text",
    "ext",
    "ext_json",
    "reference_targets",
    "refers_to",
    "status_code",
    "when",
    "without_history",
]


def ext(resource: dict[str, Any], name: str) -> Any:
    """The value of ldn's extension ``name`` on ``resource`` (None when absent)."""
    for e in resource.get("extension") or []:
        if e.get("url") == EXT[name]:
            return next((v for k, v in e.items() if k.startswith("value")), None)
    return None


def ext_json(text: Any, loc: str, name: str) -> dict[str, Any]:
    """An ldn extension's JSON object (else a problem naming the element)."""
    try:
        value = json.loads(str(text))
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise InputError.at(
            loc,
            f"ldn's {name} extension does not hold a JSON object",
            "send the extension as ldn exported it, or leave it out",
            origin="bundle",
        )
    return value


def codes(concept: Any) -> list[dict[str, Any]]:
    """The codings of a CodeableConcept (those that are JSON objects)."""
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict)]


def status_code(concept: Any) -> str | None:
    """The first code of a status CodeableConcept (``clinicalStatus``, ...)."""
    return next((str(c["code"]) for c in codes(concept) if c.get("code")), None)


def concept_text(concept: Any) -> str:
    """A concept's text, else the first coding's display, else ""."""
    if not isinstance(concept, dict):
        return ""
    display = next((c.get("display") for c in codes(concept) if c.get("display")), "")
    return str(concept.get("text") or display or "")


def when(res: dict[str, Any], *names: str) -> str:
    """The first date/time found among ``names`` (a period gives its end, else its start)."""
    for name in names:
        value = res.get(name)
        if isinstance(value, dict):
            value = value.get("end") or value.get("start")
        if value:
            return str(value)
    return ""


def without_history(ref: str) -> str:
    """A reference without its version (``Patient/5/_history/2`` → ``Patient/5``)."""
    return re.sub(r"/_history/[^/]+$", "", ref)


def reference_targets(entry: dict[str, Any], res: dict[str, Any]) -> set[str]:
    """What a reference to this entry may say: its ``fullUrl`` and ``Type/id``."""
    out = set()
    if entry.get("fullUrl"):
        out.add(str(entry["fullUrl"]))
    if res.get("id"):
        out.add(f"{res['resourceType']}/{res['id']}")
    return out


def refers_to(ref: str, targets: set[str]) -> bool:
    """Whether ``ref`` names one of ``targets`` (an absolute URL ending in ``/Type/id`` too)."""
    ref = without_history(ref)
    return ref in targets or any(
        "/" in t and not t.startswith("urn:") and ref.endswith("/" + t) for t in targets
    )
