"""schemathesis against the OpenAPI schema, signed in as a clinician of the demo clinic: for
generated requests to every operation, no 5xx and every response matches the schema.

Bounded (a few examples per operation, generation phase only) to keep `make test` short.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ldn.api.app import create_app
from ldn.services.clinic.context import Clinic
from tests.integration.clinic.helpers import build_world

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SKIP = {
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/token"),
}  # would end the session / lock the test user


def test_generated_requests_never_5xx_and_match_the_schema(clinic: Clinic) -> None:
    world = build_world(clinic)
    app = create_app(clinic.settings, clinic=clinic)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    headers = world.as_("clinician")
    failures: list[str] = []
    ran = 0
    for result in schema.get_all_operations():
        op = result.ok()
        if (op.method.upper(), op.path) in SKIP:
            continue

        @settings(
            max_examples=6,
            deadline=None,
            phases=[Phase.generate],
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=op.as_strategy())
        def run(case: Any) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

        try:
            run()
            ran += 1
        except Exception as exc:
            failures.append(f"{op.method.upper()} {op.path}: {str(exc)[:600]}")
    assert ran >= 30
    assert not failures, "\n\n".join(failures)
