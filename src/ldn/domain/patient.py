"""The patient record: what a clinician knows about a patient, as one validated model.

Read from YAML or JSON (``ldn schema patient`` prints the JSON Schema). Validation needs to know
"today" (a last dose cannot be in the future), so parse with :func:`parse_patient`, which passes
``today`` as validation context. Every problem names its field, e.g.
``medications[0].dose: a dose needs a unit, e.g. '50 mg' (fix: ...)``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from datetime import date as Date
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ldn.domain.errors import InputError, problems_from_pydantic
from ldn.domain.vocabulary import CONDITIONS, WpiArea, drug_class_for

__all__ = [
    "Condition",
    "Dose",
    "LiverTests",
    "Medication",
    "PainProfile",
    "PatientRecord",
    "PlannedSurgery",
    "PriorTreatment",
    "QuestionnaireResponse",
    "parse_patient",
]

DoseUnit = Literal["mg", "mcg", "g", "mL", "mcg/h", "mg/mL", "drops", "tablet", "capsule"]
_UNIT_ALIASES = {"µg": "mcg", "ug": "mcg", "ml": "mL", "µg/h": "mcg/h", "ug/h": "mcg/h",
                 "mg/ml": "mg/mL", "tablets": "tablet", "capsules": "capsule"}  # fmt: skip
_DOSE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-zµ/]+)\s*$")


def _past(value: Any, info: ValidationInfo, what: str) -> Any:
    """Reject dates/times after 'today' (from the validation context)."""
    today = (info.context or {}).get("today")
    if today is None or value is None:
        return value
    day = value.date() if isinstance(value, datetime) else value
    if isinstance(day, date) and day > today:
        raise ValueError(
            f"{what} {day.isoformat()} is in the future (today is {today.isoformat()})"
            " | fix: check the date; use --as-of if you meant another day"
        )
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Dose(_Model):
    """An amount with its unit. Written as ``"50 mg"`` or ``{value: 50, unit: mg}``."""

    value: float = Field(gt=0)
    unit: DoseUnit

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if isinstance(data, (bool, int, float)):
            raise ValueError(
                f"a dose needs a unit, e.g. '{data:g} mg' | fix: write the unit after the number"
            )
        if isinstance(data, str):
            m = _DOSE_RE.match(data)
            if not m:
                raise ValueError(
                    f"cannot read dose {data!r} | fix: write a number and a unit, e.g. '4.5 mg'"
                )
            number, unit = m.groups()
            return {"value": float(number), "unit": _UNIT_ALIASES.get(unit, unit)}
        return data

    @property
    def mg(self) -> float | None:
        """The dose in mg where the unit allows it."""
        return {"mg": self.value, "mcg": self.value / 1000, "g": self.value * 1000}.get(self.unit)

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit}"


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


class Medication(_Model):
    """A current or recent medication. ``drug_class`` is inferred from the name when omitted."""

    name: str = Field(min_length=1)
    drug_class: str | None = None
    dose: Dose | None = None
    frequency: str = ""
    route: Literal[
        "oral", "transdermal", "sublingual", "iv", "im", "sc", "intranasal", "rectal", "other"
    ] = "oral"
    status: Literal["current", "stopped", "as_needed"] = "current"
    last_dose: datetime | date | None = Field(
        default=None, description="Date or date-time of the last dose"
    )
    days_per_month: int | None = Field(
        default=None, ge=0, le=31, description="Days of use per month (headache medication)"
    )
    months_of_regular_use: float | None = Field(default=None, ge=0, le=600)
    indication: str = ""

    @field_validator("last_dose")
    @classmethod
    def _last_dose_past(cls, v: Any, info: ValidationInfo) -> Any:
        return _past(v, info, "last dose")

    @model_validator(mode="after")
    def _classify(self) -> Medication:
        if self.drug_class is None:
            object.__setattr__(self, "drug_class", drug_class_for(self.name))
        return self

    @property
    def last_dose_at(self) -> datetime | None:
        if self.last_dose is None:
            return None
        if isinstance(self.last_dose, datetime):
            return self.last_dose
        return datetime.combine(self.last_dose, time(23, 59))


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


class PatientRecord(_Model):
    """Everything ldn needs to screen, plan and follow one patient."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, title="ldn patient record"
    )

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$", description="Local identifier")
    display_name: str = ""
    age_years: int = Field(ge=0, le=120)
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
        "none", "chronic_liver_disease", "cirrhosis", "acute_hepatitis", "liver_failure"
    ] = "none"
    liver_tests: LiverTests | None = None
    planned_surgery: list[PlannedSurgery] = Field(default_factory=list)
    opioid_use_disorder: Literal["none", "past", "current"] = "none"
    naltrexone_hypersensitivity: bool = False
    urine_opioid_screen: Literal["not_done", "negative", "positive"] = "not_done"
    notes: str = ""

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
        raise InputError.at("(top level)", f"expected a mapping of fields, got {type(data).__name__}",
                            "the file must hold one patient record (key: value lines)", origin=origin)  # fmt: skip
    try:
        return PatientRecord.model_validate(data, context={"today": today})
    except ValidationError as exc:
        raise InputError(problems_from_pydantic(exc), origin=origin) from None
