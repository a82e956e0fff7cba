"""The Bundle's Patient: who it is (for matching), its demographics in the record, and which
of the Bundle's resources are about it.

Identifiers: an MRN (or any other identifier) is kept for matching; national and document
numbers (a US SSN, a passport, ...) are not stored, and are listed as dropped.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ldn.domain.errors import InputError, Problem
from ldn.domain.patient import PatientIdentifier, PatientRecord, age_on
from ldn.interop.r4.codes import (
    REQUIRED,
    SENSITIVE_IDENTIFIER_SYSTEMS,
    SENSITIVE_IDENTIFIER_TYPES,
    V2_0203,
)
from ldn.interop.r4.export import RECORD_ID_SYSTEM
from ldn.interop.r4.importer.account import BundlePatient, Reader
from ldn.interop.r4.importer.elements import codes, ext, refers_to

__all__ = ["Entry", "about_patient", "birth", "demographics", "display_name", "find_patient"]

#: (loc, the Bundle entry, its resource)
Entry = tuple[str, dict[str, Any], dict[str, Any]]

#: v2 identifier types by the name the account uses for them
_IDENTIFIER_NAMES = {
    "MR": "MRN",
    "SS": "social security number",
    "DL": "driver's licence",
    "PPN": "passport number",
}
#: Patient extensions ldn exports as flags, and the record's field for each
_FLAGS = (
    ("pregnant", "pregnant"),
    ("breastfeeding", "breastfeeding"),
    ("planning-pregnancy", "planning_pregnancy"),
)


def display_name(patient: dict[str, Any]) -> tuple[str, str]:
    """(display name, family name), from the official name when there is one."""
    names = [n for n in patient.get("name") or [] if isinstance(n, dict)]
    names.sort(key=lambda n: {"official": 0, "usual": 1}.get(str(n.get("use")), 2))
    for n in names:
        family = str(n.get("family") or "")
        if n.get("text"):
            return str(n["text"]), family
        parts = [*(str(g) for g in n.get("given") or []), family]
        if any(parts):
            return " ".join(p for p in parts if p), family
    return "", ""


def birth(value: Any) -> tuple[date | None, date | None]:
    """(full birth date, date used for the age) from a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD):
    a month stands for its 15th, a year for its 1 July."""
    text = str(value or "")
    if len(text) >= 10:
        d = date.fromisoformat(text[:10])
        return d, d
    if len(text) == 7:
        return None, date(int(text[:4]), int(text[5:7]), 15)
    if len(text) == 4:
        return None, date(int(text), 7, 1)
    return None, None


def _identifier_label(system: str | None, kind: str) -> str:
    label = _IDENTIFIER_NAMES.get(kind, kind or "identifier")
    return label + (f" ({system})" if system else "")


def find_patient(entries: list[Entry]) -> BundlePatient:
    """The Bundle's one Patient as matching reads it (else a problem)."""
    patients = [(loc, r) for loc, _, r in entries if r["resourceType"] == "Patient"]
    if len(patients) != 1:
        raise InputError.at(
            "Bundle.entry",
            f"the Bundle holds {len(patients)} Patient resources",
            "send exactly one Patient with its resources",
            origin="bundle",
        )
    loc, patient = patients[0]
    gender = patient.get("gender")
    if gender is not None and gender not in REQUIRED["Patient.gender"]:
        raise InputError.at(
            f"{loc}.gender",
            f"{gender!r} is not a Patient.gender code",
            "use one of female, male, other, unknown",
            origin="bundle",
        )
    record_id = None
    kept: dict[tuple[str | None, str], PatientIdentifier] = {}
    dropped = []
    for ident in patient.get("identifier") or []:
        system, value = ident.get("system"), ident.get("value")
        if not value:
            continue
        if system == RECORD_ID_SYSTEM:
            record_id = str(value)
            continue
        type_codes = codes(ident.get("type"))
        kind = next((str(c.get("code")) for c in type_codes if c.get("system") == V2_0203), "")
        if (
            system in SENSITIVE_IDENTIFIER_SYSTEMS
            or kind in SENSITIVE_IDENTIFIER_TYPES
            or kind.startswith("NN")
        ):
            dropped.append(_identifier_label(system, kind))
            continue
        if len(str(value)) > 200 or len(str(system or "")) > 400:
            dropped.append(_identifier_label(system, kind) + " (too long)")
            continue
        identifier = PatientIdentifier(system=system or None, value=str(value), type=kind[:20])
        kept.setdefault((system, str(value)), identifier)
    born, _ = birth(patient.get("birthDate"))
    _, family = display_name(patient)
    return BundlePatient(
        loc=loc,
        source_id=str(patient["id"]) if patient.get("id") else None,
        record_id=record_id,
        identifiers=tuple(kept.values()),
        family=family,
        birth_date=born,
        sex=str(gender or "unknown"),
        dropped_identifiers=tuple(dropped),
    )


def demographics(
    who: BundlePatient,
    patient: dict[str, Any],
    r: Reader,
    *,
    today: date,
    current: PatientRecord | None,
) -> dict[str, Any]:
    """The record's data from the Patient resource: id, name, sex, identifiers, birth date and
    age, the pregnancy flags (lists for the conditions, medicines and questionnaires to come).

    The age comes from ldn's age extension (without a birth date), else the birth date (a
    partial one estimates it, noted), else the matched record's ``current`` age; else the
    Bundle is refused."""
    display, _ = display_name(patient)
    data: dict[str, Any] = {
        "id": who.record_id or who.source_id or "imported",
        "display_name": display,
        "sex": who.sex,
        "conditions": [],
        "medications": [],
        "questionnaires": {},
        "identifiers": [i.model_dump() for i in who.identifiers],
    }
    if who.dropped_identifiers:
        dropped = ", ".join(who.dropped_identifiers)
        r.note(
            f"{who.loc}.identifier",
            f"not stored: {dropped} (ldn keeps only the identifiers it matches patients on)",
        )
    born, age_from = birth(patient.get("birthDate"))
    if born is not None:
        data["birth_date"] = born.isoformat()
    age = ext(patient, "age-years")
    if age is not None and born is None:
        data["age_years"] = int(age)
    elif age_from is not None:
        data["age_years"] = age_on(age_from, today)
        if born is None:
            r.note(f"{who.loc}.birthDate", "a partial birth date: the age is estimated from it")
    elif current is not None:
        data["age_years"] = current.age_years
        if current.birth_date is not None:
            data["birth_date"] = current.birth_date.isoformat()
    else:
        problem = Problem(
            f"{who.loc}.birthDate", "the patient's age is unknown", "send Patient.birthDate"
        )
        raise InputError(problem, origin="bundle")
    if patient.get("deceasedBoolean") or patient.get("deceasedDateTime"):
        r.note(
            f"{who.loc}.deceased",
            "the patient is recorded as deceased",
            severity="warning",
            code="business-rule",
        )
    for flag, key in _FLAGS:
        if ext(patient, flag):
            data[key] = True
    return data


def about_patient(loc: str, res: dict[str, Any], targets: set[str], r: Reader) -> bool:
    """Whether the resource is about the Bundle's patient: one about another patient is a
    problem (never merged in, never dropped); one about a group or a device is ignored."""
    for element in ("subject", "patient"):
        ref = res.get(element)
        if not isinstance(ref, dict) or not isinstance(ref.get("reference"), str):
            continue
        text = ref["reference"]
        if refers_to(text, targets):
            return True
        target = r.by_ref.get(text)
        names_a_patient = (
            text.startswith("Patient/")
            or "/Patient/" in text
            or (target or {}).get("resourceType") == "Patient"
            or (text.startswith("urn:") and target is None)
        )
        if names_a_patient:
            problem = Problem(
                f"{loc}.{element}",
                f"refers to {text}, not to this Bundle's Patient",
                "send one patient per Bundle, each resource referring to that Patient",
            )
            r.problems.append(problem)
        else:
            r.ignore(loc, f"about {text}, not about the patient")
        return False
    return True
