"""A Bundle from another system into the stored record of the patient it was matched to.

What the Bundle cannot carry (pain history, prior treatments, flags, questionnaires) stays;
medicines and conditions the Bundle does not list are kept (and listed, for a clinician to
remove), and a clinician's review of a medicine carries over.
"""

from __future__ import annotations

from typing import Any

from ldn.domain.patient import PatientRecord
from ldn.domain.vocabulary import CONDITIONS
from ldn.interop.r4.export import EXTRAS_FIELDS
from ldn.interop.r4.importer.account import Reader
from ldn.interop.r4.importer.observations import pain_into

__all__ = ["merge"]

#: what a medicine the Bundle lists again takes from the stored one when the Bundle lacks it
_CARRIED_OVER = (
    "review",
    "drug_class",
    "days_per_month",
    "months_of_regular_use",
    "last_dose",
    "dose",
    "indication",
)


def _med_key(m: dict[str, Any]) -> str:
    return " ".join(str(m["name"]).lower().split())


def _merge_conditions(data: dict[str, Any], old: dict[str, Any], r: Reader) -> None:
    have = {(c["code"], c.get("display")) for c in data["conditions"]}
    kept = [c for c in old["conditions"] if (c["code"], c.get("display")) not in have]
    if kept:
        data["conditions"] += kept
        names = ", ".join(c.get("display") or CONDITIONS[c["code"]].display for c in kept)
        r.note("Bundle", f"kept from ldn's record, not in the Bundle: conditions {names}")


def _merge_medicines(data: dict[str, Any], old: dict[str, Any], r: Reader) -> None:
    by_name = {_med_key(m): m for m in old["medications"]}
    for m in data["medications"]:
        before = by_name.pop(_med_key(m), None)
        if before is None:
            continue
        for key in _CARRIED_OVER:
            if m.get(key) in (None, "") and before.get(key) not in (None, ""):
                m[key] = before[key]
    if by_name:
        data["medications"] += list(by_name.values())
        names = ", ".join(m["name"] for m in by_name.values())
        r.note("Bundle", f"kept from ldn's record, not in the Bundle: medicines {names}")


def merge(data: dict[str, Any], current: PatientRecord, r: Reader) -> None:
    """A Bundle from another system (read into ``data``) into the matched patient's stored
    record ``current``."""
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
    _merge_conditions(data, old, r)
    _merge_medicines(data, old, r)
    pain_into(data, r, from_ldn=False)
