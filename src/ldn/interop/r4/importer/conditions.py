"""Condition → a condition of the record: ldn, ICD-10, ICD-10-CM or SNOMED CT codes.

A code ldn does not list, or a condition coded only in a local system, becomes ``other`` with
its text (the latter with a warning): nothing is refused for being unreadable. A condition
entered in error or refuted is ignored.
"""

from __future__ import annotations

from typing import Any

from ldn.domain.vocabulary import CONDITIONS
from ldn.interop.r4.codes import ICD10, ICD10_CM, LDN_CONDITION, SNOMED
from ldn.interop.r4.importer.account import Reader
from ldn.interop.r4.importer.elements import codes, status_code

__all__ = ["read_condition"]

_KNOWN = {LDN_CONDITION, ICD10, ICD10_CM, SNOMED}
#: ICD-10 codes too vague to name an ldn condition on their own (R52 pain NOS, M79.6 pain in
#: limb): they import as "other" with their text rather than tilt the screen towards LDN
#: (an ldn-assumption; the codes as in icd10-who-2019)
_VAGUE_ICD = frozenset({"R52", "M79.6"})
_BY_ICD: dict[str, str] = {}
# the first listed wins where two share a code (both radiculopathies: neuropathic)
for _c in CONDITIONS.values():
    if _c.icd10 and _c.icd10.removesuffix("-CM") not in _VAGUE_ICD:
        _BY_ICD.setdefault(_c.icd10.removesuffix("-CM"), _c.code)
_BY_SNOMED = {c.snomed: c.code for c in CONDITIONS.values() if c.snomed}
_RESOLVED = ("resolved", "inactive", "remission")
_SUSPECTED = ("provisional", "differential", "unconfirmed")


def _ldn_code(codings: list[dict[str, Any]]) -> str | None:
    """ldn's own code, else the first ICD-10 (the exact code, else its category: M17.1 primary
    knee OA → M17) or SNOMED CT code ldn lists."""
    code = next(
        (
            str(c["code"])
            for c in codings
            if c.get("system") == LDN_CONDITION and c.get("code") in CONDITIONS
        ),
        None,
    )
    if code is not None:
        return code
    for c in codings:
        system, value = c.get("system"), str(c.get("code", ""))
        if system in (ICD10, ICD10_CM):
            code = _BY_ICD.get(value) or _BY_ICD.get(value.split(".")[0])
        elif system == SNOMED:
            code = _BY_SNOMED.get(value)
        if code:
            return code
    return code


def _other_text(codings: list[dict[str, Any]], text: str | None) -> str:
    """The text of a condition kept as ``other``: its text, a display, else its first code."""
    if text:
        return text
    display: str | None = next((c.get("display") for c in codings if c.get("display")), None)
    if display:
        return display
    first = next((c for c in codings if c.get("code")), {})
    if not first:
        return "condition"
    return f"condition {first.get('system', '')} {first.get('code', '')}".strip()


def read_condition(r: Reader, loc: str, res: dict[str, Any]) -> dict[str, Any] | None:
    """The record's condition from a Condition (None when refused or ignored, in the account)."""
    clinical = status_code(res.get("clinicalStatus"))
    verification = status_code(res.get("verificationStatus"))
    ok = r.required(loc, res, "clinicalStatus", clinical)
    ok = r.required(loc, res, "verificationStatus", verification) and ok
    if not ok:
        return None
    if verification in ("entered-in-error", "refuted"):
        r.ignore(loc, f"the condition is {verification}")
        return None
    codings = codes(res.get("code"))
    text = (res.get("code") or {}).get("text")
    code = _ldn_code(codings)
    if code is None:
        text = _other_text(codings, text)
        if not any(c.get("system") in _KNOWN for c in codings):
            r.note(
                f"{loc}.code",
                "a condition coded only in a system ldn does not read was kept as 'other' "
                "with its text: check it (ldn reads ICD-10, ICD-10-CM and SNOMED CT)",
                severity="warning",
                code="code-invalid",
            )
        code = "other"
    if clinical is None and res.get("abatementDateTime"):
        clinical = "resolved"
    if clinical in _RESOLVED:
        status = "resolved"
    elif verification in _SUSPECTED:
        status = "suspected"
    else:
        status = "active"
    out: dict[str, Any] = {"code": code, "status": status}
    onset = str(res.get("onsetDateTime") or (res.get("onsetPeriod") or {}).get("start") or "")[:10]
    if onset:
        out["onset"] = onset
    if text and (code == "other" or text != CONDITIONS[code].display):
        out["display"] = text
    return out
