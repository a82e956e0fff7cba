"""The patient record: what a clinician knows about a patient, as one validated model.

Read from YAML or JSON (``ldn schema patient`` prints the JSON Schema). Validation needs to know
"today" (a last dose cannot be in the future), so parse with :func:`parse_patient`, which passes
``today`` as validation context. Every problem names its field, e.g.
``medications[0].dose: a dose needs a unit, e.g. '50 mg' (fix: ...)``.
"""

from __future__ import annotations

from datetime import date
from datetime import date as Date
from typing import Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ldn.domain.errors import InputError, problems_from_pydantic
from ldn.domain.medication import Dose, Medication, MedicationCode, MedicationReview
from ldn.domain.record_base import RecordModel as _Model
from ldn.domain.record_base import not_in_future as _past
from ldn.domain.vocabulary import CONDITIONS, WpiArea

__all__ = [
    "Condition",
    "Dose",
    "LiverTests",
    "Medication",
    "MedicationCode",
    "MedicationReview",
    "NaloxoneChallenge",
    "PainProfile",
    "PatientIdentifier",
    "PatientRecord",
    "PlannedSurgery",
    "PriorTreatment",
    "QuestionnaireResponse",
    "RenalFunction",
    "age_on",
    "parse_patient",
]


def age_on(born: date, today: date) -> int:
    """Completed years between ``born`` and ``today``."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class Condition(_Model):
    """A diagnosed or suspected condition from ldn's vocabulary (``ldn.domain.vocabulary``)."""

    code: str = Field(description="Condition code, e.g. fibromyalgia, chronic_migraine")
    status: Literal["active", "resolved", "suspected"] = "active"
    onset: date | None = None
    display: str | None = Field(default=None, description="Free text, required for code 'other'")

    @field_validator("code")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in CONDITIONS:
            raise ValueError(
                f"unknown condition code {v!r} | fix: use one of {', '.join(sorted(CONDITIONS))}"
            )
        return v

    @field_validator("onset")
    @classmethod
    def _onset_past(cls, v: date | None, info: ValidationInfo) -> date | None:
        return _past(v, info, "onset")  # type: ignore[no-any-return]


class PainProfile(_Model):
    """Where and for how long it hurts."""

    locations: list[WpiArea] = Field(
        default_factory=list, description="Painful WPI areas, past week"
    )
    other_locations: list[str] = Field(
        default_factory=list, description="Sites outside the WPI (wrist, foot, ...)"
    )
    duration_months: float = Field(ge=0, le=1200)
    average_nrs: float | None = Field(
        default=None, ge=0, le=10, description="Average pain, NRS 0-10, past week"
    )
    worst_nrs: float | None = Field(default=None, ge=0, le=10)
    description: str = ""


class LiverTests(_Model):
    """Liver tests with the laboratory's upper limits of normal (ULN)."""

    date: Date
    alt_u_per_l: float | None = Field(default=None, ge=0)
    alt_uln_u_per_l: float = Field(default=40, gt=0)
    ast_u_per_l: float | None = Field(default=None, ge=0)
    ast_uln_u_per_l: float = Field(default=40, gt=0)
    bilirubin_umol_per_l: float | None = Field(default=None, ge=0)
    bilirubin_uln_umol_per_l: float = Field(default=21, gt=0)

    @field_validator("date")
    @classmethod
    def _date_past(cls, v: Date, info: ValidationInfo) -> Date:
        return _past(v, info, "liver test date")  # type: ignore[no-any-return]


class NaloxoneChallenge(_Model):
    """A naloxone challenge test and its result (label: negative before starting naltrexone)."""

    date: Date
    result: Literal["negative", "positive"]

    @field_validator("date")
    @classmethod
    def _date_past(cls, v: Date, info: ValidationInfo) -> Date:
        return _past(v, info, "naloxone challenge date")  # type: ignore[no-any-return]


class RenalFunction(_Model):
    """Kidney function: the latest eGFR (mL/min/1.73 m²) and whether the patient is on dialysis."""

    egfr_ml_min_1_73m2: float | None = Field(default=None, ge=0, le=250)
    date: Date | None = None
    dialysis: bool = False

    @field_validator("date")
    @classmethod
    def _date_past(cls, v: Date | None, info: ValidationInfo) -> Date | None:
        return _past(v, info, "eGFR date")  # type: ignore[no-any-return]


class PlannedSurgery(_Model):
    date: Date
    procedure: str = ""
    opioids_expected: bool = True


class PriorTreatment(_Model):
    """A conventional treatment tried before, and how it went."""

    name: str
    outcome: Literal["ineffective", "not_tolerated", "partial", "helpful", "ongoing"]


class QuestionnaireResponse(_Model):
    """Answers to one instrument, by item id (the instrument module validates them)."""

    date: Date | None = None
    answers: dict[str, Any] = Field(default_factory=dict)

    @field_validator("date")
    @classmethod
    def _date_past(cls, v: Date | None, info: ValidationInfo) -> Date | None:
        return _past(v, info, "questionnaire date")  # type: ignore[no-any-return]


class PatientIdentifier(_Model):
    """An identifier another system gave the patient (FHIR ``Identifier``), e.g. a hospital's
    medical record number. ldn matches imported patients on system + value."""

    system: str | None = Field(
        default=None,
        min_length=1,
        max_length=400,
        description="Namespace URI of the value, e.g. the hospital's MRN system",
    )
    value: str = Field(min_length=1, max_length=200)
    type: str = Field(
        default="",
        max_length=20,
        description="HL7 v2 table 0203 code, e.g. MR (medical record number)",
    )


class PatientRecord(_Model):
    """Everything ldn needs to screen, plan and follow one patient."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, title="ldn patient record"
    )

    id: str = Field(
        min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$", description="Local identifier"
    )
    display_name: str = Field(default="", max_length=200)
    identifiers: list[PatientIdentifier] = Field(
        default_factory=list, description="Identifiers from other systems (MRN, ...)"
    )
    age_years: int = Field(ge=0, le=120, description="Derived from birth_date when that is given")
    birth_date: Date | None = None
    sex: Literal["female", "male", "other", "unknown"]
    weight_kg: float | None = Field(default=None, gt=0, le=400)
    pregnant: bool = False
    breastfeeding: bool = False
    planning_pregnancy: bool = False
    conditions: list[Condition] = Field(default_factory=list)
    pain: PainProfile | None = None
    questionnaires: dict[str, QuestionnaireResponse] = Field(
        default_factory=dict, description="Instrument id -> answers (see `ldn instruments`)"
    )
    medications: list[Medication] = Field(default_factory=list)
    prior_treatments: list[PriorTreatment] = Field(default_factory=list)
    liver_disease: Literal[
        "none",
        "chronic_liver_disease",
        "cirrhosis",
        "compensated_cirrhosis",
        "decompensated_cirrhosis",
        "acute_hepatitis",
        "liver_failure",
    ] = Field(default="none", description="'cirrhosis' when its grade is not known")
    child_pugh_class: Literal["A", "B", "C"] | None = None
    liver_tests: LiverTests | None = None
    renal_function: RenalFunction | None = None
    planned_surgery: list[PlannedSurgery] = Field(default_factory=list)
    opioid_use_disorder: Literal["none", "past", "current"] = "none"
    naltrexone_hypersensitivity: bool = False
    urine_opioid_screen: Literal["not_done", "negative", "positive"] = "not_done"
    urine_opioid_screen_date: Date | None = None
    opioid_withdrawal_signs: bool = Field(
        default=False, description="Signs of acute opioid withdrawal now"
    )
    transplant_recipient: bool = Field(
        default=False, description="Organ transplant on immunosuppression"
    )
    naloxone_challenge: NaloxoneChallenge | None = None
    notes: str = ""

    @model_validator(mode="before")
    @classmethod
    def _age_from_birth_date(cls, data: Any, info: ValidationInfo) -> Any:
        """With a birth date and a 'today' (or an ``age_on`` date, used when a stored record is
        read back without re-checking its dates), the age is derived (a stated age is replaced)."""
        ctx = info.context or {}
        today = ctx.get("age_on") or ctx.get("today")
        if not isinstance(data, dict) or today is None or not data.get("birth_date"):
            return data
        born = data["birth_date"]
        try:
            b = born if isinstance(born, date) else date.fromisoformat(str(born))
        except ValueError:
            return data  # the field's own validation names the problem
        if b > today:
            return data
        return {**data, "age_years": age_on(b, today)}

    @field_validator("birth_date")
    @classmethod
    def _born_past(cls, v: Date | None, info: ValidationInfo) -> Date | None:
        return _past(v, info, "birth date")  # type: ignore[no-any-return]

    @field_validator("urine_opioid_screen_date")
    @classmethod
    def _urine_past(cls, v: Date | None, info: ValidationInfo) -> Date | None:
        return _past(v, info, "urine screen date")  # type: ignore[no-any-return]

    def has_condition(self, *codes: str) -> bool:
        return any(c.code in codes and c.status != "resolved" for c in self.conditions)


def parse_patient(data: object, *, today: date, origin: str = "") -> PatientRecord:
    """Validate ``data`` (parsed YAML/JSON) as a :class:`PatientRecord`.

    Raises :class:`~ldn.domain.errors.InputError` with one problem per bad field.
    """
    if data is None:
        raise InputError.at(
            "(top level)",
            "the record is empty",
            "write a patient record; see `ldn schema patient`",
            origin=origin,
        )
    if not isinstance(data, dict):
        raise InputError.at(
            "(top level)",
            f"expected a mapping of fields, got {type(data).__name__}",
            "the file must hold one patient record (key: value lines)",
            origin=origin,
        )
    try:
        return PatientRecord.model_validate(data, context={"today": today})
    except ValidationError as exc:
        raise InputError(problems_from_pydantic(exc), origin=origin) from None
