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
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Literal

from ldn.domain.compounding.capsules import AVOID_FILLER, FILLER_NAMES, plan_fill
from ldn.domain.compounding.chemistry import (
    M_HCL_DIHYDRATE_G_MOL,
    M_HCL_G_MOL,
    TABLET_STRENGTH_MG,
    ApiSource,
    Assay,
    PotencyBasis,
    base_mg_from_salt,
    salt_fraction,
)
from ldn.domain.compounding.dating import (
    CAPSULE_STUDIES,
    LIQUID_STUDIES,
    Component,
    StabilityStudy,
    beyond_use,
    storage_text,
)
from ldn.domain.compounding.record import BatchRecord, Ingredient
from ldn.domain.compounding.supply import LIQUID_CONC_MG_ML, Supply
from ldn.domain.compounding.weighing import Balance, WeighingPlan, plan_weighing, resolve_balance
from ldn.domain.errors import InputError
from ldn.domain.facts import Fact

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

LIQUID_FORMULA = Fact(
    (("naltrexone HCl", 100.0, "mg"), ("ascorbic acid", 0.5, "g"), ("sodium benzoate", 0.1, "g"), ("glycerol", 20.0, "mL")),
    unit="per 100 mL", sources=("fawcett-1997",),
)  # fmt: skip
OVERAGE_MAX_PCT = Fact(
    10.0,
    unit="% of the blend",
    sources=("ldn-assumption",),
    note="Largest powder-loss overage ldn accepts; it scales API and filler together, so the "
    "strength is unchanged. A larger loss points to a process problem, not an overage.",
)
_API_NAMES = {"powder_hcl": "naltrexone hydrochloride powder",
              "powder_hcl_dihydrate": "naltrexone hydrochloride dihydrate powder",
              "tablets_50mg": "crushed naltrexone HCl 50 mg tablet powder"}  # fmt: skip


def _check_overage(overage_pct: float, overage_reason: str) -> float:
    if overage_pct < 0 or overage_pct > OVERAGE_MAX_PCT.value:
        raise InputError.at(
            "overage_pct",
            f"an overage of {overage_pct:g} % is outside 0-{OVERAGE_MAX_PCT.value:g} %",
            "use 0, or a small overage for measured powder loss",
        )
    if overage_pct > 0 and not overage_reason.strip():
        raise InputError.at(
            "overage_reason",
            "an overage needs a stated reason",
            "say why, e.g. 'measured loss of about 2 % in the capsule machine'",
        )
    return overage_pct


def _tablet_mass(tablet_mass_mg: float | None, *, loc: str, fix: str) -> float:
    if tablet_mass_mg is None:
        raise InputError.at(
            loc,
            "the tablet route needs the mass of one 50 mg tablet (its excipients go into the blend)",
            fix,
        )
    if tablet_mass_mg <= TABLET_STRENGTH_MG.value:
        raise InputError.at(
            "tablet_mass_mg",
            f"a 50 mg tablet cannot weigh {tablet_mass_mg:g} mg",
            "weigh 10 tablets and divide by 10",
        )
    return tablet_mass_mg


def _sources(*extra: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(extra))


def capsule_batch(
    *,
    strength_mg: float,
    count: int,
    compounded_on: date,
    api: ApiSource = "powder_hcl",
    patient: str = "",
    capsule_size: str | None = None,
    filler: str = "avicel_ph102",
    balance: Balance | str = "class_iii",
    potency_pct: float = 100.0,
    water_pct: float | None = None,
    potency_basis: PotencyBasis = "anhydrous",
    tablet_mass_mg: float | None = None,
    overage_pct: float = 0.0,
    overage_reason: str = "",
    calibrated_fill_mg: float | None = None,
    components: Sequence[Component] = (),
) -> BatchRecord:
    """``count`` immediate-release capsules of ``strength_mg`` naltrexone HCl (formulas above).

    The smallest capsule size that holds the active powder with a fill the ``balance`` can
    check is chosen unless ``capsule_size`` is given (then it is checked, and refused with the
    size that would fit). ``tablet_mass_mg`` (mean mass of one tablet) is needed when 50 mg
    tablets are the source.
    """
    if not strength_mg > 0:
        raise InputError.at("strength_mg", "the strength must be positive", "e.g. 4.5")
    if count < 1:
        raise InputError.at("count", "the batch needs at least one capsule", "e.g. 30")
    if api not in _API_NAMES:
        raise InputError.at(
            "api", f"unknown API source {api!r}", f"use one of {', '.join(_API_NAMES)}"
        )
    bal = resolve_balance(balance)
    ov = _check_overage(overage_pct, overage_reason)
    assay = Assay(potency_pct, water_pct, potency_basis)
    salt = strength_mg * count
    make_salt = salt * (1 + ov / 100.0)
    stock: float | None = None
    pre: list[str] = []
    if api == "tablets_50mg":
        if not assay.is_default:
            raise InputError.at(
                "potency_pct",
                "a CoA correction applies to bulk powder, not to labelled 50 mg tablets",
                "leave potency_pct at 100 and water_pct empty",
            )
        w_tab = _tablet_mass(
            tablet_mass_mg,
            loc="tablet_mass_mg",
            fix="weigh 10 tablets, divide by 10, pass tablet_mass_mg",
        )
        n_tab = math.ceil(make_salt / TABLET_STRENGTH_MG.value - 1e-9)
        per_capsule = strength_mg * w_tab / TABLET_STRENGTH_MG.value
        active = make_salt * w_tab / TABLET_STRENGTH_MG.value
        stock = n_tab * w_tab
        total_salt = n_tab * TABLET_STRENGTH_MG.value
        api_ing = Ingredient(
            "naltrexone HCl 50 mg tablets",
            n_tab,
            "tablets",
            f"{total_salt:g} mg naltrexone HCl in about {stock:.0f} mg of powder; {active:.1f} mg of it carries {make_salt:.2f} mg "
            "(the tablet excipients come out of the filler)",
        )
        pre.append(
            f"Crush {n_tab} tablet(s) to a fine powder in a mortar; weigh all of it (planned {stock:.1f} mg from {w_tab:g} mg a tablet) and "
            f"record the actual mass W. The portion carrying {make_salt:.2f} mg naltrexone HCl is W x {make_salt:.2f} / {total_salt:g} "
            f"(planned {active:.1f} mg); tablet excipients (lactose, cellulose, crospovidone, colour) stay in the blend."
        )
    else:
        f = salt_fraction(api=api, assay=assay)
        per_capsule = strength_mg / f
        active = make_salt / f
        api_ing = Ingredient(
            _API_NAMES[api],
            round(active, 3),
            "mg",
            f"= {make_salt:g} mg anhydrous naltrexone HCl ({f:.4f} mg per mg powder)",
        )
        if not assay.is_default:
            pre.append(
                f"Certificate of analysis: {assay.describe()}, so {f:.4f} mg naltrexone HCl per mg of powder: "
                f"{make_salt:.2f} mg salt needs {active:.2f} mg powder."
            )
        elif api == "powder_hcl_dihydrate":
            pre.append(
                f"Dihydrate: {make_salt:.2f} mg anhydrous salt = {active:.2f} mg dihydrate "
                f"(x {M_HCL_DIHYDRATE_G_MOL.value:g} / {M_HCL_G_MOL.value:g})."
            )
    fill = plan_fill(
        active_per_capsule_mg=per_capsule,
        filler=filler,
        size=capsule_size,
        min_fill_mg=bal.min_weight_mg,
        calibrated_fill_mg=calibrated_fill_mg,
    )
    blend = count * fill.fill_mg * (1 + ov / 100.0)
    weigh = plan_weighing(active_mg=active, balance=bal, stock_mg=stock)
    if api == "tablets_50mg" and weigh.aliquot:
        pre.append(
            f"With the actual powder mass W, the trituration is W + {weigh.aliquot.diluent_mg:.1f} mg and the aliquot carrying "
            f"{make_salt:.2f} mg naltrexone HCl is (W + {weigh.aliquot.diluent_mg:.1f}) x {make_salt:.2f} / {n_tab * TABLET_STRENGTH_MG.value:g} mg."
        )
    if weigh.portion_mg > blend:
        raise InputError.at(
            "count",
            f"the weighed active portion ({weigh.portion_mg:.1f} mg) is more than the whole blend ({blend:.1f} mg)",
            "make a larger batch, or use a balance with a smaller minimum weight",
        )
    filler_name = FILLER_NAMES[fill.filler]
    filler_qs = blend - weigh.portion_mg
    if weigh.aliquot and api != "tablets_50mg":
        api_ing = Ingredient(
            api_ing.name,
            round(weigh.aliquot.stock_mg, 1),
            "mg",
            f"trituration stock; the aliquot carries {active:.2f} mg of it {api_ing.note}",
        )
    ings = [api_ing]
    if weigh.aliquot:
        ings.append(
            Ingredient(
                f"{filler_name}, trituration diluent",
                round(weigh.aliquot.diluent_mg, 1),
                "mg",
                f"only {weigh.aliquot.aliquot_mg:.1f} mg of the {weigh.aliquot.total_mg:.1f} mg trituration goes into the blend",
            )
        )
    ings.append(
        Ingredient(filler_name, round(filler_qs, 1), "mg", f"q.s. to {blend:.1f} mg of blend")
    )
    lo, hi = fill.capacity_mg
    calibrate = (
        f"Calibrated fill {fill.fill_mg:g} mg per size #{fill.size} capsule (measured for this lot of {filler_name})."
        if fill.calibrated
        else f"Calibrate before blending: fill 10 empty size #{fill.size} shells with {filler_name} alone, the way you will fill the batch; "
        f"weigh them, subtract the weight of 10 empty shells, divide by 10 = c mg. Planned fill {fill.fill_mg:g} mg "
        f"({fill.volume_ml:g} mL x {fill.density_g_ml[0]:g} g/mL, the grade's lowest bulk density); expect c about {lo:.0f}-{hi:.0f} mg. "
        f"If you fill by volume and c differs from {fill.fill_mg:g} mg, redo the worksheet with the calibrated fill: "
        f"blend = {count} x c, filler = blend - {weigh.portion_mg:.1f} mg; the active quantity does not change."
    )
    steps = (
        calibrate,
        *pre,
        *weigh.steps(active=_API_NAMES[api], diluent=filler_name),
        f"Add {filler_name} to the active portion by geometric dilution up to a total of {blend:.1f} mg of blend "
        f"(about {filler_qs:.1f} mg; weigh the total). Do not use {AVOID_FILLER.value}.",
        "Mix until uniform (geometric dilution, then at least a few minutes of mixing per your SOP).",
        f"Fill {count} size #{fill.size} capsules with {fill.fill_mg:g} mg of blend each (immediate release; no sustained-release excipients).",
        *(
            (
                f"The blend includes a {ov:g} % overage ({overage_reason.strip()}); discard what is left after {count} capsules.",
            )
            if ov
            else ()
        ),
    )
    checks = (
        f"Weight check: net fill {fill.fill_mg:g} mg per capsule (gross = fill + mean empty shell); weigh every capsule, or the sample your SOP sets, against your SOP's limit; record.",
        f"Yield: {count} capsules expected; record the actual number and the blend left over.",
        "Appearance: capsules closed, clean, uniform; no powder outside.",
        "Verification: a second person checks the weighings (API, diluent, aliquot, total blend) against this worksheet.",
    )
    bud = beyond_use(
        category="nonaqueous_solid",
        storage="room",
        compounded_on=compounded_on,
        studies=CAPSULE_STUDIES,
        components=components,
    )
    storage = f"{storage_text('room')}, tight light-resistant container"
    label = (
        f"{patient}\nNaltrexone HCl {strength_mg:g} mg capsules (low-dose naltrexone), qty {count}\n"
        f"Take as directed.\nDo not use after {bud.last_day.isoformat()}. Store at {storage}."
    ).strip()
    return BatchRecord(
        "capsule",
        f"{strength_mg:g} mg",
        count,
        "capsules",
        tuple(ings),
        steps,
        compounded_on,
        bud.last_day,
        storage,
        label,
        salt,
        base_mg_from_salt(salt),
        _sources(
            "thecompounder-fillers",
            *bud.source_ids,
            "dailymed-naltrexone-label",
            *_FILLER_SOURCES[fill.filler],
            "capsulcn-capsule-sizes",
            *bal.source_ids,
        ),
        checks,
        bud,
        fill,
        weigh,
        blend,
        active,
        ov,
        overage_reason.strip(),
        tuple(components),
    )


_FILLER_SOURCES = {
    "avicel_ph102": ("iff-avicel-ph102",),
    "avicel_ph112": ("iff-avicel-ph112",),
    "avicel_ph301": ("iff-avicel-ph301",),
}


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
        w_tab = _tablet_mass(
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
        _sources("fawcett-1997", *bud.source_ids, *bal.source_ids),
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
