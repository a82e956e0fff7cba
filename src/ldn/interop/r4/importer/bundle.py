"""Reading a patient Bundle: validation, the one Patient, each entry dispatched by type to its
reader, and the record assembled (an ldn export whole, another system's Bundle over the matched
record, or on its own)."""

from __future__ import annotations

from datetime import date
from typing import Any

from ldn.domain.errors import InputError
from ldn.domain.patient import PatientRecord, parse_patient
from ldn.interop.r4.export import EXTRAS_FIELDS
from ldn.interop.r4.importer.account import BundlePatient, BundleRead, Reader, issues_of
from ldn.interop.r4.importer.allergies import read_allergy
from ldn.interop.r4.importer.conditions import read_condition
from ldn.interop.r4.importer.elements import ext, ext_json, reference_targets
from ldn.interop.r4.importer.medicines import (
    MedicineEntry,
    dedupe_medicines,
    keep_medicine_event,
    medicine_when,
    read_medication,
)
from ldn.interop.r4.importer.merge import merge
from ldn.interop.r4.importer.observations import observations_into, pain_into, read_observation
from ldn.interop.r4.importer.patient import (
    Entry,
    about_patient,
    demographics,
    find_patient,
)
from ldn.interop.r4.importer.questionnaires import read_questionnaire
from ldn.interop.r4.importer.unmapped import IGNORED, account_unread
from ldn.interop.r4.validate import validated

__all__ = ["READ_TYPES", "bundle_patient", "bundle_to_record", "read_bundle"]

#: the resource types ldn reads (validated in depth; the rest need only be JSON objects)
READ_TYPES = frozenset(
    {
        "Bundle",
        "Patient",
        "Condition",
        "MedicationStatement",
        "MedicationRequest",
        "Medication",
        "Observation",
        "QuestionnaireResponse",
        "AllergyIntolerance",
    }
)


def _validated(bundle: dict[str, Any]) -> None:
    validated(bundle, origin="bundle", deep=lambda kind: kind in READ_TYPES)


def _entries(bundle: dict[str, Any]) -> list[Entry]:
    return [
        (f"Bundle.entry[{i}].resource", e, e["resource"])
        for i, e in enumerate(bundle.get("entry") or [])
    ]


def bundle_patient(bundle: dict[str, Any]) -> BundlePatient:
    """The Bundle's one Patient as matching reads it (validates the Bundle first)."""
    _validated(bundle)
    return find_patient(_entries(bundle))


def _read_entry(
    r: Reader,
    loc: str,
    res: dict[str, Any],
    *,
    data: dict[str, Any],
    medicines: list[MedicineEntry],
) -> None:
    """One entry (about the patient) into the record ``data``, the ``medicines`` to dedupe, or
    the account."""
    kind = res["resourceType"]
    if kind == "Condition":
        condition = read_condition(r, loc, res)
        if condition:
            data["conditions"].append(condition)
    elif kind in ("MedicationStatement", "MedicationRequest"):
        medication = read_medication(r, loc, res)
        if medication:
            medicines.append((loc, medication, medicine_when(res)))
    elif kind == "Observation":
        read_observation(r, loc, res)
    elif kind == "QuestionnaireResponse":
        read_questionnaire(r, loc, res, data)
    elif kind == "AllergyIntolerance":
        read_allergy(r, loc, res, data)
    elif kind == "Medication" or kind in IGNORED:
        return  # Medications: after the statements that refer to them; the rest after all
    elif kind in ("MedicationDispense", "MedicationAdministration"):
        keep_medicine_event(r, loc, res)
    else:
        r.keep(loc, res, f"ldn does not read {kind} resources")


def _record_data(
    r: Reader,
    who: BundlePatient,
    extras: Any,
    data: dict[str, Any],
    *,
    current: PatientRecord | None,
) -> None:
    """The record ``data`` completed: an ldn export's record-extras (the whole record), else
    the matched record ``current`` merged in, else the pain scores alone; the notes last."""
    if extras:
        extra_fields = ext_json(extras, f"{who.loc}.extension", "record-extras")
        data.update({k: v for k, v in extra_fields.items() if k in EXTRAS_FIELDS and v is not None})
        pain_into(data, r, from_ldn=True)
    elif current is not None:
        merge(data, current, r)
    else:
        pain_into(data, r, from_ldn=False)
    if r.notes:
        lines = [n for n in r.notes if n not in str(data.get("notes") or "")]
        data["notes"] = "\n".join([*([data["notes"]] if data.get("notes") else []), *lines])


def read_bundle(
    bundle: dict[str, Any],
    *,
    today: date,
    current: PatientRecord | None = None,
    checked: bool = False,
) -> BundleRead:
    """The record from a Bundle, with every entry accounted for (see the package's docstring).

    ``current`` is the stored record of the patient the Bundle was matched to: a Bundle from
    another system then updates it rather than replacing it. ``checked``: the Bundle already
    passed :func:`bundle_patient` (not validated twice).
    """
    if not checked:
        _validated(bundle)
    entries = _entries(bundle)
    who = find_patient(entries)
    r = Reader(today)
    patient_entry = next(e for loc, e, res in entries if loc == who.loc)
    patient = patient_entry["resource"]
    targets = reference_targets(patient_entry, patient)
    for _, e, res in entries:
        for target in reference_targets(e, res):
            r.by_ref[target] = res
    extras = ext(patient, "record-extras")
    data = demographics(who, patient, r, today=today, current=current)
    medicines: list[MedicineEntry] = []
    for loc, _, res in entries:
        if loc != who.loc and about_patient(loc, res, targets, r):
            _read_entry(r, loc, res, data=data, medicines=medicines)
    account_unread(r, entries)
    data["medications"] = dedupe_medicines(medicines, r)
    observations_into(data, r)
    if r.problems:
        raise InputError(r.problems, origin="bundle")
    _record_data(r, who, extras, data, current=current)
    record = parse_patient(data, today=today, origin="bundle")
    ignored = sum(1 for fate in r.fate.values() if fate == "ignored")
    return BundleRead(
        record=record,
        patient=who,
        issues=issues_of(r),
        kept=tuple(r.kept),
        from_ldn=extras is not None,
        entries=len(entries),
        ignored=ignored,
    )


def bundle_to_record(bundle: dict[str, Any], *, today: date, strict: bool = True) -> PatientRecord:
    """A validated patient record from a FHIR Bundle (:class:`InputError` names what is wrong).

    ``strict`` is kept for callers; nothing is refused for being unreadable any more (a condition
    coded only in a local system becomes ``other``; see :func:`read_bundle`)."""
    del strict
    return read_bundle(bundle, today=today).record
