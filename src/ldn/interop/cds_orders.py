"""CDS Hooks ``order-select`` / ``order-sign`` checks (source: ``cds-hooks-2``): a draft
naltrexone order in a patient who took an opioid inside the washout window → a **critical** card;
a draft opioid order in a patient on naltrexone → a **warning** card. A medicine that cannot be
read is named, never silently dropped (fail closed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from ldn.domain.errors import InputError
from ldn.domain.medicines import MedicineMatch, identify
from ldn.domain.patient import PatientRecord
from ldn.domain.safety import STOP_BEFORE_SURGERY_D, safety_findings
from ldn.interop.cds_request import HookRequest, build_record, prefetch_resources, prefetched
from ldn.interop.cds_services import card

__all__ = ["order_check"]


@dataclass(frozen=True, slots=True)
class _Draft:
    name: str
    match: MedicineMatch

    @property
    def naltrexone(self) -> bool:
        return self.match.contains_naltrexone

    @property
    def opioid(self) -> bool:
        return self.match.contains_opioid

    @property
    def unread(self) -> bool:
        return self.match.status != "recognised" and not (self.opioid or self.naltrexone)


def _drafts(req: HookRequest) -> list[_Draft]:
    orders = prefetch_resources(req.context.get("draftOrders")) or []
    chosen = req.context.get("selections") or []
    if not isinstance(chosen, list) or not all(isinstance(x, str) for x in chosen):
        raise InputError.at(
            "context.selections",
            "selections must be a list of references such as 'MedicationRequest/1'",
            "send the ids of the selected draft orders as strings",
        )
    selected = set(chosen)
    out = []
    for i, r in enumerate(orders):
        if r.get("resourceType") != "MedicationRequest":
            continue
        if selected and f"MedicationRequest/{r.get('id')}" not in selected:
            continue
        concept = r.get("medicationCodeableConcept") or {}
        codings = [c for c in concept.get("coding") or [] if isinstance(c, dict)]
        name = concept.get("text") or next(
            (c.get("display") for c in codings if c.get("display")), ""
        )
        codes = tuple(
            (str(c.get("system") or ""), str(c.get("code") or "")) for c in codings if c.get("code")
        )
        out.append(_Draft(name or f"order {i + 1} (no name)", identify(name or "", codes=codes)))
    return out


#: findings that make a draft naltrexone order unsafe or uncertain (critical: inside a washout)
_ORDER_FINDINGS: dict[str, Literal["warning", "critical"]] = {
    "SAFETY_OPIOID_WASHOUT": "critical", "SAFETY_OPIOID_DEPOT": "critical",
    "SAFETY_OPIOID_LAST_DOSE_UNKNOWN": "warning", "MEDICATION_NOT_IDENTIFIED": "warning",
    "SAFETY_ALREADY_ON_NALTREXONE": "warning", "SAFETY_OPIOID_CONSTIPATION_MEDICINE": "warning",
    "SAFETY_URINE_OPIOID_POSITIVE": "critical", "SAFETY_NALOXONE_CHALLENGE_POSITIVE": "critical",
}  # fmt: skip
_ORDER_TITLES = {
    "SAFETY_OPIOID_WASHOUT": "Naltrexone order: opioid inside the washout window (earliest start {earliest})",
    "SAFETY_OPIOID_DEPOT": "Naltrexone order: depot or implant opioid, interval needs a clinician",
    "SAFETY_OPIOID_LAST_DOSE_UNKNOWN": "Naltrexone order: date of the last opioid dose unknown",
    "MEDICATION_NOT_IDENTIFIED": "Naltrexone order: a current medicine could not be identified",
    "SAFETY_ALREADY_ON_NALTREXONE": "Naltrexone order: the patient already takes naltrexone",
    "SAFETY_OPIOID_CONSTIPATION_MEDICINE": "Naltrexone order: a medicine for opioid-induced constipation suggests opioid use",
    "SAFETY_URINE_OPIOID_POSITIVE": "Naltrexone order: positive urine opioid screen",
    "SAFETY_NALOXONE_CHALLENGE_POSITIVE": "Naltrexone order: failed naloxone challenge",
}  # fmt: skip


def _med_name(r: dict[str, Any]) -> str:
    concept = r.get("medicationCodeableConcept")
    concept = concept if isinstance(concept, dict) else {}
    codings = [c for c in concept.get("coding") or [] if isinstance(c, dict)]
    name = concept.get("text") or next(
        (c.get("display") for c in codings if c.get("display")), None
    )
    return str(name or f"MedicationStatement/{r.get('id', '?')}")[:100]


def _order_record(
    resources: list[dict[str, Any]], *, today: date
) -> tuple[PatientRecord | None, list[str]]:
    """The record for an order check, and the medicines that could not be read. One unreadable
    medicine must not silence the others (fail closed): it is left out by name, and the rest
    are still checked; None only when the patient's record cannot be read at all."""
    try:
        return build_record(resources, today), []
    except InputError:
        pass
    others = [r for r in resources if r.get("resourceType") != "MedicationStatement"]
    readable, unread = [], []
    for m in (r for r in resources if r.get("resourceType") == "MedicationStatement"):
        try:
            build_record([*others, m], today)
        except InputError:
            unread.append(_med_name(m))
        else:
            readable.append(m)
    try:
        return build_record([*others, *readable], today), unread
    except InputError:
        return None, unread


def _unread_card(names: list[str]) -> dict[str, Any]:
    listed = ", ".join(repr(n) for n in names[:5]) + (
        f" and {len(names) - 5} more" if len(names) > 5 else ""
    )
    return card(
        f"Naltrexone order: {len(names)} medicine(s) in the record could not be read",
        "warning",
        f"ldn could not read {listed}, so it cannot rule out that one is an opioid. Check them (including "
        "patches and depots) and their last dose before ordering naltrexone.",
        ["revia-label-2013"],
    )


def _naltrexone_order_cards(record: PatientRecord | None, *, today: date) -> list[dict[str, Any]]:
    if record is None:
        return [
            card(
                "Naltrexone order: the patient's medicines could not be read",
                "warning",
                "ldn could not read the prefetched medications, so it cannot rule out recent opioid use. "
                "Check for opioids (including patches and depots) and their last dose before ordering naltrexone.",
                ["revia-label-2013"],
            )
        ]
    cards = []
    for f in safety_findings(record, today=today):
        indicator = _ORDER_FINDINGS.get(f.code)
        if indicator is not None:
            title = _ORDER_TITLES[f.code].format(earliest=f.earliest_start)
            detail = f"{f.message}\n\n**Next step:** {f.fix}"
            cards.append(card(title, indicator, detail, f.source_ids))
    return cards


def order_check(service_id: str, req: HookRequest, *, today: date) -> dict[str, Any]:
    resources = prefetched(service_id, req)
    drafts = _drafts(req)
    if not drafts:
        return {"cards": []}
    record, unread = _order_record(resources, today=today)
    cards: list[dict[str, Any]] = []
    if any(d.naltrexone for d in drafts):
        cards += _naltrexone_order_cards(record, today=today)
        if unread and record is not None:
            cards.append(_unread_card(unread))
    on_ldn = record is not None and any(
        m.status != "stopped" and "naltrexone" in m.classes for m in record.medications
    )
    for d in drafts:
        if d.opioid and on_ldn:
            cards.append(
                card(
                    f"Opioid order ({d.name}) in a patient taking naltrexone",
                    "warning",
                    f"Naltrexone, even at low dose, blocks opioid analgesia and the patient may get little pain relief "
                    f"from {d.name} ({d.match.explanation()}). For planned opioid use, stop LDN at least "
                    f"{STOP_BEFORE_SURGERY_D.value} days before; in an emergency, opioid needs may be higher and need monitoring.",
                    STOP_BEFORE_SURGERY_D.sources,
                )
            )
        elif d.opioid and unread:
            cards.append(
                card(
                    f"Opioid order ({d.name}): {len(unread)} medicine(s) in the record could not be read",
                    "warning",
                    f"ldn could not read {', '.join(repr(n) for n in unread[:5])}: if one is naltrexone, it blocks "
                    f"{d.name}. Check them before ordering.",
                    ("revia-label-2013",),
                )
            )
        elif d.unread and (on_ldn or record is None):
            cards.append(
                card(
                    f"Order {d.name!r}: ldn cannot identify this medicine",
                    "warning",
                    f"ldn could not identify {d.name!r} ({d.match.explanation()}). The patient "
                    f"{'takes naltrexone' if on_ldn else 'may take naltrexone (medicines unreadable)'}: if it contains an "
                    "opioid, naltrexone blocks it. Check its ingredients.",
                    ("revia-label-2013",),
                )
            )
    return {"cards": cards}
