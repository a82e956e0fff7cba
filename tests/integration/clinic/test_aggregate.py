"""A clinic's shareable aggregate through every door (issue 22, parts 3 and 4): the CLI, the
admin page (download, upload and pool), the permission (admin and clinician only), the audit
trail; and the demo cohort, whose N-of-1 trials pooled recover the synthetic truth they were
simulated from."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.measurereport import MeasureReport
from sqlalchemy import select

from ldn.domain.errors import NotFoundError, PermissionDeniedError
from ldn.persistence.tables import AuditEvent, Patient, Trial, User
from ldn.services.clinic import demo
from ldn.services.clinic.aggregate import export_aggregate
from ldn.services.clinic.context import SYSTEM, Actor, Clinic
from tests.conftest import ROOT
from tests.integration.clinic.helpers import World, build_world, web_login

EXAMPLES = sorted((ROOT / "examples" / "network").glob("*.json"))
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@pytest.fixture
def world(clinic: Clinic) -> Iterator[World]:
    w = build_world(clinic)
    with w.client:
        yield w


def _actor(clinic: Clinic, email: str) -> Actor:
    with clinic.db.transaction() as s:
        u = s.scalars(select(User).where(User.email == email)).one()
        return Actor(user_id=u.id, role=u.role, clinic_id=u.clinic_id, patient_id=u.patient_id)  # type: ignore[arg-type]


def _web(clinic: Clinic, email: str) -> TestClient:
    from ldn.asgi import create_app

    c = TestClient(create_app(clinic.settings, clinic=clinic))
    web_login(c, email)
    return c


def _names(clinic: Clinic) -> list[str]:
    with clinic.db.transaction() as s:
        rows = s.execute(select(Patient.display_name, Patient.record_id)).all()
        codes = s.scalars(select(Trial.trial_code)).all()
    return [n for r in rows for n in r if n] + list(codes)


def test_clinician_and_admin_export_pharmacist_and_patient_may_not(world: World) -> None:
    clinic = world.clinic
    for role in ("clinician", "admin"):
        doc = export_aggregate(clinic, _actor(clinic, f"{role}@demo.ldn.example"))
        assert doc["format"] == "ldn-aggregate/1" and doc["clinic"] == demo.DEMO_CLINIC
        text = json.dumps(doc)
        assert not DAY.search(text)
        assert not any(n in text for n in _names(clinic))
    for role in ("pharmacist", "patient"):
        with pytest.raises(PermissionDeniedError):
            export_aggregate(clinic, _actor(clinic, f"{role}@demo.ldn.example"))
    other = _actor(clinic, "doc@other.example")
    with pytest.raises(NotFoundError):
        export_aggregate(
            clinic, other, clinic_id=_actor(clinic, "admin@demo.ldn.example").clinic_id
        )
    with clinic.db.transaction() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.resource == "aggregate")).all()
        assert len(events) == 2 and all(e.patient_id is None for e in events)


def test_the_admin_page_downloads_and_pools(world: World) -> None:
    c = _web(world.clinic, "admin@demo.ldn.example")
    page = c.get("/admin/network")
    assert page.status_code == 200 and "Across clinics" in page.text
    doc = c.get("/admin/network/export?format=json")
    assert doc.status_code == 200 and "attachment" in doc.headers["content-disposition"]
    assert doc.json()["format"] == "ldn-aggregate/1"
    report = c.get("/admin/network/export?format=measure-report").json()
    MeasureReport.model_validate(report)
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    files = [("files", (p.name, p.read_bytes(), "application/json")) for p in EXAMPLES]
    pooled = c.post("/admin/network", data={"csrf": csrf}, files=files)
    assert pooled.status_code == 200, pooled.text[:500]
    assert "Randomized trials" in pooled.text and "fibromyalgia" in pooled.text
    assert "supports clinical judgement" in pooled.text
    bad = json.loads(EXAMPLES[0].read_text(encoding="utf-8"))
    bad["conditions"][0]["screened"] = 2
    refused = c.post(
        "/admin/network",
        data={"csrf": csrf},
        files=[("files", ("clinic-b.json", json.dumps(bad).encode(), "application/json"))],
    )
    assert refused.status_code == 422 and "clinic-b.json" in refused.text
    assert "below min_cell" in refused.text
    forged = c.post("/admin/network", data={"csrf": "nope"}, files=files)
    assert forged.status_code == 403


def test_a_pharmacist_cannot_open_the_network_page(world: World) -> None:
    c = _web(world.clinic, "pharmacist@demo.ldn.example")
    assert c.get("/admin/network").status_code == 403
    assert c.get("/admin/network/export").status_code == 403


def test_the_cli_writes_the_aggregate_and_the_measure_report(
    world: World, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LDN_DATA_DIR", str(world.clinic.settings.data_dir))
    url = world.clinic.settings.resolved_database_url
    code, _, err = cli("clinic", "export-aggregate", "--database-url", url)
    assert code == 2 and "--clinic" in err  # two clinics in this database: which one?
    cid = _actor(world.clinic, "admin@demo.ldn.example").clinic_id
    out = tmp_path / "agg.json"
    code, stdout, err = cli(
        "clinic", "export-aggregate", "--database-url", url, "--clinic", str(cid), "--out", str(out)
    )
    assert code == 0, err
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["clinic"] == demo.DEMO_CLINIC and not DAY.search(out.read_text(encoding="utf-8"))
    code, stdout, err = cli(
        "clinic",
        "export-aggregate",
        "--database-url",
        url,
        "--clinic",
        str(cid),
        "--format",
        "measure-report",
        "--label",
        "Clinic A",
    )
    assert code == 0, err
    report = json.loads(stdout)
    MeasureReport.model_validate(report)
    assert report["reporter"]["display"] == "Clinic A"


def test_the_demo_cohort_recovers_its_truth(clinic: Clinic, database_url: str) -> None:
    """The demo cohort's 22 blinded trials (simulated from DEMO_TRUTH, fixed seed) pooled with
    the hierarchical model: the 95 % intervals of the average effect and of the spread between
    patients cover the true values. The clinic's export carries the series without naming anyone."""
    if not database_url.startswith("sqlite"):
        pytest.skip("seeding the cohort once is enough (SQLite)")
    from ldn.domain.nof1.blinding import Allocation
    from ldn.domain.nof1.design import TrialDesign
    from ldn.domain.nof1.hierarchy import effect_likelihood, pool_series
    from ldn.domain.nof1.prior import sceptical_prior
    from ldn.services.clinic.context import Tx
    from ldn.services.clinic.diary import diary_entries
    from ldn.services.standalone.trials import design_series

    demo.seed_demo(clinic)  # a demo clinic from before the cohort existed (an older make run)
    demo.seed_demo(clinic, cohort=True)  # gets the cohort, once
    truth = demo.DEMO_TRUTH
    likelihoods = []
    with clinic.db.transaction() as s:
        tx = Tx(s, clinic.clock(), clinic.settings)
        rows = s.execute(
            select(Trial, Patient.record_id).join(Patient, Patient.id == Trial.patient_id)
        ).all()
        assert sum(p.startswith("demo-cohort-") and t.status == "analysed" for t, p in rows) == 22
        for t, record_id in rows:
            if not record_id.startswith("demo-cohort-"):
                continue  # the example trial (Carmen) is not simulated from the truth
            day, pain, on_ldn, _ = design_series(
                diary_entries(tx, t.patient_id),
                TrialDesign.from_public(t.design),
                Allocation.from_dict(t.sealed["allocation"]),
            )
            likelihoods.append(effect_likelihood(day, pain, on_ldn, label=t.trial_code))
    result = pool_series(likelihoods, prior=sceptical_prior())
    lo, hi = result.delta_ci_nrs
    assert lo <= truth.delta_nrs <= hi, (result.delta_mean_nrs, result.delta_ci_nrs)
    lo, hi = result.tau_ci_nrs
    assert lo <= truth.tau_nrs <= hi, (result.tau_mean_nrs, result.tau_ci_nrs)
    doc = export_aggregate(clinic, SYSTEM, clinic_id=demo.seed_demo(clinic, cohort=True).clinic_id)
    assert sum(s["patients"] for s in doc["nof1"]) >= 15
    text = json.dumps(doc)
    assert not any(n in text for n in _names(clinic)) and not DAY.search(text)
