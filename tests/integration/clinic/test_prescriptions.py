"""Prescriptions and the pharmacy through the API: a draft signed from the caller's profile,
one prescription per plan version, status per strength, batch counts from the prescription,
void with a reason, a second person's check, dispensing, refills, cancelling; errors are
problem+json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from ldn.services.clinic import accounts, pharmacy
from ldn.services.clinic.context import SYSTEM, Actor, Clinic
from tests.conftest import PATIENTS
from tests.integration.clinic.helpers import PASSWORD, World, build_world, login


@pytest.fixture
def world(clinic: Clinic) -> Iterator[World]:
    w = build_world(clinic)
    with w.client:
        yield w


def _patient(world: World, rid: str, *, form: str = "capsule") -> int:
    rec: dict[str, Any] = json.loads(
        json.dumps(yaml.safe_load((PATIENTS / "fibromyalgia.yaml").read_text()), default=str)
    )
    rec["id"] = rid
    c, doc = world.client, world.as_("clinician")
    pid = int(c.post("/api/v1/patients", headers=doc, json={"record": rec}).json()["id"])
    r = c.post(f"/api/v1/patients/{pid}/plan", headers=doc, json={"form": form})
    assert r.status_code == 201, r.text
    return pid


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    return body


def test_draft_then_one_prescription_per_plan_version(world: World) -> None:
    c, doc = world.client, world.as_("clinician")
    pid = _patient(world, "rx-1")
    draft = c.get(f"/api/v1/patients/{pid}/prescriptions/draft", headers=doc)
    assert draft.status_code == 200, draft.text
    d = draft.json()["document"]
    assert d["rx_number"].startswith("DRAFT") and d["prescriber"]["name"] == "Dr Demo Clinician"
    assert d["prescriber"]["clinic"] == "Demo Pain Clinic" and d["patient"]["age_years"] > 0
    assert c.get(f"/api/v1/patients/{pid}/prescriptions", headers=doc).json() == []  # nothing sent

    version = draft.json()["plan_version"]
    first = c.post(
        f"/api/v1/patients/{pid}/prescriptions", headers=doc, json={"plan_version": version}
    )
    again = c.post(
        f"/api/v1/patients/{pid}/prescriptions", headers=doc, json={"plan_version": version}
    )
    assert first.status_code == 201 and again.status_code == 200, again.text
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["Location"] == f"/api/v1/prescriptions/{first.json()['id']}"
    assert len(c.get(f"/api/v1/patients/{pid}/prescriptions", headers=doc).json()) == 1
    assert first.json()["document"]["rx_number"] == f"Rx {first.json()['id']}"

    stale = c.post(f"/api/v1/patients/{pid}/prescriptions", headers=doc, json={"plan_version": 99})
    assert "changed" in _problem(stale, 412)["detail"]
    etag = c.get(f"/api/v1/patients/{pid}/plan", headers=doc).headers["ETag"]
    r = c.put(
        f"/api/v1/patients/{pid}/plan",
        headers={**doc, "If-Match": etag},
        json={"form": "liquid"},
    )
    assert r.status_code == 200, r.text
    new = c.post(f"/api/v1/patients/{pid}/prescriptions", headers=doc, json={})
    assert new.status_code == 201 and new.json()["id"] != first.json()["id"]


def test_concurrent_sends_make_one_prescription(world: World) -> None:
    """Two sends at the same moment (two tabs, a retried request): the plan row is locked while
    the first decides, so the second finds its prescription."""
    me = world.client.get("/api/v1/auth/me", headers=world.as_("clinician")).json()
    actor = Actor(me["user_id"], "clinician", me["clinic_id"])
    pid = _patient(world, "rx-race")
    with ThreadPoolExecutor(4) as pool:
        ids = list(
            pool.map(
                lambda _: pharmacy.create_prescription(world.clinic, actor, pid)["id"], range(4)
            )
        )
    assert len(set(ids)) == 1
    assert len(pharmacy.list_prescriptions(world.clinic, actor, pid)) == 1


def test_prescription_fields_and_licence_from_settings(clinic: Clinic) -> None:
    settings = clinic.settings.model_copy(
        update={
            "prescriber_licences": {"clinician@demo.ldn.example": "MD-4711"},
            "pharmacy_name": "Main Street Compounding",
            "pharmacy_phone": "+1 555 0100",
        }
    )
    clinic.settings = settings
    w = build_world(clinic)
    with w.client:
        pid = _patient(w, "rx-lic")
        rx = w.client.post(
            f"/api/v1/patients/{pid}/prescriptions", headers=w.as_("clinician"), json={}
        ).json()
        d = rx["document"]
        assert d["prescriber"] == {
            "name": "Dr Demo Clinician",
            "licence": "MD-4711",
            "clinic": "Demo Pain Clinic",
        }
        assert d["diagnosis"][0] == "Fibromyalgia (ICD-10 M79.7)"
        assert "Naltrexone hypersensitivity: none recorded" in d["allergies"]
        assert [q["quantity"] for q in d["quantities"]] == [14, 14, 57]  # to the assessment date
        assert d["refills"] == 0 and d["review_on"] == "2027-02-17"
        assert (
            d["directions"][0]["text"]
            == "Take 1 x 1.5 mg capsule (1.5 mg) by mouth once daily at bedtime"
        )
        assert "Licence no.: MD-4711" in rx["text"] and "Date of birth" in rx["text"]
        b = w.client.post(
            f"/api/v1/prescriptions/{rx['id']}/batches",
            headers=w.as_("pharmacist"),
            json={"lot": "L-1"},
        )
        label = b.json()["label"]
        assert (
            label["pharmacy"] == "Main Street Compounding"
            and label["pharmacy_phone"] == "+1 555 0100"
        )
        assert label["rx_number"] == f"Rx {rx['id']}" and label["lot"] == "L-1"


def test_status_per_strength_counts_from_the_rx_void_check_dispense(world: World) -> None:
    c, doc, ph = world.client, world.as_("clinician"), world.as_("pharmacist")
    pid = _patient(world, "rx-2")
    rx = c.post(f"/api/v1/patients/{pid}/prescriptions", headers=doc, json={}).json()
    url = f"/api/v1/prescriptions/{rx['id']}"
    sheet = c.get(f"{url}/worksheet", headers=ph)
    assert sheet.status_code == 200 and sheet.json()["strength"] == "1.5"
    assert sheet.json()["units"] == 14  # the prescription's quantity, not 30
    assert c.get(url, headers=ph).json()["batches"] == []  # the worksheet records nothing
    assert "Keep out of reach of children." in sheet.json()["label"]["warnings"]

    b1 = c.post(f"{url}/batches", headers=ph, json={"lot": "A-1"})
    assert b1.status_code == 201 and b1.json()["units"] == 14 and b1.json()["strength"] == "1.5"
    state = c.get(url, headers=ph).json()
    assert state["status"] == "compounding"  # one strength of three is not ready
    assert [p["status"] for p in state["progress"]] == ["made", "to make", "to make"]
    assert _problem(c.post(f"{url}/dispense", headers=ph), 409)["detail"]
    b2 = c.post(
        f"{url}/batches", headers=ph, json={"lot": "A-2"}
    ).json()  # next strength by default
    assert b2["strength"] == "3" and b2["units"] == 14
    b3 = c.post(f"{url}/batches", headers=ph, json={"lot": "A-3", "strength_mg": 4.5}).json()
    assert b3["units"] == 57
    assert c.get(url, headers=ph).json()["status"] == "ready"

    # void needs a reason (problem+json), then the strength no longer counts
    assert _problem(c.post(f"{url}/batches/{b3['id']}/void", headers=ph, json={}), 422)
    v = c.post(f"{url}/batches/{b3['id']}/void", headers=ph, json={"reason": "spilled"})
    assert v.status_code == 200 and v.json()["void"]["reason"] == "spilled"
    assert c.get(url, headers=ph).json()["status"] == "compounding"
    assert _problem(c.post(f"{url}/batches/{b3['id']}/void", headers=ph, json={"reason": "x"}), 409)
    c.post(f"{url}/batches", headers=ph, json={"lot": "A-4", "strength_mg": 4.5})

    # the second-person check: never the compounder; a second pharmacist may
    assert (
        "second person"
        in _problem(c.post(f"{url}/batches/{b1.json()['id']}/verification", headers=ph), 409)[
            "detail"
        ]
    )
    accounts.create_user(
        world.clinic,
        SYSTEM,
        clinic_id=1,
        email="ph2@demo.ldn.example",
        password=PASSWORD,
        role="pharmacist",
        display_name="Second Pharmacist",
    )
    ph2 = login(c, "ph2@demo.ldn.example")
    ok = c.post(f"{url}/batches/{b1.json()['id']}/verification", headers=ph2)
    assert ok.status_code == 200 and ok.json()["verification"]["by_name"] == "Second Pharmacist"

    done = c.post(f"{url}/dispense", headers=ph)
    assert done.status_code == 200 and done.json()["status"] == "dispensed"
    assert [h["status"] for h in done.json()["history"]] == [
        "issued",
        "compounding",
        "ready",
        "compounding",
        "ready",
        "dispensed",
    ]
    assert _problem(
        c.post(f"{url}/batches", headers=ph, json={"lot": "late"}), 409
    )  # every fill dispensed
    assert _problem(c.post(f"{url}/cancel", headers=doc, json={"reason": "x"}), 409)  # nothing left
    assert c.get("/api/v1/prescriptions?status=dispensed", headers=ph).json()["total"] >= 1


def test_liquid_refills_and_cancel_with_a_reason(world: World) -> None:
    c, doc, ph = world.client, world.as_("clinician"), world.as_("pharmacist")
    pid = _patient(world, "rx-3", form="liquid")
    rx = c.post(f"/api/v1/patients/{pid}/prescriptions", headers=doc, json={}).json()
    assert rx["document"]["refills"] >= 1 and rx["fills_total"] == rx["document"]["refills"] + 1
    url = f"/api/v1/prescriptions/{rx['id']}"
    first = c.post(f"{url}/batches", headers=ph, json={"lot": "LQ-1"}).json()
    assert first["label"]["warnings"][0] == "Shake well before each dose."
    assert (
        "2-8 °C" in first["label"]["storage"]
        and "with the oral syringe" in first["label"]["directions"]
    )
    assert c.get(url, headers=ph).json()["status"] == "ready"
    assert c.post(f"{url}/dispense", headers=ph).json()["refills_left"] == rx["fills_total"] - 1
    second = c.post(f"{url}/batches", headers=ph, json={"lot": "LQ-2"}).json()
    state = c.get(url, headers=ph).json()
    assert second["fill"] == 2 and state["fill"] == 2 and state["status"] == "ready"
    assert _problem(c.post(f"{url}/cancel", headers=doc, json={"reason": ""}), 422)
    r = c.post(f"{url}/cancel", headers=doc, json={"reason": "switching to capsules"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert r.json()["cancel_reason"] == "switching to capsules"
    assert _problem(c.post(f"{url}/batches", headers=ph, json={"lot": "LQ-3"}), 409)
    assert _problem(c.post(f"{url}/dispense", headers=ph), 409)


def test_a_clinician_without_a_name_cannot_sign(world: World) -> None:
    c = world.client
    accounts.create_user(
        world.clinic,
        SYSTEM,
        clinic_id=1,
        email="noname@demo.ldn.example",
        password=PASSWORD,
        role="clinician",
    )
    h = login(c, "noname@demo.ldn.example")
    pid = _patient(world, "rx-4")
    r = c.post(f"/api/v1/patients/{pid}/prescriptions", headers=h, json={})
    assert "no name" in _problem(r, 422)["detail"]


def _web_login(client: TestClient, email: str) -> None:
    form = client.get("/login").text
    csrf = form.split('name="csrf" value="')[1].split('"')[0] if 'name="csrf"' in form else ""
    r = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf": csrf}, follow_redirects=False
    )
    assert r.status_code == 303, r.text


def _csrf(html: str) -> str:
    return html.split('name="csrf" value="')[1].split('"')[0]


def test_web_preview_then_one_prescription_on_a_double_click(world: World) -> None:
    from ldn.asgi import create_app as create_web_app

    pid = _patient(world, "rx-web")
    doc = TestClient(create_web_app(world.clinic.settings, clinic=world.clinic))
    _web_login(doc, "clinician@demo.ldn.example")
    dash = doc.get(f"/clinic/patients/{pid}")
    assert "Prepare the prescription" in dash.text
    preview = doc.get(f"/clinic/patients/{pid}/prescription")
    assert (
        preview.status_code == 200
        and "DRAFT" in preview.text
        and "Dr Demo Clinician" in preview.text
    )
    assert "by mouth once daily at bedtime" in preview.text
    csrf = _csrf(preview.text)
    missing = doc.post(
        f"/clinic/patients/{pid}/prescription", data={"csrf": csrf, "plan_version": "1"}
    )
    assert missing.status_code == 422 and 'id="confirm-error"' in missing.text
    form = {"csrf": csrf, "plan_version": "1", "confirm": "yes"}
    one = doc.post(f"/clinic/patients/{pid}/prescription", data=form, follow_redirects=False)
    two = doc.post(f"/clinic/patients/{pid}/prescription", data=form, follow_redirects=False)
    assert one.status_code == two.status_code == 303
    assert one.headers["location"] == two.headers["location"]
    assert (
        len(
            world.client.get(
                f"/api/v1/patients/{pid}/prescriptions", headers=world.as_("clinician")
            ).json()
        )
        == 1
    )
    shown = doc.get(one.headers["location"])
    assert "Sent to the pharmacy" in shown.text and "Signature" in shown.text
    pdf = doc.get(one.headers["location"].split("?")[0] + ".pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    cancel = doc.post(
        one.headers["location"].split("?")[0] + "/cancel", data={"csrf": csrf, "reason": ""}
    )
    assert cancel.status_code == 422 and 'id="reason-error"' in cancel.text


def test_web_pharmacist_sees_the_worksheet_before_recording(world: World) -> None:
    from ldn.asgi import create_app as create_web_app

    pid = _patient(world, "rx-ph")
    rx = world.client.post(
        f"/api/v1/patients/{pid}/prescriptions", headers=world.as_("clinician"), json={}
    ).json()
    ph = TestClient(create_web_app(world.clinic.settings, clinic=world.clinic))
    _web_login(ph, "pharmacist@demo.ldn.example")
    page = ph.get(f"/pharmacy/rx/{rx['id']}")
    assert page.status_code == 200 and "Worksheet: 1.5 mg capsule, 14 capsules" in page.text
    assert "microcrystalline cellulose" in page.text and "No batch recorded yet." in page.text
    csrf = _csrf(page.text)
    bad = ph.post(
        f"/pharmacy/rx/{rx['id']}/batch",
        data={"csrf": csrf, "lot": "", "strength_mg": "1.5", "count": "12"},
    )
    assert bad.status_code == 422 and 'id="lot-error"' in bad.text and 'value="12"' in bad.text
    ok = ph.post(
        f"/pharmacy/rx/{rx['id']}/batch",
        data={"csrf": csrf, "lot": "W-1", "strength_mg": "1.5", "count": "14"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    after = ph.get(f"/pharmacy/rx/{rx['id']}")
    assert "Lot W-1" in after.text and "Worksheet: 3 mg capsule" in after.text
    batch_id = world.client.get(
        f"/api/v1/prescriptions/{rx['id']}/batches", headers=world.as_("pharmacist")
    ).json()[0]["id"]
    label = ph.get(f"/pharmacy/rx/{rx['id']}/batches/{batch_id}/label")
    assert (
        label.status_code == 200
        and "COMPOUNDED" in label.text
        and "Keep out of reach of children." in label.text
    )
    early = ph.post(f"/pharmacy/rx/{rx['id']}/dispense", data={"csrf": csrf})
    assert early.status_code == 409 and "cannot be dispensed" in early.text
    for lot in ("W-2", "W-3"):  # the worksheet's defaults: the next strength, the Rx quantity
        page = ph.get(f"/pharmacy/rx/{rx['id']}")
        hidden = {
            name: value
            for name, value in (
                (part.split('name="')[1].split('"')[0], part.split('value="')[1].split('"')[0])
                for part in page.text.split('<input type="hidden"')[1:]
                if 'name="' in part and 'value="' in part
            )
            if name in ("strength_mg", "count", "api")
        }
        r = ph.post(f"/pharmacy/rx/{rx['id']}/batch", data={"csrf": csrf, "lot": lot, **hidden})
        assert r.status_code == 200 and f"Lot {lot}" in r.text  # followed the redirect
    assert "Every strength of fill 1 is made" in ph.get(f"/pharmacy/rx/{rx['id']}").text
    done = ph.post(f"/pharmacy/rx/{rx['id']}/dispense", data={"csrf": csrf})
    assert done.status_code == 200 and "Nothing more to make" in done.text


def test_web_trial_bottles_get_worksheet_batch_and_blinded_labels(world: World) -> None:
    from ldn.asgi import create_app as create_web_app

    pid = _patient(world, "rx-trial")
    r = world.client.post(
        f"/api/v1/patients/{pid}/trials",
        headers=world.as_("clinician"),
        json={"start": "2026-12-01", "seed": 11},
    )
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    ph = TestClient(create_web_app(world.clinic.settings, clinic=world.clinic))
    _web_login(ph, "pharmacist@demo.ldn.example")
    page = ph.get(f"/pharmacy/trials/{tid}")
    assert page.status_code == 200 and page.text.count("Record batch for bottle") == 2
    assert "placebo capsules (no naltrexone)" in page.text  # the pharmacist's record
    csrf = _csrf(page.text)
    ok = ph.post(
        f"/pharmacy/trials/{tid}/bottles/A/batch",
        data={"csrf": csrf, "lot": "T-A"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    label = ph.get(f"/pharmacy/trials/{tid}/batches/1/label")
    assert "BOTTLE A" in label.text and "Keep out of reach of children." in label.text
    assert "placebo" not in label.text.lower() and "4.5 mg" not in label.text  # the letter only
    # the patient's and the clinician's view of the trial shows no bottle contents
    trial = world.client.get(f"/api/v1/trials/{tid}", headers=world.as_("clinician")).json()
    assert "batches" not in json.dumps(trial) and "placebo" not in json.dumps(trial)
