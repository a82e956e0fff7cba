"""CDS Hooks 2.0 request parsing and prefetch (source: ``cds-hooks-2``): a service call is
validated against its hook's context; required prefetch that is missing (absent, ``null`` or an
OperationOutcome) raises :class:`MissingPrefetch` (412); prefetched resources become a patient
record through :mod:`ldn.interop.r4.importer`."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ldn.domain.errors import InputError, MissingPrefetch, problems_from_pydantic
from ldn.domain.patient import PatientRecord
from ldn.interop.cds_services import SERVICES
from ldn.interop.r4.importer import bundle_to_record

__all__ = ["HookRequest", "build_record", "parse_request", "prefetch_resources", "prefetched"]

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


def prefetch_resources(value: Any) -> list[dict[str, Any]] | None:
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


def prefetched(service_id: str, req: HookRequest) -> list[dict[str, Any]]:
    pre = req.prefetch or {}
    got = {k: prefetch_resources(pre.get(k)) for k in SERVICES[service_id]["prefetch"]}
    missing = [k for k in _REQUIRED[service_id] if got.get(k) is None]
    if missing:
        raise MissingPrefetch(missing)
    return [
        r for rs in got.values() if rs for r in rs if r.get("resourceType") != "OperationOutcome"
    ]


#: what reading a resource of unexpected shape raises (the importer expects FHIR's types)
_WRONG_TYPE = (ValueError, TypeError, AttributeError, KeyError, OverflowError)


def build_record(resources: list[dict[str, Any]], today: date) -> PatientRecord:
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
