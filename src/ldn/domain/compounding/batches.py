"""Batch worksheets: capsules and the 1 mg/mL liquid, as a pharmacist can make them.

Capsules (``capsule_batch``), per batch of ``n`` capsules of strength ``S`` mg naltrexone HCl::

    salt_mg     = S x n x (1 + overage)                 labelled salt, with the blend overage
    active_mg   = salt_mg / f                           bulk powder (f: chemistry.salt_fraction)
                = salt_mg x W_tablet / 50               crushed-tablet powder (tablet mass W)
    blend_mg    = n x fill_mg x (1 + overage)           fill_mg from capsules.plan_fill
    filler_mg   = blend_mg - portion_mg                 portion: active_mg, or its aliquot

so tablet excipients and trituration diluent come out of the filler, and every capsule of
``fill_mg`` carries ``S`` mg. The overage scales the whole blend (API and filler alike), so it
compensates powder loss without raising the strength.

Liquid (``liquid_batch``): the validated Fawcett 1997 formula per 100 mL — naltrexone 100 mg
(2 x 50 mg tablets), ascorbic acid 0.5 g, sodium benzoate 0.1 g, glycerol 20 mL, purified water
to 100 mL — scaled to the volume; sodium benzoate below the balance's minimum weight is
triturated with the formula's own ascorbic acid (aliquot method).

The capsule worksheet is in :mod:`.capsule_worksheet`, the liquid's in :mod:`.liquid_worksheet`
(shared checks in :mod:`.worksheet_common`); this module gathers them with the first fill's
worksheets and their markdown.
"""

from __future__ import annotations

from collections.abc import Sequence

from ldn.domain.compounding.capsule_worksheet import OVERAGE_MAX_PCT, capsule_batch
from ldn.domain.compounding.liquid_worksheet import LIQUID_FORMULA, liquid_batch
from ldn.domain.compounding.record import BatchRecord, Ingredient
from ldn.domain.compounding.supply import Supply

__all__ = [
    "LIQUID_FORMULA",
    "OVERAGE_MAX_PCT",
    "BatchRecord",
    "Ingredient",
    "capsule_batch",
    "first_fill_batches",
    "liquid_batch",
    "worksheet_markdown",
]


def first_fill_batches(supply: Supply, *, patient: str = "") -> tuple[BatchRecord, ...]:
    """Worksheets for the first fill of ``supply`` (refills are compounded on their own dates)."""
    fill = supply.fills[0]
    if supply.form == "liquid":
        return (
            liquid_batch(volume_ml=fill.volume_ml, compounded_on=fill.compound_on, patient=patient),
        )
    return tuple(
        capsule_batch(strength_mg=s, count=n, compounded_on=fill.compound_on, patient=patient)
        for s, n in fill.capsules
    )


def worksheet_markdown(supply: Supply | None, batches: Sequence[BatchRecord]) -> str:
    """``worksheet.md``: the supply to the assessment date, then one record per batch."""
    head = "# Compounding worksheet\n\n" + (supply.as_markdown() + "\n" if supply else "")
    return head + "\n".join(b.as_markdown() for b in batches)
