"""Patient matching for ``$import-patient`` (:func:`match_patient`): every stored record
version refreshes the patient's match keys (:func:`sync_match_keys`): the identifiers other
systems gave the patient (system + value, unique in the clinic), the birth date, the sex and the
folded family name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select, tuple_

from ldn.domain.errors import ConflictError
from ldn.domain.patient import PatientIdentifier, PatientRecord
from ldn.interop.r4.importer import family_key
from ldn.persistence.tables import Patient
from ldn.persistence.tables import PatientIdentifier as IdentifierRow
from ldn.services.clinic.context import Tx

__all__ = ["Match", "match_patient", "sync_match_keys"]


def _display_family(display_name: str) -> str | None:
    """The family name a display name suggests: its last word (parenthesised notes left out)."""
    words = re.sub(r"\([^)]*\)", " ", display_name).split()
    return family_key(words[-1]) if words else None


def sync_match_keys(
    tx: Tx, patient: Patient, record: PatientRecord, *, family: str | None = None
) -> None:
    """Copy the record's match keys onto the patient: birth date, sex, family name (``family``
    from a FHIR name, else kept while the display name is unchanged, else its last word) and the
    identifiers with a system (an identifier of another patient of the clinic is a conflict)."""
    if family:
        patient.family_key = family_key(family)
    elif patient.family_key is None or patient.display_name != record.display_name:
        patient.family_key = _display_family(record.display_name)
    patient.birth_date, patient.sex = record.birth_date, record.sex
    wanted = {(i.system, i.value): i for i in record.identifiers if i.system}
    if wanted:
        taken = tx.session.execute(
            select(IdentifierRow.system, IdentifierRow.value, IdentifierRow.patient_id).where(
                IdentifierRow.clinic_id == patient.clinic_id,
                tuple_(IdentifierRow.system, IdentifierRow.value).in_(list(wanted)),
                IdentifierRow.patient_id != patient.id,
            )
        ).first()
        if taken is not None:
            raise ConflictError(
                f"identifier {taken.system}|{taken.value} already belongs to patient {taken.patient_id}",
                fix="check the identifier; one identifier names one patient of the clinic",
            )
    tx.session.execute(delete(IdentifierRow).where(IdentifierRow.patient_id == patient.id))
    tx.session.add_all(
        IdentifierRow(
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            system=i.system,
            value=i.value,
            type=i.type,
        )
        for i in wanted.values()
    )


@dataclass(frozen=True, slots=True)
class Match:
    """What a Bundle's patient matches in the clinic: a patient to update (``matched_on`` says
    how), or candidates for a clinician to confirm (``reason`` says why), or nothing."""

    patient: Patient | None = None
    matched_on: str = ""
    candidates: tuple[Patient, ...] = ()
    reason: str = ""


def _label(i: PatientIdentifier) -> str:
    kind = {"MR": "MRN"}.get(i.type, i.type or "identifier")
    return f"{kind} {i.system}|{i.value}"


def match_patient(
    tx: Tx,
    clinic_id: int,
    *,
    record_id: str | None,
    identifiers: tuple[PatientIdentifier, ...],
    family: str,
    birth_date: date | None,
    sex: str,
) -> Match:
    """The rule (docs/interop.md): ldn's own record id or an identifier (system + value) names
    the patient; else the same family name and birth date, and a compatible sex (equal, or
    unknown on one side), make a *possible* match for a clinician to confirm, unless the
    candidate holds another value of an identifier system the Bundle has (a different MRN of the
    same hospital is a different patient). A sender's local ``Patient.id`` is never matched on."""
    found: dict[int, tuple[Patient, str]] = {}
    if record_id:
        p = tx.session.scalar(
            select(Patient).where(Patient.clinic_id == clinic_id, Patient.record_id == record_id)
        )
        if p is not None:
            found[p.id] = (p, f"ldn record id {record_id}")
    keyed = [i for i in identifiers if i.system]
    if keyed:
        rows = tx.session.execute(
            select(IdentifierRow.patient_id, IdentifierRow.system, IdentifierRow.value).where(
                IdentifierRow.clinic_id == clinic_id,
                tuple_(IdentifierRow.system, IdentifierRow.value).in_(
                    [(i.system, i.value) for i in keyed]
                ),
            )
        ).all()
        by_key = {(i.system, i.value): i for i in keyed}
        for pid, system, value in rows:
            if pid not in found:
                patient = tx.session.get(Patient, pid)
                assert patient is not None
                found[pid] = (patient, _label(by_key[(system, value)]))
    if len(found) > 1:
        names = ", ".join(f"patient {pid} ({how})" for pid, (_, how) in sorted(found.items()))
        raise ConflictError(
            f"the Bundle's identifiers name different patients: {names}",
            fix="check the identifiers; send a Bundle about one patient",
        )
    if found:
        patient, how = next(iter(found.values()))
        differs = [
            what
            for what, mine, theirs in (
                ("birth date", patient.birth_date, birth_date),
                ("sex", patient.sex, sex),
            )
            if mine not in (None, "unknown") and theirs not in (None, "unknown") and mine != theirs
        ]
        if differs:
            return Match(
                candidates=(patient,),
                reason=f"{how} matches, but the {' and '.join(differs)} differ",
            )
        return Match(patient, how)
    key = family_key(family) if family else None
    if key is None or birth_date is None:
        return Match()
    rows_ = tx.session.scalars(
        select(Patient)
        .where(
            Patient.clinic_id == clinic_id,
            Patient.birth_date == birth_date,
            Patient.family_key == key,
        )
        .order_by(Patient.id)
    ).all()
    candidates = [
        p for p in rows_ if p.sex in (None, "unknown") or sex == "unknown" or p.sex == sex
    ]
    systems = {i.system for i in keyed}
    if candidates and systems:
        held = tx.session.execute(
            select(IdentifierRow.patient_id, IdentifierRow.system).where(
                IdentifierRow.patient_id.in_([p.id for p in candidates]),
                IdentifierRow.system.in_(systems),
            )
        ).all()
        other = {pid for pid, _ in held}
        candidates = [p for p in candidates if p.id not in other]
    if not candidates:
        return Match()
    return Match(
        candidates=tuple(candidates), reason="same family name and birth date, compatible sex"
    )
