"""Request bodies read as operation or search parameters: a Parameters resource, and a
``_search`` form."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from ldn.domain.errors import InputError

__all__ = ["parameter_list", "parameters_body", "search_form"]


def parameter_list(body: dict[str, Any]) -> list[Any]:
    """A Parameters resource's ``parameter`` list (else a problem)."""
    params = body.get("parameter") or []
    if not isinstance(params, list):
        raise InputError.at(
            "Parameters.parameter", "parameter must be a list", "send a list of parameters"
        )
    return params


def _value(p: Any) -> Any:
    """A parameter's ``value[x]`` (None when it has none)."""
    if not isinstance(p, dict):
        return None
    return next((v for k, v in p.items() if k.startswith("value")), None)


async def parameters_body(request: Request) -> list[tuple[str, str]]:
    """Operation parameters sent as a Parameters resource (POST $everything)."""
    raw = await request.body()
    if not raw.strip():
        return []
    try:
        body = json.loads(raw)
    except ValueError:
        raise InputError.at(
            "(body)", "the body is not JSON", "send a Parameters resource, or no body"
        ) from None
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise InputError.at(
            "(body).resourceType",
            "the body is not a Parameters resource",
            "send a Parameters resource",
        )
    pairs = []
    for p in parameter_list(body):
        value = _value(p)
        if isinstance(p, dict) and p.get("name") and value is not None:
            pairs.append((str(p["name"]), str(value)))
    return pairs


async def search_form(request: Request) -> list[tuple[str, str]]:
    """A ``_search`` form (application/x-www-form-urlencoded) as (name, value) pairs."""
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/x-www-form-urlencoded"):
        form = await request.form()  # parsed once per request (the NUL check may have read it)
        return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    if (await request.body()).strip():
        raise InputError.at(
            "header.Content-Type",
            f"{kind or 'no content type'} is not a search form",
            "POST _search with Content-Type: application/x-www-form-urlencoded",
        )
    return []
