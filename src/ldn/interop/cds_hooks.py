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

The parts live in sibling modules: discovery and cards in :mod:`ldn.interop.cds_services`,
request parsing and prefetch in :mod:`ldn.interop.cds_request`, the order checks in
:mod:`ldn.interop.cds_orders`; this module holds the ``patient-view`` service and the entry point.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from ldn.domain.errors import InputError, MissingPrefetch
from ldn.domain.findings import Finding
from ldn.domain.screening import screen
from ldn.domain.wording import verdict_words
from ldn.interop.cds_orders import order_check
from ldn.interop.cds_request import HookRequest, build_record, parse_request, prefetched
from ldn.interop.cds_services import SERVICES, card, discovery

__all__ = [
    "SERVICES",
    "HookRequest",
    "MissingPrefetch",
    "call_service",
    "discovery",
    "parse_request",
]

_VERDICT_TEXT = {"candidate": ("may be a candidate", "info"), "candidate_with_cautions": ("may be a candidate, with cautions", "warning"),
                 "unlikely_to_benefit": ("unlikely to benefit", "warning"), "needs_clinician_review": ("needs clinician review", "warning"),
                 "do_not_start_yet": ("do not start yet", "warning"), "contraindicated": ("contraindicated", "critical")}  # fmt: skip


def _finding_card(f: Finding) -> dict[str, Any]:
    indicator: Literal["info", "warning", "critical"] = (
        "critical" if f.verdict == "contraindicated" else "warning"
    )
    return card(
        f.message.split(". ")[0], indicator, f"{f.message}\n\n**Next step:** {f.fix}", f.source_ids
    )


def patient_view(req: HookRequest, *, today: date, app_url: str) -> dict[str, Any]:
    resources = prefetched("ldn-candidacy", req)
    link = f"{app_url}/patients?q={req.context['patientId']}" if app_url else None
    try:
        record = build_record(resources, today)
    except InputError as exc:
        lines = "\n".join(f"- `{p.loc}`: {p.message}" for p in exc.problems)
        return {
            "cards": [
                card(
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
        card(
            f"Low-dose naltrexone for pain: {text}{when}",
            indicator,  # type: ignore[arg-type]
            f"**Verdict:** {verdict_words(report.verdict)}{when}\n\n{detail}",
            sorted({s for f in report.findings for s in f.source_ids}) or ["seed-article"],
            link,
        )
    ]
    cards += [_finding_card(f) for f in report.findings if f.level == "stop"]
    return {"cards": cards}


def call_service(
    service_id: str, body: object, *, today: date, app_url: str = ""
) -> dict[str, Any]:
    """Answer one hook call: ``{"cards": [...]}``, or raise InputError / MissingPrefetch."""
    req = parse_request(service_id, body)
    if service_id == "ldn-candidacy":
        return patient_view(req, today=today, app_url=app_url)
    return order_check(service_id, req, today=today)
