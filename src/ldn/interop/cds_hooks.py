"""CDS Hooks 2.0 services: LDN candidacy at ``patient-view``, safety checks at ``order-select``
and ``order-sign`` (source: ``cds-hooks-2``).

* ``ldn-candidacy`` (patient-view): the prefetched Patient, Conditions, MedicationStatements and
  Observations become an ldn patient record (:mod:`ldn.interop.r4.importer`), which is screened;
  one card gives the verdict, one card per blocking or cautionary finding gives its reason with
  the citation as the card's ``source``.
* ``ldn-order-select`` / ``ldn-order-sign``: a draft naltrexone order in a patient who took an
  opioid inside the washout window → a **critical** card (naltrexone precipitates withdrawal and
  blocks analgesia); a draft opioid order in a patient on naltrexone → a **warning** card.

Required prefetch that is missing (absent, ``null`` or an OperationOutcome) answers 412, as the
specification requires when a service cannot obtain its data (ldn does not call back into the
EHR's FHIR server). Cards are plain data here; the API adds transport and authentication.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ldn import DISCLAIMER
from ldn.domain.errors import InputError, MissingPrefetch, problems_from_pydantic
from ldn.domain.findings import Finding
from ldn.domain.medicines import MedicineMatch, identify
from ldn.domain.patient import PatientRecord
from ldn.domain.safety import STOP_BEFORE_SURGERY_D, safety_findings
from ldn.domain.screening import screen
from ldn.domain.sources import get_source
from ldn.domain.wording import verdict_words
from ldn.interop.r4.importer import bundle_to_record

__all__ = [
    "SERVICES",
    "HookRequest",
    "MissingPrefetch",
    "call_service",
    "discovery",
    "parse_request",
]

SPEC_SOURCE = "cds-hooks-2"
_PATIENT = "Patient/{{context.patientId}}"
_PREFETCH_VIEW = {"patient": _PATIENT, "conditions": "Condition?patient={{context.patientId}}",
                  "medications": "MedicationStatement?patient={{context.patientId}}",
                  "observations": "Observation?patient={{context.patientId}}&code=http://loinc.org|72514-3,http://loinc.org|1742-6,http://loinc.org|1920-8,http://loinc.org|14631-6"}  # fmt: skip
_PREFETCH_ORDER = {
    "patient": _PATIENT,
    "medications": "MedicationStatement?patient={{context.patientId}}",
}
_ORDER_DESC = (
    "Checks a draft naltrexone order against recent opioid use (washout), and a draft opioid "
    "order against current naltrexone."
)
SERVICES: dict[str, dict[str, Any]] = {
    "ldn-candidacy": {"hook": "patient-view", "id": "ldn-candidacy", "title": "Low-dose naltrexone (LDN) candidacy",
                      "description": "Is this pain the kind LDN may help, and is it safe to start now? Screens the "
                                     "patient's conditions, medications and tests with cited criteria.",
                      "prefetch": _PREFETCH_VIEW},
    "ldn-order-select": {"hook": "order-select", "id": "ldn-order-select", "title": "LDN and opioid order check",
                         "description": _ORDER_DESC, "prefetch": _PREFETCH_ORDER},
    "ldn-order-sign": {"hook": "order-sign", "id": "ldn-order-sign", "title": "LDN and opioid order check",
                       "description": _ORDER_DESC, "prefetch": _PREFETCH_ORDER},
}  # fmt: skip
_REQUIRED = {
    "ldn-candidacy": ("patient", "conditions", "medications"),
    "ldn-order-select": ("patient", "medications"),
    "ldn-order-sign": ("patient", "medications"),
}
_CONTEXT = {
    "patient-view": ("userId", "patientId"),
    "order-select": ("userId", "patientId", "draftOrders", "selections"),
    "order-sign": ("userId", "patientId", "draftOrders"),
}


class HookRequest(BaseModel):
    """A CDS Hooks 2.0 service call (the fields the specification defines)."""

    model_config = ConfigDict(extra="allow")
    hook: str = Field(min_length=1)
    hookInstance: str = Field(min_length=1)  # noqa: N815 - the specification's name
    fhirServer: str | None = None  # noqa: N815
    fhirAuthorization: dict[str, Any] | None = None  # noqa: N815
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _rules(self) -> HookRequest:
        if self.fhirAuthorization is not None and not self.fhirServer:
            raise ValueError(
                "fhirAuthorization needs fhirServer | fix: send fhirServer with fhirAuthorization"
            )
        return self


def discovery() -> dict[str, Any]:
    return {"services": list(SERVICES.values())}


def parse_request(service_id: str, body: object) -> HookRequest:
    """Validate a call to ``service_id``; :class:`InputError` names the field."""
    try:
        req = HookRequest.model_validate(body)
    except ValidationError as exc:
        raise InputError(problems_from_pydantic(exc)) from None
    expected = SERVICES[service_id]["hook"]
    if req.hook != expected:
        raise InputError.at(
            "hook",
            f"service {service_id} answers {expected!r}, not {req.hook!r}",
            f"send hook: {expected}",
        )
    missing = [k for k in _CONTEXT[req.hook] if k not in req.context]
    if missing:
        raise InputError.at(
            f"context.{missing[0]}",
            f"the {req.hook} context needs {missing[0]}",
            "see the hook's definition",
        )
    return req


def _resources(value: Any) -> list[dict[str, Any]] | None:
    """A prefetch value as resources; None when it is missing or failed (OperationOutcome)."""
    if not isinstance(value, dict) or value.get("resourceType") in (None, "OperationOutcome"):
        return None
    if value["resourceType"] == "Bundle":
        return [
            e["resource"]
            for e in value.get("entry") or []
            if isinstance(e, dict) and isinstance(e.get("resource"), dict)
        ]
    return [value]


def _prefetched(service_id: str, req: HookRequest) -> list[dict[str, Any]]:
    pre = req.prefetch or {}
    got = {k: _resources(pre.get(k)) for k in SERVICES[service_id]["prefetch"]}
    missing = [k for k in _REQUIRED[service_id] if got.get(k) is None]
    if missing:
        raise MissingPrefetch(missing)
    return [
        r for rs in got.values() if rs for r in rs if r.get("resourceType") != "OperationOutcome"
    ]


def _source(source_ids: tuple[str, ...] | list[str]) -> dict[str, Any]:
    ids = [s for s in source_ids if s != "ldn-assumption"] or list(source_ids)
    src = get_source(ids[0]) if ids else get_source("seed-article")
    out: dict[str, Any] = {
        "label": src.short,
        "topic": {
            "system": "https://ldn.example.org/fhir/CodeSystem/source",
            "code": src.id,
            "display": src.title[:100],
        },
    }
    if src.link:
        out["url"] = src.link
    return out


def _card(
    summary: str,
    indicator: Literal["info", "warning", "critical"],
    detail: str,
    sources: tuple[str, ...] | list[str],
    link: str | None = None,
) -> dict[str, Any]:
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": summary[:139],
        "indicator": indicator,
        "detail": detail + f"\n\n_{DISCLAIMER}_",
        "source": _source(sources),
    }
    if link:
        card["links"] = [{"label": "Open in ldn", "url": link, "type": "absolute"}]
    return card


_VERDICT_TEXT = {"candidate": ("may be a candidate", "info"), "candidate_with_cautions": ("may be a candidate, with cautions", "warning"),
                 "unlikely_to_benefit": ("unlikely to benefit", "warning"), "needs_clinician_review": ("needs clinician review", "warning"),
                 "do_not_start_yet": ("do not start yet", "warning"), "contraindicated": ("contraindicated", "critical")}  # fmt: skip


def _finding_card(f: Finding) -> dict[str, Any]:
    indicator: Literal["info", "warning", "critical"] = (
        "critical" if f.verdict == "contraindicated" else "warning"
    )
    return _card(
        f.message.split(". ")[0], indicator, f"{f.message}\n\n**Next step:** {f.fix}", f.source_ids
    )


def patient_view(req: HookRequest, *, today: date, app_url: str) -> dict[str, Any]:
    resources = _prefetched("ldn-candidacy", req)
    link = f"{app_url}/patients?q={req.context['patientId']}" if app_url else None
    try:
        record = _build(resources, today)
    except InputError as exc:
        lines = "\n".join(f"- `{p.loc}`: {p.message}" for p in exc.problems)
        return {
            "cards": [
                _card(
                    "LDN screening: not enough data in the record to assess",
                    "info",
                    f"ldn could not read the patient's data:\n{lines}",
                    ["seed-article"],
                    link,
                )
            ]
        }
    report = screen(record, today=today)
    text, indicator = _VERDICT_TEXT[report.verdict]
    when = f" (earliest start {report.earliest_start.isoformat()})" if report.earliest_start else ""
    key = [f for f in report.findings if f.level in ("stop", "caution")]
    detail = "\n".join(f"- {f.message}" for f in key[:6]) or "- No blocking or cautionary finding."
    trials = [f.message for f in report.findings if f.code == "EVIDENCE_FOR_CONDITION"]
    if trials:
        detail += "\n\n**What the trials say:**\n" + "\n".join(f"- {t}" for t in trials)
    cards = [
        _card(
            f"Low-dose naltrexone for pain: {text}{when}",
            indicator,  # type: ignore[arg-type]
            f"**Verdict:** {verdict_words(report.verdict)}{when}\n\n{detail}",
            sorted({s for f in report.findings for s in f.source_ids}) or ["seed-article"],
            link,
        )
    ]
    cards += [_finding_card(f) for f in report.findings if f.level == "stop"]
    return {"cards": cards}


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
    orders = _resources(req.context.get("draftOrders")) or []
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


#: what reading a resource of unexpected shape raises (the importer expects FHIR's types)
_WRONG_TYPE = (ValueError, TypeError, AttributeError, KeyError, OverflowError)


def _build(resources: list[dict[str, Any]], today: date) -> PatientRecord:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }
    try:
        return bundle_to_record(bundle, today=today, strict=False)
    except _WRONG_TYPE as exc:  # e.g. valueString where a number belongs
        why = f"a value of the wrong type ({str(exc)[:200]})"
        raise InputError.at("prefetch", why, "send FHIR R4 resources") from None


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
        return _build(resources, today), []
    except InputError:
        pass
    others = [r for r in resources if r.get("resourceType") != "MedicationStatement"]
    readable, unread = [], []
    for m in (r for r in resources if r.get("resourceType") == "MedicationStatement"):
        try:
            _build([*others, m], today)
        except InputError:
            unread.append(_med_name(m))
        else:
            readable.append(m)
    try:
        return _build([*others, *readable], today), unread
    except InputError:
        return None, unread


def _unread_card(names: list[str]) -> dict[str, Any]:
    listed = ", ".join(repr(n) for n in names[:5]) + (
        f" and {len(names) - 5} more" if len(names) > 5 else ""
    )
    return _card(
        f"Naltrexone order: {len(names)} medicine(s) in the record could not be read",
        "warning",
        f"ldn could not read {listed}, so it cannot rule out that one is an opioid. Check them (including "
        "patches and depots) and their last dose before ordering naltrexone.",
        ["revia-label-2013"],
    )


def _naltrexone_order_cards(record: PatientRecord | None, *, today: date) -> list[dict[str, Any]]:
    if record is None:
        return [
            _card(
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
            cards.append(_card(title, indicator, detail, f.source_ids))
    return cards


def order_check(service_id: str, req: HookRequest, *, today: date) -> dict[str, Any]:
    resources = _prefetched(service_id, req)
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
                _card(
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
                _card(
                    f"Opioid order ({d.name}): {len(unread)} medicine(s) in the record could not be read",
                    "warning",
                    f"ldn could not read {', '.join(repr(n) for n in unread[:5])}: if one is naltrexone, it blocks "
                    f"{d.name}. Check them before ordering.",
                    ("revia-label-2013",),
                )
            )
        elif d.unread and (on_ldn or record is None):
            cards.append(
                _card(
                    f"Order {d.name!r}: ldn cannot identify this medicine",
                    "warning",
                    f"ldn could not identify {d.name!r} ({d.match.explanation()}). The patient "
                    f"{'takes naltrexone' if on_ldn else 'may take naltrexone (medicines unreadable)'}: if it contains an "
                    "opioid, naltrexone blocks it. Check its ingredients.",
                    ("revia-label-2013",),
                )
            )
    return {"cards": cards}


def call_service(
    service_id: str, body: object, *, today: date, app_url: str = ""
) -> dict[str, Any]:
    """Answer one hook call: ``{"cards": [...]}``, or raise InputError / MissingPrefetch."""
    req = parse_request(service_id, body)
    if service_id == "ldn-candidacy":
        return patient_view(req, today=today, app_url=app_url)
    return order_check(service_id, req, today=today)
