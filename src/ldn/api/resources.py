"""What the REST API answers: one response model per resource, so the OpenAPI document
describes every field a client reads (the request bodies are in :mod:`ldn.api.schemas`).

Timestamps are ISO 8601 strings as stored (``2026-11-25T09:00:00+00:00``), dates ISO days. A
model allows fields it does not list only so that an older client never breaks on a newer
server; ``tests/integration/clinic/test_response_models.py`` checks that every field the server
sends is listed here.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AllocationOut",
    "AuditEventOut",
    "AuditVerifyOut",
    "BatchOut",
    "DiaryEntryOut",
    "InviteLinkOut",
    "InviteListOut",
    "InviteOut",
    "InviteRevokedOut",
    "Listed",
    "MeOut",
    "PatientOut",
    "PatientStatus",
    "PatientSummary",
    "PlanOut",
    "PrescriptionDraftOut",
    "PrescriptionOut",
    "QuestionnaireOut",
    "ScreeningOut",
    "TrialOut",
    "WorksheetOut",
]

T = TypeVar("T")
Timestamp = str


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class Listed(_Out, Generic[T]):
    """One page of a list: ``items`` from ``offset``; ``next_offset`` is null on the last page."""

    items: list[T]
    total: int = Field(description="Items in the whole list")
    limit: int
    offset: int
    next_offset: int | None


class NewestSideEffect(_Out):
    date: date
    side_effects: list[str]


class PatientStatus(_Out):
    """Where the patient is on the path (the clinician's list)."""

    verdict: str | None = Field(description="The latest screening's verdict")
    plan_dose_mg: float | None = Field(description="Today's dose in the active plan (mg)")
    days_logged: int = Field(description="Diary days recorded")
    last_entry: date | None = Field(description="The latest diary day")
    trial: str | None = Field(description="The N-of-1 trial's state, if any")
    last_diary_day: date | None = Field(default=None, description="The latest diary day")
    days_missed: int | None = Field(
        default=None, description="Days without an entry in the window (window_days) before today"
    )
    diary_gap_days: int | None = Field(default=None, description="Days since the latest entry")
    newest_side_effect: NewestSideEffect | None = Field(
        default=None, description="The latest day a side effect was logged, and which"
    )
    current_dose_mg: float | None = Field(default=None, description="Today's planned dose (mg)")
    next_action: str | None = Field(default=None, description="The most urgent next step (code)")
    next_action_text: str | None = Field(default=None, description="The next step in words")
    needs_attention: bool | None = Field(default=None, description="There is a next step")
    conditions: list[str] = Field(default_factory=list, description="Unresolved condition codes")
    window_days: int | None = Field(
        default=None, description="The days counted for days_missed (LDN_DASHBOARD_WINDOW_DAYS)"
    )


class PatientSummary(_Out):
    id: int
    record_id: str = Field(description="The clinic's own identifier for the patient")
    display_name: str
    clinic_id: int
    record_version: int = Field(description="The current record version (the ETag)")
    created_at: Timestamp
    updated_at: Timestamp
    status: PatientStatus | None = Field(default=None, description="Only in the patient list")


class PatientOut(PatientSummary):
    record: dict[str, Any] = Field(description="The patient record (schema: `ldn schema patient`)")


class ScreeningOut(_Out):
    id: int
    patient_id: int
    record_version: int = Field(description="The record version screened")
    rules_version: str = Field(description="The version of ldn's screening rules")
    as_of: date
    verdict: str = Field(description="candidate, caution, review, not_advised or contraindicated")
    earliest_start: date | None = Field(description="After an opioid washout, the first safe day")
    created_at: Timestamp
    report: dict[str, Any] = Field(description="Findings with their sources, mechanism, scores")


class PlanOut(_Out):
    id: int
    patient_id: int
    record_id: str | None = Field(description="The clinic's identifier for the patient")
    version: int = Field(description="The plan version (the ETag)")
    status: str
    options: dict[str, Any] = Field(description="The options the plan was made with")
    updated_at: Timestamp
    plan: dict[str, Any] = Field(description="The titration schedule: steps with dose_mg, days")
    form: str = Field(description="capsule or liquid")
    supply: dict[str, Any] = Field(description="Strengths and quantities to compound")
    cost: dict[str, Any] | None = Field(default=None, description="Estimated monthly cost")
    batches: list[dict[str, Any]] = Field(default_factory=list)
    screening_verdict: str | None = None
    start_note: str = Field(default="", description="Why the start date is what it is")
    acknowledged_findings: list[str] = Field(default_factory=list)
    stopped_on: date | None = Field(default=None, description="The last day on LDN (a stop)")
    stop_reason: str | None = Field(default=None, description="The coded reason for stopping")
    stop_note: str | None = Field(default=None, description="The clinician's words")


class _PrescriptionBase(_Out):
    patient_id: int
    plan_id: int
    plan_version: int
    status: str = Field(description="issued, compounding, ready, dispensed or cancelled")
    issued_on: date
    patient_name: str
    prescriber: dict[str, Any]
    form: str
    strengths_mg: list[float]
    supply: dict[str, Any]
    plan: dict[str, Any]
    document: dict[str, Any] = Field(description="The prescription as issued")
    text: str = Field(description="The prescription as plain text")


class PrescriptionDraftOut(_PrescriptionBase):
    """What a prescription would say (nothing is stored)."""


class BatchOut(_Out):
    id: int
    prescription_id: int
    lot: str
    beyond_use_date: date
    created_at: Timestamp
    fill: int = Field(description="Which fill of the prescription the batch is for")
    strength: str | None = Field(description="The strength compounded")
    units: float | None = Field(description="Capsules, or mL of liquid")
    compounded_by: str
    label: dict[str, Any] | None = Field(description="The dispensing label's fields")
    label_text: str
    void: dict[str, Any] | None = Field(description="Why and when the batch was voided")
    verification: dict[str, Any] | None = Field(description="The second person's check")
    worksheet: dict[str, Any] = Field(description="The compounding record as made")


class PrescriptionOut(_PrescriptionBase):
    id: int
    created_at: Timestamp
    history: list[dict[str, Any]] = Field(description="Status changes: status, at, by, reason")
    fill: int
    fills_total: int
    refills_left: int
    dispensed_fills: list[int] = Field(default_factory=list)
    cancel_reason: str | None = None
    batches: list[BatchOut] | None = Field(default=None, description="With one prescription")
    progress: list[dict[str, Any]] | None = Field(
        default=None, description="Per strength: needed, made, status (with one prescription)"
    )


class WorksheetOut(_Out):
    prescription_id: int
    fill: int
    strength: str | None
    units: float | None
    api: str = Field(description="The naltrexone source weighed")
    worksheet: dict[str, Any] = Field(description="What to weigh, with the calculation")
    markdown: str
    label: dict[str, Any] | None
    label_text: str
    warnings: list[str]


class DiaryEntryOut(_Out):
    id: int
    patient_id: int
    version: int
    date: date
    pain_avg: float = Field(description="Average pain, NRS 0-10")
    pain_worst: float | None
    sleep_quality: float | None
    fatigue: float | None
    mood: float | None
    headache_day: bool
    headache_severity: float | None
    acute_medication: list[str]
    dose_mg: float | None
    dose_time: str
    bottle: str = Field(description="The blinded bottle (A/B) during a trial")
    side_effects: list[str]
    side_effect_severe: bool = False
    flag_for_clinician: bool = Field(default=False, description="The patient asks for a reading")
    pgic: int | None = Field(description="Patient Global Impression of Change, 1-7")
    note: str


class QuestionnaireOut(_Out):
    id: int
    instrument: str
    taken_on: date
    result: dict[str, Any] = Field(description="The score and its reading, with sources")


class TrialOut(_Out):
    id: int
    trial_id: str = Field(description="The trial's code")
    patient_id: int
    status: str
    design: dict[str, Any] = Field(description="Periods, cycles, the calendar of bottles")
    commitment_sha256: str = Field(description="The hash of the sealed allocation")
    revealed_at: Timestamp | None
    allocation: dict[str, Any] | None = Field(default=None, description="After the reveal")
    salt: str | None = Field(default=None, description="After the reveal (checks the hash)")
    analysis: dict[str, Any] | None = Field(default=None, description="After the analysis")


class AllocationOut(_Out):
    """The sealed allocation (the pharmacist, before the reveal)."""

    trial_id: str
    allocation: dict[str, Any]
    labels: dict[str, Any]
    salt: str
    note: str


class AuditEventOut(_Out):
    id: int
    seq: int
    at: Timestamp
    actor_user_id: int | None
    actor_role: str
    action: str
    resource: str
    resource_id: str
    patient_id: int | None
    remote_addr: str
    request_id: str
    detail: str
    chain: int = Field(
        description="Which of the independent hash chains (by patient) holds the event"
    )
    hash: str


class AuditVerifyOut(_Out):
    ok: bool
    events: int
    breaks: list[Any]
    unkeyed: int


class MeOut(_Out):
    """Who the token speaks for."""

    user_id: int
    role: str
    clinic_id: int
    patient_id: int | None = Field(description="A patient login's own record")


class InviteOut(_Out):
    """An enrolment invite's state (never its link or code after it was made)."""

    id: int
    patient_id: int
    status: str = Field(description="open, used, revoked or expired")
    created_at: Timestamp
    expires_at: Timestamp
    used_at: Timestamp | None
    revoked_at: Timestamp | None


class InviteLinkOut(InviteOut):
    """A new invite: its one-time link and code, shown this once (stored only as hashes)."""

    token: str
    code: str = Field(description="The code to read aloud or type at /enrol (XXXX-XXXX)")
    enrol_path: str
    enrol_url: str


class InviteListOut(_Out):
    has_login: bool = Field(description="The patient already has a login")
    items: list[InviteOut]


class InviteRevokedOut(_Out):
    patient_id: int
    revoked: bool
