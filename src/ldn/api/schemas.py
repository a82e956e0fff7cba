"""Request and response bodies of the REST API (strict: unknown fields are refused by name)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ldn.domain.diary import DiaryEntry
from ldn.domain.patient import PatientRecord

__all__ = [
    "AdjustIn",
    "BatchIn",
    "LoginIn",
    "MedicationReviewIn",
    "Page",
    "PatientIn",
    "PlanOptionsIn",
    "PrescriptionIn",
    "QuestionnaireIn",
    "RevealIn",
    "Token",
    "TrialIn",
    "UserIn",
    "UserPatch",
]  # fmt: skip


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
    start: date | None = None
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
    start: date | None = None
    acknowledge_review: bool | None = None


class AdjustIn(_In):
    side_effect: Literal["vivid_dreams", "insomnia", "headache", "nausea", "tiredness"]
    on: date
    severe: bool = False


class PrescriptionIn(_In):
    prescriber: str = Field(default="", max_length=200)
    days_supply: int = Field(default=30, ge=7, le=90)


class BatchIn(_In):
    lot: str = Field(min_length=1, max_length=60)
    strength_mg: float | None = Field(default=None, gt=0, le=10)
    count: int = Field(default=30, ge=1, le=1000)
    volume_ml: float = Field(default=100.0, gt=0, le=1000)
    api: Literal["powder_hcl", "powder_hcl_dihydrate", "tablets_50mg"] = "powder_hcl"


class QuestionnaireIn(_In):
    instrument: str = Field(min_length=1, max_length=40)
    answers: dict[str, Any]
    taken_on: date | None = None


class TrialIn(_In):
    start: date
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
    as_of: date | None = None


class Page(_Out):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class Resource(_Out):
    """A stored resource: its ``id`` and the fields of its kind."""

    id: int


DiaryIn = DiaryEntry
