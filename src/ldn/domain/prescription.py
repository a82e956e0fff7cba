"""Prescription text for compounded LDN (drug, strength, form, quantity, directions, note)."""

from __future__ import annotations

from ldn.domain.titration import TitrationPlan

__all__ = ["prescription_text"]


def prescription_text(
    plan: TitrationPlan, *, form: str, patient: str, prescriber: str = "", days_supply: int = 30
) -> str:
    """Plain-text prescription for the titration and the first month at target."""
    strengths = sorted({s.dose_mg for s in plan.steps})
    lines = [
        f"Patient: {patient}",
        "",
        "Rx  Naltrexone hydrochloride (low-dose naltrexone), COMPOUNDED",
    ]
    if form == "capsule":
        lines.append(
            "Form: immediate-release capsules; filler microcrystalline cellulose (no calcium carbonate)"
        )
        for d in strengths:
            days = sum(
                (
                    (b.start - a.start).days
                    for a, b in zip(plan.steps, plan.steps[1:], strict=False)
                    if a.dose_mg == d
                ),
                0,
            )
            qty = days if d != plan.target_mg else days_supply
            lines.append(f"  {d:g} mg capsules — quantity {qty}")
    else:
        total_mg = sum(
            (
                (b.start - a.start).days * a.dose_mg
                for a, b in zip(plan.steps, plan.steps[1:], strict=False)
            ),
            0.0,
        )
        total_mg += plan.target_mg * days_supply
        lines.append("Form: oral liquid 1 mg/mL (validated formula), amber bottle, refrigerate")
        lines.append(f"  Quantity: {total_mg:g} mL")
    lines += [
        "",
        "Directions: take ONE dose by mouth once daily at "
        + plan.steps[0].timing
        + ", following the schedule:",
    ]
    for a in plan.steps:
        lines.append(
            f"  from {a.start.isoformat()}: {a.dose_mg:g} mg"
            + (f" ({a.timing})" if a.timing != "bedtime" else "")
        )
    lines += ["", f"Target {plan.target_mg:g} mg daily; do not exceed {plan.max_mg:g} mg daily.",
              f"Review response on or after {plan.assessment_date.isoformat()}.",
              "Off-label use for chronic pain, discussed with the patient. Do not combine with opioid analgesics.",
              "", f"Prescriber: {prescriber or '______________________'}   Signature: ____________   Date: ________"]  # fmt: skip
    return "\n".join(lines) + "\n"
