"""ldn → FHIR R4: a patient record as a ``collection`` Bundle, and the clinic's stored data
(diary, prescriptions, plans, questionnaires) as Observation, MedicationRequest, CarePlan and
QuestionnaireResponse resources.

Standard elements carry what an EHR understands (ICD-10 and SNOMED CT on Conditions, LOINC on
Observations, UCUM doses, RxNorm for naltrexone). What FHIR has no element for (WPI pain areas,
prior treatments, ldn's flags) travels in one ``record-extras`` extension on the Patient, so an
ldn → FHIR → ldn round trip is lossless; other systems may ignore it. Every resource is validated
with the ``fhir.resources`` models (R4B, which is R4-compatible for these resources) before it
leaves. Questionnaire *items* are never exported (some instruments' text is licensed); answers
travel by item id.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import date, datetime
from typing import Any

from ldn.domain.errors import LdnError
from ldn.domain.instruments import INSTRUMENTS
from ldn.domain.patient import Medication, PatientRecord
from ldn.domain.vocabulary import CONDITIONS
from ldn.interop.r4.codes import (
    BODYWEIGHT_PROFILE,
    EXT,
    ICD10,
    LDN_CONDITION,
    LDN_OBSERVATION,
    LDN_QUESTIONNAIRE,
    LOINC,
    LOINC_CODES,
    OBSERVATION_CATEGORY,
    RXNORM,
    RXNORM_NALTREXONE,
    SNOMED,
    UCUM,
    UCUM_UNITS,
    V2_0203,
)
from ldn.interop.r4.validate import validated

__all__ = [
    "EXTRAS_FIELDS",
    "RECORD_ID_SYSTEM",
    "fhir_id",
    "keyed_id",
    "questionnaire_response_resource",
    "record_resources",
    "record_to_bundle",
    "reference",
]

RECORD_ID_SYSTEM = "https://ldn.example.org/fhir/record-id"
EXTRAS_FIELDS = ("pain", "prior_treatments", "liver_disease", "liver_tests", "planned_surgery",
                 "opioid_use_disorder", "naltrexone_hypersensitivity", "urine_opioid_screen", "notes",
                 "weight_kg", "naloxone_challenge", "renal_function", "child_pugh_class",
                 "urine_opioid_screen_date", "opioid_withdrawal_signs", "transplant_recipient")  # fmt: skip
_NS = uuid.UUID("6f1c8d1e-1d2a-4c56-9b7e-1c0a2d3e4f50")
_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"


def fhir_id(text: str) -> str:
    """A FHIR id (``[A-Za-z0-9-.]{1,64}``) for an ldn id."""
    return "".join(ch if ch.isalnum() or ch in "-." else "-" for ch in text)[:64]


def keyed_id(pid: str, kind: str, key: str, taken: set[str] | None = None) -> str:
    """A logical id that names what the resource is, not where it sits in a list:
    ``{pid}-{kind}-{key}`` (``16-condition-fibromyalgia``, ``16-medication-tramadol-50-mg``), a
    hash of the key when that would pass 64 characters, ``-2``, ``-3`` for a repeat. The same
    condition or medicine keeps its id across record versions; an id never names another one."""
    slug = re.sub(r"-{2,}", "-", fhir_id(key.lower().replace("_", "-"))).strip("-.") or "x"
    rid = f"{pid}-{kind}-{slug}"
    if len(rid) > 60:
        rid = f"{pid}-{kind}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"
    if taken is not None:
        base, n = rid, 1
        while rid in taken:
            n += 1
            rid = f"{base}-{n}"
        taken.add(rid)
    return rid


def _category(code: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code}]}]


def reference(patient_fid: str) -> dict[str, str]:
    return {"reference": f"Patient/{patient_fid}"}


def _quantity(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def _condition_code(code: str, display: str | None) -> dict[str, Any]:
    info = CONDITIONS[code]
    coding = [{"system": LDN_CONDITION, "code": code, "display": info.display}]
    if info.icd10:
        coding.append(
            {"system": ICD10, "code": info.icd10.removesuffix("-CM"), "display": info.display}
        )
    if info.snomed:
        coding.append({"system": SNOMED, "code": info.snomed, "display": info.display})
    return {"coding": coding, "text": display or info.display}


def _medication(m: Medication, pid: str, rid: str) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": m.name}
    coding: list[dict[str, Any]] = [
        {"system": c.system, "code": c.code, **({"display": c.display} if c.display else {})}
        for c in m.codes
    ]
    if "naltrexone" in m.classes and not any(c["system"] == RXNORM for c in coding):
        # added by ldn for the EHR (userSelected false), not part of the record: the importer skips it
        coding.append(
            {
                "system": RXNORM,
                "code": RXNORM_NALTREXONE[0],
                "display": RXNORM_NALTREXONE[1],
                "userSelected": False,
            }
        )
    if coding:
        concept["coding"] = coding
    dosage: dict[str, Any] = {
        "route": {"text": m.route},
        "asNeededBoolean": m.status == "as_needed",
    }
    if m.frequency:
        dosage["text"] = m.frequency
    if m.dose is not None:
        dosage["doseAndRate"] = [
            {"doseQuantity": _quantity(m.dose.value, m.dose.unit, UCUM_UNITS[m.dose.unit])}
        ]
    ext: list[dict[str, Any]] = [{"url": EXT["drug-class"], "valueCode": m.drug_class or "other"}]
    if m.days_per_month is not None:
        ext.append({"url": EXT["days-per-month"], "valueInteger": m.days_per_month})
    if m.months_of_regular_use is not None:
        ext.append({"url": EXT["months-of-regular-use"], "valueDecimal": m.months_of_regular_use})
    if m.review is not None:
        ext.append({"url": EXT["medication-review"], "valueString": m.review.model_dump_json()})
    res: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": rid,
        "extension": ext,
        "status": "stopped" if m.status == "stopped" else "active",
        "medicationCodeableConcept": concept,
        "subject": reference(pid),
        "dosage": [dosage],
    }
    if m.last_dose is not None:
        last = m.last_dose
        # FHIR needs a time zone on a time of day; ldn's last dose is local: the date goes in
        # effectivePeriod, the exact local time in an extension
        day = last.date() if isinstance(last, datetime) else last
        res["effectivePeriod"] = {"end": day.isoformat()}
        if isinstance(last, datetime):
            ext.append({"url": EXT["last-dose-local"], "valueString": last.isoformat()})
    if m.indication:
        res["reasonCode"] = [{"text": m.indication}]
    return res


def _observation(
    rid: str,
    pid: str,
    key: str,
    value: float,
    *,
    when: date | None,
    ldn_code: str = "",
    high: float | None = None,
    category: str = "",
) -> dict[str, Any]:
    code, display, unit = LOINC_CODES[key]
    coding = [{"system": LOINC, "code": code, "display": display}]
    if ldn_code:
        coding.append({"system": LDN_OBSERVATION, "code": ldn_code})
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        **({"category": _category(category)} if category else {}),
        "code": {"coding": coding},
        "subject": reference(pid),
        "valueQuantity": _quantity(value, unit, unit),
    }
    if when is not None:
        obs["effectiveDateTime"] = when.isoformat()
    if high is not None:
        obs["referenceRange"] = [{"high": _quantity(high, unit, unit)}]
    return obs


def _answers(value: Any) -> tuple[list[dict[str, Any]], bool]:
    items = value if isinstance(value, list) else [value]
    out: list[dict[str, Any]] = []
    for v in items:
        if isinstance(v, bool):
            out.append({"valueBoolean": v})
        elif isinstance(v, int):
            out.append({"valueInteger": v})
        elif isinstance(v, float):
            out.append({"valueDecimal": v})
        elif isinstance(v, str):
            out.append({"valueString": v})
        else:
            out.append({"valueString": json.dumps(v)})
    return out, isinstance(value, list)


def questionnaire_response_resource(
    rid: str, pid: str, instrument: str, when: date | None, answers: dict[str, Any]
) -> dict[str, Any]:
    items = []
    for key, value in answers.items():
        ans, is_list = _answers(value)
        item: dict[str, Any] = {"linkId": key}
        if ans:
            item["answer"] = ans
        if is_list:
            item["extension"] = [{"url": EXT["answer-is-list"], "valueBoolean": True}]
        items.append(item)
    qr: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": rid,
        "status": "completed",
        "questionnaire": LDN_QUESTIONNAIRE + instrument,
        "subject": reference(pid),
        "item": items,
    }
    if when is not None:
        qr["authored"] = when.isoformat()
    return qr


def _identifier(system: str | None, value: str, kind: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"value": value}
    if kind:
        out["type"] = {"coding": [{"system": V2_0203, "code": kind}]}
    if system:
        out["system"] = system
    return out


def record_resources(
    record: PatientRecord, *, fid: str | None = None, recorded: date | None = None
) -> list[dict[str, Any]]:
    """The resources for one patient record (Patient first; its id ``fid`` or the record id).

    Ids are keyed by content (:func:`keyed_id`), never by position. ``recorded`` is the day the
    record version was made: the effective date of the body weight, which the record holds
    without a date of its own (with it, the weight claims the FHIR body weight profile).
    """
    pid = fid or fhir_id(record.id)
    dumped = record.model_dump(mode="json")
    extras = {k: dumped[k] for k in EXTRAS_FIELDS}
    patient_ext: list[dict[str, Any]] = [
        {"url": EXT["age-years"], "valueInteger": record.age_years},
        {"url": EXT["record-extras"], "valueString": json.dumps(extras, sort_keys=True)},
    ]
    for flag, name in (
        (record.pregnant, "pregnant"),
        (record.breastfeeding, "breastfeeding"),
        (record.planning_pregnancy, "planning-pregnancy"),
    ):
        if flag:
            patient_ext.append({"url": EXT[name], "valueBoolean": True})
    identifiers = [_identifier(RECORD_ID_SYSTEM, record.id)]
    identifiers += [_identifier(i.system, i.value, i.type) for i in record.identifiers]
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": pid,
        "extension": patient_ext,
        "identifier": identifiers,
        "gender": record.sex,
    }
    if record.display_name:
        patient["name"] = [{"text": record.display_name}]
    if record.birth_date is not None:
        patient["birthDate"] = record.birth_date.isoformat()
    out = [patient]
    taken: set[str] = set()
    for c in record.conditions:
        key = c.code if c.code != "other" else f"other-{c.display or ''}"
        res: dict[str, Any] = {
            "resourceType": "Condition", "id": keyed_id(pid, "condition", key, taken), "subject": reference(pid),
            "clinicalStatus": {"coding": [{"system": _CLINICAL, "code": "resolved" if c.status == "resolved" else "active"}]},
            "verificationStatus": {"coding": [{"system": _VERIFICATION, "code": "provisional" if c.status == "suspected" else "confirmed"}]},
            "code": _condition_code(c.code, c.display),
        }  # fmt: skip
        if c.onset:
            res["onsetDateTime"] = c.onset.isoformat()
        out.append(res)
    out += [
        _medication(m, pid, keyed_id(pid, "medication", m.name, taken)) for m in record.medications
    ]
    if record.pain is not None:
        for key, value in (("average", record.pain.average_nrs), ("worst", record.pain.worst_nrs)):
            if value is not None:
                out.append(
                    _observation(
                        f"{pid}-pain-{key}",
                        pid,
                        "pain_nrs",
                        value,
                        when=None,
                        ldn_code=f"pain-{key}-7d",
                        category="survey",
                    )
                )
    if record.weight_kg is not None:
        weight = _observation(
            f"{pid}-weight", pid, "weight", record.weight_kg, when=recorded, category="vital-signs"
        )
        if recorded is not None:
            weight["meta"] = {"profile": [BODYWEIGHT_PROFILE]}
        out.append(weight)
    lt = record.liver_tests
    if lt is not None:
        for key, value, uln in (
            ("alt", lt.alt_u_per_l, lt.alt_uln_u_per_l),
            ("ast", lt.ast_u_per_l, lt.ast_uln_u_per_l),
            ("bilirubin", lt.bilirubin_umol_per_l, lt.bilirubin_uln_umol_per_l),
        ):
            if value is not None:
                out.append(
                    _observation(
                        f"{pid}-{key}",
                        pid,
                        key,
                        value,
                        when=lt.date,
                        high=uln,
                        category="laboratory",
                    )
                )
    for instrument, q in record.questionnaires.items():
        out.append(
            questionnaire_response_resource(
                f"{pid}-qr-{fhir_id(instrument)}", pid, instrument, q.date, dict(q.answers)
            )
        )
        spec = INSTRUMENTS.get(instrument)
        try:
            total = spec.score(dict(q.answers)).total if spec else None
        except LdnError:
            total = None
        if total is not None:
            out.append(
                {
                    "resourceType": "Observation",
                    "id": f"{pid}-total-{fhir_id(instrument)}",
                    "status": "final",
                    "category": _category("survey"),
                    "code": {
                        "coding": [
                            {"system": LDN_OBSERVATION, "code": f"instrument-total-{instrument}"}
                        ],
                        "text": f"{spec.name if spec else instrument} total",
                    },
                    "subject": reference(pid),
                    "valueQuantity": {"value": total},
                    **({"effectiveDateTime": q.date.isoformat()} if q.date else {}),
                }
            )
    return out


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    full = uuid.uuid5(_NS, f"{resource['resourceType']}/{resource['id']}")
    return {"fullUrl": f"urn:uuid:{full}", "resource": resource}


def record_to_bundle(
    record: PatientRecord,
    *,
    extra: list[dict[str, Any]] | None = None,
    fid: str | None = None,
    bundle_type: str = "collection",
    recorded: date | None = None,
) -> dict[str, Any]:
    """A validated Bundle of the record (plus ``extra`` resources, e.g. the diary)."""
    resources = record_resources(record, fid=fid, recorded=recorded) + list(extra or [])
    bundle = {
        "resourceType": "Bundle",
        "type": bundle_type,
        "entry": [_entry(r) for r in resources],
    }
    return validated(bundle)
