"""Reference values for salt/base conversion and beyond-use dates, with their sources."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ldn.domain.compounding import (
    CAPSULE_STABILITY_D,
    EXTENDED_BUD_MAX_D,
    LIQUID_STABILITY_FRIDGE_D,
    LIQUID_STABILITY_ROOM_D,
    USP795_BUD_D,
    Component,
    StabilityStudy,
    base_mg_from_salt,
    beyond_use,
    capsule_batch,
    liquid_batch,
)
from ldn.domain.errors import InputError

D0 = date(2026, 11, 25)


def test_salt_to_base() -> None:
    """Naltrexone C20H23NO4 (341.4 g/mol) vs the hydrochloride C20H23NO4.HCl (377.9 g/mol),
    formulas as in the naltrexone label: 50 mg of the salt carries 45.2 mg of base; 4.5 mg -> 4.07 mg."""
    assert base_mg_from_salt(50) == pytest.approx(45.17, abs=0.01)
    assert base_mg_from_salt(4.5) == pytest.approx(4.065, abs=0.005)


def test_usp795_2023_table() -> None:
    """USP <795> (2023), read in secondary summaries: aqueous non-preserved 14 d (refrigerator),
    preserved 35 d, nonaqueous oral liquid 90 d, other nonaqueous 180 d; extended at most 180 d.
    Fawcett 1997: 60 d at 4 C, 30 d at 25 C (chemistry only). IJPC 2018: capsules 360 d."""
    assert {k: f.value for k, f in USP795_BUD_D.items()} == {
        "aqueous_nonpreserved": 14,
        "aqueous_preserved": 35,
        "nonaqueous_liquid": 90,
        "nonaqueous_solid": 180,
    }
    assert EXTENDED_BUD_MAX_D.value == 180
    assert (LIQUID_STABILITY_FRIDGE_D.value, LIQUID_STABILITY_ROOM_D.value) == (60, 30)
    assert CAPSULE_STABILITY_D.value == 360


@pytest.mark.parametrize(
    ("category", "storage", "days"),
    [
        ("aqueous_nonpreserved", "refrigerator", 14),
        ("aqueous_preserved", "refrigerator", 35),
        ("aqueous_preserved", "room", 35),
        ("nonaqueous_liquid", "room", 90),
        ("nonaqueous_solid", "room", 180),
    ],
)
def test_bud_per_category_at_its_boundary(category: str, storage: str, days: int) -> None:
    """Day 1 is the compounding day: usable on day N, not on day N + 1."""
    bud = beyond_use(category=category, storage=storage, compounded_on=D0)  # type: ignore[arg-type]
    assert bud.days == days
    assert bud.last_day == D0 + timedelta(days=days - 1)
    assert bud.last_day < D0 + timedelta(days=days)
    assert "usp-795-2023" in bud.source_ids


def test_non_preserved_aqueous_must_be_refrigerated() -> None:
    with pytest.raises(InputError) as info:
        beyond_use(category="aqueous_nonpreserved", storage="room", compounded_on=D0)
    assert info.value.problems[0].loc == "storage"


def test_liquid_never_gets_60_days_without_antimicrobial_effectiveness_data() -> None:
    """Fawcett's 60 days at 4 C are chemistry only: the liquid keeps the 35-day limit; 30 at 25 C."""
    fridge = liquid_batch(volume_ml=100, compounded_on=D0)
    room = liquid_batch(volume_ml=100, compounded_on=D0, refrigerated=False)
    assert fridge.bud is not None and fridge.bud.days == 35
    assert room.bud is not None and room.bud.days == 30
    assert fridge.beyond_use == D0 + timedelta(days=34)
    assert any("no antimicrobial-effectiveness" in b for b in fridge.bud.basis)
    with_aet = StabilityStudy(
        "fawcett-1997",
        60,
        "refrigerator",
        stability_indicating=True,
        antimicrobial_effectiveness=True,
    )
    extended = liquid_batch(volume_ml=100, compounded_on=D0, studies=(with_aet,))
    assert extended.bud is not None and extended.bud.days == 60


@pytest.mark.parametrize(
    ("study", "days"),
    [
        (
            StabilityStudy("x", 60, "refrigerator", stability_indicating=True),
            35,
        ),  # no AET: no extension
        (
            StabilityStudy(
                "x",
                400,
                "refrigerator",
                stability_indicating=True,
                antimicrobial_effectiveness=True,
            ),
            180,
        ),
        (StabilityStudy("x", 20, "refrigerator"), 20),  # any data may shorten
        (StabilityStudy("x", 20, "room"), 35),
    ],  # other storage: not applicable
)
def test_extended_dating_only_with_stated_study_data(study: StabilityStudy, days: int) -> None:
    bud = beyond_use(
        category="aqueous_preserved", storage="refrigerator", compounded_on=D0, studies=(study,)
    )
    assert bud.days == days


def test_capsules_keep_180_days_despite_360_day_data() -> None:
    b = capsule_batch(strength_mg=4.5, count=30, compounded_on=D0)
    assert b.bud is not None and b.bud.days == 180 and b.beyond_use == D0 + timedelta(days=179)
    solid = StabilityStudy("x", 360, "room", stability_indicating=True)
    assert (
        beyond_use(
            category="nonaqueous_solid", storage="room", compounded_on=D0, studies=(solid,)
        ).days
        == 180
    )


def test_earliest_component_expiry_caps_the_bud() -> None:
    last = D0 + timedelta(days=179)
    early = Component("microcrystalline cellulose", "MCC-1", D0 + timedelta(days=60))
    b = capsule_batch(
        strength_mg=4.5,
        count=30,
        compounded_on=D0,
        components=(Component("naltrexone HCl", "N-7", last), early),
    )
    assert b.beyond_use == D0 + timedelta(days=60)
    assert any("MCC-1" in s for s in b.bud.basis) if b.bud else False
    on_the_day = beyond_use(
        category="nonaqueous_solid",
        storage="room",
        compounded_on=D0,
        components=(Component("a", "1", last),),
    )
    assert on_the_day.last_day == last
    assert (
        beyond_use(
            category="nonaqueous_solid",
            storage="room",
            compounded_on=D0,
            components=(Component("a", "1", D0),),
        ).last_day
        == D0
    )
    with pytest.raises(InputError) as info:
        beyond_use(
            category="nonaqueous_solid",
            storage="room",
            compounded_on=D0,
            components=(
                Component("a", "1", D0 + timedelta(days=9)),
                Component("b", "2", D0 - timedelta(days=1)),
            ),
        )
    assert info.value.problems[0].loc == "components[1].expires_on"
