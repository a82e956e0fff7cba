"""The patient handout (HTML and Markdown), rendered from Jinja2 templates in plain language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ldn import DISCLAIMER
from ldn.domain.adjustments import RULES, missed_dose_advice
from ldn.domain.cost import MonthlyCost
from ldn.domain.titration import TitrationPlan

__all__ = ["HandoutContext", "render_handout"]


@dataclass(frozen=True, slots=True)
class HandoutContext:
    patient_name: str
    plan: TitrationPlan
    form: str
    cost: MonthlyCost
    surgery_advice: str = ""


def _env() -> Environment:
    return Environment(loader=PackageLoader("ldn.interop", "templates"), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True)  # fmt: skip


def _context(ctx: HandoutContext) -> dict[str, Any]:
    how = (
        "capsule" if ctx.form == "capsule" else "dose of liquid (1 mL = 1 mg; use the oral syringe)"
    )
    return {"name": ctx.patient_name, "plan": ctx.plan, "how": how, "cost": ctx.cost, "rules": RULES,
            "missed": missed_dose_advice(), "surgery": ctx.surgery_advice, "disclaimer": DISCLAIMER}  # fmt: skip


def render_handout(ctx: HandoutContext, *, fmt: str) -> str:
    """The handout as ``html`` or ``md``."""
    template = _env().get_template("handout.html.j2" if fmt == "html" else "handout.md.j2")
    return template.render(**_context(ctx))
