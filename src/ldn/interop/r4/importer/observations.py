"""Observation → the record's results: LOINC pain 0-10 (72514-3), body weight, ALT, AST, total
bilirubin (umol/L, or mg/dL converted), eGFR; the newest of each is used, the older ones are
ignored (in the account).

A pain score needs a pain history (duration, areas) in the record to hold it: without one it is
kept for the clinician. A questionnaire score (category ``survey``) is kept: ldn scores its
instruments from their item answers.
"""

from __future__ import annotations

from typing import Any

from ldn.interop.r4.codes import (
    LDN_OBSERVATION,
    LOINC,
    LOINC_BILIRUBIN_MG_DL,
    LOINC_CODES,
    LOINC_EGFR,
)
from ldn.interop.r4.importer.account import Reader
from ldn.interop.r4.importer.elements import codes, concept_text, status_code, when

__all__ = ["observations_into", "pain_into", "read_observation"]

_LOINC = {v[0]: k for k, v in LOINC_CODES.items()}
#: mg/dL -> umol/L for total bilirubin (molar mass 584.7 g/mol)
_BILIRUBIN_MG_DL = 17.1
_WEIGHT_UNITS = {"kg": 1.0, "g": 0.001, "[lb_av]": 0.45359237, "lb": 0.45359237, "lbs": 0.45359237}
#: pain scores: LOINC 0-10 NRS (ldn's own codes tell the week's average from the worst)
_PAIN = LOINC_CODES["pain_nrs"][0]
_LIVER = {LOINC_CODES[k][0] for k in ("alt", "ast", "bilirubin")} | {LOINC_BILIRUBIN_MG_DL}
_USED = {_PAIN} | LOINC_EGFR | set(_LOINC) | {LOINC_BILIRUBIN_MG_DL}
#: the newest result's key, and the record's field for it
_LIVER_FIELDS = (
    ("alt", "alt_u_per_l"),
    ("ast", "ast_u_per_l"),
    ("bilirubin", "bilirubin_umol_per_l"),
)


def _liver_key(loinc: set[str]) -> str:
    """The result's key: bilirubin for total bilirubin in mg/dL, else the LOINC code's."""
    if LOINC_BILIRUBIN_MG_DL in loinc:
        return "bilirubin"
    return _LOINC[next(iter(loinc & set(_LOINC)))]


def _liver_test(
    r: Reader, loc: str, res: dict[str, Any], *, loinc: set[str], value: Any, effective: str
) -> None:
    """ALT, AST or total bilirubin (mg/dL × 17.1 → umol/L), with the reference range's upper
    limit when there is one."""
    key = _liver_key(loinc)
    in_mg_dl = LOINC_BILIRUBIN_MG_DL in loinc and not loinc & {LOINC_CODES["bilirubin"][0]}
    factor = _BILIRUBIN_MG_DL if in_mg_dl else 1.0
    high = ((res.get("referenceRange") or [{}])[0].get("high") or {}).get("value")
    r.newer(
        key,
        effective or r.today.isoformat(),
        loc,
        round(float(value) * factor, 2),
        round(float(high) * factor, 2) if high else None,
    )


def read_observation(r: Reader, loc: str, res: dict[str, Any]) -> None:
    """An Observation into the account's newest results (or kept, or ignored); the results go
    into the record once every entry is read (:func:`observations_into`, :func:`pain_into`)."""
    if not r.required(loc, res, "status", res.get("status")):
        return
    if res.get("status") in ("entered-in-error", "cancelled"):
        r.ignore(loc, f"the Observation is {res['status']}")
        return
    coded = {(c.get("system"), str(c.get("code") or "")) for c in codes(res.get("code"))}
    loinc = {code for system, code in coded if system == LOINC}
    ldn = {code for system, code in coded if system == LDN_OBSERVATION}
    quantity = res.get("valueQuantity") or {}
    value = quantity.get("value")
    effective = when(res, "effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued")
    label = (
        concept_text(res.get("code"))
        or ", ".join(sorted(f"{s} {c}" for s, c in coded))
        or "no code"
    )
    if any(c.startswith("instrument-total-") for c in ldn):
        r.ignore(loc, "an instrument total: ldn scores the instrument from its answers")
    elif "diary-pain-average" in ldn:
        r.ignore(loc, "a day of ldn's pain diary: the diary is kept by the diary, not the record")
    elif value is None:
        if loinc & _USED:
            r.ignore(loc, "the Observation has no value (valueQuantity)")
        else:
            r.ignore(loc, f"ldn does not use this Observation ({label})")
    elif loinc & LOINC_EGFR:
        r.newer("egfr", effective, loc, float(value))
    elif _PAIN in loinc:
        key = "pain-worst" if "pain-worst-7d" in ldn else "pain-average"
        r.newer(key, effective, loc, float(value), res)
    elif LOINC_CODES["weight"][0] in loinc:
        unit = str(quantity.get("code") or quantity.get("unit") or "kg")
        factor = _WEIGHT_UNITS.get(unit)
        if factor is None:
            r.keep(loc, res, f"a body weight in {unit!r}, a unit ldn does not convert")
        else:
            r.newer("weight", effective, loc, round(float(value) * factor, 2))
    elif loinc & _LIVER:
        _liver_test(r, loc, res, loinc=loinc, value=value, effective=effective)
    elif any(status_code(c) == "survey" for c in res.get("category") or []):
        why = f"a questionnaire score ({label}); ldn scores its instruments from item answers"
        r.keep(loc, res, why)
    else:
        r.ignore(loc, f"ldn does not use this Observation ({label})")


def observations_into(data: dict[str, Any], r: Reader) -> None:
    """The newest eGFR, weight and liver tests into the record ``data``."""
    if "egfr" in r.newest:
        effective, _, value, _ = r.newest["egfr"]
        data["renal_function"] = {"egfr_ml_min_1_73m2": value, "date": effective[:10] or None}
    if "weight" in r.newest:
        data["weight_kg"] = r.newest["weight"][2]
    liver: dict[str, Any] = {}
    for key, field_ in _LIVER_FIELDS:
        if key in r.newest:
            effective, _, value, high = r.newest[key]
            liver["date"] = max(str(liver.get("date") or ""), effective[:10])
            liver[field_] = value
            if high:
                uln = field_.replace("_u_per_l", "_uln_u_per_l")
                liver[uln.replace("_umol_per_l", "_uln_umol_per_l")] = high
    if liver:
        data["liver_tests"] = liver


def pain_into(data: dict[str, Any], r: Reader, *, from_ldn: bool) -> None:
    """The newest 0-10 pain scores into the record's pain history; without one they are kept
    (a score alone cannot make a pain history)."""
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
        r.keep(
            loc,
            res,
            "a 0-10 pain score; the record has no pain history (duration, areas) to hold it: "
            "enter the pain history, then import again",
        )
