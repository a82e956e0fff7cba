"""Stateless computations offered by the API: nothing is stored, nothing about a patient kept."""

from __future__ import annotations

from datetime import date
from typing import Any

from ldn.domain.evidence.answer import EXTERNAL_FM_POOLS, answer
from ldn.domain.evidence.dataset import load_trials
from ldn.domain.instruments import INSTRUMENTS
from ldn.domain.medicines import ATC_SYSTEM, RXNORM_SYSTEM, identify
from ldn.domain.patient import parse_patient
from ldn.domain.screening import screen

__all__ = ["evidence_answer", "evidence_trials", "instruments", "screen_record"]


def screen_record(record: object, *, today: date) -> dict[str, Any]:
    return screen(parse_patient(record, today=today, origin="record"), today=today).as_dict()


def evidence_answer(condition: str) -> dict[str, Any]:
    return {
        "answer": answer(condition).as_dict(),
        "external_meta_analyses": [
            {"source_id": s, "result": r} for s, r in EXTERNAL_FM_POOLS.value
        ],
    }


def evidence_trials() -> list[dict[str, str]]:
    return [dict(t.row) for t in load_trials()]


def instruments() -> list[dict[str, Any]]:
    return [
        {
            "id": s.id,
            "name": s.name,
            "licence": s.licence,
            "licence_note": s.licence_note,
            "item_text_shipped": s.item_text_shipped,
            "source_ids": list(s.source_ids),
        }
        for s in INSTRUMENTS.values()
    ]


def medicine_lookup(
    name: str, *, atc: str | None = None, rxnorm: str | None = None
) -> dict[str, Any]:
    """What ldn makes of a medicine (the same matcher every door uses)."""
    codes = tuple((s, c) for s, c in ((ATC_SYSTEM, atc), (RXNORM_SYSTEM, rxnorm)) if c)
    return identify(name, codes=codes).as_dict()
