"""CDS Hooks 2.0 discovery and cards (source: ``cds-hooks-2``): the services ldn offers, their
prefetch templates, and a card with its citation as the card's ``source``."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from ldn import DISCLAIMER
from ldn.domain.sources import get_source

__all__ = ["SERVICES", "SPEC_SOURCE", "card", "discovery"]

SPEC_SOURCE = "cds-hooks-2"
_PATIENT = "Patient/{{context.patientId}}"
_PREFETCH_VIEW = {"patient": _PATIENT, "conditions": "Condition?patient={{context.patientId}}",
                  "medications": "MedicationStatement?patient={{context.patientId}}",
                  "observations": "Observation?patient={{context.patientId}}&code=http://loinc.org|72514-3,http://loinc.org|1742-6,http://loinc.org|1920-8,http://loinc.org|14631-6"}  # fmt: skip
_PREFETCH_ORDER = {
    "patient": _PATIENT,
    "medications": "MedicationStatement?patient={{context.patientId}}",
}
_ORDER_DESC = (
    "Checks a draft naltrexone order against recent opioid use (washout), and a draft opioid "
    "order against current naltrexone."
)
SERVICES: dict[str, dict[str, Any]] = {
    "ldn-candidacy": {"hook": "patient-view", "id": "ldn-candidacy", "title": "Low-dose naltrexone (LDN) candidacy",
                      "description": "Is this pain the kind LDN may help, and is it safe to start now? Screens the "
                                     "patient's conditions, medications and tests with cited criteria.",
                      "prefetch": _PREFETCH_VIEW},
    "ldn-order-select": {"hook": "order-select", "id": "ldn-order-select", "title": "LDN and opioid order check",
                         "description": _ORDER_DESC, "prefetch": _PREFETCH_ORDER},
    "ldn-order-sign": {"hook": "order-sign", "id": "ldn-order-sign", "title": "LDN and opioid order check",
                       "description": _ORDER_DESC, "prefetch": _PREFETCH_ORDER},
}  # fmt: skip


def discovery() -> dict[str, Any]:
    return {"services": list(SERVICES.values())}


def _source(source_ids: tuple[str, ...] | list[str]) -> dict[str, Any]:
    ids = [s for s in source_ids if s != "ldn-assumption"] or list(source_ids)
    src = get_source(ids[0]) if ids else get_source("seed-article")
    out: dict[str, Any] = {
        "label": src.short,
        "topic": {
            "system": "https://ldn.example.org/fhir/CodeSystem/source",
            "code": src.id,
            "display": src.title[:100],
        },
    }
    if src.link:
        out["url"] = src.link
    return out


def card(
    summary: str,
    indicator: Literal["info", "warning", "critical"],
    detail: str,
    sources: tuple[str, ...] | list[str],
    link: str | None = None,
) -> dict[str, Any]:
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": summary[:139],
        "indicator": indicator,
        "detail": detail + f"\n\n_{DISCLAIMER}_",
        "source": _source(sources),
    }
    if link:
        card["links"] = [{"label": "Open in ldn", "url": link, "type": "absolute"}]
    return card
