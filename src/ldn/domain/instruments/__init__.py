"""Validated instruments and criteria sets, one module each; :data:`INSTRUMENTS` lists them."""

from __future__ import annotations

from typing import Any

from ldn.domain.errors import InputError
from ldn.domain.instruments import acr_fibromyalgia, csi, fiqr, ichd3, midas, nociplastic, nrs, pgic
from ldn.domain.instruments.base import InstrumentResult, InstrumentSpec

INSTRUMENTS: dict[str, InstrumentSpec[Any]] = {
    s.id: s
    for s in (
        acr_fibromyalgia.SPEC_2016,
        acr_fibromyalgia.SPEC_2011,
        acr_fibromyalgia.SPEC_2010,
        ichd3.SPEC,
        nociplastic.SPEC,
        csi.SPEC,
        fiqr.SPEC,
        midas.SPEC,
        pgic.SPEC,
        nrs.SPEC,
    )
}

#: instruments whose licence forbids or does not clearly allow reproducing item text, and the
#: licensed instruments ldn names but does not implement
NAMED_NOT_REPRODUCED = {
    "bpi": "Brief Pain Inventory — copyright C. Cleeland; may not be reproduced without permission (fees may apply).",
    "promis_pi": "PROMIS Pain Interference — integration into software requires written permission (HealthMeasures).",
}


def get_instrument(instrument_id: str) -> InstrumentSpec[Any]:
    try:
        return INSTRUMENTS[instrument_id]
    except KeyError:
        raise InputError.at(
            "INSTRUMENT",
            f"unknown instrument {instrument_id!r}",
            f"use one of: {', '.join(INSTRUMENTS)}",
        ) from None


__all__ = [
    "INSTRUMENTS",
    "NAMED_NOT_REPRODUCED",
    "InstrumentResult",
    "InstrumentSpec",
    "get_instrument",
]
