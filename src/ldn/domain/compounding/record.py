"""The batch record: ingredients, steps, checks, BUD and label, as data and as markdown."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from ldn.domain.compounding.capsules import CapsuleFill
from ldn.domain.compounding.dating import BeyondUse, Component
from ldn.domain.compounding.weighing import WeighingPlan

__all__ = ["BatchRecord", "Form", "Ingredient"]

Form = Literal["capsule", "liquid"]


def _lot(c: Component | None) -> str:
    return c.lot if c else ""


def _expiry(c: Component | None) -> str:
    return c.expires_on.isoformat() if c and c.expires_on else ""


@dataclass(frozen=True, slots=True)
class Ingredient:
    name: str
    quantity: float
    unit: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """A compounding worksheet: what to weigh, how to make and check it, how long it keeps."""

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
    checks: tuple[str, ...] = ()
    bud: BeyondUse | None = None
    fill: CapsuleFill | None = None
    weighing: WeighingPlan | None = None
    blend_mg: float = 0.0
    active_mg: float = 0.0
    overage_pct: float = 0.0
    overage_reason: str = ""
    components: tuple[Component, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        fill = self.fill
        w = self.weighing
        return {
            "form": self.form,
            "strength": self.strength,
            "units": self.units,
            "unit_name": self.unit_name,
            "ingredients": [
                {"name": i.name, "quantity": i.quantity, "unit": i.unit, "note": i.note}
                for i in self.ingredients
            ],
            "steps": list(self.steps),
            "checks": list(self.checks),
            "compounded_on": self.compounded_on.isoformat(),
            "beyond_use": self.beyond_use.isoformat(),
            "storage": self.storage,
            "label": self.label,
            "api_salt_mg": self.api_salt_mg,
            "api_base_mg": round(self.api_base_mg, 3),
            "active_mg": round(self.active_mg, 3),
            "blend_mg": round(self.blend_mg, 1),
            "overage": {"pct": self.overage_pct, "reason": self.overage_reason},
            "bud": self.bud.as_dict() if self.bud else None,
            "capsule": None
            if fill is None
            else {
                "size": fill.size,
                "volume_ml": fill.volume_ml,
                "filler": fill.filler,
                "bulk_density_g_ml": list(fill.density_g_ml),
                "fill_mg": fill.fill_mg,
                "fill_volume_ml": round(fill.fill_volume_ml, 4),
                "calibrated": fill.calibrated,
            },
            "weighing": None
            if w is None
            else {
                "balance": w.balance.name,
                "min_weight_mg": w.balance.min_weight_mg,
                "basis": w.balance.basis,
                "method": "aliquot" if w.aliquot else "direct",
                "active_mg": round(w.active_mg, 3),
                "portion_mg": round(w.portion_mg, 3),
            },
            "components": [c.as_dict() for c in self.components],
            "source_ids": list(self.source_ids),
        }

    def as_markdown(self) -> str:
        rows = "\n".join(
            f"| {i.name} | {i.quantity:g} {i.unit} | {i.note} |" for i in self.ingredients
        )
        steps = "\n".join(f"{n}. {s}" for n, s in enumerate(self.steps, 1))
        checks = "\n".join(f"- [ ] {c}" for c in self.checks)
        bud = "\n".join(f"- {b}" for b in self.bud.basis) if self.bud else ""
        names = [i.name for i in self.ingredients] + [
            c.name for c in self.components if c.name not in {i.name for i in self.ingredients}
        ]
        lots = {c.name: c for c in self.components}
        record = "\n".join(
            f"| {n} | {_lot(lots.get(n))} | {_expiry(lots.get(n))} | |" for n in names
        )
        fill = ""
        if self.fill:
            f = self.fill
            lo, hi = f.capacity_mg
            fill = (
                f"Capsule: size #{f.size} ({f.volume_ml:g} mL), {f.filler_name} (bulk density {f.density_g_ml[0]:g}-{f.density_g_ml[1]:g} g/mL); "
                f"fill {f.fill_mg:g} mg blend per capsule ({'calibrated' if f.calibrated else 'planned at the lowest density'}; "
                f"{f.fill_volume_ml:.3f} mL at the lowest density, shell {f.volume_ml:g} mL; shell holds {lo:.0f}-{hi:.0f} mg). "
                f"Blend {self.blend_mg:.1f} mg for {self.units} capsules.\n\n"
            )
        weigh = ""
        if self.weighing:
            b = self.weighing.balance
            weigh = f"Balance: {b.name}, minimum weight {b.min_weight_mg:g} mg ({b.basis}).\n\n"
        overage = (
            f"Overage: {self.overage_pct:g} % of the blend ({self.overage_reason}).\n\n"
            if self.overage_pct
            else "No overage is included.\n\n"
        )
        return (
            f"## Batch record: naltrexone HCl {self.strength} {self.form}, {self.units} {self.unit_name}\n\n"
            f"Compounded: {self.compounded_on.isoformat()} · Beyond-use date: **{self.beyond_use.isoformat()}** · Storage: {self.storage}\n\n"
            f"Active: {self.api_salt_mg:g} mg naltrexone hydrochloride = {self.api_base_mg:.2f} mg naltrexone base.\n\n"
            f"{fill}{weigh}{overage}"
            f"| ingredient | quantity | note |\n|---|---|---|\n{rows}\n\n### Steps\n\n{steps}\n\n"
            f"### Quality checks\n\n{checks}\n\n### Beyond-use date\n\n{bud}\n\n"
            f"### Record\n\n| component | lot | expiry | weighed / measured |\n|---|---|---|---|\n{record}\n\n"
            "Balance id: ________  Compounded by: ________  Verified by: ________  Actual yield: ________\n\n"
            f"### Label\n\n```\n{self.label}\n```\n\nSources: {', '.join(self.source_ids)}. "
            "Check against your pharmacy's SOPs and local rules.\n"
        )
