"""The 1 mg/mL oral liquid worksheet (``liquid_batch``), as a pharmacist can make it.

The validated Fawcett 1997 formula per 100 mL — naltrexone 100 mg (2 x 50 mg tablets), ascorbic
acid 0.5 g, sodium benzoate 0.1 g, glycerol 20 mL, purified water to 100 mL — scaled to the
volume (quantity = formula x volume_mL / 100); sodium benzoate below the balance's minimum
weight is triturated with the formula's own ascorbic acid (aliquot method).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Literal

from ldn.domain.compounding.chemistry import TABLET_STRENGTH_MG, base_mg_from_salt
from ldn.domain.compounding.dating import (
    LIQUID_STUDIES,
    Component,
    StabilityStudy,
    beyond_use,
    storage_text,
)
from ldn.domain.compounding.record import BatchRecord, Ingredient
from ldn.domain.compounding.supply import LIQUID_CONC_MG_ML
from ldn.domain.compounding.weighing import Balance, WeighingPlan, plan_weighing, resolve_balance
from ldn.domain.compounding.worksheet_common import checked_tablet_mass, unique_sources
from ldn.domain.errors import InputError
from ldn.domain.facts import Fact

__all__ = ["LIQUID_FORMULA", "liquid_batch"]

LIQUID_FORMULA = Fact(
    (("naltrexone HCl", 100.0, "mg"), ("ascorbic acid", 0.5, "g"), ("sodium benzoate", 0.1, "g"), ("glycerol", 20.0, "mL")),
    unit="per 100 mL", sources=("fawcett-1997",),
)  # fmt: skip


def _liquid_solids(ascorbic_mg: float, benzoate_mg: float, bal: Balance) -> tuple[list[str], float]:
    """Steps to weigh the two solids; returns the steps and the ascorbic acid added after the aliquot."""
    m = bal.min_weight_mg
    if benzoate_mg >= m and ascorbic_mg >= m:
        return [
            f"Weigh {ascorbic_mg:.1f} mg ascorbic acid and {benzoate_mg:.1f} mg sodium benzoate on the {bal.name}."
        ], ascorbic_mg
    plan = plan_weighing(active_mg=benzoate_mg, balance=bal)
    a = plan.aliquot
    rest = ascorbic_mg - (a.aliquot_mg - benzoate_mg) if a else ascorbic_mg
    if a is None or rest < m:
        raise InputError.at(
            "volume_ml",
            f"ascorbic acid ({ascorbic_mg:.0f} mg) and sodium benzoate ({benzoate_mg:.0f} mg) cannot both be weighed "
            f"at or above the {bal.name}'s minimum weight ({m:g} mg)",
            "make a larger volume (at least 50 mL), or use a balance with a smaller minimum weight",
        )
    return [
        *plan.steps(active="sodium benzoate", diluent="ascorbic acid"),
        f"Weigh {rest:.1f} mg more ascorbic acid (the aliquot already carries {a.aliquot_mg - benzoate_mg:.1f} mg).",
    ], rest


def liquid_batch(
    *,
    volume_ml: float,
    compounded_on: date,
    refrigerated: bool = True,
    patient: str = "",
    tablet_mass_mg: float | None = None,
    balance: Balance | str = "class_iii",
    components: Sequence[Component] = (),
    studies: Sequence[StabilityStudy] = LIQUID_STUDIES,
) -> BatchRecord:
    """The validated 1 mg/mL naltrexone oral liquid (Fawcett 1997), scaled to ``volume_ml``.

    Whole 50 mg tablets make 50 mL each; another volume needs ``tablet_mass_mg`` to weigh the
    tablet-powder portion. The BUD is USP <795> preserved aqueous (35 days), shortened by the
    study's 30 days at room temperature; it is extended only by ``studies`` that include
    antimicrobial-effectiveness data.
    """
    if volume_ml <= 0 or volume_ml > 1000:
        raise InputError.at(
            "volume_ml", f"{volume_ml:g} mL is outside 1-1000 mL", "choose a batch volume, e.g. 100"
        )
    bal = resolve_balance(balance)
    k = volume_ml / 100.0
    formula = {n: (q * k, u) for n, q, u in LIQUID_FORMULA.value}
    salt = LIQUID_CONC_MG_ML.value * volume_ml
    tablets = salt / TABLET_STRENGTH_MG.value
    steps: list[str] = []
    weigh: WeighingPlan | None = None
    if abs(tablets - round(tablets)) < 1e-9:
        n_tab = round(tablets)
        steps.append(
            f"Crush {n_tab} naltrexone HCl 50 mg tablets to a fine powder in a mortar (whole tablets: {n_tab * 50} mg)."
        )
        active = 0.0
    else:
        w_tab = checked_tablet_mass(
            tablet_mass_mg,
            loc="volume_ml",
            fix="use a multiple of 50 mL (whole 50 mg tablets), or weigh 10 tablets and pass tablet_mass_mg",
        )
        n_tab = math.ceil(tablets)
        active = salt * w_tab / TABLET_STRENGTH_MG.value
        weigh = plan_weighing(active_mg=active, balance=bal)
        if weigh.aliquot:
            raise InputError.at(
                "volume_ml",
                f"the tablet-powder portion ({active:.1f} mg) is below the minimum weight {bal.min_weight_mg:g} mg",
                "use a multiple of 50 mL (whole tablets)",
            )
        steps += [
            f"Crush {n_tab} tablets to a fine powder; weigh all of it (planned {n_tab * w_tab:.1f} mg) and record the mass W.",
            f"Weigh W x {salt:g} / {n_tab * 50} of the powder (planned {active:.1f} mg): it carries {salt:g} mg naltrexone HCl.",
        ]
    ascorbic_mg = formula["ascorbic acid"][0] * 1000.0
    benzoate_mg = formula["sodium benzoate"][0] * 1000.0
    glycerol_ml = formula["glycerol"][0]
    solid_steps, ascorbic_rest = _liquid_solids(ascorbic_mg, benzoate_mg, bal)
    steps += [
        *solid_steps,
        "Dissolve the ascorbic acid and sodium benzoate in about half of the purified water.",
        f"Measure {glycerol_ml:g} mL glycerol; wet the tablet powder with it, add the solution, and mix well.",
        f"Make up to {volume_ml:g} mL with purified water in a calibrated container; mix; transfer to an amber bottle.",
    ]
    storage_kind: Literal["refrigerator", "room"] = "refrigerator" if refrigerated else "room"
    bud = beyond_use(
        category="aqueous_preserved",
        storage=storage_kind,
        compounded_on=compounded_on,
        studies=studies,
        components=components,
    )
    storage = f"{storage_text(storage_kind)}, amber bottle"
    ings = [Ingredient("naltrexone HCl 50 mg tablets", n_tab, "tablets", f"= {salt:g} mg naltrexone HCl"),
            Ingredient("ascorbic acid", round(ascorbic_mg, 1), "mg", "" if ascorbic_rest == ascorbic_mg else f"{ascorbic_mg - ascorbic_rest:.1f} mg of it in the sodium benzoate aliquot"),
            Ingredient("sodium benzoate", round(benzoate_mg, 1), "mg", "preservative" if ascorbic_rest == ascorbic_mg else "preservative; weighed by aliquot (see steps)"),
            Ingredient("glycerol", round(glycerol_ml, 2), "mL", ""),
            Ingredient("purified water", volume_ml, "mL", "to volume")]  # fmt: skip
    checks = (
        f"Final volume {volume_ml:g} mL in a calibrated container; record.",
        "Appearance: uniform dispersion (tablet excipients do not all dissolve); label says shake well.",
        "Verification: a second person checks the tablets counted, the weighings and the volume.",
    )
    label = (
        f"{patient}\nNaltrexone HCl 1 mg/mL oral liquid (low-dose naltrexone), {volume_ml:g} mL\n"
        f"Measure the dose with an oral syringe (e.g. 4.5 mL = 4.5 mg).\nShake well. Store: {storage}. Do not use after {bud.last_day.isoformat()}."
    ).strip()
    return BatchRecord(
        "liquid",
        "1 mg/mL",
        int(volume_ml),
        "mL",
        tuple(ings),
        tuple(steps),
        compounded_on,
        bud.last_day,
        storage,
        label,
        salt,
        base_mg_from_salt(salt),
        unique_sources("fawcett-1997", *bud.source_ids, *bal.source_ids),
        checks,
        bud,
        None,
        weigh,
        0.0,
        active,
        0.0,
        "",
        tuple(components),
    )
