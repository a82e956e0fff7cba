"""How the API and the web app answer an outage, an unknown outcome and a bug (issues #20, #28):
503 problem+json with Retry-After (never 500) for an outage, a calm HTML page on the web, a 500
page (not JSON) for a bug on a web page, one log line per failure, and the same connection
serving the next request."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ldn.asgi import create_app
from ldn.domain.errors import OutcomeUnknown, ServiceUnavailable
from ldn.services.clinic.context import Clinic


def _app(clinic: Clinic) -> FastAPI:
    app = create_app(clinic.settings, clinic=clinic)

    def outage() -> None:
        raise ServiceUnavailable(retry_after_s=2, cause="OperationalError: connection refused")

    def unknown() -> None:
        raise OutcomeUnknown(
            retry_after_s=2, cause="OperationalError: server closed the connection"
        )

    def bug() -> None:
        raise RuntimeError("a bug with a secret inside")

    for prefix in ("/api/v1/_test", "/_test"):
        app.add_api_route(f"{prefix}/outage", outage)
        app.add_api_route(f"{prefix}/unknown", unknown)
        app.add_api_route(f"{prefix}/bug", bug)
    return app


def test_an_outage_is_503_with_retry_after_and_one_log_line(
    clinic: Clinic, caplog: pytest.LogCaptureFixture
) -> None:
    client = TestClient(_app(clinic))
    with caplog.at_level(logging.WARNING, logger="ldn"):
        r = client.get("/api/v1/_test/outage")
    assert r.status_code == 503
    assert r.headers["retry-after"] == "2"
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"].endswith("/service_unavailable") and body["title"] == "Service unavailable"
    assert "nothing was changed" in body["detail"]
    lines = [rec for rec in caplog.records if rec.name.startswith("ldn.api")]
    assert len(lines) == 1 and lines[0].exc_info is None
    assert getattr(lines[0], "request_id", "") == body["request_id"]


def test_a_failed_commit_says_the_outcome_is_unknown(clinic: Clinic) -> None:
    r = TestClient(_app(clinic)).get("/api/v1/_test/unknown")
    assert r.status_code == 503 and r.headers["retry-after"] == "2"
    assert "outcome is unknown" in r.json()["detail"]
    assert "Idempotency-Key" in r.json()["fix"]


def test_a_bug_is_500_once_and_the_connection_serves_on(
    clinic: Clinic, caplog: pytest.LogCaptureFixture
) -> None:
    client = TestClient(_app(clinic))  # raises server exceptions: none may escape
    with caplog.at_level(logging.WARNING):
        r = client.get("/api/v1/_test/bug")
    assert r.status_code == 500
    assert "secret" not in r.text
    assert r.json()["type"].endswith("/internal_error")
    errors = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None
    assert client.get("/api/v1/health").status_code == 200


def test_web_pages_answer_errors_with_html(clinic: Clinic) -> None:
    client = TestClient(_app(clinic))
    bug = client.get("/_test/bug")
    assert bug.status_code == 500 and bug.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in bug.text and "secret" not in bug.text
    down = client.get("/_test/outage")
    assert down.status_code == 503 and down.headers["content-type"].startswith("text/html")
    assert down.headers["retry-after"] == "2"
    assert "Try again in a moment" in down.text
    unknown = client.get("/_test/unknown")
    assert (
        unknown.status_code == 503 and "cannot tell whether your change was saved" in unknown.text
    )


def test_the_openapi_document_lists_the_outage(clinic: Clinic) -> None:
    spec = TestClient(_app(clinic)).get("/api/openapi.json").json()
    responses = spec["paths"]["/api/v1/patients"]["get"]["responses"]
    assert "503" in responses and "Service unavailable" in responses["503"]["description"]
