"""A clinic's aggregate counts as a FHIR R4 ``MeasureReport`` (type ``summary``).

One ``group`` per condition row of the aggregate (:mod:`ldn.domain.aggregate`), coded with ldn's
condition code system (and ICD-10 / SNOMED CT where the vocabulary has them); one ``population``
per count, coded with ldn's aggregate-population code system. A suppressed count has no
``count`` and carries the standard ``data-absent-reason`` extension with the code ``masked``
(https://hl7.org/fhir/R4/extension-data-absent-reason.html). Dates are months (FHIR ``dateTime``
allows ``YYYY-MM``). The N-of-1 effect estimates are not counts and stay in the JSON document.
Validated with the ``fhir.resources`` models before it leaves (:mod:`ldn.interop.r4.validate`).
"""

from __future__ import annotations

from typing import Any

from ldn.domain.aggregate import COUNT_NAMES, OTHER_CONDITIONS, AggregateDocument
from ldn.domain.vocabulary import CONDITIONS
from ldn.interop.r4.codes import ICD10, LDN_CONDITION, SNOMED
from ldn.interop.r4.export import fhir_id
from ldn.interop.r4.validate import validated

__all__ = ["AGGREGATE_MEASURE", "POPULATION_SYSTEM", "measure_report"]

#: the canonical URL of the (implicit) Measure the report answers
AGGREGATE_MEASURE = "https://ldn.example.org/fhir/Measure/ldn-clinic-aggregate"
POPULATION_SYSTEM = "https://ldn.example.org/fhir/CodeSystem/aggregate-population"
DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
_POPULATION_TEXT = {
    "screened": "Patients screened",
    "started": "Patients started on LDN (plan or N-of-1 trial)",
    "reached_assessment": "Patients who reached a response assessment",
    "responders_30pct": "Responders: average pain at least 30 % lower (IMMPACT moderate)",
    "responders_50pct": "Responders: average pain at least 50 % lower (IMMPACT substantial)",
}


def _condition(code: str) -> dict[str, Any]:
    if code == OTHER_CONDITIONS:
        return {
            "coding": [{"system": LDN_CONDITION, "code": code}],
            "text": "Other conditions (each too small to report alone)",
        }
    info = CONDITIONS.get(code)
    coding = [
        {"system": LDN_CONDITION, "code": code, **({"display": info.display} if info else {})}
    ]
    if info and info.icd10:
        coding.append({"system": ICD10, "code": info.icd10})
    if info and info.snomed:
        coding.append({"system": SNOMED, "code": info.snomed})
    return {"coding": coding, "text": info.display if info else code}


def _population(name: str, value: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": {
            "coding": [{"system": POPULATION_SYSTEM, "code": name}],
            "text": _POPULATION_TEXT[name],
        },
    }
    if value is None:
        out["extension"] = [{"url": DATA_ABSENT_REASON, "valueCode": "masked"}]
    else:
        out["count"] = value
    return out


def measure_report(doc: AggregateDocument) -> dict[str, Any]:
    """The aggregate's counts as a validated MeasureReport (raises InputError if it is not)."""
    report: dict[str, Any] = {
        "resourceType": "MeasureReport",
        "id": fhir_id(f"aggregate-{doc.clinic}-{doc.period_end_month}"),
        "status": "complete",
        "type": "summary",
        "measure": AGGREGATE_MEASURE,
        "date": doc.period_end_month,
        "reporter": {"display": doc.clinic},
        "period": {"start": doc.period_start_month, "end": doc.period_end_month},
        "improvementNotation": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/measure-improvement-notation",
                    "code": "increase",
                }
            ]
        },
        "group": [
            {
                "code": _condition(row.condition),
                "population": [
                    _population(name, value)
                    for name, value in zip(COUNT_NAMES, row.counts(), strict=True)
                ],
            }
            for row in doc.conditions
        ],
    }
    return validated(report, origin="MeasureReport")
