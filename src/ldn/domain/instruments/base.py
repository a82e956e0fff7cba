"""What every instrument shares: a spec (id, name, licence, sources), typed answers, a result.

An instrument is a pure function from validated answers to a result with sub-scores, a category
and the source ids that define it. Answers are pydantic models (``extra="forbid"``) so a wrong
item name or an out-of-range answer is reported with its location, e.g.
``questionnaires.csi.answers.q7: Input should be less than or equal to 4``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from ldn.domain.errors import InputError, problems_from_pydantic

__all__ = ["Answers", "InstrumentResult", "InstrumentSpec", "LicenceStatus"]

A = TypeVar("A", bound="Answers")

LicenceStatus = str  # "free" | "logic_only" | "unknown" | "permission_required"


class Answers(BaseModel):
    """Base for instrument answers: strict, frozen, unknown items rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class InstrumentResult:
    """Common shape of every instrument's result (subclasses add sub-scores)."""

    instrument: str
    total: float | None
    category: str
    source_ids: tuple[str, ...]
    details: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "total": self.total,
            "category": self.category,
            **dict(self.details),
            "source_ids": list(self.source_ids),
        }


@dataclass(frozen=True, slots=True)
class InstrumentSpec(Generic[A]):
    """How to find, validate and score one instrument."""

    id: str
    name: str
    answers: type[A]
    scorer: Callable[[A], InstrumentResult]
    source_ids: tuple[str, ...]
    licence: LicenceStatus
    licence_note: str
    item_text_shipped: bool

    def validate(self, raw: object, *, loc: str = "") -> A:
        if not isinstance(raw, Mapping):
            raise InputError.at(
                loc or "(answers)",
                "answers must be a mapping of item: value",
                f"see `ldn instruments` for the items of {self.id}",
            )
        try:
            return self.answers.model_validate(dict(raw))
        except ValidationError as exc:
            raise InputError(problems_from_pydantic(exc, prefix=loc)) from None

    def score(self, raw: object, *, loc: str = "") -> InstrumentResult:
        return self.scorer(self.validate(raw, loc=loc))
