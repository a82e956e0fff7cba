"""ldn's FHIR server driven by two independent client libraries, as their users would: fhirpy
(Beda Software) and fhirclient (SMART on FHIR, whose models parse every element strictly as
FHIR R4 4.0.1). The server runs on a loopback port (uvicorn in a thread) over the test's
database, SQLite and PostgreSQL. Imports use the hand-written export-shaped fixtures in
tests/fixtures/fhir (see the README there)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fhirpy
import pytest
import uvicorn
from fhirclient import server as fhirclient_server
from fhirclient.models.bundle import Bundle as FcBundle
from fhirclient.models.capabilitystatement import CapabilityStatement
from fhirclient.models.condition import Condition as FcCondition
from fhirclient.models.fhirabstractbase import FHIRValidationError
from fhirclient.models.observation import Observation as FcObservation
from fhirclient.models.patient import Patient as FcPatient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound

from ldn.api.app import create_app
from ldn.services.clinic.context import Clinic
from tests.integration.clinic.helpers import World, build_world
from tests.net import free_port

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fhir"
PAIN = "http://loinc.org|72514-3"


@dataclass
class Served:
    base: str
    world: World

    def auth(self, role: str = "clinician") -> str:
        return self.world.as_(role)["Authorization"]


@pytest.fixture
def served(clinic: Clinic) -> Iterator[Served]:
    world = build_world(clinic)
    app = create_app(clinic.settings, clinic=clinic)
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        ws="none",
        http="h11",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="ldn-fhir-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}/fhir/R4", world)
    finally:
        server.should_exit = True
        thread.join(20)


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# -- fhirpy -----------------------------------------------------------------------------------


def test_fhirpy_imports_a_us_core_export_and_reads_it_back(served: Served) -> None:
    client = fhirpy.SyncFHIRClient(served.base, authorization=served.auth())
    out = client.execute(
        "$import-patient", method="post", data=_fixture("us-core-maria-lopez.json")
    )
    params = {p["name"]: p for p in out["parameter"]}
    assert (
        params["outcome"]["valueCode"] == "created"
        and params["verdict"]["valueCode"] == "do_not_start_yet"
    )
    ref = params["patient"]["valueReference"]["reference"]
    patient = client.reference(reference=ref).to_resource()
    assert patient["birthDate"] == "1980-05-01"
    again = client.execute(
        "$import-patient", method="post", data=_fixture("us-core-maria-lopez.json")
    )
    assert {p["name"]: p for p in again["parameter"]}["message"]["valueString"].endswith(
        "(matched on MRN http://hospital.example.org/mrn|4471-0093)"
    )
    found = (
        client.resources("Patient")
        .search(identifier="http://hospital.example.org/mrn|4471-0093")
        .fetch_all()
    )
    assert [p.id for p in found] == [ref.split("/")[1]]
    meds = client.resources("MedicationStatement").search(patient=ref).fetch_all()
    assert any("OxyContin" in m["medicationCodeableConcept"]["text"] for m in meds)


def test_fhirpy_pagination_count_and_code_search(served: Served) -> None:
    client = fhirpy.SyncFHIRClient(served.base, authorization=served.auth())
    own = str(served.world.own)
    search = client.resources("Observation").search(patient=own)
    total = (
        search.count()
    )  # fhirpy sends _count=0 and its own _totalMethod (ignored, left out of self)
    everything = search.limit(7).fetch_all()  # follows the next links
    assert len(everything) == total > 90 and len({o.id for o in everything}) == total
    first_page = search.limit(7).fetch_raw()
    assert first_page["total"] == total and len(first_page["entry"]) == 7
    pain = client.resources("Observation").search(patient=own, code=PAIN).limit(25).fetch_all()
    assert pain and all(any(c["code"] == "72514-3" for c in o["code"]["coding"]) for o in pain)
    assert len(pain) == client.resources("Observation").search(patient=own, code=PAIN).count()
    newest = client.resources("Observation").search(patient=own, code=PAIN).sort("-date").first()
    dated = [o["effectiveDateTime"] for o in pain if "effectiveDateTime" in o]
    assert newest is not None and newest["effectiveDateTime"] == max(dated)
    in_november = (
        client.resources("Observation")
        .search(patient=own, date=["ge2026-11-01", "lt2026-12-01"])
        .fetch_all()
    )
    assert all(o["effectiveDateTime"][:7] == "2026-11" for o in in_november)


def test_fhirpy_conditional_read_and_strict_handling(served: Served) -> None:
    client = fhirpy.SyncFHIRClient(served.base, authorization=served.auth())
    condition = client.resources("Condition").search(patient=str(served.world.own)).first()
    assert condition is not None and condition["meta"]["versionId"]
    before = condition.serialize()
    condition.refresh()  # fhirpy sends If-None-Match with the versionId: 304 keeps the resource as is
    assert condition.serialize() == before
    data, status = client._do_request(
        "get",
        f"Condition/{condition.id}",
        extra_headers={"If-None-Match": 'W/"other"'},
        returning_status=True,
    )
    assert status == 200 and data["id"] == condition.id
    strict = fhirpy.SyncFHIRClient(
        served.base, authorization=served.auth(), extra_headers={"Prefer": "handling=strict"}
    )
    with pytest.raises(OperationOutcome) as err:
        strict.resources("Condition").search(patient=str(served.world.own), _elements="id").fetch()
    assert "_elements" in str(err.value)
    with pytest.raises(ResourceNotFound):
        client.resources("Condition").search(patient=str(served.world.foreign)).fetch()


def test_fhirpy_a_possible_match_is_an_operation_outcome(served: Served) -> None:
    client = fhirpy.SyncFHIRClient(served.base, authorization=served.auth())
    bundle = _fixture("synthea-style-grace-okafor.json")
    client.execute("$import-patient", method="post", data=bundle)
    # the same person from another EHR: other identifiers, same name, birth date and sex
    patient = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    patient["identifier"] = [{"system": "urn:other-ehr", "value": "77"}]
    with pytest.raises(OperationOutcome) as err:
        client.execute("$import-patient", method="post", data=bundle)
    assert "possible match" in str(err.value)


# -- fhirclient (strict R4 models) -------------------------------------------------------------


def _fc_server(served: Served, role: str = "clinician") -> Any:
    server = fhirclient_server.FHIRServer(None, base_uri=served.base)
    server.session.headers["Authorization"] = served.auth(role)
    return server


def test_fhirclient_parses_everything_ldn_serves(served: Served) -> None:
    server = _fc_server(served)
    capability = CapabilityStatement.read_from("metadata", server)
    assert capability.fhirVersion == "4.0.1"
    own = str(served.world.own)
    everything = FcBundle.read_from(
        f"Patient/{own}/$everything", server
    )  # parsed strictly, every entry
    kinds = {e.resource.resource_type for e in everything.entry}
    assert {
        "Patient",
        "Condition",
        "MedicationStatement",
        "Observation",
        "MedicationRequest",
        "CarePlan",
    } <= kinds
    patient = FcPatient.read(own, server)
    assert patient.id == own and patient.meta.versionId
    condition = FcCondition.read(f"{own}-condition-fibromyalgia", server)
    assert any(c.code == "M79.7" for c in condition.code.coding)


def test_fhirclient_follows_paging(served: Served) -> None:
    server = _fc_server(served)
    own = str(served.world.own)
    search = FcObservation.where(struct={"patient": own, "code": PAIN, "_count": "20"})
    pages = list(search.perform_iter(server))
    total = pages[0].total
    observations = [e.resource for page in pages for e in page.entry or []]
    assert len(pages) == -(-total // 20) and len(observations) == total > 90
    assert all(o.code.coding[0].code == "72514-3" for o in observations)
    conditions = list(FcCondition.where(struct={"patient": own}).perform_resources_iter(server))
    assert conditions and all(c.subject.reference == f"Patient/{own}" for c in conditions)


def test_fhirclient_reads_an_imported_synthea_style_patient(served: Served) -> None:
    server = _fc_server(served)
    out = server.post_json("$import-patient", _fixture("synthea-style-grace-okafor.json")).json()
    ref = {p["name"]: p for p in out["parameter"]}["patient"]["valueReference"]["reference"]
    patient = FcPatient.read(ref.split("/")[1], server)
    assert patient.birthDate.isostring == "1971-08-14" and patient.gender == "female"
    weight = list(
        FcObservation.where(
            struct={"patient": ref, "code": "http://loinc.org|29463-7"}
        ).perform_resources_iter(server)
    )
    assert [w.valueQuantity.value for w in weight] == [78.4]
    assert (
        weight[0].category[0].coding[0].code == "vital-signs"
        and weight[0].effectiveDateTime is not None
    )
    with pytest.raises(
        FHIRValidationError
    ):  # the models are strict: a sanity check that they parse at all
        FcPatient({"resourceType": "Patient", "birthDate": 5})
