"""What a clinic may share with other clinics: counts per condition and its N-of-1 trials'
effect estimates, with no patient data (issue 22, part 3).

The document (:class:`AggregateDocument`, JSON Schema in ``docs/schemas/aggregate.schema.json``)
holds, per condition, five nested counts of patients (the clinic outcomes report's definitions,
:mod:`ldn.domain.outcomes`; one condition per patient) and, per condition, the per-trial effect
estimates of the clinic's revealed N-of-1 trials (LDN minus placebo, NRS points, with their
standard errors). It never holds a patient identifier, a name, a trial code or a date finer than
a month.

Small cells (a clinic policy, not a clinical fact: ``LDN_AGGREGATE_MIN_CELL``, default 5) are
suppressed by :func:`build_aggregate`:

* a condition with fewer than ``min_cell`` screened patients is folded into ``other_conditions``
  (distinct patients); that row's counts are suppressed if it is still small;
* along each condition's chain screened ≥ started ≥ reached assessment ≥ responders ≥ 30 % ≥
  responders ≥ 50 %, a count is published only when it is at least ``min_cell`` *and* its
  difference from the nearest published count above it is 0 or at least ``min_cell``
  (complementary suppression: "screened 20, started 18" would disclose 2 not started);
  a suppressed count is ``null``;
* an N-of-1 series with fewer than ``min_cell`` patients is left out entirely.

Limits (stated, not solved): if a caller lists several conditions for one patient, the patient
counts in each row and overlaps between rows are not cross-checked (the clinic export gives one
condition per patient); a per-trial estimate is one patient's result, shared without identifiers
or dates as the issue allows.

Responders use the IMMPACT thresholds (Dworkin 2008) of :mod:`ldn.domain.instruments.nrs`.
:func:`parse_aggregate` reads a shared file back for ``ldn network pool``: a malformed file, or
one with a cell below its own ``min_cell``, is an :class:`InputError` naming the file and field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from ldn.domain.errors import InputError, Problem, problems_from_pydantic
from ldn.domain.instruments.nrs import IMMPACT_MODERATE_PCT, IMMPACT_SUBSTANTIAL_PCT

__all__ = [
    "COUNT_NAMES",
    "FORMAT",
    "OTHER_CONDITIONS",
    "SCHEMA_ID",
    "AggregateDocument",
    "ConditionCounts",
    "Nof1Series",
    "PatientFacts",
    "TrialEffect",
    "TrialFacts",
    "aggregate_json_schema",
    "build_aggregate",
    "month_of",
    "parse_aggregate",
    "suppress_chain",
]

FORMAT: Final = "ldn-aggregate/1"
SCHEMA_ID = "https://ldn.example.org/schemas/aggregate.schema.json"
#: the row that holds the patients of every condition too small to publish on its own
OTHER_CONDITIONS = "other_conditions"
#: the nested counts of a condition row, in chain order (each a subset of the one before)
COUNT_NAMES = ("screened", "started", "reached_assessment", "responders_30pct", "responders_50pct")
EFFECT_SCALE: Final = "NRS 0-10 points, LDN minus placebo (negative: less pain on LDN)"

Month = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,64}$")]
Count = Annotated[int | None, Field(ge=0, le=10_000_000)]


def month_of(day: date) -> str:
    """``YYYY-MM``: the finest date an aggregate may hold."""
    return f"{day.year:04d}-{day.month:02d}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConditionCounts(_Strict):
    """Patients per condition, nested: each count is a subset of the one before it; ``null`` =
    suppressed (a small cell, or one that would disclose a small cell). The definitions are the
    clinic outcomes report's (:mod:`ldn.domain.outcomes`)."""

    condition: Code = Field(
        description="the patient's condition (ldn vocabulary code: the first unresolved one of "
        "the record; none = no condition recorded), or other_conditions"
    )
    screened: Count = Field(description="patients screened (or started: a start is screened)")
    started: Count = Field(
        description="of those, patients on LDN by the export date (a plan in force, an N-of-1 "
        "trial, or a logged dose)"
    )
    reached_assessment: Count = Field(
        description="of those, patients whose plan's assessment date has passed while on LDN"
    )
    responders_30pct: Count = Field(
        description="of those, average pain at least 30 % lower at the assessment (IMMPACT "
        "moderate, Dworkin 2008); a patient without an assessable diary counts as no response"
    )
    responders_50pct: Count = Field(
        description="of those, average pain at least 50 % lower (IMMPACT substantial)"
    )

    def counts(self) -> tuple[int | None, ...]:
        return tuple(getattr(self, n) for n in COUNT_NAMES)


class TrialEffect(_Strict):
    """One revealed N-of-1 trial: the effect of LDN vs placebo and its standard error."""

    estimate_nrs: float = Field(ge=-10, le=10, description=EFFECT_SCALE)
    se_nrs: float = Field(gt=0, le=10, description="standard error of the estimate, NRS points")


class Nof1Series(_Strict):
    """A condition's revealed N-of-1 trials (only series of at least ``min_cell`` patients)."""

    condition: Code
    patients: int = Field(ge=1, description="distinct patients with a trial in the series")
    trials: list[TrialEffect] = Field(min_length=1, max_length=100_000)


class AggregateDocument(_Strict):
    """What one clinic shares (see the module docstring)."""

    format: Literal["ldn-aggregate/1"] = FORMAT
    clinic: str = Field(
        min_length=1, max_length=100, description="the clinic's label for the network"
    )
    period_start_month: Month = Field(description="first month with data (YYYY-MM)")
    period_end_month: Month = Field(description="month of the export (YYYY-MM)")
    min_cell: int = Field(ge=1, le=1000, description="smallest count published (clinic policy)")
    effect_scale: Literal["NRS 0-10 points, LDN minus placebo (negative: less pain on LDN)"] = (
        EFFECT_SCALE
    )
    ldn_version: str = Field(default="", max_length=40)
    conditions: list[ConditionCounts] = Field(default_factory=list, max_length=1000)
    nof1: list[Nof1Series] = Field(default_factory=list, max_length=1000)
    note: str = Field(
        default="Aggregate counts and effect estimates only: no identifiers, no dates finer "
        "than a month, small cells suppressed. ldn supports clinical judgement; it does not "
        "replace it.",
        max_length=1000,
    )

    @model_validator(mode="after")
    def _no_small_cells(self) -> AggregateDocument:
        if self.period_start_month > self.period_end_month:
            raise ValueError("period_start_month is after period_end_month | fix: swap them")
        for row in self.conditions:
            for name, value in zip(COUNT_NAMES, row.counts(), strict=True):
                if value is not None and value < self.min_cell:
                    raise ValueError(
                        f"{row.condition}.{name} = {value} is below min_cell "
                        f"{self.min_cell} | fix: suppress it (null)"
                    )
        for series in self.nof1:
            if series.patients < self.min_cell:
                raise ValueError(
                    f"nof1 series {series.condition} has {series.patients} patients, "
                    f"below min_cell {self.min_cell} | fix: leave it out"
                )
            if len(series.trials) < series.patients:
                raise ValueError(f"nof1 series {series.condition}: fewer trials than patients")
        return self


def aggregate_json_schema() -> dict[str, Any]:
    """The published JSON Schema (``docs/schemas/aggregate.schema.json``), from the model."""
    schema = AggregateDocument.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


@dataclass(frozen=True, slots=True)
class PatientFacts:
    """What the export needs to know about one patient (identifying fields stay here)."""

    conditions: tuple[str, ...]
    first_seen: date
    screened: bool
    started: bool
    reached_assessment: bool
    reduction_percent: float | None = None


@dataclass(frozen=True, slots=True)
class TrialFacts:
    """One revealed trial: ``patient_key`` and ``label`` may identify; they are never exported."""

    condition: str
    patient_key: str
    label: str
    estimate_nrs: float
    se_nrs: float


def _chain(p: PatientFacts) -> tuple[bool, ...]:
    """The patient's place along the nested counts (each step requires the one before)."""
    pct = p.reduction_percent if p.reached_assessment else None
    steps = (
        p.screened or p.started,
        p.started,
        p.reached_assessment,
        pct is not None and pct >= IMMPACT_MODERATE_PCT.value,
        pct is not None and pct >= IMMPACT_SUBSTANTIAL_PCT.value,
    )
    out, ok = [], True
    for s in steps:
        ok = ok and s
        out.append(ok)
    return tuple(out)


def suppress_chain(raw: Sequence[int], *, min_cell: int) -> tuple[int | None, ...]:
    """Publish ``raw[i]`` only if it is at least ``min_cell`` and differs from the nearest
    published count above it by 0 or at least ``min_cell`` (complementary suppression)."""
    out: list[int | None] = []
    above: int | None = None
    for value in raw:
        discloses = above is not None and 0 < above - value < min_cell
        ok = value >= min_cell and not discloses
        out.append(value if ok else None)
        if ok:
            above = value
    return tuple(out)


def _condition_rows(patients: Sequence[PatientFacts], min_cell: int) -> list[ConditionCounts]:
    members: dict[str, list[int]] = {}
    for i, p in enumerate(patients):
        if _chain(p)[0]:
            for code in dict.fromkeys(p.conditions):
                members.setdefault(code, []).append(i)
    big = {c: m for c, m in members.items() if len(m) >= min_cell and c != OTHER_CONDITIONS}
    small = sorted({i for c, m in members.items() if c not in big for i in m})
    groups = sorted(big.items()) + ([(OTHER_CONDITIONS, small)] if small else [])
    rows = []
    for code, idx in groups:
        chains = [_chain(patients[i]) for i in idx]
        raw = [sum(c[k] for c in chains) for k in range(len(COUNT_NAMES))]
        values = suppress_chain(raw, min_cell=min_cell)
        rows.append(ConditionCounts(condition=code, **dict(zip(COUNT_NAMES, values, strict=True))))
    return rows


def _series(trials: Iterable[TrialFacts], min_cell: int) -> list[Nof1Series]:
    by: dict[str, list[TrialFacts]] = {}
    for t in trials:
        by.setdefault(t.condition, []).append(t)
    out = []
    for code, ts in sorted(by.items()):
        n = len({t.patient_key for t in ts})
        if n < min_cell:
            continue
        effects = sorted((round(t.estimate_nrs, 2), max(round(t.se_nrs, 3), 0.001)) for t in ts)
        out.append(
            Nof1Series(
                condition=code,
                patients=n,
                trials=[TrialEffect(estimate_nrs=e, se_nrs=s) for e, s in effects],
            )
        )
    return out


def build_aggregate(
    *,
    clinic: str,
    patients: Sequence[PatientFacts],
    trials: Sequence[TrialFacts],
    min_cell: int,
    today: date,
    ldn_version: str = "",
) -> AggregateDocument:
    """The shareable document (suppression rules in the module docstring). Trials are sorted by
    their estimate, so their order carries nothing about the patients or when they were seen."""
    if min_cell < 1:
        raise InputError.at("min_cell", f"{min_cell} is below 1", "use 5 or more")
    first = min((p.first_seen for p in patients), default=today)
    return AggregateDocument(
        clinic=clinic.strip()[:100] or "clinic",
        period_start_month=month_of(min(first, today)),
        period_end_month=month_of(today),
        min_cell=min_cell,
        ldn_version=ldn_version[:40],
        conditions=_condition_rows(patients, min_cell),
        nof1=_series(trials, min_cell),
    )


def parse_aggregate(data: object, *, origin: str) -> AggregateDocument:
    """A shared aggregate read back (``origin``: the file name), or an :class:`InputError` naming
    the file and every bad field (a cell below the file's ``min_cell`` included)."""
    if not isinstance(data, dict):
        raise InputError(
            Problem(
                "(top level)",
                "an aggregate must be a JSON object",
                "pass a file written by `ldn clinic export-aggregate`",
            ),
            origin=origin,
        )
    if data.get("format") != FORMAT:
        raise InputError.at(
            "format",
            f"{data.get('format')!r} is not {FORMAT!r}",
            "pass a file written by `ldn clinic export-aggregate`",
            origin=origin,
        )
    try:
        return AggregateDocument.model_validate(data)
    except ValidationError as exc:
        problems = problems_from_pydantic(
            exc,
            see="docs/schemas/aggregate.schema.json",
            default_fix="see docs/schemas/aggregate.schema.json",
        )
        raise InputError(problems, origin=origin) from None
