"""Regenerate the example aggregates in examples/network/ (reproducible: fixed seeds, fixed date).

    python examples/network/make_examples.py

**Synthetic, never clinical.** Three clinics' shareable aggregates for ``ldn network pool``:

- ``demo-pain-clinic.json``: the demo clinic (``ldn serve --demo``) exported as of 2026-11-25,
  its cohort simulated from ``ldn.services.clinic.demo_cohort.DEMO_TRUTH``
  (delta -1.0, tau 0.7 NRS points);
- ``northbridge-pain-service.json`` and ``harbour-rheumatology.json``: two made-up clinics whose
  N-of-1 trials are simulated below with the same daily-pain model as the demo (AR(1) noise,
  rho 0.5, sigma 0.8; blinded 3-cycle designs, the analysed days only) from the stated truths in
  :data:`CLINICS`: each clinic's average effect ``delta_clinic`` (the network's -1.0 moved by a
  clinic offset of -0.3 / +0.3, i.e. a between-clinic SD of the order of 0.3) and tau 0.7. Their
  per-condition counts are drawn from made-up shares, then suppressed by the same rules as a real
  export (``ldn.domain.aggregate.build_aggregate``, min_cell 5).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from ldn import __version__
from ldn.config import Settings
from ldn.domain.aggregate import PatientFacts, TrialFacts, build_aggregate
from ldn.domain.nof1.blinding import make_allocation
from ldn.domain.nof1.design import design_trial
from ldn.domain.nof1.hierarchy import effect_likelihood
from ldn.services.clinic import demo, operations
from ldn.services.clinic.aggregate import export_aggregate
from ldn.services.clinic.context import SYSTEM, Clinic
from ldn.services.clinic.demo_cohort import DEMO_TRUTH, simulate_trial_diary
from ldn.services.trials import design_series

HERE = Path(__file__).resolve().parent
AS_OF = date(2026, 11, 25)
MIN_CELL = 5


@dataclass(frozen=True, slots=True)
class SyntheticClinic:
    file: str
    label: str
    delta_clinic_nrs: float  # the clinic's true average effect (synthetic)
    tau_nrs: float  # true between-patient SD (synthetic)
    trials: dict[str, int]  # condition -> completed trials
    patients: dict[str, int]  # condition -> patients seen
    seed: int


CLINICS = (
    SyntheticClinic(
        "northbridge-pain-service.json",
        "Northbridge Pain Service (synthetic)",
        -1.3,
        0.7,
        {"fibromyalgia": 20, "chronic_migraine": 8},
        {"fibromyalgia": 48, "chronic_migraine": 22, "chronic_low_back_pain": 12, "crps": 3},
        101,
    ),
    SyntheticClinic(
        "harbour-rheumatology.json",
        "Harbour Rheumatology (synthetic)",
        -0.7,
        0.7,
        {"fibromyalgia": 12},
        {"fibromyalgia": 30, "knee_osteoarthritis": 14, "rheumatoid_arthritis": 9},
        202,
    ),
)


def _trials(c: SyntheticClinic, rng: np.random.Generator) -> list[TrialFacts]:
    out, n = [], 0
    for condition, count in c.trials.items():
        for _ in range(count):
            n += 1
            design, _ = design_trial(start=AS_OF - timedelta(days=200 + 5 * n), seed=n)
            allocation = make_allocation(trial_id=f"{c.seed}-{n}", seed=n)
            delta_i = float(rng.normal(c.delta_clinic_nrs, c.tau_nrs))
            baseline = float(rng.uniform(DEMO_TRUTH.baseline_low_nrs, DEMO_TRUTH.baseline_high_nrs))
            diary = simulate_trial_diary(
                design,
                ldn_bottle=allocation.ldn_bottle,
                delta_nrs=delta_i,
                baseline_nrs=baseline,
                truth=DEMO_TRUTH,
                rng=rng,
            )
            day, pain, on_ldn, _ = design_series(diary, design, allocation)
            est, se = effect_likelihood(day, pain, on_ldn, label=f"t{n}").summary()
            out.append(TrialFacts(condition, f"patient-{n}", f"t{n}", float(est), float(se)))
    return out


def _patients(c: SyntheticClinic, rng: np.random.Generator) -> list[PatientFacts]:
    out = []
    for condition, count in c.patients.items():
        for _ in range(count):
            started = bool(rng.random() < 0.75)
            reached = started and bool(rng.random() < 0.6)
            pct = float(rng.normal(30, 22)) if reached else None
            seen = AS_OF - timedelta(days=int(rng.integers(30, 600)))
            out.append(PatientFacts((condition,), seen, True, started, reached, pct))
    return out


def synthetic_clinics() -> None:
    for c in CLINICS:
        rng = np.random.default_rng(c.seed)
        doc = build_aggregate(
            clinic=c.label,
            patients=_patients(c, rng),
            trials=_trials(c, rng),
            min_cell=MIN_CELL,
            today=AS_OF,
            ldn_version=__version__,
        )
        (HERE / c.file).write_text(
            json.dumps(doc.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8"
        )


def demo_clinic() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            argon2_time_cost=1,
            argon2_memory_kib=64,
            argon2_parallelism=1,
            aggregate_min_cell=MIN_CELL,
        )
        clinic = Clinic.open(settings, clock=lambda: datetime(2026, 11, 25, 12, tzinfo=UTC))
        try:
            operations.upgrade(clinic)
            demo.seed_demo(clinic, cohort=True)
            doc = export_aggregate(clinic, SYSTEM)
        finally:
            clinic.close()
    (HERE / "demo-pain-clinic.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    synthetic_clinics()
    demo_clinic()
