"""Compounding LDN (for the pharmacist): capsules and a 1 mg/mL oral liquid, batch quantities,
salt versus base, beyond-use dates, and the batch record.

Only 50 mg naltrexone hydrochloride tablets are marketed, so LDN is compounded. Doses are
expressed as **naltrexone hydrochloride** (the salt in the tablets and in LDN prescriptions);
the base content is stated beside it: base = salt x 341.4 / 377.9 (C20H23NO4 vs C20H23NO4.HCl).
Bulk powder may be the dihydrate (M 413.9): weigh 413.9 / 377.9 x the salt mass.

Capsules: immediate release (never sustained release); a #3 capsule holds about 225 mg of
powder, so 4.5 mg is about 2 % of the fill; microcrystalline cellulose (Avicel) is the usual
filler; avoid calcium carbonate (reported to interfere with absorption). Stability: LDN in
Avicel was 90-110 % of label for 360 days at room temperature protected from light (IJPC 2018).
Liquid: the validated 1 mg/mL formula (Fawcett 1997): 100 mg naltrexone (2 x 50 mg tablets),
ascorbic acid 0.5 %, sodium benzoate 0.1 %, glycerol 20 %, purified water to 100 mL; 60 days at
4 C, 30 days at 25 C, amber bottle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from ldn.domain.errors import InputError
from ldn.domain.facts import Fact

__all__ = ["BatchRecord", "Ingredient", "base_mg_from_salt", "capsule_batch", "liquid_batch"]

Form = Literal["capsule", "liquid"]
ApiSource = Literal["powder_hcl", "powder_hcl_dihydrate", "tablets_50mg"]

M_BASE_G_MOL = Fact(
    341.4,
    unit="g/mol",
    sources=("dailymed-naltrexone-label",),
    note="C20H23NO4 (formula from the label; mass computed).",
)
M_HCL_G_MOL = Fact(
    377.9,
    unit="g/mol",
    sources=("dailymed-naltrexone-label",),
    note="C20H23NO4.HCl, the salt in 50 mg tablets.",
)
M_HCL_DIHYDRATE_G_MOL = Fact(413.9, unit="g/mol", sources=("openfda-ndc-naltrexone-dihydrate",),
                             note="Naltrexone HCl dihydrate bulk powder (listed for compounding); mass computed from the formula.")  # fmt: skip
TABLET_STRENGTH_MG = Fact(
    50.0, unit="mg naltrexone HCl", sources=("dailymed-naltrexone-label", "seed-article")
)
CAPSULE_FILL_MG = Fact(
    225.0,
    unit="mg powder per #3 capsule",
    sources=("thecompounder-fillers",),
    note="Approximate fill of a #3 capsule.",
)
CAPSULE_BUD_D = Fact(
    180, unit="d", sources=("ijpc-2018-ldn-capsules",),
    note="Capsules in Avicel stable 360 days at room temperature, protected from light; 180 days without extended data, up to 1 year with it.",
)  # fmt: skip
LIQUID_BUD_FRIDGE_D = Fact(
    60, unit="d", sources=("fawcett-1997",), note="1 mg/mL validated formula, 4 C, amber bottle."
)
LIQUID_BUD_ROOM_D = Fact(
    30, unit="d", sources=("fawcett-1997",), note="1 mg/mL validated formula, 25 C."
)
LIQUID_CONC_MG_ML = Fact(1.0, unit="mg/mL", sources=("fawcett-1997",))
LIQUID_FORMULA = Fact(
    (("naltrexone HCl", 100.0, "mg"), ("ascorbic acid", 0.5, "g"), ("sodium benzoate", 0.1, "g"), ("glycerol", 20.0, "mL")),
    unit="per 100 mL", sources=("fawcett-1997",),
)  # fmt: skip
AVOID_FILLER = Fact("calcium carbonate", unit="", sources=("thecompounder-fillers", "swidan-ldn-chapter"),
                    note="Reported to reduce absorption or interfere.")  # fmt: skip
IMMEDIATE_RELEASE_ONLY = Fact(
    True,
    unit="",
    sources=("ifmsynergy-ldnrt",),
    note="LDN Research Trust: immediate release, not slow release.",
)


def base_mg_from_salt(salt_mg: float) -> float:
    """Naltrexone base (mg) in ``salt_mg`` of naltrexone hydrochloride."""
    return salt_mg * M_BASE_G_MOL.value / M_HCL_G_MOL.value


@dataclass(frozen=True, slots=True)
class Ingredient:
    name: str
    quantity: float
    unit: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """A compounding worksheet: what to weigh, how to make it, how long it keeps, the label."""

    form: Form
    strength: str
    units: int
    unit_name: str
    ingredients: tuple[Ingredient, ...]
    steps: tuple[str, ...]
    compounded_on: date
    beyond_use: date
    storage: str
    label: str
    api_salt_mg: float
    api_base_mg: float
    source_ids: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {"form": self.form, "strength": self.strength, "units": self.units, "unit_name": self.unit_name,
                "ingredients": [{"name": i.name, "quantity": i.quantity, "unit": i.unit, "note": i.note} for i in self.ingredients],
                "steps": list(self.steps), "compounded_on": self.compounded_on.isoformat(), "beyond_use": self.beyond_use.isoformat(),
                "storage": self.storage, "label": self.label, "api_salt_mg": self.api_salt_mg, "api_base_mg": round(self.api_base_mg, 3),
                "source_ids": list(self.source_ids)}  # fmt: skip

    def as_markdown(self) -> str:
        rows = "\n".join(
            f"| {i.name} | {i.quantity:g} {i.unit} | {i.note} |" for i in self.ingredients
        )
        steps = "\n".join(f"{n}. {s}" for n, s in enumerate(self.steps, 1))
        return (f"## Batch record: naltrexone HCl {self.strength} {self.form}, {self.units} {self.unit_name}\n\n"
                f"Compounded: {self.compounded_on.isoformat()} · Beyond-use date: **{self.beyond_use.isoformat()}** · Storage: {self.storage}\n\n"
                f"Active: {self.api_salt_mg:g} mg naltrexone hydrochloride = {self.api_base_mg:.2f} mg naltrexone base.\n\n"
                f"| ingredient | quantity | note |\n|---|---|---|\n{rows}\n\n### Steps\n\n{steps}\n\n"
                f"### Label\n\n```\n{self.label}\n```\n\nSources: {', '.join(self.source_ids)}. "
                "Check against your pharmacy's SOPs and local rules; no overage is included.\n")  # fmt: skip


def _api_ingredient(salt_mg: float, api: ApiSource) -> tuple[Ingredient, list[str]]:
    if api == "powder_hcl":
        return Ingredient(
            "naltrexone hydrochloride powder", round(salt_mg, 3), "mg", "salt; USP grade"
        ), []
    if api == "powder_hcl_dihydrate":
        mass = salt_mg * M_HCL_DIHYDRATE_G_MOL.value / M_HCL_G_MOL.value
        return Ingredient(
            "naltrexone hydrochloride dihydrate powder",
            round(mass, 3),
            "mg",
            f"= {salt_mg:g} mg anhydrous HCl",
        ), []
    tablets = math.ceil(salt_mg / TABLET_STRENGTH_MG.value - 1e-9)
    note = (f"{tablets} x 50 mg tablets = {tablets * TABLET_STRENGTH_MG.value:g} mg; tablets contain excipients "
            "(lactose, cellulose, crospovidone, colour) — account for their mass")  # fmt: skip
    return Ingredient("naltrexone HCl 50 mg tablets", tablets, "tablets", note), [
        f"Triturate {tablets} tablets to a fine powder; weigh the powder and use the fraction that carries {salt_mg:g} mg (geometric dilution)."
    ]


def capsule_batch(
    *,
    strength_mg: float,
    count: int,
    compounded_on: date,
    api: ApiSource = "powder_hcl",
    patient: str = "",
) -> BatchRecord:
    """Capsules of ``strength_mg`` naltrexone HCl: API + microcrystalline cellulose to fill #3 capsules."""
    if strength_mg <= 0 or strength_mg >= CAPSULE_FILL_MG.value:
        raise InputError.at(
            "strength_mg",
            f"{strength_mg:g} mg cannot be made in a #3 capsule",
            "use a strength between 0.1 and 10 mg",
        )
    if count < 1:
        raise InputError.at("count", "the batch needs at least one capsule", "e.g. 30")
    salt = strength_mg * count
    api_ing, pre = _api_ingredient(salt, api)
    filler = (CAPSULE_FILL_MG.value - strength_mg) * count
    steps = (*pre, f"Weigh {filler:g} mg microcrystalline cellulose (Avicel PH-102) — not calcium carbonate.",
             "Mix API and filler by geometric dilution until uniform.",
             f"Fill {count} size #3 capsules to {CAPSULE_FILL_MG.value:g} mg each (immediate release; no sustained-release excipients).",
             "Weight-check 10 capsules (each within your SOP's limit) and record.")  # fmt: skip
    bud = compounded_on + timedelta(days=CAPSULE_BUD_D.value)
    label = (f"{patient}\nNaltrexone HCl {strength_mg:g} mg capsules (low-dose naltrexone), qty {count}\n"
             f"Take 1 capsule once daily as directed.\nDiscard after {bud.isoformat()}. Store at room temperature, away from light.").strip()  # fmt: skip
    return BatchRecord("capsule", f"{strength_mg:g} mg", count, "capsules",
                       (api_ing, Ingredient("microcrystalline cellulose", round(filler, 1), "mg", "filler")),
                       steps, compounded_on, bud, "room temperature, protected from light", label, salt, base_mg_from_salt(salt),
                       ("thecompounder-fillers", "ijpc-2018-ldn-capsules", "dailymed-naltrexone-label"))  # fmt: skip


def liquid_batch(
    *, volume_ml: float, compounded_on: date, refrigerated: bool = True, patient: str = ""
) -> BatchRecord:
    """The validated 1 mg/mL naltrexone oral liquid (Fawcett 1997), scaled to ``volume_ml``."""
    if volume_ml <= 0 or volume_ml > 1000:
        raise InputError.at(
            "volume_ml", f"{volume_ml:g} mL is outside 1-1000 mL", "choose a batch volume, e.g. 100"
        )
    k = volume_ml / 100.0
    ings = [
        Ingredient(n, round(q * k, 3), u, "")
        for n, q, u in LIQUID_FORMULA.value
        if n != "naltrexone HCl"
    ]
    salt = LIQUID_CONC_MG_ML.value * volume_ml
    api_ing, pre = _api_ingredient(salt, "tablets_50mg")
    bud_d = (LIQUID_BUD_FRIDGE_D if refrigerated else LIQUID_BUD_ROOM_D).value
    bud = compounded_on + timedelta(days=bud_d)
    storage = (
        "refrigerate 2-8 C in an amber bottle" if refrigerated else "below 25 C in an amber bottle"
    )
    steps = (*pre, "Dissolve ascorbic acid and sodium benzoate in part of the water.", "Add glycerol and the naltrexone; mix well.",
             f"Make up to {volume_ml:g} mL with purified water; transfer to an amber bottle.", "Shake well before each use.")  # fmt: skip
    label = (f"{patient}\nNaltrexone HCl 1 mg/mL oral liquid (low-dose naltrexone), {volume_ml:g} mL\n"
             f"Measure the dose with an oral syringe (e.g. 4.5 mL = 4.5 mg).\nShake well. {storage.capitalize()}. Discard after {bud.isoformat()}.").strip()  # fmt: skip
    return BatchRecord("liquid", "1 mg/mL", int(volume_ml), "mL", (api_ing, *ings, Ingredient("purified water", volume_ml, "mL", "to volume")),
                       steps, compounded_on, bud, storage, label, salt, base_mg_from_salt(salt), ("fawcett-1997",))  # fmt: skip
