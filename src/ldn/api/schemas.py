"""Request and response bodies of the REST API (strict: unknown fields are refused by name)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ldn.domain.diary import DiaryEntry
from ldn.domain.patient import PatientRecord

__all__ = [
    "EARLIEST_DAY",
    "LATEST_DAY",
    "AdjustIn",
    "AnalysisIn",
    "BatchIn",
    "DiaryIn",
    "LoginIn",
    "MedicationReviewIn",
    "PatientIn",
    "PlanOptionsIn",
    "PlanPatch",
    "PrescriptionIn",
    "QuestionnaireIn",
    "ReasonIn",
    "RevealIn",
    "ScreenIn",
    "Token",
    "TrialIn",
    "UserIn",
    "UserOut",
    "UserPatch",
]


#: the dates ldn accepts anywhere (a plan, a trial, a diary day; outside them dates overflow)
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2199, 12, 31)
Day = Annotated[date, Field(ge=EARLIEST_DAY, le=LATEST_DAY)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class LoginIn(_In):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1000)


class UserOut(_Out):
    id: int
    email: str
    display_name: str
    role: str
    clinic_id: int
    patient_id: int | None
    active: bool


class Token(_Out):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int
    user: UserOut


class UserIn(_In):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1000)
    role: Literal["patient", "clinician", "pharmacist", "admin"]
    display_name: str = Field(default="", max_length=200)
    patient_id: int | None = Field(default=None, ge=1, le=2**62)


class UserPatch(_In):
    role: Literal["clinician", "pharmacist", "admin"] | None = None
    active: bool | None = None


class PatientIn(_In):
    record: PatientRecord


class MedicationReviewIn(_In):
    """The clinician's answer for a medicine ldn could not identify."""

    contains_opioid: bool
    contains_naltrexone: bool = False


class PlanOptionsIn(_In):
    schedule: Literal["common", "slow", "custom"] = "common"
    target_mg: float = Field(default=4.5, gt=0, le=50)
    max_mg: float = Field(default=4.5, gt=0, le=50)
    start_mg: float | None = Field(default=None, gt=0, le=50)
    step_mg: float | None = Field(default=None, gt=0, le=50)
    interval_days: int | None = Field(default=None, ge=1, le=90)
    form: Literal["capsule", "liquid"] = "capsule"
    start: Day | None = None
    allow_past: bool = False
    acknowledge_review: bool = Field(
        default=False, description="The clinician has reviewed the screening's review findings"
    )


class PlanPatch(_In):
    schedule: Literal["common", "slow", "custom"] | None = None
    target_mg: float | None = Field(default=None, gt=0, le=50)
    max_mg: float | None = Field(default=None, gt=0, le=50)
    start_mg: float | None = Field(default=None, gt=0, le=50)
    step_mg: float | None = Field(default=None, gt=0, le=50)
    interval_days: int | None = Field(default=None, ge=1, le=90)
    form: Literal["capsule", "liquid"] | None = None
    start: Day | None = None
    acknowledge_review: bool | None = None


class AdjustIn(_In):
    side_effect: Literal["vivid_dreams", "insomnia", "headache", "nausea", "tiredness"]
    on: Day
    severe: bool = False


class PrescriptionIn(_In):
    """The prescriber is the caller (their profile); quantities come from the plan."""

    plan_version: int | None = Field(
        default=None, ge=1, description="The plan version previewed; refused (412) if it changed"
    )


class BatchIn(_In):
    lot: str = Field(min_length=1, max_length=60)
    strength_mg: float | None = Field(default=None, gt=0, le=10)
    count: int | None = Field(
        default=None, ge=1, le=1000, description="Capsules; default what the fill still needs"
    )
    volume_ml: float | None = Field(
        default=None, gt=0, le=1000, description="Liquid; default what the fill still needs"
    )
    api: Literal["powder_hcl", "powder_hcl_dihydrate", "tablets_50mg"] = "powder_hcl"
    tablet_mass_mg: float | None = Field(
        default=None, gt=0, le=2000, description="Mean mass of one 50 mg tablet (tablet route)"
    )


class ReasonIn(_In):
    reason: str = Field(min_length=1, max_length=500)


class QuestionnaireIn(_In):
    instrument: str = Field(min_length=1, max_length=40)
    answers: dict[str, Any] = Field(max_length=200)
    taken_on: Day | None = None


class TrialIn(_In):
    start: Day
    seed: int = Field(ge=0, le=2**31)
    cycles: int = Field(default=3, ge=1, le=10)
    period_days: int = Field(default=28, ge=1, le=365)
    run_in_days: int = Field(default=14, ge=0, le=365)
    acknowledge_review: bool = Field(
        default=False, description="The clinician has reviewed the screening's review findings"
    )


class RevealIn(_In):
    """Unblinding is final: it needs an explicit confirmation, and a reason before the last period ends."""

    confirm: bool = False
    early_stop_reason: str = Field(default="", max_length=500)


class AnalysisIn(_In):
    prior: Literal["evidence", "sceptical"] = "evidence"
    condition: Literal["fibromyalgia", "multiple_sclerosis", "arthritis", "any"] = "fibromyalgia"


class ScreenIn(_In):
    record: PatientRecord
    as_of: Day | None = None


DiaryIn = DiaryEntry
