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
from ldn.domain.errors import InputError, LdnError, problems_from_pydantic
from ldn.domain.findings import Finding
from ldn.domain.safety import STOP_BEFORE_SURGERY_D, safety_findings
from ldn.domain.screening import screen
from ldn.domain.sources import get_source
from ldn.domain.vocabulary import OPIOID_CLASSES, drug_class_for
from ldn.interop.r4.codes import RXNORM, RXNORM_NALTREXONE
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
_ORDER_DESC = ("Checks a draft naltrexone order against recent opioid use (washout), and a draft opioid "
               "order against current naltrexone.")  # fmt: skip
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
_REQUIRED = {"ldn-candidacy": ("patient", "conditions", "medications"),
             "ldn-order-select": ("patient", "medications"), "ldn-order-sign": ("patient", "medications")}  # fmt: skip
_CONTEXT = {"patient-view": ("userId", "patientId"), "order-select": ("userId", "patientId", "draftOrders", "selections"),
            "order-sign": ("userId", "patientId", "draftOrders")}  # fmt: skip


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


class MissingPrefetch(LdnError):
    """Required data neither prefetched nor fetchable: HTTP 412 per CDS Hooks 2.0."""

    code = "missing_prefetch"

    def __init__(self, keys: list[str]) -> None:
        super().__init__(f"required prefetch missing: {', '.join(keys)}",
                         fix="configure the CDS client to send the prefetch templates from GET /cds-services")  # fmt: skip
        self.keys = keys


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
    out: dict[str, Any] = {"label": src.short,
                           "topic": {"system": "https://ldn.example.org/fhir/CodeSystem/source", "code": src.id,
                                     "display": src.title[:100]}}  # fmt: skip
    if src.link:
        out["url"] = src.link
    return out


def _card(summary: str, indicator: Literal["info", "warning", "critical"], detail: str, sources: tuple[str, ...] | list[str],
          link: str | None = None) -> dict[str, Any]:  # fmt: skip
    card: dict[str, Any] = {"uuid": str(uuid.uuid4()), "summary": summary[:139], "indicator": indicator,
                            "detail": detail + f"\n\n_{DISCLAIMER}_", "source": _source(sources)}  # fmt: skip
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
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }
    link = f"{app_url}/patients?q={req.context['patientId']}" if app_url else None
    try:
        record = bundle_to_record(bundle, today=today, strict=False)
    except InputError as exc:
        lines = "\n".join(f"- `{p.loc}`: {p.message}" for p in exc.problems)
        return {"cards": [_card("LDN screening: not enough data in the record to assess", "info",
                                f"ldn could not read the patient's data:\n{lines}", ["seed-article"], link)]}  # fmt: skip
    report = screen(record, today=today)
    text, indicator = _VERDICT_TEXT[report.verdict]
    when = f" (earliest start {report.earliest_start.isoformat()})" if report.earliest_start else ""
    key = [f for f in report.findings if f.level in ("stop", "caution")]
    detail = "\n".join(f"- {f.message}" for f in key[:6]) or "- No blocking or cautionary finding."
    cards = [_card(f"Low-dose naltrexone for pain: {text}{when}", indicator,  # type: ignore[arg-type]
                   f"**Verdict:** {report.verdict}{when}\n\n{detail}", sorted({s for f in report.findings for s in f.source_ids}) or ["seed-article"], link)]  # fmt: skip
    cards += [_finding_card(f) for f in report.findings if f.level == "stop"]
    return {"cards": cards}


@dataclass(frozen=True, slots=True)
class _Draft:
    name: str
    naltrexone: bool
    opioid: bool


def _drafts(req: HookRequest) -> list[_Draft]:
    orders = _resources(req.context.get("draftOrders")) or []
    selected = set(req.context.get("selections") or [])
    out = []
    for i, r in enumerate(orders):
        if r.get("resourceType") != "MedicationRequest":
            continue
        if selected and f"MedicationRequest/{r.get('id')}" not in selected:
            continue
        concept = r.get("medicationCodeableConcept") or {}
        codings = concept.get("coding") or []
        name = (
            concept.get("text")
            or next((c.get("display") for c in codings if c.get("display")), "")
            or f"order {i}"
        )
        ntx = (
            any(
                c.get("system") == RXNORM and c.get("code") == RXNORM_NALTREXONE[0] for c in codings
            )
            or "naltrexone" in name.lower()
        )
        out.append(
            _Draft(
                name,
                ntx,
                drug_class_for(name.split()[0]) in OPIOID_CLASSES
                or drug_class_for(name) in OPIOID_CLASSES,
            )
        )
    return out


def order_check(service_id: str, req: HookRequest, *, today: date) -> dict[str, Any]:
    resources = _prefetched(service_id, req)
    drafts = _drafts(req)
    cards: list[dict[str, Any]] = []
    if not drafts:
        return {"cards": []}
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }
    try:
        record = bundle_to_record(bundle, today=today, strict=False)
    except InputError:
        record = None
    if any(d.naltrexone for d in drafts) and record is not None:
        for f in safety_findings(record, today=today):
            if f.code == "SAFETY_OPIOID_WASHOUT":
                cards.append(_card(f"Naltrexone order: opioid inside the washout window (earliest start {f.earliest_start})",
                                   "critical", f"{f.message}\n\n**Next step:** {f.fix}", f.source_ids))  # fmt: skip
            elif f.code == "SAFETY_OPIOID_LAST_DOSE_UNKNOWN":
                cards.append(_card("Naltrexone order: date of the last opioid dose unknown", "warning",
                                   f"{f.message}\n\n**Next step:** {f.fix}", f.source_ids))  # fmt: skip
    on_ldn = record is not None and any(
        m.drug_class == "naltrexone" and m.status != "stopped" for m in record.medications
    )
    for d in drafts:
        if d.opioid and on_ldn:
            cards.append(_card(f"Opioid order ({d.name}) in a patient taking naltrexone", "warning",
                               f"Naltrexone, even at low dose, blocks opioid analgesia and the patient may get little pain relief "
                               f"from {d.name}. For planned opioid use, stop LDN at least {STOP_BEFORE_SURGERY_D.value} days "
                               "before; in an emergency, opioid needs may be higher and need monitoring.",
                               STOP_BEFORE_SURGERY_D.sources))  # fmt: skip
    return {"cards": cards}


def call_service(
    service_id: str, body: object, *, today: date, app_url: str = ""
) -> dict[str, Any]:
    """Answer one hook call: ``{"cards": [...]}``, or raise InputError / MissingPrefetch."""
    req = parse_request(service_id, body)
    if service_id == "ldn-candidacy":
        return patient_view(req, today=today, app_url=app_url)
    return order_check(service_id, req, today=today)
