"""Compounding LDN (for the pharmacist): capsules filled by volume and a 1 mg/mL oral liquid,
weighing controls, USP <795> (2023) beyond-use dates, and supply up to the assessment date.

Only 50 mg naltrexone hydrochloride tablets are marketed, so LDN is compounded. Doses are
expressed as **naltrexone hydrochloride** (the salt in the tablets and in LDN prescriptions);
the base content is stated beside it: base = salt x 341.4 / 377.9.

Modules
-------
``chemistry``  salt, base, dihydrate; certificate-of-analysis potency and water correction.
``capsules``   shell volumes, filler bulk densities, fill weight, the smallest size that fits.
``weighing``   minimum weight per balance (USP <1176>, <41>); the aliquot method below it.
``dating``     USP <795> (2023) BUD categories, stability data, earliest component expiry.
``supply``     capsules or mL from the schedule to the assessment date; strength sets; refills.
``batches``    the worksheets (``capsule_batch``, ``liquid_batch``) and their markdown, built by
               ``capsule_worksheet``, ``liquid_worksheet`` and ``worksheet_common``.

Every public name is importable from ``ldn.domain.compounding``.
"""

from __future__ import annotations

from ldn.domain.compounding.batches import (
    LIQUID_FORMULA,
    OVERAGE_MAX_PCT,
    BatchRecord,
    Ingredient,
    capsule_batch,
    first_fill_batches,
    liquid_batch,
    worksheet_markdown,
)
from ldn.domain.compounding.capsules import (
    AVOID_FILLER,
    CAPSULE_SIZES,
    CAPSULE_VOLUME_ML,
    FILLER_BULK_DENSITY_G_ML,
    FILLERS,
    IMMEDIATE_RELEASE_ONLY,
    CapsuleFill,
    capsule_capacity_mg,
    plan_fill,
)
from ldn.domain.compounding.chemistry import (
    COA_POTENCY_PLAUSIBLE_PCT,
    COA_WATER_PLAUSIBLE_PCT,
    M_BASE_G_MOL,
    M_HCL_DIHYDRATE_G_MOL,
    M_HCL_G_MOL,
    TABLET_STRENGTH_MG,
    ApiSource,
    Assay,
    base_mg_from_salt,
    salt_fraction,
)
from ldn.domain.compounding.dating import (
    BUD_DAY_ONE_IS_COMPOUNDING_DAY,
    CAPSULE_STABILITY_D,
    CONTROLLED_ROOM_C,
    EXTENDED_BUD_MAX_D,
    LIQUID_STABILITY_FRIDGE_D,
    LIQUID_STABILITY_ROOM_D,
    REFRIGERATOR_C,
    USP795_BUD_D,
    USP795_STORAGE,
    BeyondUse,
    Component,
    StabilityStudy,
    beyond_use,
)
from ldn.domain.compounding.supply import (
    LIQUID_CONC_MG_ML,
    MAX_CAPSULES_PER_DOSE,
    MAX_STRENGTHS_ONE_PER_DOSE,
    MIN_SUPPLY_D,
    TITRATION_CAPSULE_STRENGTHS_MG,
    DoseCombination,
    Fill,
    Supply,
    liquid_dose_ml,
    plan_supply,
    strength_combinations,
)
from ldn.domain.compounding.weighing import (
    BALANCES,
    CLASS_III_SENSITIVITY_MG,
    USP41_MIN_SD_PER_READABILITY,
    USP41_REPEATABILITY_LIMIT_PCT,
    WEIGHING_MAX_ERROR_PCT,
    Balance,
    WeighingPlan,
    class_iii_balance,
    electronic_balance,
    plan_weighing,
)

__all__ = [
    "AVOID_FILLER",
    "BALANCES",
    "BUD_DAY_ONE_IS_COMPOUNDING_DAY",
    "CAPSULE_SIZES",
    "CAPSULE_STABILITY_D",
    "CAPSULE_VOLUME_ML",
    "CLASS_III_SENSITIVITY_MG",
    "COA_POTENCY_PLAUSIBLE_PCT",
    "COA_WATER_PLAUSIBLE_PCT",
    "CONTROLLED_ROOM_C",
    "EXTENDED_BUD_MAX_D",
    "FILLERS",
    "FILLER_BULK_DENSITY_G_ML",
    "IMMEDIATE_RELEASE_ONLY",
    "LIQUID_CONC_MG_ML",
    "LIQUID_FORMULA",
    "LIQUID_STABILITY_FRIDGE_D",
    "LIQUID_STABILITY_ROOM_D",
    "MAX_CAPSULES_PER_DOSE",
    "MAX_STRENGTHS_ONE_PER_DOSE",
    "MIN_SUPPLY_D",
    "M_BASE_G_MOL",
    "M_HCL_DIHYDRATE_G_MOL",
    "M_HCL_G_MOL",
    "OVERAGE_MAX_PCT",
    "REFRIGERATOR_C",
    "TABLET_STRENGTH_MG",
    "TITRATION_CAPSULE_STRENGTHS_MG",
    "USP41_MIN_SD_PER_READABILITY",
    "USP41_REPEATABILITY_LIMIT_PCT",
    "USP795_BUD_D",
    "USP795_STORAGE",
    "WEIGHING_MAX_ERROR_PCT",
    "ApiSource",
    "Assay",
    "Balance",
    "BatchRecord",
    "BeyondUse",
    "CapsuleFill",
    "Component",
    "DoseCombination",
    "Fill",
    "Ingredient",
    "StabilityStudy",
    "Supply",
    "WeighingPlan",
    "base_mg_from_salt",
    "beyond_use",
    "capsule_batch",
    "capsule_capacity_mg",
    "class_iii_balance",
    "electronic_balance",
    "first_fill_batches",
    "liquid_batch",
    "liquid_dose_ml",
    "plan_fill",
    "plan_supply",
    "plan_weighing",
    "salt_fraction",
    "strength_combinations",
    "worksheet_markdown",
]
