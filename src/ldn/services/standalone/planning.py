"""Use case: plan LDN for a patient — screen, build the titration, compound, cost, documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ldn.domain.compounding import BatchRecord, Supply, first_fill_batches, plan_supply
from ldn.domain.cost import MonthlyCost, monthly_cost
from ldn.domain.errors import InputError
from ldn.domain.patient import PatientRecord
from ldn.domain.prescription import Prescriber
from ldn.domain.screening import ScreeningReport, screen
from ldn.domain.start_guard import decide_start
from ldn.domain.titration import TitrationPlan, build_plan

__all__ = ["PlanBundle", "PlanOptions", "make_plan", "write_plan_files"]


@dataclass(frozen=True, slots=True)
class PlanOptions:
    schedule: str = "common"
    target_mg: float = 4.5
    max_mg: float = 4.5
    start_mg: float | None = None
    step_mg: float | None = None
    interval_days: int | None = None
    form: str = "capsule"
    start: date | None = None
    allow_past: bool = False
    acknowledge_review: bool = False


@dataclass(frozen=True, slots=True)
class PlanBundle:
    record: PatientRecord
    screening: ScreeningReport
    plan: TitrationPlan
    batches: tuple[BatchRecord, ...]
    cost: MonthlyCost
    supply: Supply | None = None
    start_note: str = ""
    acknowledged: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "patient_id": self.record.id,
            "form": self.batches[0].form if self.batches else "",
            "screening_verdict": self.screening.verdict,
            "plan": self.plan.as_dict(),
            "start_note": self.start_note,
            "acknowledged_findings": list(self.acknowledged),
            "batches": [b.as_dict() for b in self.batches],
            "supply": self.supply.as_dict() if self.supply else None,
            "cost": {
                "form": self.cost.form,
                "per_dose_usd": self.cost.per_dose,
                "per_month_usd": self.cost.per_month,
                "range_per_month_usd": [self.cost.low_per_month, self.cost.high_per_month],
                "note": self.cost.note,
            },
        }


def make_plan(record: PatientRecord, options: PlanOptions, *, today: date) -> PlanBundle:
    """Screen, then plan. Contraindicated patients get no plan; do-not-start-yet starts later."""
    if options.form not in ("capsule", "liquid"):
        raise InputError.at("--form", f"unknown form {options.form!r}", "use capsule or liquid")
    report = screen(record, today=today)
    if options.start is not None and options.start < today and not options.allow_past:
        raise InputError.at(
            "--start",
            f"{options.start.isoformat()} is in the past",
            "choose today or later, or pass --allow-past",
        )
    decision = decide_start(
        report,
        requested=options.start,
        today=today,
        acknowledged=options.acknowledge_review,
        what="the plan",
    )
    start = decision.start
    plan = build_plan(
        start=start,
        schedule=options.schedule,
        target_mg=options.target_mg,
        max_mg=options.max_mg,
        start_mg=options.start_mg,
        step_mg=options.step_mg,
        interval_days=options.interval_days,
    )
    name = record.display_name or record.id
    # supply to the assessment date (refills when the BUD ends first); worksheets for fill 1
    supply = plan_supply(
        plan, form="capsule" if options.form == "capsule" else "liquid", compounded_on=today
    )
    bundle_batches = first_fill_batches(supply, patient=name)
    return PlanBundle(
        record,
        report,
        plan,
        bundle_batches,
        monthly_cost(options.form),
        supply,
        decision.moved_because,
        decision.acknowledged,
    )


def write_plan_files(
    bundle: PlanBundle, out_dir: Path, *, today: date, prescriber: Prescriber | None = None
) -> list[Path]:
    """Write the six plan files into ``out_dir`` (:mod:`ldn.services.standalone.plan_documents`)."""
    from ldn.services.standalone.plan_documents import documents_from_bundle, write_documents

    docs = documents_from_bundle(bundle, today=today)
    return write_documents(docs, out_dir, prescriber=prescriber, today=today)
