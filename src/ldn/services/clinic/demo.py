"""The demo clinic: staff and patient logins, example patients at different stages, and (for
``make run``) a synthetic cohort with a known truth.

Built through the same use cases as real data (so the demo is also a smoke test). The example
patients, diaries and trial come from the repository's ``examples/`` folder; the cohort is
simulated from :data:`DEMO_TRUTH` (synthetic, never clinical; see
:mod:`ldn.services.clinic.demo_cohort`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from ldn.domain.diary import parse_diary_csv
from ldn.domain.errors import DataFileError, Problem
from ldn.persistence.tables import ClinicRow, Patient, User
from ldn.services.clinic import accounts, diary, pharmacy, plans, screenings, trials
from ldn.services.clinic.context import SYSTEM, Actor, Clinic, Tx, use_case
from ldn.services.clinic.demo_cohort import COHORT, DEMO_TRUTH, seed_cohort
from ldn.services.clinic.patients import create_patient

__all__ = ["DEMO_CLINIC", "DEMO_PASSWORD", "DEMO_TRUTH", "DemoLogins", "examples_dir", "seed_demo"]

DEMO_CLINIC = "Demo Pain Clinic"
DEMO_PASSWORD = "demo-password-ldn"


@dataclass(frozen=True, slots=True)
class DemoLogins:
    clinic_id: int
    logins: dict[str, str]  # role -> e-mail


def examples_dir() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "examples" / "patients").is_dir():
            return parent / "examples"
    raise DataFileError(
        Problem(
            "examples",
            "the examples folder was not found",
            "run the demo from a source checkout of ldn",
        )
    )


def _exists(clinic: Clinic) -> int | None:
    with clinic.db.transaction() as s:
        return s.scalar(select(ClinicRow.id).where(ClinicRow.name == DEMO_CLINIC))


def _has_cohort(clinic: Clinic, clinic_id: int) -> bool:
    with clinic.db.transaction() as s:
        found = s.scalar(
            select(Patient.id).where(
                Patient.clinic_id == clinic_id, Patient.record_id == f"demo-cohort-{COHORT[0].key}"
            )
        )
        return found is not None


def _clinician(clinic: Clinic, clinic_id: int, email: str) -> Actor:
    with clinic.db.transaction() as s:
        uid = s.scalar(select(User.id).where(User.email == email))
    if uid is None:
        raise DataFileError(
            Problem("demo", "the demo clinician is missing", "start from an empty data folder")
        )
    return Actor(user_id=int(uid), role="clinician", clinic_id=clinic_id)


def seed_demo(clinic: Clinic, *, cohort: bool = False) -> DemoLogins:
    """Create the demo clinic once (a second call only returns the logins). With ``cohort``
    (``ldn serve --demo``, ``make run``) it also holds the synthetic cohort of 56 patients
    with diaries, plans and 22 revealed N-of-1 trials simulated from :data:`DEMO_TRUTH`
    (:mod:`ldn.services.clinic.demo_cohort`), added once."""
    logins = {r: f"{r}@demo.ldn.example" for r in ("clinician", "pharmacist", "admin", "patient")}
    existing = _exists(clinic)
    if existing is not None:
        if cohort and not _has_cohort(clinic, existing):
            seed_cohort(clinic, _clinician(clinic, existing, logins["clinician"]))
        return DemoLogins(existing, logins)
    ex = examples_dir()
    cid = int(accounts.create_clinic(clinic, SYSTEM, name=DEMO_CLINIC)["id"])
    staff: dict[str, Actor] = {}
    for role, name in (
        ("clinician", "Dr Demo Clinician"),
        ("pharmacist", "Demo Pharmacist"),
        ("admin", "Demo Admin"),
    ):
        u = accounts.create_user(
            clinic,
            SYSTEM,
            clinic_id=cid,
            email=logins[role],
            password=DEMO_PASSWORD,
            role=role,
            display_name=name,
        )
        staff[role] = Actor(user_id=int(u["id"]), role=role, clinic_id=cid)  # type: ignore[arg-type]
    doc = staff["clinician"]
    ids: dict[str, int] = {}
    for path in sorted((ex / "patients").glob("*.yaml")):
        record: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        ids[path.stem] = int(create_patient(clinic, doc, record=record)["id"])
        screenings.run_screening(clinic, doc, ids[path.stem])
    trial_record = yaml.safe_load(
        (ex / "patients" / "fibromyalgia.yaml").read_text(encoding="utf-8")
    )
    trial_record.update(id="ex-fibromyalgia-trial", display_name="Carmen (example, N-of-1 trial)")
    ids["trial"] = int(create_patient(clinic, doc, record=trial_record)["id"])
    screenings.run_screening(clinic, doc, ids["trial"])

    anna = ids["fibromyalgia"]
    # Anna started in June: her plan matches the example titration diary (first dose 2026-06-15)
    plans.create_plan(
        clinic,
        doc,
        anna,
        options={
            "schedule": "common",
            "form": "capsule",
            "start": date(2026, 6, 15),
            "allow_past": True,
        },
    )
    rx = pharmacy.create_prescription(clinic, doc, anna)
    pharmacy.create_batch(clinic, staff["pharmacist"], int(rx["id"]), lot="DEMO-0001")
    plans.create_plan(
        clinic, doc, ids["chronic-migraine-moh"], options={"schedule": "slow", "form": "liquid"}
    )
    pharmacy.create_prescription(clinic, doc, ids["chronic-migraine-moh"])
    _log_example_diary(clinic, doc, anna, ex / "diary" / "titration-diary.csv")
    accounts.create_user(
        clinic,
        SYSTEM,
        clinic_id=cid,
        email=logins["patient"],
        password=DEMO_PASSWORD,
        role="patient",
        display_name="Anna (example)",
        patient_id=anna,
    )

    carmen = ids["trial"]
    t = trials.create_clinic_trial(clinic, doc, carmen, start=date(2026, 3, 2), seed=2026)
    _log_example_diary(clinic, doc, carmen, ex / "trial" / "diary.csv")
    trials.reveal(clinic, doc, int(t["id"]), confirm=True)
    trials.analyse_clinic_trial(
        clinic, doc, int(t["id"]), prior="evidence", condition="fibromyalgia"
    )
    if cohort:
        seed_cohort(clinic, doc)
    return DemoLogins(cid, logins)


#: the diary use case's body (run inside another use case's transaction)
_RECORD_ENTRY: Callable[..., Any] = inspect.unwrap(diary.record_diary)


@use_case("diary.write")
def _log_example_diary(tx: Tx, actor: Actor, patient_id: int, csv_path: Path) -> None:
    """An example diary logged day by day through the diary use case's own body (checks, audit
    event and notification rules for every entry, as a patient's phone would), in one
    transaction instead of one per day (the demo is seeded for every integration test)."""
    for e in parse_diary_csv(csv_path.read_text(encoding="utf-8")):
        _RECORD_ENTRY(tx, actor, patient_id, entry=e.model_dump(mode="json"), idempotency_key=None)
