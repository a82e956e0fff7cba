"""Validation of FHIR JSON with the ``fhir.resources`` models, and OperationOutcome for errors.

ldn uses ``fhir.resources.R4B`` (FHIR 4.3), which is wire-compatible with R4 (4.0.1) for the
resources ldn reads and writes. A resource that does not validate raises
:class:`~ldn.domain.errors.InputError` with one problem per element, located by its FHIR path
(``entry[2].resource.clinicalStatus``).
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from ldn.domain.errors import InputError, Problem, format_loc

__all__ = ["operation_outcome", "validated"]

_ALLOWED = frozenset({"Bundle", "Patient", "Condition", "MedicationStatement", "MedicationRequest", "Observation",
                      "QuestionnaireResponse", "CarePlan", "OperationOutcome", "CapabilityStatement"})  # fmt: skip


def _problems(exc: ValidationError, prefix: str) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        parts = [p for p in err["loc"] if p != "__root__"]
        loc = format_loc([prefix, *parts]) if prefix else format_loc(parts)
        out.append(Problem(loc or prefix or "(resource)", str(err["msg"]).removeprefix("Value error, "),
                           "see the FHIR R4 definition of this element (https://hl7.org/fhir/R4/)"))  # fmt: skip
    return out


def _check(resource: Any, loc: str) -> list[Problem]:
    if not isinstance(resource, dict):
        return [
            Problem(
                loc or "(resource)",
                "a FHIR resource must be a JSON object",
                "send a JSON object with resourceType",
            )
        ]
    kind = resource.get("resourceType")
    if kind not in _ALLOWED:
        return [Problem(format_loc([loc, "resourceType"]) if loc else "resourceType",
                        f"unsupported resourceType {kind!r}", f"use one of {', '.join(sorted(_ALLOWED))}")]  # fmt: skip
    problems: list[Problem] = []
    body = resource
    if kind == "Bundle":
        entries = resource.get("entry") or []
        if not isinstance(entries, list):
            return [
                Problem(
                    format_loc([loc, "entry"]) if loc else "entry",
                    "entry must be a list",
                    "send a list of entries",
                )
            ]
        for i, entry in enumerate(entries):
            where = format_loc([loc, "entry", i]) if loc else f"entry[{i}]"
            if not isinstance(entry, dict) or "resource" not in entry:
                problems.append(Problem(where, "an entry needs a resource", "add entry.resource"))
                continue
            problems += _check(entry["resource"], f"{where}.resource")
        body = {
            **resource,
            "entry": [
                {k: v for k, v in e.items() if k != "resource"}
                for e in entries
                if isinstance(e, dict)
            ],
        }
    try:
        get_fhir_model_class(kind).model_validate(body)
    except ValidationError as exc:
        problems += _problems(exc, loc)
    return problems


def validated(resource: dict[str, Any], *, origin: str = "") -> dict[str, Any]:
    """``resource`` unchanged if it is valid FHIR; else :class:`InputError` naming each element."""
    problems = _check(resource, "")
    if problems:
        raise InputError(problems, origin=origin)
    return resource


def operation_outcome(problems: list[dict[str, str]], *, code: str = "invalid") -> dict[str, Any]:
    """An OperationOutcome with one issue per problem; ``expression`` names the element."""
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code,
                       "diagnostics": f"{p['message']}" + (f" (fix: {p['fix']})" if p.get("fix") else ""),
                       **({"expression": [p["loc"]]} if p.get("loc") else {})} for p in problems]}  # fmt: skip
