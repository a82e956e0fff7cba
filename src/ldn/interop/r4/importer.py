"""FHIR R4 → ldn: a patient Bundle (from ldn or from another EHR) as a validated patient record.

An ldn Bundle carries ``record-extras`` and ldn's own codes and comes back unchanged. A Bundle
from another system is read from its standard elements: Patient (gender, birth date or ldn's age
extension, name), Condition (ldn, ICD-10, ICD-10-CM or SNOMED CT codes; a known system with a code
ldn does not list becomes ``other`` with its text), MedicationStatement (text or coding display,
UCUM dose, status, date of the last dose), Observation (LOINC pain NRS, weight, ALT, AST,
bilirubin with their reference ranges), QuestionnaireResponse (answers by linkId). A condition
coded only in an unknown system is refused by name, as is an invalid resource.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from ldn.domain.errors import InputError, Problem
from ldn.domain.patient import PatientRecord, parse_patient
from ldn.domain.vocabulary import CONDITIONS
from ldn.interop.r4.codes import (
    EXT,
    ICD10,
    LDN_CONDITION,
    LDN_OBSERVATION,
    LDN_QUESTIONNAIRE,
    LOINC,
    LOINC_CODES,
    LOINC_EGFR,
    SNOMED,
    UCUM_UNITS,
)
from ldn.interop.r4.export import EXTRAS_FIELDS, RECORD_ID_SYSTEM
from ldn.interop.r4.validate import validated

__all__ = ["bundle_to_record", "bundle_to_record_data"]

ICD10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
_KNOWN = {LDN_CONDITION, ICD10, ICD10_CM, SNOMED}
#: ICD-10 codes too vague to name an ldn condition on their own (R52 pain NOS, M79.6 pain in
#: limb): they import as "other" with their text rather than tilt the screen towards LDN
#: (an ldn-assumption; the codes as in icd10-who-2019)
_VAGUE_ICD = frozenset({"R52", "M79.6"})
_BY_ICD: dict[str, str] = {}
for _c in (
    CONDITIONS.values()
):  # the first listed wins where two share a code (both radiculopathies: neuropathic)
    if _c.icd10 and _c.icd10.removesuffix("-CM") not in _VAGUE_ICD:
        _BY_ICD.setdefault(_c.icd10.removesuffix("-CM"), _c.code)
_BY_SNOMED = {c.snomed: c.code for c in CONDITIONS.values() if c.snomed}
_UNITS = {v: k for k, v in UCUM_UNITS.items()}
_LOINC = {v[0]: k for k, v in LOINC_CODES.items()}
_ROUTES = {"oral", "transdermal", "sublingual", "iv", "im", "sc", "intranasal", "rectal"}


def _ext(resource: dict[str, Any], name: str) -> Any:
    for e in resource.get("extension") or []:
        if e.get("url") == EXT[name]:
            return next((v for k, v in e.items() if k.startswith("value")), None)
    return None


def _age(patient: dict[str, Any], today: date) -> int | None:
    age = _ext(patient, "age-years")
    if age is not None:
        return int(age)
    born = patient.get("birthDate")
    if not born:
        return None
    b = (
        date.fromisoformat(str(born)[:10])
        if len(str(born)) >= 10
        else date(int(str(born)[:4]), 7, 1)
    )
    return today.year - b.year - ((today.month, today.day) < (b.month, b.day))


def _name(patient: dict[str, Any]) -> str:
    for n in patient.get("name") or []:
        if n.get("text"):
            return str(n["text"])
        parts = [*(n.get("given") or []), n.get("family") or ""]
        if any(parts):
            return " ".join(p for p in parts if p)
    return ""


def _condition(res: dict[str, Any], loc: str, strict: bool) -> dict[str, Any] | None:
    codings = (res.get("code") or {}).get("coding") or []
    text = (res.get("code") or {}).get("text")
    code = None
    for c in codings:
        if c.get("system") == LDN_CONDITION and c.get("code") in CONDITIONS:
            code = c["code"]
            break
    if code is None:
        for c in codings:
            system, value = c.get("system"), str(c.get("code", ""))
            if system in (ICD10, ICD10_CM):
                # the exact code, else its category (M17.1 primary knee OA -> M17)
                code = _BY_ICD.get(value) or _BY_ICD.get(value.split(".")[0])
            elif system == SNOMED:
                code = _BY_SNOMED.get(value)
            if code:
                break
    if code is None:
        if not any(c.get("system") in _KNOWN for c in codings):
            if not strict:
                return None
            raise InputError.at(f"{loc}.code.coding", "no coding in a code system ldn reads",
                                "code the condition in ICD-10 (http://hl7.org/fhir/sid/icd-10), ICD-10-CM or SNOMED CT (http://snomed.info/sct)")  # fmt: skip
        code = "other"
        text = (
            text
            or next((c.get("display") for c in codings if c.get("display")), None)
            or "condition"
        )
    clinical = ((res.get("clinicalStatus") or {}).get("coding") or [{}])[0].get("code", "active")
    verification = ((res.get("verificationStatus") or {}).get("coding") or [{}])[0].get(
        "code", "confirmed"
    )
    if verification in ("entered-in-error", "refuted"):
        return None
    status = "resolved" if clinical in ("resolved", "inactive", "remission") else (
        "suspected" if verification in ("provisional", "differential", "unconfirmed") else "active")  # fmt: skip
    out: dict[str, Any] = {"code": code, "status": status}
    if res.get("onsetDateTime"):
        out["onset"] = str(res["onsetDateTime"])[:10]
    if text and (code == "other" or text != CONDITIONS[code].display):
        out["display"] = text
    return out


def _medication(res: dict[str, Any]) -> dict[str, Any] | None:
    concept = res.get("medicationCodeableConcept") or {}
    codings = [c for c in concept.get("coding") or [] if isinstance(c, dict) and c.get("code")]
    if _ext(res, "drug-class") is not None:  # ldn's own export: skip the coding ldn added itself
        codings = [c for c in codings if c.get("userSelected") is not False]
    name = concept.get("text") or next(
        (c.get("display") for c in codings if c.get("display")), None
    )
    if res.get("status") in ("entered-in-error", "not-taken"):
        return None
    if not name:
        # fail closed: a medicine without a name is kept (by its code, or as unnamed) so the
        # screen sends it to the clinician instead of dropping it
        first = codings[0] if codings else {}
        name = (
            f"unnamed medicine ({first.get('system', 'no code')} {first.get('code', '')})".strip()
        )
    dosage = (res.get("dosage") or [{}])[0]
    as_needed = bool(dosage.get("asNeededBoolean"))
    out: dict[str, Any] = {"name": name, "status": "stopped" if res.get("status") in ("stopped", "completed")
                           else ("as_needed" if as_needed else "current")}  # fmt: skip
    if codings:
        out["codes"] = [{"system": str(c.get("system") or "unknown"), "code": str(c["code"]),
                         "display": str(c.get("display") or "")} for c in codings]  # fmt: skip
    review = _ext(res, "medication-review")
    if review:
        out["review"] = json.loads(review)
    dq = ((dosage.get("doseAndRate") or [{}])[0]).get("doseQuantity")
    if dq and dq.get("value") and (dq.get("code") in _UNITS or dq.get("unit") in UCUM_UNITS):
        out["dose"] = {"value": dq["value"], "unit": _UNITS.get(dq.get("code"), dq.get("unit"))}
    if dosage.get("text"):
        out["frequency"] = dosage["text"]
    route = str((dosage.get("route") or {}).get("text") or "oral").lower()
    out["route"] = route if route in _ROUTES else "other"
    for name_, key in (("drug-class", "drug_class"), ("days-per-month", "days_per_month"),
                       ("months-of-regular-use", "months_of_regular_use")):  # fmt: skip
        value = _ext(res, name_)
        if value is not None:
            out[key] = value
    # effectiveDateTime may be when the medicine was started: only a period's end is a last dose
    last = _ext(res, "last-dose-local") or (res.get("effectivePeriod") or {}).get("end")
    if last:
        text = str(last)
        out["last_dose"] = (datetime.fromisoformat(text).replace(tzinfo=None) if "T" in text
                            else date.fromisoformat(text[:10]))  # fmt: skip
    reasons = [r.get("text") for r in res.get("reasonCode") or [] if r.get("text")]
    if reasons:
        out["indication"] = reasons[0]
    return out


def _answer_value(a: dict[str, Any]) -> Any:
    return next(v for k, v in a.items() if k.startswith("value"))


def bundle_to_record_data(
    bundle: dict[str, Any], *, today: date, strict: bool = True
) -> dict[str, Any]:
    """The record fields from a Bundle (not yet validated as a record)."""
    validated(bundle, origin="bundle")
    entries = [
        (f"entry[{i}].resource", e["resource"]) for i, e in enumerate(bundle.get("entry") or [])
    ]
    patients = [(loc, r) for loc, r in entries if r["resourceType"] == "Patient"]
    if len(patients) != 1:
        raise InputError.at(
            "entry",
            f"the Bundle holds {len(patients)} Patient resources",
            "send exactly one Patient with its resources",
        )
    ploc, patient = patients[0]
    rid = next(
        (
            i.get("value")
            for i in patient.get("identifier") or []
            if i.get("system") == RECORD_ID_SYSTEM
        ),
        None,
    )
    data: dict[str, Any] = {"id": rid or patient.get("id") or "imported", "display_name": _name(patient),
                            "sex": patient.get("gender") or "unknown", "conditions": [], "medications": [],
                            "questionnaires": {}}  # fmt: skip
    age = _age(patient, today)
    if age is None:
        raise InputError(
            Problem(f"{ploc}.birthDate", "the patient's age is unknown", "send Patient.birthDate"),
            origin="bundle",
        )
    data["age_years"] = age
    for flag, key in (
        ("pregnant", "pregnant"),
        ("breastfeeding", "breastfeeding"),
        ("planning-pregnancy", "planning_pregnancy"),
    ):
        if _ext(patient, flag):
            data[key] = True
    nrs: dict[str, float] = {}
    liver: dict[str, Any] = {}
    for loc, res in entries:
        kind = res["resourceType"]
        if kind == "Condition":
            c = _condition(res, loc, strict)
            if c:
                data["conditions"].append(c)
        elif kind == "MedicationStatement":
            m = _medication(res)
            if m:
                data["medications"].append(m)
        elif kind == "QuestionnaireResponse" and str(res.get("questionnaire", "")).startswith(
            LDN_QUESTIONNAIRE
        ):
            answers: dict[str, Any] = {}
            for item in res.get("item") or []:
                values = [_answer_value(a) for a in item.get("answer") or []]
                is_list = any(
                    e.get("url") == EXT["answer-is-list"] for e in item.get("extension") or []
                )
                answers[item["linkId"]] = values if is_list else (values[0] if values else None)
            q: dict[str, Any] = {"answers": answers}
            if res.get("authored"):
                q["date"] = str(res["authored"])[:10]
            data["questionnaires"][str(res["questionnaire"]).removeprefix(LDN_QUESTIONNAIRE)] = q
        elif kind == "Observation":
            codes = {
                (c.get("system"), c.get("code"))
                for c in (res.get("code") or {}).get("coding") or []
            }
            obs_key: str | None = next(
                (_LOINC[code] for system, code in codes if system == LOINC and code in _LOINC), None
            )
            value = (res.get("valueQuantity") or {}).get("value")
            if value is not None and any(
                system == LOINC and code in LOINC_EGFR for system, code in codes
            ):
                when = str(res.get("effectiveDateTime") or "")[:10] or None
                if when is None or when >= str(
                    (data.get("renal_function") or {}).get("date") or ""
                ):
                    data["renal_function"] = {"egfr_ml_min_1_73m2": float(value), "date": when}
                continue
            if obs_key is None or value is None:
                continue
            if obs_key == "pain_nrs":
                which = "worst" if (LDN_OBSERVATION, "pain-worst-7d") in codes else "average"
                nrs.setdefault(which, float(value))
            elif obs_key == "weight":
                data["weight_kg"] = float(value)
            else:
                liver.setdefault(
                    "date", str(res.get("effectiveDateTime") or today.isoformat())[:10]
                )
                unit = {
                    "alt": "alt_u_per_l",
                    "ast": "ast_u_per_l",
                    "bilirubin": "bilirubin_umol_per_l",
                }[obs_key]
                liver[unit] = float(value)
                high = ((res.get("referenceRange") or [{}])[0].get("high") or {}).get("value")
                if high:
                    liver[
                        unit.replace("_u_per_l", "_uln_u_per_l").replace(
                            "_umol_per_l", "_uln_umol_per_l"
                        )
                    ] = float(high)
    if liver:
        data["liver_tests"] = liver
    extras = _ext(patient, "record-extras")
    if extras:
        data.update(
            {k: v for k, v in json.loads(extras).items() if k in EXTRAS_FIELDS and v is not None}
        )
    if nrs and "pain" in data:
        data["pain"] = {**data["pain"], **{f"{k}_nrs": v for k, v in nrs.items()}}
    return data


def bundle_to_record(bundle: dict[str, Any], *, today: date, strict: bool = True) -> PatientRecord:
    """A validated patient record from a FHIR Bundle (:class:`InputError` names what is wrong)."""
    return parse_patient(
        bundle_to_record_data(bundle, today=today, strict=strict), today=today, origin="bundle"
    )
