"""The clinic's stored data as FHIR R4: diary days as pain Observations, prescriptions as
MedicationRequests, the titration plan as a CarePlan, questionnaires as QuestionnaireResponses."""

from __future__ import annotations

from typing import Any

from ldn.interop.r4.codes import LDN_OBSERVATION, LOINC, LOINC_CODES, RXNORM, RXNORM_NALTREXONE
from ldn.interop.r4.export import questionnaire_response_resource, reference

__all__ = ["care_plan", "diary_observation", "medication_request", "questionnaire_response"]


def diary_observation(entry: dict[str, Any], pid: str) -> dict[str, Any]:
    """One diary day's average pain (0-10 NRS, LOINC 72514-3), patient-reported."""
    code, display, unit = LOINC_CODES["pain_nrs"]
    return {
        "resourceType": "Observation",
        "id": f"{pid}-diary-{entry['date']}",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "survey",
                    }
                ]
            }
        ],
        "code": {
            "coding": [
                {"system": LOINC, "code": code, "display": display},
                {"system": LDN_OBSERVATION, "code": "diary-pain-average"},
            ]
        },
        "subject": reference(pid),
        "effectiveDateTime": entry["date"],
        "valueQuantity": {
            "value": entry["pain_avg"],
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
    }


#: ldn prescription status -> FHIR MedicationRequest.status (R4 value set medicationrequest-status)
_RX_STATUS = {"cancelled": "cancelled", "dispensed": "completed", "compounded": "completed"}


def medication_request(rx: dict[str, Any], pid: str) -> dict[str, Any]:
    """A compounded low-dose naltrexone prescription (RxNorm ingredient code plus text)."""
    form = "oral liquid 1 mg/mL" if rx.get("form") == "liquid" else "capsules"
    strengths = ", ".join(f"{s:g} mg" for s in rx.get("strengths_mg", []))
    return {
        "resourceType": "MedicationRequest",
        "id": f"{pid}-rx-{rx['id']}",
        "status": _RX_STATUS.get(str(rx.get("status")), "active"),
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [
                {"system": RXNORM, "code": RXNORM_NALTREXONE[0], "display": RXNORM_NALTREXONE[1]}
            ],
            "text": f"Naltrexone HCl, compounded low-dose {form} ({strengths})",
        },
        "subject": reference(pid),
        "authoredOn": rx["created_at"],
        "dosageInstruction": [{"text": "As the titration plan (CarePlan): once daily"}],
        "note": [{"text": rx.get("text", "")}],
    }


def care_plan(plan: dict[str, Any], pid: str) -> dict[str, Any]:
    """The titration plan: one activity per dose step."""
    steps = plan["plan"]["steps"]
    activities = []
    for i, s in enumerate(steps):
        end = steps[i + 1]["start"] if i + 1 < len(steps) else None
        period = {"start": s["start"], **({"end": end} if end else {})}
        activities.append(
            {
                "detail": {
                    "status": "scheduled",
                    "kind": "MedicationRequest",
                    "description": f"Naltrexone {s['dose_mg']:g} mg once daily ({s['timing']})"
                    + (f" — {s['reason']}" if s.get("reason") else ""),
                    "scheduledPeriod": period,
                }
            }
        )
    return {
        "resourceType": "CarePlan",
        "id": f"{pid}-plan-{plan['id']}",
        "status": "active" if plan["status"] == "active" else "revoked",
        "intent": "plan",
        "title": "Low-dose naltrexone titration",
        "subject": reference(pid),
        "period": {"start": steps[0]["start"]},
        "activity": activities,
        "note": [
            {
                "text": f"Assess response from {plan['plan'].get('assessment_date', '')}; version {plan['version']}."
            }
        ],
    }


def questionnaire_response(row: dict[str, Any], pid: str) -> dict[str, Any]:
    return questionnaire_response_resource(
        f"{pid}-q-{row['id']}", pid, row["instrument"], None, row["answers"]
    ) | {"authored": row["taken_on"]}
