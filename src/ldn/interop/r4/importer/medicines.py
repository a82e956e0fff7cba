"""MedicationStatement and MedicationRequest → the record's medication list: the opioid and
naltrexone safety door of an import.

The medicine is the coded concept, or a ``medicationReference`` to a Medication in the Bundle
or among the resource's contained resources (its ingredients' codes too). Codes go to the
medicine knowledge base, so RxNorm or ATC alone identify an opioid. The door fails closed:
every path that could hide an opioid ends in the medication list (and so on the screen, which
sends what it cannot identify to the clinician) or in a warning:

- a medicine without a name is kept by its code, or as "unnamed medicine (...)";
- a reference that does not resolve is kept unnamed, with a warning;
- a code ldn does not know is kept with the medicine (the screen reviews unknown medicines);
- a resource that is not valid FHIR, or a status outside its required binding, refuses the
  Bundle (named), never drops the medicine;
- a MedicationDispense or MedicationAdministration is kept unread, with a warning when it holds
  an opioid or naltrexone.

Only an entered-in-error, not-taken or cancelled statement is ignored (in the account).
Repeated prescriptions of one medicine (monthly refills) count once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ldn.domain.medicines import identify
from ldn.interop.r4.codes import UCUM_UNITS
from ldn.interop.r4.importer.account import Reader
from ldn.interop.r4.importer.elements import codes, concept_text, ext, ext_json, when

__all__ = [
    "MedicineEntry",
    "dedupe_medicines",
    "keep_medicine_event",
    "medicine_concept",
    "medicine_when",
    "read_medication",
]

#: (loc, the record's medication, when it was written or asserted)
MedicineEntry = tuple[str, dict[str, Any], str]

_UNITS = {v: k for k, v in UCUM_UNITS.items()}
_ROUTES = {"oral", "transdermal", "sublingual", "iv", "im", "sc", "intranasal", "rectal"}
_IGNORED_STATUSES = ("entered-in-error", "not-taken", "cancelled")
#: ldn's extensions on a medicine, and the record's field for each
_EXTENSIONS = (
    ("drug-class", "drug_class"),
    ("days-per-month", "days_per_month"),
    ("months-of-regular-use", "months_of_regular_use"),
)


def medicine_concept(r: Reader, loc: str, res: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """(the medicine's concept, a note on where it came from) — a reference is resolved
    within the Bundle (or the resource's contained resources)."""
    concept = res.get("medicationCodeableConcept")
    if concept is not None and not isinstance(concept, dict):
        return _malformed(r, f"{loc}.medicationCodeableConcept", concept, "a CodeableConcept")
    if concept:
        return concept, ""
    reference = res.get("medicationReference") or {}
    if not isinstance(reference, dict):
        return _malformed(r, f"{loc}.medicationReference", reference, "a Reference")
    ref = str(reference.get("reference") or "")
    target = r.resolve(ref, res) if ref else None
    if target is None or target.get("resourceType") != "Medication":
        shown = ref or reference.get("display") or "no reference"
        r.note(
            f"{loc}.medicationReference",
            "the Medication referred to is not in the Bundle: the medicine "
            "was kept unnamed, for the clinician to identify",
            severity="warning",
            code="not-found",
        )
        display = reference.get("display")
        return ({"text": display} if display else {"coding": []}), f"reference {shown}"
    concept = dict(target.get("code") or {})
    coding = list(codes(concept))
    for ing in target.get("ingredient") or []:  # ingredients' codes help the knowledge base
        coding += codes(ing.get("itemCodeableConcept"))
    concept["coding"] = coding
    return concept, ""


def _malformed(r: Reader, loc: str, value: Any, kind: str) -> tuple[dict[str, Any], str]:
    """A medicine element that is not the JSON object FHIR requires (only resources ldn keeps
    unread are checked this shallowly): its text is still read, so an opioid named in it is
    found, and the clinician is told. Fails closed: never dropped, never a crash."""
    r.note(
        loc,
        f"not {kind} (a JSON object): the medicine was read from its text, for the clinician "
        "to check",
        severity="warning",
        code="structure",
    )
    text = value if isinstance(value, str) else ""
    return ({"text": text} if text else {"coding": []}), f"malformed {loc.rsplit('.', 1)[1]}"


def _unnamed(codings: list[dict[str, Any]], origin: str) -> str:
    """The name of a medicine without one: fail closed, so the screen sends it to the
    clinician instead of dropping it."""
    if origin:
        return f"unnamed medicine ({origin})"
    first = codings[0] if codings else {}
    return f"unnamed medicine ({first.get('system', 'no code')} {first.get('code', '')})".strip()


def _last_dose(res: dict[str, Any]) -> date | datetime | None:
    """The last dose: ldn's extension, else a period's end (effectiveDateTime may be when the
    medicine was started, so it is not one)."""
    last = ext(res, "last-dose-local") or (res.get("effectivePeriod") or {}).get("end")
    if not last:
        return None
    text = str(last)
    if "T" in text:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    return date.fromisoformat(text[:10])


def read_medication(r: Reader, loc: str, res: dict[str, Any]) -> dict[str, Any] | None:
    """The record's medication from a MedicationStatement or MedicationRequest (None when
    refused or ignored, in the account)."""
    kind = res["resourceType"]
    status = res.get("status")
    if not r.required(loc, res, "status", status):
        return None
    if kind == "MedicationRequest" and not r.required(loc, res, "intent", res.get("intent")):
        return None
    if status in _IGNORED_STATUSES:
        r.ignore(loc, f"the {kind} is {status}")
        return None
    concept, origin = medicine_concept(r, loc, res)
    codings = [c for c in codes(concept) if c.get("code")]
    if ext(res, "drug-class") is not None:
        # ldn's own export: skip the coding ldn added itself
        codings = [c for c in codings if c.get("userSelected") is not False]
    display = next((c.get("display") for c in codings if c.get("display")), None)
    name = concept.get("text") or display or _unnamed(codings, origin)
    dosage = ((res.get("dosage") or res.get("dosageInstruction") or [{}])[0]) or {}
    if status in ("stopped", "completed"):
        taken = "stopped"
    elif dosage.get("asNeededBoolean"):
        taken = "as_needed"
    else:
        taken = "current"
    out: dict[str, Any] = {"name": name, "status": taken}
    if codings:
        out["codes"] = [
            {
                "system": str(c.get("system") or "unknown"),
                "code": str(c["code"]),
                "display": str(c.get("display") or ""),
            }
            for c in codings
        ]
    review = ext(res, "medication-review")
    if review:
        out["review"] = ext_json(review, f"{loc}.extension", "medication-review")
    dq = ((dosage.get("doseAndRate") or [{}])[0]).get("doseQuantity")
    if dq and dq.get("value") and (dq.get("code") in _UNITS or dq.get("unit") in UCUM_UNITS):
        out["dose"] = {"value": dq["value"], "unit": _UNITS.get(dq.get("code"), dq.get("unit"))}
    if dosage.get("text"):
        out["frequency"] = dosage["text"]
    route = str((dosage.get("route") or {}).get("text") or "oral").lower()
    out["route"] = route if route in _ROUTES else "other"
    for extension, key in _EXTENSIONS:
        value = ext(res, extension)
        if value is not None:
            out[key] = value
    last = _last_dose(res)
    if last is not None:
        out["last_dose"] = last
    reasons = [reason.get("text") for reason in res.get("reasonCode") or [] if reason.get("text")]
    if reasons:
        out["indication"] = reasons[0]
    return out


def medicine_when(res: dict[str, Any]) -> str:
    """When a statement or prescription was written or asserted (to choose among repeats)."""
    return when(res, "authoredOn", "dateAsserted", "effectivePeriod", "effectiveDateTime")


def keep_medicine_event(r: Reader, loc: str, res: dict[str, Any]) -> None:
    """A MedicationDispense or MedicationAdministration: kept, not read into the medication
    list; an opioid or naltrexone in it is a warning (check for recent use)."""
    kind = res["resourceType"]
    concept, _ = medicine_concept(r, loc, res)
    text = concept_text(concept)
    coded = tuple(
        (str(c.get("system") or ""), str(c["code"])) for c in codes(concept) if c.get("code")
    )
    match = identify(text, codes=coded)
    why = (
        f"a {kind} of {text or 'a medicine'}; ldn reads the medication list "
        "(MedicationStatement, MedicationRequest)"
    )
    r.keep(loc, res, why)
    if match.contains_opioid or match.contains_naltrexone:
        r.note(
            loc,
            f"an opioid or naltrexone in a {kind} was not read into the medication list: "
            "check for recent use",
            severity="warning",
            code="business-rule",
        )


def dedupe_medicines(medicines: list[MedicineEntry], r: Reader) -> list[dict[str, Any]]:
    """One entry per medicine: repeated prescriptions (monthly refills) count once, a current
    one before a stopped one, else the newest."""
    groups: dict[tuple[Any, ...], list[MedicineEntry]] = {}
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
                    "another statement or prescription of the same medicine; "
                    "the most current was used",
                )
    return out
