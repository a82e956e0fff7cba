"""Reference values for salt/base conversion and beyond-use dates, with their sources."""

from __future__ import annotations

import pytest

from ldn.domain.compounding import (
    CAPSULE_BUD_D,
    LIQUID_BUD_FRIDGE_D,
    LIQUID_BUD_ROOM_D,
    base_mg_from_salt,
)


def test_salt_to_base() -> None:
    """Naltrexone C20H23NO4 (341.4 g/mol) vs the hydrochloride C20H23NO4.HCl (377.9 g/mol),
    formulas as in the naltrexone label: 50 mg of the salt carries 45.2 mg of base; 4.5 mg -> 4.07 mg."""
    assert base_mg_from_salt(50) == pytest.approx(45.17, abs=0.01)
    assert base_mg_from_salt(4.5) == pytest.approx(4.065, abs=0.005)


def test_beyond_use_dates() -> None:
    """Fawcett 1997 (Ann Pharmacother 31:1291): 1 mg/mL liquid 60 days at 4 C, 30 days at 25 C.
    IJPC 2018 abstract: capsules stable 360 days; BUD 180 days without extended data."""
    assert (LIQUID_BUD_FRIDGE_D.value, LIQUID_BUD_ROOM_D.value, CAPSULE_BUD_D.value) == (
        60,
        30,
        180,
    )
