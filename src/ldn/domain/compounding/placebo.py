"""Placebo capsules for a blinded N-of-1 trial: the LDN capsule's twin without naltrexone.

The placebo must look, weigh and feel like the active capsule, so it uses the same shell size,
the same filler and the same fill weight as the active batch it pairs with
(:func:`ldn.domain.compounding.capsule_batch`); its beyond-use date follows the same USP <795>
category (non-aqueous solid), so the two bottles carry the same date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ldn.domain.compounding.capsules import AVOID_FILLER
from ldn.domain.compounding.dating import CAPSULE_STUDIES, Component, beyond_use, storage_text
from ldn.domain.compounding.record import BatchRecord, Ingredient
from ldn.domain.errors import InputError

__all__ = ["placebo_batch"]


def placebo_batch(
    *, active: BatchRecord, count: int, compounded_on: date, components: Sequence[Component] = ()
) -> BatchRecord:
    """``count`` placebo capsules matching ``active`` (size, filler, fill weight)."""
    if active.fill is None:
        raise InputError.at(
            "form", "a placebo is made to match capsules", "make the trial with capsules"
        )
    if count < 1:
        raise InputError.at("count", "the bottle needs at least one capsule", "e.g. 84")
    fill = active.fill
    blend = count * fill.fill_mg
    name = fill.filler_name
    bud = beyond_use(
        category="nonaqueous_solid",
        storage="room",
        compounded_on=compounded_on,
        studies=CAPSULE_STUDIES,
        components=components,
    )
    steps = (
        f"Use the same lot of {name} and the same size #{fill.size} shells (same colour) as the active bottle.",
        f"Calibrate as for the active batch: the fill is {fill.fill_mg:g} mg per capsule (the active capsules' fill).",
        f"Weigh {blend:.1f} mg of {name} (no naltrexone). Do not use {AVOID_FILLER.value}.",
        f"Fill {count} size #{fill.size} capsules with {fill.fill_mg:g} mg each.",
        "Keep the placebo and active batches apart until both are labelled with their bottle letter only.",
    )
    checks = (
        f"Weight check: net fill {fill.fill_mg:g} mg per capsule, as for the active capsules; record.",
        f"Yield: {count} capsules expected; record the actual number.",
        "Appearance: the same as the active capsules (size, colour, fill); no powder outside.",
        "Verification: a second person checks that the bottle letters match the sealed allocation.",
    )
    storage = f"{storage_text('room')}, tight light-resistant container"
    return BatchRecord(
        "capsule",
        "placebo",
        count,
        "capsules",
        (Ingredient(name, round(blend, 1), "mg", "placebo fill"),),
        steps,
        compounded_on,
        bud.last_day,
        storage,
        "",
        0.0,
        0.0,
        tuple(dict.fromkeys((*bud.source_ids, *active.source_ids))),
        checks,
        bud,
        fill,
        None,
        blend,
        0.0,
        0.0,
        "",
        tuple(components),
    )
