"""Code systems, codes and extension URLs of ldn's FHIR R4 mapping.

Sources: the FHIR R4 specification (``hl7-fhir-r4``), LOINC (``loinc``; codes corroborated in
public FHIR profiles and code lists, not checked against the LOINC release), RxNorm (``rxnorm``;
the naltrexone ingredient code is unverified), ICD-10 and SNOMED CT as in
:mod:`ldn.domain.vocabulary`.
"""

from __future__ import annotations

__all__ = [
    "ATC", "BODYWEIGHT_PROFILE", "EXT", "ICD10", "ICD10_CM", "LDN_CONDITION", "LDN_OBSERVATION", "LOINC",
    "LOINC_BILIRUBIN_MG_DL", "LOINC_CODES", "LOINC_EGFR", "OBSERVATION_CATEGORY", "REQUIRED", "RXNORM",
    "RXNORM_NALTREXONE", "SENSITIVE_IDENTIFIER_SYSTEMS", "SENSITIVE_IDENTIFIER_TYPES", "SNOMED", "SOURCE_IDS",
    "UCUM", "UCUM_UNITS", "US_SSN", "V2_0203", "ext",
]  # fmt: skip

SOURCE_IDS = ("hl7-fhir-r4", "loinc", "rxnorm", "icd10-who-2019", "snomed-ct-int")

ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
ATC = "http://www.whocc.no/atc"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
US_SSN = "http://hl7.org/fhir/sid/us-ssn"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
#: the FHIR R4 body weight profile (vital signs: category vital-signs, effective[x], UCUM kg)
BODYWEIGHT_PROFILE = "http://hl7.org/fhir/StructureDefinition/bodyweight"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
#: ldn's own code systems (lossless round trip of ldn's vocabulary)
LDN_CONDITION = "https://ldn.example.org/fhir/CodeSystem/condition"
LDN_OBSERVATION = "https://ldn.example.org/fhir/CodeSystem/observation"
LDN_QUESTIONNAIRE = "https://ldn.example.org/fhir/Questionnaire/"
_EXT_BASE = "https://ldn.example.org/fhir/StructureDefinition/"

#: LOINC codes ldn uses (code, display, UCUM unit)
LOINC_CODES: dict[str, tuple[str, str, str]] = {
    "pain_nrs": ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported", "{score}"),
    "alt": ("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L"),
    "ast": ("1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L"),
    "bilirubin": ("14631-6", "Bilirubin.total [Moles/volume] in Serum or Plasma", "umol/L"),
    "weight": ("29463-7", "Body weight", "kg"),
}  # fmt: skip

RXNORM_NALTREXONE = ("7243", "naltrexone")

#: total bilirubin by mass (mg/dL, as US laboratories report it); 1 mg/dL = 17.1 umol/L
LOINC_BILIRUBIN_MG_DL = "1975-2"

#: identifier types (HL7 v2 table 0203) and systems ldn does not store: national and personal
#: document numbers are not needed to match a patient (a medical record number is)
SENSITIVE_IDENTIFIER_TYPES = frozenset({"SS", "SB", "DL", "PPN", "TAX", "NI", "CZ", "BCT"})
SENSITIVE_IDENTIFIER_SYSTEMS = frozenset({US_SSN, "urn:oid:2.16.840.1.113883.4.1"})

#: codes of the required bindings ldn reads (FHIR R4 value sets), by resource element
REQUIRED: dict[str, frozenset[str]] = {
    "Patient.gender": frozenset({"male", "female", "other", "unknown"}),
    "Condition.clinicalStatus": frozenset({"active", "recurrence", "relapse", "inactive", "remission", "resolved"}),
    "Condition.verificationStatus": frozenset({"unconfirmed", "provisional", "differential", "confirmed", "refuted",
                                               "entered-in-error"}),
    "MedicationStatement.status": frozenset({"active", "completed", "entered-in-error", "intended", "stopped", "on-hold",
                                             "unknown", "not-taken"}),
    "MedicationRequest.status": frozenset({"active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped",
                                           "draft", "unknown"}),
    "MedicationRequest.intent": frozenset({"proposal", "plan", "order", "original-order", "reflex-order", "filler-order",
                                           "instance-order", "option"}),
    "Observation.status": frozenset({"registered", "preliminary", "final", "amended", "corrected", "cancelled",
                                     "entered-in-error", "unknown"}),
    "QuestionnaireResponse.status": frozenset({"in-progress", "completed", "amended", "entered-in-error", "stopped"}),
    "AllergyIntolerance.clinicalStatus": frozenset({"active", "inactive", "resolved"}),
    "AllergyIntolerance.verificationStatus": frozenset({"unconfirmed", "confirmed", "refuted", "entered-in-error"}),
    "AllergyIntolerance.type": frozenset({"allergy", "intolerance"}),
    "AllergyIntolerance.criticality": frozenset({"low", "high", "unable-to-assess"}),
}  # fmt: skip

#: LOINC codes for an estimated GFR per 1.73 m² (read on import; the issue names the first three,
#: the MDRD ones are from memory: ``loinc`` is secondary for these)
LOINC_EGFR = frozenset({"33914-3", "62238-1", "98979-8", "48642-3", "48643-1", "77147-7"})

#: ldn dose units -> UCUM codes
UCUM_UNITS = {
    "mg": "mg",
    "mcg": "ug",
    "g": "g",
    "mL": "mL",
    "mcg/h": "ug/h",
    "mg/mL": "mg/mL",
    "drops": "{drop}",
    "tablet": "{tablet}",
    "capsule": "{capsule}",
}


def ext(name: str) -> str:
    """The URL of ldn's extension ``name``."""
    return _EXT_BASE + name


EXT = {
    n: ext(n)
    for n in (
        "age-years",
        "pregnant",
        "breastfeeding",
        "planning-pregnancy",
        "record-extras",
        "drug-class",
        "days-per-month",
        "months-of-regular-use",
        "answer-is-list",
        "last-dose-local",
        "medication-review",
    )
}
