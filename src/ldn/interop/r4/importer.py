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
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from ldn.domain.errors import InputError, Problem
from ldn.domain.medicines import identify
from ldn.domain.patient import PatientIdentifier, PatientRecord, age_on, parse_patient
from ldn.domain.vocabulary import CONDITIONS
from ldn.interop.r4.codes import (
    ATC,
    EXT,
    ICD10,
    ICD10_CM,
    LDN_CONDITION,
    LDN_OBSERVATION,
    LDN_QUESTIONNAIRE,
    LOINC,
    LOINC_BILIRUBIN_MG_DL,
    LOINC_CODES,
    LOINC_EGFR,
    REQUIRED,
    RXNORM,
    SENSITIVE_IDENTIFIER_SYSTEMS,
    SENSITIVE_IDENTIFIER_TYPES,
    SNOMED,
    UCUM_UNITS,
    V2_0203,
)
from ldn.interop.r4.export import EXTRAS_FIELDS, RECORD_ID_SYSTEM
from ldn.interop.r4.validate import validated

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
#: mg/dL -> umol/L for total bilirubin (molar mass 584.7 g/mol)
_BILIRUBIN_MG_DL = 17.1
_WEIGHT_UNITS = {"kg": 1.0, "g": 0.001, "[lb_av]": 0.45359237, "lb": 0.45359237, "lbs": 0.45359237}

#: the resource types ldn reads (validated in depth; the rest need only be JSON objects)
READ_TYPES = frozenset({"Bundle", "Patient", "Condition", "MedicationStatement", "MedicationRequest", "Medication",
                        "Observation", "QuestionnaireResponse", "AllergyIntolerance"})  # fmt: skip
#: resource types ignored with a reason (administrative, or read through other resources)
_IGNORED = {
    "Encounter": "ldn keeps no visits (an Encounter is administrative context)",
    "EpisodeOfCare": "ldn keeps no episodes of care",
    "Organization": "an Organization is administrative",
    "Practitioner": "a Practitioner is administrative", "PractitionerRole": "a PractitionerRole is administrative",
    "Location": "a Location is administrative", "HealthcareService": "administrative",
    "Endpoint": "administrative", "Coverage": "insurance is administrative", "Claim": "billing is administrative",
    "ClaimResponse": "billing is administrative", "ExplanationOfBenefit": "billing is administrative",
    "Account": "billing is administrative", "Invoice": "billing is administrative",
    "Provenance": "provenance is administrative", "AuditEvent": "administrative",
    "Composition": "the document's structure; its entries are read one by one",
    "MessageHeader": "the message's header; its entries are read one by one",
    "DiagnosticReport": "a report groups Observations; those are read one by one",
    "CareTeam": "administrative", "Group": "administrative", "Device": "ldn does not use devices",
    "Immunization": "ldn's screen does not use immunizations",
    "ImagingStudy": "ldn's screen does not use imaging", "Media": "ldn does not read media",
    "DocumentReference": "ldn does not read documents (notes, scans)", "Binary": "ldn does not read documents",
    "Goal": "ldn keeps its own goals", "CarePlan": "ldn keeps its own titration plan",
    "OperationOutcome": "a message about a search, not about the patient",
    "SupplyDelivery": "administrative", "SupplyRequest": "administrative", "Specimen": "ldn reads results, not specimens",
}  # fmt: skip
#: pain scores: LOINC 0-10 NRS (ldn's own codes tell the week's average from the worst)
_PAIN = LOINC_CODES["pain_nrs"][0]


def family_key(name: str) -> str | None:
    """A family name folded for matching: accents off, lower-case ASCII letters only
    (``"García Pérez"`` → ``garciaperez``); None when nothing is left."""
    folded = unicodedata.normalize("NFKD", name)
    key = "".join(ch for ch in folded.lower() if "a" <= ch <= "z")
    return key or None


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """One reason, and the entries it applies to (``Bundle.entry[3].resource``, ...)."""

    severity: Literal["information", "warning"]
    code: str  # FHIR IssueType
    message: str
    locs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KeptResource:
    """A resource ldn keeps with the record version without mapping it (for the clinician)."""

    loc: str
    resource: dict[str, Any]
    reason: str


@dataclass(frozen=True, slots=True)
class BundlePatient:
    """The Bundle's Patient as matching reads it."""

    loc: str
    source_id: str | None  # Patient.id at the sender: never matched on (another system's id)
    record_id: str | None  # ldn's own record id, in an ldn export
    identifiers: tuple[PatientIdentifier, ...]
    family: str
    birth_date: date | None
    sex: str
    dropped_identifiers: tuple[str, ...] = ()  # types/systems not stored (SSN, ...)

    @property
    def family_key(self) -> str | None:
        return family_key(self.family)


@dataclass(frozen=True, slots=True)
class BundleRead:
    """A read Bundle: the record, its Patient, and the account of every entry."""

    record: PatientRecord
    patient: BundlePatient
    issues: tuple[ImportIssue, ...]
    kept: tuple[KeptResource, ...]
    from_ldn: bool  # the Bundle carries ldn's record-extras: the whole record
    entries: int
    ignored: int


def _ext(resource: dict[str, Any], name: str) -> Any:
    for e in resource.get("extension") or []:
        if e.get("url") == EXT[name]:
            return next((v for k, v in e.items() if k.startswith("value")), None)
    return None


def _json(text: Any, loc: str, name: str) -> dict[str, Any]:
    """An ldn extension's JSON object (else a problem naming the element)."""
    try:
        value = json.loads(str(text))
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise InputError.at(loc, f"ldn's {name} extension does not hold a JSON object",
                            "send the extension as ldn exported it, or leave it out", origin="bundle")  # fmt: skip
    return value


def _codes(concept: Any) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict)]


def _status_code(concept: Any) -> str | None:
    return next((str(c["code"]) for c in _codes(concept) if c.get("code")), None)


def _concept_text(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    return str(
        concept.get("text")
        or next((c.get("display") for c in _codes(concept) if c.get("display")), "")
        or ""
    )


def _when(res: dict[str, Any], *names: str) -> str:
    """The first date/time found among ``names`` (a period gives its end, else its start)."""
    for name in names:
        value = res.get(name)
        if isinstance(value, dict):
            value = value.get("end") or value.get("start")
        if value:
            return str(value)
    return ""


def _name(patient: dict[str, Any]) -> tuple[str, str]:
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


def _birth(value: Any) -> tuple[date | None, date | None]:
    """(full birth date, date used for the age) from a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD)."""
    text = str(value or "")
    if len(text) >= 10:
        d = date.fromisoformat(text[:10])
        return d, d
    if len(text) == 7:
        return None, date(int(text[:4]), int(text[5:7]), 15)
    if len(text) == 4:
        return None, date(int(text), 7, 1)
    return None, None


def _reference_targets(entry: dict[str, Any], res: dict[str, Any]) -> set[str]:
    out = set()
    if entry.get("fullUrl"):
        out.add(str(entry["fullUrl"]))
    if res.get("id"):
        out.add(f"{res['resourceType']}/{res['id']}")
    return out


def _refers_to(ref: str, targets: set[str]) -> bool:
    ref = re.sub(r"/_history/[^/]+$", "", ref)
    return ref in targets or any(
        "/" in t and not t.startswith("urn:") and ref.endswith("/" + t) for t in targets
    )


@dataclass
class _Reader:
    today: date
    problems: list[Problem] = field(default_factory=list)
    issues: dict[tuple[Literal["information", "warning"], str, str], list[str]] = field(
        default_factory=dict
    )
    kept: list[KeptResource] = field(default_factory=list)
    by_ref: dict[str, dict[str, Any]] = field(default_factory=dict)
    referred: set[int] = field(default_factory=set)  # id() of the resources a medicine referred to
    notes: list[str] = field(default_factory=list)
    # the newest observation of each kind: key -> (when, loc, value, extra)
    newest: dict[str, tuple[str, str, float, Any]] = field(default_factory=dict)
    # what became of each entry not used: loc -> "kept" | "ignored"
    fate: dict[str, str] = field(default_factory=dict)

    # -- the account -------------------------------------------------------------------------

    def note(self, loc: str, message: str, *, severity: Literal["information", "warning"] = "information",
             code: str = "informational") -> None:  # fmt: skip
        self.issues.setdefault((severity, code, message), []).append(loc)

    def ignore(self, loc: str, why: str) -> None:
        self.fate[loc] = "ignored"
        self.note(loc, f"ignored: {why}")

    def keep(self, loc: str, res: dict[str, Any], why: str, *, listed: str = "") -> None:
        self.fate[loc] = "kept"
        self.kept.append(KeptResource(loc, res, why))
        self.note(loc, listed or f"kept with the record, not used: {why}")

    def required(self, loc: str, res: dict[str, Any], element: str, value: str | None) -> bool:
        """``value`` is a code of the element's required binding (else a problem, named)."""
        allowed = REQUIRED[f"{res['resourceType']}.{element}"]
        if value is None or value in allowed:
            return True
        self.problems.append(Problem(f"{loc}.{element}", f"{value!r} is not a {res['resourceType']}.{element} code",
                                     f"use one of {', '.join(sorted(allowed))} (a required binding in FHIR R4)"))  # fmt: skip
        return False

    def resolve(self, ref: str, res: dict[str, Any]) -> dict[str, Any] | None:
        if ref.startswith("#"):
            return next(
                (
                    c
                    for c in res.get("contained") or []
                    if isinstance(c, dict) and c.get("id") == ref[1:]
                ),
                None,
            )
        ref = re.sub(r"/_history/[^/]+$", "", ref)
        found = self.by_ref.get(ref)
        if found is None:
            found = next((r for t, r in self.by_ref.items() if "/" in t and not t.startswith("urn:")
                          and ref.endswith("/" + t)), None)  # fmt: skip
        if found is not None:
            self.referred.add(id(found))
        return found

    def newer(self, key: str, when: str, loc: str, value: float, extra: Any = None) -> None:
        """Keep the newest result of ``key`` (the first of equally dated ones)."""
        old = self.newest.get(key)
        if old is None or when > old[0]:
            if old is not None:
                self.ignore(old[1], "an older result of a test: the newest was used")
            self.newest[key] = (when, loc, value, extra)
        else:
            self.ignore(loc, "an older result of a test: the newest was used")

    # -- resources -------------------------------------------------------------------------------

    def condition(self, loc: str, res: dict[str, Any]) -> dict[str, Any] | None:
        clinical = _status_code(res.get("clinicalStatus"))
        verification = _status_code(res.get("verificationStatus"))
        ok = self.required(loc, res, "clinicalStatus", clinical)
        ok = self.required(loc, res, "verificationStatus", verification) and ok
        if not ok:
            return None
        if verification in ("entered-in-error", "refuted"):
            self.ignore(loc, f"the condition is {verification}")
            return None
        codings = _codes(res.get("code"))
        text = (res.get("code") or {}).get("text")
        code = next(
            (
                str(c["code"])
                for c in codings
                if c.get("system") == LDN_CONDITION and c.get("code") in CONDITIONS
            ),
            None,
        )
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
            first = next((c for c in codings if c.get("code")), {})
            text = text or next((c.get("display") for c in codings if c.get("display")), None) or (
                f"condition {first.get('system', '')} {first.get('code', '')}".strip() if first else "condition")  # fmt: skip
            if not any(c.get("system") in _KNOWN for c in codings):
                self.note(f"{loc}.code", "a condition coded only in a system ldn does not read was kept as 'other' "
                          "with its text: check it (ldn reads ICD-10, ICD-10-CM and SNOMED CT)",
                          severity="warning", code="code-invalid")  # fmt: skip
            code = "other"
        if clinical is None and res.get("abatementDateTime"):
            clinical = "resolved"
        status = "resolved" if clinical in ("resolved", "inactive", "remission") else (
            "suspected" if verification in ("provisional", "differential", "unconfirmed") else "active")  # fmt: skip
        out: dict[str, Any] = {"code": code, "status": status}
        onset = str(res.get("onsetDateTime") or (res.get("onsetPeriod") or {}).get("start") or "")[
            :10
        ]
        if onset:
            out["onset"] = onset
        if text and (code == "other" or text != CONDITIONS[code].display):
            out["display"] = text
        return out

    def medicine_concept(self, loc: str, res: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """(the medicine's concept, a note on where it came from) — a reference is resolved
        within the Bundle (or the resource's contained resources)."""
        if res.get("medicationCodeableConcept"):
            return res["medicationCodeableConcept"], ""
        ref = str((res.get("medicationReference") or {}).get("reference") or "")
        target = self.resolve(ref, res) if ref else None
        if target is None or target.get("resourceType") != "Medication":
            shown = ref or (res.get("medicationReference") or {}).get("display") or "no reference"
            self.note(f"{loc}.medicationReference", "the Medication referred to is not in the Bundle: the medicine "
                      "was kept unnamed, for the clinician to identify", severity="warning", code="not-found")  # fmt: skip
            display = (res.get("medicationReference") or {}).get("display")
            return ({"text": display} if display else {"coding": []}), f"reference {shown}"
        concept = dict(target.get("code") or {})
        coding = list(_codes(concept))
        for ing in target.get("ingredient") or []:  # ingredients' codes help the knowledge base
            coding += _codes(ing.get("itemCodeableConcept"))
        concept["coding"] = coding
        return concept, ""

    def medication(self, loc: str, res: dict[str, Any]) -> dict[str, Any] | None:
        kind = res["resourceType"]
        status = res.get("status")
        if not self.required(loc, res, "status", status):
            return None
        if kind == "MedicationRequest" and not self.required(loc, res, "intent", res.get("intent")):
            return None
        if status in ("entered-in-error", "not-taken", "cancelled"):
            self.ignore(loc, f"the {kind} is {status}")
            return None
        concept, origin = self.medicine_concept(loc, res)
        codings = [c for c in _codes(concept) if c.get("code")]
        if (
            _ext(res, "drug-class") is not None
        ):  # ldn's own export: skip the coding ldn added itself
            codings = [c for c in codings if c.get("userSelected") is not False]
        name = concept.get("text") or next(
            (c.get("display") for c in codings if c.get("display")), None
        )
        if not name:
            # fail closed: a medicine without a name is kept (by its code, or as unnamed) so the
            # screen sends it to the clinician instead of dropping it
            first = codings[0] if codings else {}
            name = (origin and f"unnamed medicine ({origin})") or (
                f"unnamed medicine ({first.get('system', 'no code')} {first.get('code', '')})".strip())  # fmt: skip
        dosage = ((res.get("dosage") or res.get("dosageInstruction") or [{}])[0]) or {}
        as_needed = bool(dosage.get("asNeededBoolean"))
        stopped = status in ("stopped", "completed")
        out: dict[str, Any] = {
            "name": name,
            "status": "stopped" if stopped else ("as_needed" if as_needed else "current"),
        }
        if codings:
            out["codes"] = [{"system": str(c.get("system") or "unknown"), "code": str(c["code"]),
                             "display": str(c.get("display") or "")} for c in codings]  # fmt: skip
        review = _ext(res, "medication-review")
        if review:
            out["review"] = _json(review, f"{loc}.extension", "medication-review")
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

    def allergy(self, loc: str, res: dict[str, Any], data: dict[str, Any]) -> None:
        clinical = _status_code(res.get("clinicalStatus"))
        verification = _status_code(res.get("verificationStatus"))
        ok = self.required(loc, res, "clinicalStatus", clinical)
        ok = self.required(loc, res, "verificationStatus", verification) and ok
        ok = self.required(loc, res, "type", res.get("type")) and ok
        if not (self.required(loc, res, "criticality", res.get("criticality")) and ok):
            return
        if verification in ("refuted", "entered-in-error"):
            self.ignore(loc, f"the allergy is {verification}")
            return
        if clinical in ("inactive", "resolved"):
            self.keep(loc, res, f"the allergy or intolerance is {clinical}")
            return
        text = _concept_text(res.get("code"))
        codes = tuple((str(c.get("system") or ""), str(c["code"])) for c in _codes(res.get("code"))
                      if c.get("code") and c.get("system") in (RXNORM, ATC))  # fmt: skip
        match = identify(text, codes=codes)
        what = text or (f"{codes[0][0]} {codes[0][1]}" if codes else "an unnamed substance")
        kind = res.get("type") or "allergy or intolerance"
        if match.contains_naltrexone:
            data["naltrexone_hypersensitivity"] = True
            self.note(
                loc,
                "used: a recorded naltrexone allergy or intolerance sets naltrexone hypersensitivity",
            )
        elif match.contains_opioid or re.search(r"\b(opioid|opiate|narcotic)s?\b", text.lower()):
            line = f"{kind.capitalize()} to {what} recorded in the EHR" + (
                f" (criticality {res['criticality']})" if res.get("criticality") else "")  # fmt: skip
            self.notes.append(line)
            self.keep(
                loc,
                res,
                "an opioid allergy or intolerance (noted in the record's notes)",
                listed="noted: an opioid allergy or intolerance was added to the record's notes and kept",
            )
        else:
            self.keep(
                loc, res, f"an allergy or intolerance to {what}, which ldn's screen does not use"
            )

    def observation(self, loc: str, res: dict[str, Any], data: dict[str, Any]) -> None:
        if not self.required(loc, res, "status", res.get("status")):
            return
        if res.get("status") in ("entered-in-error", "cancelled"):
            self.ignore(loc, f"the Observation is {res['status']}")
            return
        codings = _codes(res.get("code"))
        codes = {(c.get("system"), str(c.get("code") or "")) for c in codings}
        loinc = {code for system, code in codes if system == LOINC}
        ldn = {code for system, code in codes if system == LDN_OBSERVATION}
        quantity = res.get("valueQuantity") or {}
        value = quantity.get("value")
        when = _when(res, "effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued")
        label = (
            _concept_text(res.get("code"))
            or ", ".join(sorted(f"{s} {c}" for s, c in codes))
            or "no code"
        )
        if any(c.startswith("instrument-total-") for c in ldn):
            self.ignore(loc, "an instrument total: ldn scores the instrument from its answers")
            return
        if "diary-pain-average" in ldn:
            self.ignore(
                loc, "a day of ldn's pain diary: the diary is kept by the diary, not the record"
            )
            return
        if value is None:
            if loinc & ({_PAIN} | LOINC_EGFR | set(_LOINC) | {LOINC_BILIRUBIN_MG_DL}):
                self.ignore(loc, "the Observation has no value (valueQuantity)")
            else:
                self.ignore(loc, f"ldn does not use this Observation ({label})")
            return
        if loinc & LOINC_EGFR:
            self.newer("egfr", when, loc, float(value))
        elif _PAIN in loinc:
            self.newer(
                "pain-worst" if "pain-worst-7d" in ldn else "pain-average",
                when,
                loc,
                float(value),
                res,
            )
        elif LOINC_CODES["weight"][0] in loinc:
            unit = str(quantity.get("code") or quantity.get("unit") or "kg")
            factor = _WEIGHT_UNITS.get(unit)
            if factor is None:
                self.keep(loc, res, f"a body weight in {unit!r}, a unit ldn does not convert")
                return
            self.newer("weight", when, loc, round(float(value) * factor, 2))
        elif loinc & (
            {LOINC_CODES[k][0] for k in ("alt", "ast", "bilirubin")} | {LOINC_BILIRUBIN_MG_DL}
        ):
            key = (
                "bilirubin"
                if LOINC_BILIRUBIN_MG_DL in loinc
                else _LOINC[next(iter(loinc & set(_LOINC)))]
            )
            factor = (
                _BILIRUBIN_MG_DL
                if LOINC_BILIRUBIN_MG_DL in loinc and not loinc & {LOINC_CODES["bilirubin"][0]}
                else 1.0
            )
            high = ((res.get("referenceRange") or [{}])[0].get("high") or {}).get("value")
            self.newer(
                key,
                when or self.today.isoformat(),
                loc,
                round(float(value) * factor, 2),
                round(float(high) * factor, 2) if high else None,
            )
        elif any(_status_code(c) == "survey" for c in res.get("category") or []):
            self.keep(
                loc,
                res,
                f"a questionnaire score ({label}); ldn scores its instruments from item answers",
            )
        else:
            self.ignore(loc, f"ldn does not use this Observation ({label})")

    def questionnaire(self, loc: str, res: dict[str, Any], data: dict[str, Any]) -> None:
        if not self.required(loc, res, "status", res.get("status")):
            return
        if res.get("status") == "entered-in-error":
            self.ignore(loc, "the QuestionnaireResponse is entered-in-error")
            return
        url = str(res.get("questionnaire", ""))
        if not url.startswith(LDN_QUESTIONNAIRE):
            self.keep(
                loc,
                res,
                f"a questionnaire that is not one of ldn's instruments ({url or 'no questionnaire'})",
            )
            return
        answers: dict[str, Any] = {}
        for item in res.get("item") or []:
            values = [
                next(v for k, v in a.items() if k.startswith("value"))
                for a in item.get("answer") or []
                if any(k.startswith("value") for k in a)
            ]
            is_list = any(
                e.get("url") == EXT["answer-is-list"] for e in item.get("extension") or []
            )
            answers[item["linkId"]] = values if is_list else (values[0] if values else None)
        q: dict[str, Any] = {"answers": answers}
        if res.get("authored"):
            q["date"] = str(res["authored"])[:10]
        data["questionnaires"][url.removeprefix(LDN_QUESTIONNAIRE)] = q


def _entries(bundle: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return [
        (f"Bundle.entry[{i}].resource", e, e["resource"])
        for i, e in enumerate(bundle.get("entry") or [])
    ]


def bundle_patient(bundle: dict[str, Any]) -> BundlePatient:
    """The Bundle's one Patient as matching reads it (validates the Bundle first)."""
    validated(bundle, origin="bundle", deep=lambda kind: kind in READ_TYPES)
    return _patient(bundle)


def _patient(bundle: dict[str, Any]) -> BundlePatient:
    patients = [(loc, r) for loc, _, r in _entries(bundle) if r["resourceType"] == "Patient"]
    if len(patients) != 1:
        raise InputError.at("Bundle.entry", f"the Bundle holds {len(patients)} Patient resources",
                            "send exactly one Patient with its resources", origin="bundle")  # fmt: skip
    loc, patient = patients[0]
    gender = patient.get("gender")
    if gender is not None and gender not in REQUIRED["Patient.gender"]:
        raise InputError.at(f"{loc}.gender", f"{gender!r} is not a Patient.gender code",
                            "use one of female, male, other, unknown", origin="bundle")  # fmt: skip
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
        kind = next(
            (str(c.get("code")) for c in _codes(ident.get("type")) if c.get("system") == V2_0203),
            "",
        )
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
        kept.setdefault(
            (system, str(value)),
            PatientIdentifier(system=system or None, value=str(value), type=kind[:20]),
        )
    born, _ = _birth(patient.get("birthDate"))
    _, family = _name(patient)
    return BundlePatient(loc, str(patient["id"]) if patient.get("id") else None, record_id, tuple(kept.values()),
                         family, born, str(gender or "unknown"), tuple(dropped))  # fmt: skip


def _identifier_label(system: str | None, kind: str) -> str:
    return {"MR": "MRN", "SS": "social security number", "DL": "driver's licence", "PPN": "passport number"}.get(
        kind, kind or "identifier") + (f" ({system})" if system else "")  # fmt: skip


def _about_patient(loc: str, res: dict[str, Any], targets: set[str], r: _Reader) -> bool:
    """Whether the resource is about the Bundle's patient: one about another patient is a
    problem (never merged in, never dropped); one about a group or a device is ignored."""
    for element in ("subject", "patient"):
        ref = res.get(element)
        if not isinstance(ref, dict) or not isinstance(ref.get("reference"), str):
            continue
        text = ref["reference"]
        if _refers_to(text, targets):
            return True
        target = r.by_ref.get(text)
        if text.startswith("Patient/") or "/Patient/" in text or (target or {}).get("resourceType") == "Patient" or (
                text.startswith("urn:") and target is None):  # fmt: skip
            r.problems.append(Problem(f"{loc}.{element}", f"refers to {text}, not to this Bundle's Patient",
                                      "send one patient per Bundle, each resource referring to that Patient"))  # fmt: skip
        else:
            r.ignore(loc, f"about {text}, not about the patient")
        return False
    return True


def read_bundle(
    bundle: dict[str, Any],
    *,
    today: date,
    current: PatientRecord | None = None,
    checked: bool = False,
) -> BundleRead:
    """The record from a Bundle, with every entry accounted for (see the module's docstring).

    ``current`` is the stored record of the patient the Bundle was matched to: a Bundle from
    another system then updates it rather than replacing it. ``checked``: the Bundle already
    passed :func:`bundle_patient` (not validated twice).
    """
    if not checked:
        validated(bundle, origin="bundle", deep=lambda kind: kind in READ_TYPES)
    who = _patient(bundle)
    entries = _entries(bundle)
    r = _Reader(today)
    patient_entry = next(e for loc, e, res in entries if loc == who.loc)
    patient = patient_entry["resource"]
    targets = _reference_targets(patient_entry, patient)
    for _, e, res in entries:
        for target in _reference_targets(e, res):
            r.by_ref[target] = res
    extras = _ext(patient, "record-extras")
    from_ldn = extras is not None
    display, _ = _name(patient)
    data: dict[str, Any] = {"id": who.record_id or who.source_id or "imported", "display_name": display,
                            "sex": who.sex, "conditions": [], "medications": [], "questionnaires": {},
                            "identifiers": [i.model_dump() for i in who.identifiers]}  # fmt: skip
    if who.dropped_identifiers:
        r.note(f"{who.loc}.identifier", "not stored: " + ", ".join(who.dropped_identifiers)
               + " (ldn keeps only the identifiers it matches patients on)")  # fmt: skip
    born, age_from = _birth(patient.get("birthDate"))
    if born is not None:
        data["birth_date"] = born.isoformat()
    age = _ext(patient, "age-years")
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
        raise InputError(Problem(f"{who.loc}.birthDate", "the patient's age is unknown", "send Patient.birthDate"),
                         origin="bundle")  # fmt: skip
    if patient.get("deceasedBoolean") or patient.get("deceasedDateTime"):
        r.note(
            f"{who.loc}.deceased",
            "the patient is recorded as deceased",
            severity="warning",
            code="business-rule",
        )
    for flag, key in (("pregnant", "pregnant"), ("breastfeeding", "breastfeeding"),
                      ("planning-pregnancy", "planning_pregnancy")):  # fmt: skip
        if _ext(patient, flag):
            data[key] = True
    medicines: list[tuple[str, dict[str, Any], str]] = []  # (loc, medication, when)
    for loc, _, res in entries:
        kind = res["resourceType"]
        if loc == who.loc:
            continue
        if not _about_patient(loc, res, targets, r):
            continue
        if kind == "Condition":
            c = r.condition(loc, res)
            if c:
                data["conditions"].append(c)
        elif kind in ("MedicationStatement", "MedicationRequest"):
            m = r.medication(loc, res)
            if m:
                medicines.append(
                    (
                        loc,
                        m,
                        _when(
                            res,
                            "authoredOn",
                            "dateAsserted",
                            "effectivePeriod",
                            "effectiveDateTime",
                        ),
                    )
                )
        elif kind == "Observation":
            r.observation(loc, res, data)
        elif kind == "QuestionnaireResponse":
            r.questionnaire(loc, res, data)
        elif kind == "AllergyIntolerance":
            r.allergy(loc, res, data)
        elif kind == "Medication" or kind in _IGNORED:
            continue  # Medications: after the statements that refer to them; the rest below
        elif kind in ("MedicationDispense", "MedicationAdministration"):
            concept, _ = r.medicine_concept(loc, res)
            codes = tuple(
                (str(c.get("system") or ""), str(c["code"]))
                for c in _codes(concept)
                if c.get("code")
            )
            match = identify(_concept_text(concept), codes=codes)
            why = f"a {kind} of {_concept_text(concept) or 'a medicine'}; ldn reads the medication list " \
                  "(MedicationStatement, MedicationRequest)"  # fmt: skip
            r.keep(loc, res, why)
            if match.contains_opioid or match.contains_naltrexone:
                r.note(loc, f"an opioid or naltrexone in a {kind} was not read into the medication list: "
                       "check for recent use", severity="warning", code="business-rule")  # fmt: skip
        else:
            r.keep(loc, res, f"ldn does not read {kind} resources")
    for loc, _, res in entries:  # resources of ignored types, Medications nobody referred to
        kind = res["resourceType"]
        if kind == "Medication" and id(res) not in r.referred:
            r.ignore(
                loc,
                "a Medication no MedicationStatement or MedicationRequest of the Bundle refers to",
            )
        elif kind in _IGNORED and loc not in r.fate:
            r.ignore(loc, _IGNORED[kind])
    data["medications"] = _dedupe_medicines(medicines, r)
    _observations_into(data, r)
    if r.problems:
        raise InputError(r.problems, origin="bundle")
    if extras:
        data.update(
            {
                k: v
                for k, v in _json(extras, f"{who.loc}.extension", "record-extras").items()
                if k in EXTRAS_FIELDS and v is not None
            }
        )
        _pain_into(data, r, from_ldn=True)
    elif current is not None:
        _merge(data, current, r)
    else:
        _pain_into(data, r, from_ldn=False)
    if r.notes:
        lines = [n for n in r.notes if n not in str(data.get("notes") or "")]
        data["notes"] = "\n".join([*([data["notes"]] if data.get("notes") else []), *lines])
    record = parse_patient(data, today=today, origin="bundle")
    ignored = sum(1 for fate in r.fate.values() if fate == "ignored")
    return BundleRead(record, who, _issues(r), tuple(r.kept), from_ldn, len(entries), ignored)


def _dedupe_medicines(
    medicines: list[tuple[str, dict[str, Any], str]], r: _Reader
) -> list[dict[str, Any]]:
    """One entry per medicine: repeated prescriptions (monthly refills) count once, a current
    one before a stopped one, else the newest."""
    groups: dict[tuple[Any, ...], list[tuple[str, dict[str, Any], str]]] = {}
    for item in medicines:
        m = item[1]
        key = (
            " ".join(str(m["name"]).lower().split()),
            tuple(sorted((c["system"], c["code"]) for c in m.get("codes", []))),
        )
        groups.setdefault(key, []).append(item)
    out = []
    for items in groups.values():
        best = max(items, key=lambda i: (i[1]["status"] != "stopped", i[2]))
        out.append(best[1])
        for loc, _, _ in items:
            if loc != best[0]:
                r.ignore(
                    loc,
                    "another statement or prescription of the same medicine; the most current was used",
                )
    return out


def _observations_into(data: dict[str, Any], r: _Reader) -> None:
    if "egfr" in r.newest:
        when, _, value, _ = r.newest["egfr"]
        data["renal_function"] = {"egfr_ml_min_1_73m2": value, "date": when[:10] or None}
    if "weight" in r.newest:
        data["weight_kg"] = r.newest["weight"][2]
    liver: dict[str, Any] = {}
    for key, field_ in (
        ("alt", "alt_u_per_l"),
        ("ast", "ast_u_per_l"),
        ("bilirubin", "bilirubin_umol_per_l"),
    ):
        if key in r.newest:
            when, _, value, high = r.newest[key]
            liver["date"] = max(str(liver.get("date") or ""), when[:10])
            liver[field_] = value
            if high:
                liver[
                    field_.replace("_u_per_l", "_uln_u_per_l").replace(
                        "_umol_per_l", "_uln_umol_per_l"
                    )
                ] = high
    if liver:
        data["liver_tests"] = liver


def _pain_into(data: dict[str, Any], r: _Reader, *, from_ldn: bool) -> None:
    scores = {w: r.newest[f"pain-{w}"] for w in ("average", "worst") if f"pain-{w}" in r.newest}
    if not scores:
        return
    if data.get("pain"):
        data["pain"] = {**data["pain"], **{f"{w}_nrs": s[2] for w, s in scores.items()}}
        if not from_ldn:
            for w, s in scores.items():
                r.note(s[1], f"used: the newest 0-10 pain score as the {w} pain")
        return
    for _, loc, _, res in scores.values():
        r.keep(loc, res, "a 0-10 pain score; the record has no pain history (duration, areas) to hold it: "
               "enter the pain history, then import again")  # fmt: skip


def _med_key(m: dict[str, Any]) -> str:
    return " ".join(str(m["name"]).lower().split())


def _merge(data: dict[str, Any], current: PatientRecord, r: _Reader) -> None:
    """A Bundle from another system into the matched patient's stored record."""
    old = current.model_dump(mode="json")
    for key in EXTRAS_FIELDS:
        if key not in data and old.get(key) not in (None, [], "", False):
            data[key] = old[key]
    for key in ("pregnant", "breastfeeding", "planning_pregnancy"):
        data.setdefault(key, old[key])
    data["display_name"] = data["display_name"] or old["display_name"]
    if data["sex"] == "unknown":
        data["sex"] = old["sex"]
    seen = {(i["system"], i["value"]) for i in data["identifiers"]}
    data["identifiers"] = [
        *[i for i in old["identifiers"] if (i["system"], i["value"]) not in seen],
        *data["identifiers"],
    ]
    data["questionnaires"] = {**old["questionnaires"], **data["questionnaires"]}
    # conditions and medicines the Bundle does not list stay (a clinician removes them)
    have = {(c["code"], c.get("display")) for c in data["conditions"]}
    kept_c = [c for c in old["conditions"] if (c["code"], c.get("display")) not in have]
    if kept_c:
        data["conditions"] += kept_c
        r.note("Bundle", "kept from ldn's record, not in the Bundle: conditions "
               + ", ".join(c.get("display") or CONDITIONS[c["code"]].display for c in kept_c))  # fmt: skip
    by_name = {_med_key(m): m for m in old["medications"]}
    for m in data["medications"]:
        before = by_name.pop(_med_key(m), None)
        if before is None:
            continue
        for key in (
            "review",
            "drug_class",
            "days_per_month",
            "months_of_regular_use",
            "last_dose",
            "dose",
            "indication",
        ):
            if m.get(key) in (None, "") and before.get(key) not in (None, ""):
                m[key] = before[key]
    if by_name:
        data["medications"] += list(by_name.values())
        r.note(
            "Bundle",
            "kept from ldn's record, not in the Bundle: medicines "
            + ", ".join(m["name"] for m in by_name.values()),
        )
    _pain_into(data, r, from_ldn=False)


def _issues(r: _Reader) -> tuple[ImportIssue, ...]:
    return tuple(
        ImportIssue(severity, code, message, tuple(locs))
        for (severity, code, message), locs in r.issues.items()
    )


def issues_outcome(read: BundleRead) -> dict[str, Any]:
    """The answer's OperationOutcome: a summary, then one issue per reason naming its entries."""
    kept, ignored = len(read.kept), read.ignored
    summary = (f"{read.entries} entries: {read.entries - kept - ignored} used, {kept} kept with the record "
               f"without being used, {ignored} ignored (each listed below with the reason)")  # fmt: skip
    issues: list[dict[str, Any]] = [
        {"severity": "information", "code": "informational", "diagnostics": summary}
    ]
    for i in read.issues:
        issues.append({"severity": i.severity, "code": i.code, "diagnostics": i.message,
                       **({"expression": list(i.locs)} if i.locs else {})})  # fmt: skip
    return {"resourceType": "OperationOutcome", "issue": issues}


def bundle_to_record(bundle: dict[str, Any], *, today: date, strict: bool = True) -> PatientRecord:
    """A validated patient record from a FHIR Bundle (:class:`InputError` names what is wrong).

    ``strict`` is kept for callers; nothing is refused for being unreadable any more (a condition
    coded only in a local system becomes ``other``; see :func:`read_bundle`)."""
    del strict
    return read_bundle(bundle, today=today).record
