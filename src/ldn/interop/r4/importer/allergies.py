"""AllergyIntolerance: to naltrexone it sets ``naltrexone_hypersensitivity``; to an opioid it is
noted in the record's notes (and kept); any other is kept for the clinician.

The substance is identified by the medicine knowledge base from its text and its RxNorm or ATC
codes; a text naming opioids, opiates or narcotics counts as an opioid allergy.
"""

from __future__ import annotations

import re
from typing import Any

from ldn.domain.medicines import identify
from ldn.interop.r4.codes import ATC, RXNORM
from ldn.interop.r4.importer.account import Reader
from ldn.interop.r4.importer.elements import codes, concept_text, status_code

__all__ = ["read_allergy"]

_OPIOID_WORDS = re.compile(r"\b(opioid|opiate|narcotic)s?\b")


def _checked(r: Reader, loc: str, res: dict[str, Any]) -> bool:
    """Every coded element within its required binding (each one that is not is a problem)."""
    clinical = status_code(res.get("clinicalStatus"))
    verification = status_code(res.get("verificationStatus"))
    ok = r.required(loc, res, "clinicalStatus", clinical)
    ok = r.required(loc, res, "verificationStatus", verification) and ok
    ok = r.required(loc, res, "type", res.get("type")) and ok
    return r.required(loc, res, "criticality", res.get("criticality")) and ok


def read_allergy(r: Reader, loc: str, res: dict[str, Any], data: dict[str, Any]) -> None:
    """An AllergyIntolerance into the record ``data`` (or the account)."""
    if not _checked(r, loc, res):
        return
    clinical = status_code(res.get("clinicalStatus"))
    verification = status_code(res.get("verificationStatus"))
    if verification in ("refuted", "entered-in-error"):
        r.ignore(loc, f"the allergy is {verification}")
        return
    if clinical in ("inactive", "resolved"):
        r.keep(loc, res, f"the allergy or intolerance is {clinical}")
        return
    text = concept_text(res.get("code"))
    coded = tuple(
        (str(c.get("system") or ""), str(c["code"]))
        for c in codes(res.get("code"))
        if c.get("code") and c.get("system") in (RXNORM, ATC)
    )
    match = identify(text, codes=coded)
    what = text or (f"{coded[0][0]} {coded[0][1]}" if coded else "an unnamed substance")
    kind = res.get("type") or "allergy or intolerance"
    if match.contains_naltrexone:
        data["naltrexone_hypersensitivity"] = True
        r.note(
            loc,
            "used: a recorded naltrexone allergy or intolerance sets naltrexone hypersensitivity",
        )
    elif match.contains_opioid or _OPIOID_WORDS.search(text.lower()):
        criticality = f" (criticality {res['criticality']})" if res.get("criticality") else ""
        r.notes.append(f"{kind.capitalize()} to {what} recorded in the EHR{criticality}")
        r.keep(
            loc,
            res,
            "an opioid allergy or intolerance (noted in the record's notes)",
            listed="noted: an opioid allergy or intolerance was added to the record's notes and kept",
        )
    else:
        why = f"an allergy or intolerance to {what}, which ldn's screen does not use"
        r.keep(loc, res, why)
