"""Code systems, codes and extension URLs of ldn's FHIR R4 mapping.

Sources: the FHIR R4 specification (``hl7-fhir-r4``), LOINC (``loinc``; codes corroborated in
public FHIR profiles and code lists, not checked against the LOINC release), RxNorm (``rxnorm``;
the naltrexone ingredient code is unverified), ICD-10 and SNOMED CT as in
:mod:`ldn.domain.vocabulary`.
"""

from __future__ import annotations

__all__ = [
    "EXT", "ICD10", "LDN_CONDITION", "LDN_OBSERVATION", "LOINC", "LOINC_CODES", "LOINC_EGFR", "RXNORM",
    "RXNORM_NALTREXONE", "SNOMED", "SOURCE_IDS", "UCUM", "UCUM_UNITS", "ext",
]  # fmt: skip

SOURCE_IDS = ("hl7-fhir-r4", "loinc", "rxnorm", "icd10-who-2019", "snomed-ct-int")

ICD10 = "http://hl7.org/fhir/sid/icd-10"
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

#: LOINC codes for an estimated GFR per 1.73 m² (read on import; the issue names the first three,
#: the MDRD ones are from memory: ``loinc`` is secondary for these)
LOINC_EGFR = frozenset({"33914-3", "62238-1", "98979-8", "48642-3", "48643-1", "77147-7"})

#: ldn dose units -> UCUM codes
UCUM_UNITS = {"mg": "mg", "mcg": "ug", "g": "g", "mL": "mL", "mcg/h": "ug/h", "mg/mL": "mg/mL",
              "drops": "{drop}", "tablet": "{tablet}", "capsule": "{capsule}"}  # fmt: skip


def ext(name: str) -> str:
    """The URL of ldn's extension ``name``."""
    return _EXT_BASE + name


EXT = {n: ext(n) for n in ("age-years", "pregnant", "breastfeeding", "planning-pregnancy", "record-extras",
                           "drug-class", "days-per-month", "months-of-regular-use", "answer-is-list",
                           "last-dose-local", "medication-review")}  # fmt: skip
