"""The capsule worksheet (``capsule_batch``), as a pharmacist can make it.

Per batch of ``n`` capsules of strength ``S`` mg naltrexone HCl::

    salt_mg     = S x n x (1 + overage)                 labelled salt, with the blend overage
    active_mg   = salt_mg / f                           bulk powder (f: chemistry.salt_fraction)
                = salt_mg x W_tablet / 50               crushed-tablet powder (tablet mass W)
    blend_mg    = n x fill_mg x (1 + overage)           fill_mg from capsules.plan_fill
    filler_mg   = blend_mg - portion_mg                 portion: active_mg, or its aliquot

so tablet excipients and trituration diluent come out of the filler, and every capsule of
``fill_mg`` carries ``S`` mg. The overage scales the whole blend (API and filler alike), so it
compensates powder loss without raising the strength.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

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
from ldn.domain.compounding.dating import CAPSULE_STUDIES, Component, beyond_use, storage_text
from ldn.domain.compounding.record import BatchRecord, Ingredient
from ldn.domain.compounding.weighing import Balance, plan_weighing, resolve_balance
from ldn.domain.compounding.worksheet_common import checked_tablet_mass, unique_sources
from ldn.domain.errors import InputError
from ldn.domain.facts import Fact

__all__ = ["OVERAGE_MAX_PCT", "capsule_batch"]

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
        w_tab = checked_tablet_mass(
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
        unique_sources(
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
