"""FHIR R4 → ldn: a patient Bundle (from ldn or from another EHR) as a validated patient record,
with an account of every entry.

An ldn Bundle carries ``record-extras`` and ldn's own codes and comes back unchanged. A Bundle
from another system is read from its standard elements:

- Patient: gender, birth date (the age is derived) or ldn's age extension, name, identifiers
  (an MRN is kept for matching; national and document numbers such as a US SSN are not stored);
- Condition: ldn, ICD-10, ICD-10-CM or SNOMED CT codes; a code ldn does not list, or a condition
  coded only in a local system, becomes ``other`` with its text (the latter with a warning);
- MedicationStatement and MedicationRequest: the coded concept or a ``medicationReference`` to a
  Medication in the Bundle (codes go to the medicine knowledge base, so RxNorm or ATC alone
  identify an opioid); repeated prescriptions of one medicine count once; a medicine without a
  name is kept as "unnamed medicine (...)" so the screen sends it to the clinician;
- Observation: LOINC pain 0-10 (72514-3), body weight, ALT, AST, total bilirubin (umol/L, or
  mg/dL converted), eGFR; the newest of each is used;
- QuestionnaireResponse for ldn's instruments (answers by linkId);
- AllergyIntolerance: to naltrexone sets ``naltrexone_hypersensitivity``; to an opioid is noted in
  the record's notes.

Nothing is dropped silently: every other entry is either **kept** (stored with the record version
for the clinician: an unknown questionnaire, a procedure, a pain score the record has no pain
profile for, ...) or **ignored** with the reason (an Encounter, an Organization, an Observation
ldn does not use, an entered-in-error statement, ...). Both are listed as informational issues of
the answer's OperationOutcome, one issue per reason with the entries as ``expression``.

Refused by name (:class:`InputError`, ``Bundle.entry[i].resource.<element>``): a resource of a type
ldn reads that is not valid FHIR, a code outside a required binding (``status: "bogus"``), a
resource about another patient, and a Bundle without exactly one Patient.

With ``current`` (the stored record of the patient the Bundle was matched to) a Bundle from
another system updates that record instead of replacing it: what the Bundle cannot carry (pain
history, prior treatments, flags, questionnaires) stays, medicines and conditions the Bundle does
not list are kept (and listed), and a clinician's review of a medicine carries over.

The reading is split by concern: :mod:`.bundle` (validation, dispatch, assembly),
:mod:`.patient` (the Patient and which resources are about it), :mod:`.conditions`,
:mod:`.medicines` (the opioid and naltrexone safety door), :mod:`.allergies`,
:mod:`.observations`, :mod:`.questionnaires`, :mod:`.unmapped` (kept and ignored entries),
:mod:`.merge` (into the matched record); :mod:`.account` holds the answer and the account of
every entry, :mod:`.elements` the FHIR elements they share.
"""

from __future__ import annotations

from ldn.interop.r4.importer.account import (
    BundlePatient,
    BundleRead,
    ImportIssue,
    KeptResource,
    family_key,
    issues_outcome,
)
from ldn.interop.r4.importer.bundle import READ_TYPES, bundle_patient, bundle_to_record, read_bundle

__all__ = [
    "READ_TYPES",
    "BundlePatient",
    "BundleRead",
    "ImportIssue",
    "KeptResource",
    "bundle_patient",
    "bundle_to_record",
    "family_key",
    "issues_outcome",
    "read_bundle",
]
