"""Every field the API sends is described in the OpenAPI document (issue #20): each resource's
answer, read through the demo clinic's path, carries only fields its response model lists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from ldn.api import resources as r
from ldn.api.schemas import UserOut
from ldn.services.clinic.context import Clinic
from tests.integration.clinic.helpers import World, build_world


@pytest.fixture
def world(clinic: Clinic) -> Iterator[World]:
    w = build_world(clinic)
    yield w
    w.client.close()


def _undeclared(model: type[BaseModel], body: dict[str, Any]) -> set[str]:
    return set(body) - set(model.model_fields)


def _check(model: type[BaseModel], body: Any) -> None:
    items = body["items"] if isinstance(body, dict) and "items" in body else body
    for item in items if isinstance(items, list) else [items]:
        assert not _undeclared(model, item), (model.__name__, _undeclared(model, item))


def test_every_field_of_every_answer_is_declared(world: World) -> None:
    c, doc, ph = world.client, world.as_("clinician"), world.as_("pharmacist")
    get = lambda url, who=doc: c.get(url, headers=who).json()  # noqa: E731
    pid = world.other
    _check(r.PatientSummary, get("/api/v1/patients"))
    for item in get("/api/v1/patients")["items"]:
        assert not _undeclared(r.PatientStatus, item["status"])
    _check(r.PatientOut, get(f"/api/v1/patients/{pid}"))
    _check(r.ScreeningOut, get(f"/api/v1/patients/{pid}/screenings"))
    planned = [p["id"] for p in get("/api/v1/patients")["items"] if p["status"]["plan_dose_mg"]]
    _check(r.PlanOut, get(f"/api/v1/patients/{planned[0]}/plan"))
    _check(r.DiaryEntryOut, get(f"/api/v1/patients/{pid}/diary"))
    _check(r.QuestionnaireOut, get(f"/api/v1/patients/{pid}/questionnaires"))
    _check(r.TrialOut, get(f"/api/v1/patients/{pid}/trials"))
    queue = get("/api/v1/prescriptions", ph)
    _check(r.PrescriptionOut, queue)
    for rx in queue["items"][:3]:
        one = get(f"/api/v1/prescriptions/{rx['id']}", ph)
        _check(r.PrescriptionOut, one)
        _check(r.BatchOut, one.get("batches") or [])
        _check(r.WorksheetOut, get(f"/api/v1/prescriptions/{rx['id']}/worksheet", ph))
    _check(r.AuditEventOut, get("/api/v1/audit", world.as_("admin")))
    _check(r.AuditVerifyOut, get("/api/v1/audit/verify", world.as_("admin")))
    _check(UserOut, get("/api/v1/users", world.as_("admin")))


def test_the_openapi_document_describes_each_resource(world: World) -> None:
    doc = world.client.get("/api/openapi.json").json()
    schemas = doc["components"]["schemas"]
    resources = ["PatientOut", "ScreeningOut", "PlanOut", "PrescriptionOut", "BatchOut"]
    for name in [*resources, "DiaryEntryOut", "TrialOut", "AuditEventOut"]:
        assert len(schemas[name]["properties"]) >= 4, name
    get_patient = doc["paths"]["/api/v1/patients/{patient_id}"]["get"]
    ok = get_patient["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/PatientOut")
    listed = doc["paths"]["/api/v1/patients"]["get"]["responses"]["200"]
    ref = listed["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schemas[ref]["properties"]["items"]["items"]["$ref"].endswith("/PatientSummary")


@pytest.mark.parametrize("sort", ["name", "-days_missed"])
def test_the_patient_list_sent_unvalidated_is_what_its_model_would_send(
    world: World, sort: str
) -> None:
    """The list is sent as the use case built it (issue #21); validated against its response
    model and dumped, the body is unchanged: every value already has the model's type."""
    body = world.client.get(
        f"/api/v1/patients?limit=200&sort={sort}", headers=world.as_("clinician")
    ).json()
    assert body["items"]
    again = r.Listed[r.PatientSummary].model_validate(body).model_dump(mode="json")
    assert again == body
