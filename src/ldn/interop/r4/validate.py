"""Validation of FHIR JSON with the ``fhir.resources`` models, and OperationOutcome for errors.

ldn uses ``fhir.resources.R4B`` (FHIR 4.3), which is wire-compatible with R4 (4.0.1) for the
resources ldn reads and writes. A resource that does not validate raises
:class:`~ldn.domain.errors.InputError` with one problem per element, located by its FHIRPath
from the resource type (``Bundle.entry[2].resource.clinicalStatus``).

In a Bundle, only the entries of the types ldn reads are validated in depth (``deep``); the
others need only be JSON objects with a ``resourceType`` (the importer lists them as ignored or
kept), so an unusual Encounter or Claim never refuses a whole Bundle. The ``fhir.resources``
models check structure and datatypes, not the codes of required bindings: those are checked
where ldn reads them (:mod:`ldn.interop.r4.importer`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from ldn.domain.errors import InputError, Problem, format_loc

__all__ = ["operation_outcome", "validated"]


def _problems(exc: ValidationError, prefix: str) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        parts = [p for p in err["loc"] if p != "__root__"]
        loc = format_loc([prefix, *parts]) if prefix else format_loc(parts)
        out.append(
            Problem(
                loc or prefix or "(resource)",
                str(err["msg"]).removeprefix("Value error, "),
                "see the FHIR R4 definition of this element (https://hl7.org/fhir/R4/)",
            )
        )
    return out


def _model(kind: str) -> Any:
    try:
        return get_fhir_model_class(kind)
    except (KeyError, ValueError):
        return None


def _check(resource: Any, loc: str, deep: Callable[[str], bool]) -> list[Problem]:
    if not isinstance(resource, dict):
        return [
            Problem(
                loc, "a FHIR resource must be a JSON object", "send a JSON object with resourceType"
            )
        ]
    kind = resource.get("resourceType")
    if not isinstance(kind, str) or not kind:
        return [
            Problem(
                f"{loc}.resourceType",
                "the resource has no resourceType",
                'name the resource type, e.g. "resourceType": "Condition"',
            )
        ]
    if kind != "Bundle" and not deep(kind):
        return []
    model = _model(kind)
    if model is None:
        return [
            Problem(
                f"{loc}.resourceType",
                f"{kind!r} is not a FHIR R4 resource type",
                "check the spelling (https://hl7.org/fhir/R4/resourcelist.html)",
            )
        ]
    problems: list[Problem] = []
    body = resource
    if kind == "Bundle":
        entries = resource.get("entry") or []
        if not isinstance(entries, list):
            return [Problem(f"{loc}.entry", "entry must be a list", "send a list of entries")]
        for i, entry in enumerate(entries):
            where = f"{loc}.entry[{i}]"
            if not isinstance(entry, dict) or "resource" not in entry:
                problems.append(Problem(where, "an entry needs a resource", "add entry.resource"))
                continue
            problems += _check(entry["resource"], f"{where}.resource", deep)
        body = {
            **resource,
            "entry": [
                {k: v for k, v in e.items() if k != "resource"}
                for e in entries
                if isinstance(e, dict)
            ],
        }
    try:
        model.model_validate(body)
    except ValidationError as exc:
        problems += _problems(exc, loc)
    return problems


def validated(
    resource: dict[str, Any], *, origin: str = "", deep: Callable[[str], bool] = lambda _: True
) -> dict[str, Any]:
    """``resource`` unchanged if it is valid FHIR; else :class:`InputError` naming each element
    by its path from the resource type (``Bundle.entry[1].resource.status``)."""
    root = resource.get("resourceType") if isinstance(resource, dict) else None
    problems = _check(resource, root if isinstance(root, str) and root else "(resource)", deep)
    if problems:
        raise InputError(problems, origin=origin)
    return resource


def operation_outcome(problems: list[dict[str, str]], *, code: str = "invalid") -> dict[str, Any]:
    """An OperationOutcome with one issue per problem; ``expression`` names the element."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": code,
                "diagnostics": f"{p['message']}" + (f" (fix: {p['fix']})" if p.get("fix") else ""),
                **({"expression": [p["loc"]]} if p.get("loc") else {}),
            }
            for p in problems
        ],
    }
