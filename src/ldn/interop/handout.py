"""The patient handout (HTML and Markdown), rendered from Jinja2 templates in plain language.

The sentences that depend on the form (how much to take, how to store it, how long it keeps,
what it costs) are written here once and rendered by both templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ldn import DISCLAIMER
from ldn.domain.adjustments import RULES, missed_dose_advice
from ldn.domain.compounding import Supply, liquid_dose_ml
from ldn.domain.compounding.dating import CONTROLLED_ROOM_C, REFRIGERATOR_C
from ldn.domain.cost import MonthlyCost
from ldn.domain.evidence.outlook import condition_evidence
from ldn.domain.patient import PatientRecord
from ldn.domain.prescription import timing_words
from ldn.domain.titration import TitrationPlan, TitrationStep
from ldn.domain.vocabulary import CONDITIONS

__all__ = ["HandoutContext", "render_handout", "storage_advice"]


@dataclass(frozen=True, slots=True)
class HandoutContext:
    patient_name: str
    plan: TitrationPlan
    form: str
    cost: MonthlyCost
    surgery_advice: str = ""
    supply: Supply | None = None
    evidence: tuple[str, ...] = ()  # what the trials say for each condition (evidence/outlook.py)


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("ldn.interop", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def storage_advice(*, form: str, bud_days: int | None) -> list[str]:
    """How to keep the medicine, and for how long (the beyond-use date on the label)."""
    fridge, room = REFRIGERATOR_C.value, CONTROLLED_ROOM_C.value
    if form == "liquid":
        out = [
            f"Keep the bottle in the fridge ({fridge[0]}-{fridge[1]} °C); do not freeze it.",
            "Shake the bottle well before each dose, then measure the dose with the oral syringe.",
        ]
    else:
        out = [
            f"Keep the capsules in their closed bottle at room temperature ({room[0]}-{room[1]} °C), "
            "dry and away from light (not in the bathroom)."
        ]
    keeps = f" (at most {bud_days} days after the pharmacy makes it)" if bud_days else ""
    out += [
        f"Do not use it after the “use by” date on the label{keeps}: the pharmacy makes a new batch for you.",
        "Keep it out of reach of children.",
    ]
    return out


def _amount(step: TitrationStep, form: str, supply: Supply | None) -> str:
    if form == "liquid":
        return f"{liquid_dose_ml(dose_mg=step.dose_mg):g} mL"
    combo = (
        next((c for c in supply.combinations if abs(c.dose_mg - step.dose_mg) < 1e-6), None)
        if supply
        else None
    )
    if combo is None or combo.count == 1:
        return "1 capsule"
    return f"{combo.count} capsules ({combo.describe()})"


def _context(ctx: HandoutContext) -> dict[str, Any]:
    how = (
        "capsule" if ctx.form == "capsule" else "dose of liquid (1 mL = 1 mg; use the oral syringe)"
    )
    s = ctx.supply
    rows = [
        {
            "start": st.start.isoformat(),
            "dose": f"{st.dose_mg:g} mg",
            "amount": _amount(st, ctx.form, s),
            "when": timing_words(st.timing),
        }
        for st in ctx.plan.steps
    ]
    fills = [
        {
            "number": f.number,
            "from": f.first_day.isoformat(),
            "to": f.last_day.isoformat(),
            "ready": f.compound_on.isoformat(),
        }
        for f in (s.fills if s else ())
    ]
    cost_form = "as capsules" if ctx.form == "capsule" else "as a liquid"
    return {
        "name": ctx.patient_name,
        "plan": ctx.plan,
        "how": how,
        "cost": ctx.cost,
        "cost_form": cost_form,
        "rows": rows,
        "storage": storage_advice(form=ctx.form, bud_days=s.bud_days if s else None),
        "fills": fills if len(fills) > 1 else [],
        "rules": RULES,
        "missed": missed_dose_advice(),
        "surgery": ctx.surgery_advice,
        "evidence": ctx.evidence,
        "disclaimer": DISCLAIMER,
    }


def render_handout(ctx: HandoutContext, *, fmt: str) -> str:
    """The handout as ``html`` or ``md``."""
    template = _env().get_template("handout.html.j2" if fmt == "html" else "handout.md.j2")
    return template.render(**_context(ctx))


def evidence_lines(record: PatientRecord) -> tuple[str, ...]:
    """What the evidence review says for each of the patient's conditions, in one sentence each
    (the same answer the screen and the evidence page give)."""
    codes = dict.fromkeys(
        c.code for c in record.conditions if c.status != "resolved" and c.code != "other"
    )
    return tuple(f"{CONDITIONS[c].display}: {condition_evidence(c).sentence()}" for c in codes)
