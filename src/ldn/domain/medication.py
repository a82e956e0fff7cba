"""A medication in the patient record: name, codes, dose, last dose, and the clinician's answer
when ldn cannot identify it. What it contains comes from :mod:`ldn.domain.medicines`."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import cached_property
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ldn.domain.medicines import ALL_CLASSES, OPIOID_CLASSES, MedicineMatch, identify
from ldn.domain.record_base import RecordModel as _Model
from ldn.domain.record_base import not_in_future as _past
from ldn.domain.vocabulary import primary_class

__all__ = ["Dose", "Medication", "MedicationCode", "MedicationReview"]

DoseUnit = Literal["mg", "mcg", "g", "mL", "mcg/h", "mg/mL", "drops", "tablet", "capsule"]
_UNIT_ALIASES = {
    "µg": "mcg",
    "ug": "mcg",
    "ml": "mL",
    "µg/h": "mcg/h",
    "ug/h": "mcg/h",
    "mg/ml": "mg/mL",
    "tablets": "tablet",
    "capsules": "capsule",
}
_DOSE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-zµ/]+)\s*$")


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


#: classes a record may declare besides ldn's own (older records wrote these)
_LEGACY_CLASSES = {
    "other": None,
    "unknown": None,
    "combination_analgesic": None,
    "naloxone": "opioid_antagonist",
}


class MedicationCode(_Model):
    """A code for the medicine (FHIR ``Coding``): RxNorm, WHO ATC, or any other system."""

    system: str = Field(min_length=1, description="Code system URI, e.g. http://www.whocc.no/atc")
    code: str = Field(min_length=1)
    display: str = ""


class MedicationReview(_Model):
    """A clinician's answer for a medicine ldn could not identify: does it hold an opioid?"""

    contains_opioid: bool
    contains_naltrexone: bool = False
    reviewed_by: str = Field(min_length=1, description="Who answered (name or user id)")
    reviewed_on: date

    @field_validator("reviewed_on")
    @classmethod
    def _reviewed_past(cls, v: date, info: ValidationInfo) -> date:
        return _past(v, info, "review date")  # type: ignore[no-any-return]


class Medication(_Model):
    """A current or recent medication, identified by :func:`ldn.domain.medicines.identify`.

    ``drug_class`` may be declared; it is filled with the primary class ldn finds when omitted.
    A declared class can add to what ldn finds, never take away: the screen uses
    :attr:`classes`, the union of the knowledge base's answer, the declared class and a
    clinician's ``review``. A medicine ldn cannot identify and nobody has reviewed is sent to the
    clinician (fail closed).
    """

    name: str = Field(min_length=1)
    drug_class: str | None = None
    codes: list[MedicationCode] = Field(default_factory=list)
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
    review: MedicationReview | None = Field(
        default=None, description="A clinician's answer when ldn cannot identify the medicine"
    )

    @field_validator("drug_class")
    @classmethod
    def _known_class(cls, v: str | None) -> str | None:
        if v is None or v in ALL_CLASSES:
            return v
        if v in _LEGACY_CLASSES:
            return _LEGACY_CLASSES[v] or v
        raise ValueError(
            f"unknown drug class {v!r} | fix: leave drug_class out (ldn finds it from the name) "
            "or use one listed by `ldn meds classes`"
        )

    @field_validator("last_dose")
    @classmethod
    def _last_dose_past(cls, v: Any, info: ValidationInfo) -> Any:
        return _past(v, info, "last dose")

    @model_validator(mode="after")
    def _classify(self) -> Medication:
        if self.drug_class is None:
            object.__setattr__(self, "drug_class", primary_class(self.identity, self.classes))
        return self

    @cached_property
    def identity(self) -> MedicineMatch:
        """What ldn's knowledge base makes of the name and codes."""
        codes = tuple((c.system, c.code) for c in self.codes)
        return identify(self.name, codes=codes, route=self.route)

    @cached_property
    def classes(self) -> frozenset[str]:
        """Every class of every ingredient, plus a declared class and a clinician's answer."""
        out = set(self.identity.classes)
        if self.drug_class in ALL_CLASSES:
            out.add(self.drug_class)
        if self.review is not None:
            if self.review.contains_opioid and not out & OPIOID_CLASSES:
                out.add("opioid_unspecified")
            if self.review.contains_naltrexone:
                out.add("naltrexone")
        return frozenset(out)

    @property
    def identified(self) -> bool:
        """True when ldn read the whole name, or a class or a clinician's answer settles it."""
        return (
            self.identity.status == "recognised"
            or self.review is not None
            or bool(self.classes & OPIOID_CLASSES)
        )

    @property
    def is_opioid(self) -> bool:
        return bool(self.classes & OPIOID_CLASSES)

    @property
    def is_opioid_beyond_gut(self) -> bool:
        """True when an ingredient is a systemic opioid (not only a peripherally acting antidiarrhoeal)."""
        return bool(self.classes & (OPIOID_CLASSES - {"opioid_antidiarrhoeal"}))

    @property
    def form(self) -> str | None:
        """The longest-lasting form ldn found (product, words such as "patch", or the route)."""
        return self.identity.form or ("patch" if self.route == "transdermal" else None)

    @property
    def last_dose_at(self) -> datetime | None:
        if self.last_dose is None:
            return None
        if isinstance(self.last_dose, datetime):
            return self.last_dose
        return datetime.combine(self.last_dose, time(23, 59))
