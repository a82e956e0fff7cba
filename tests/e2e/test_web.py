"""The web app end to end in Chromium: the paths a clinic walks, double submits, access control,
screenshots (out/e2e/) and an axe-core accessibility check on the main pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import LOGINS, PASSWORD, SHOTS, shot

AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def _axe(page: Any) -> list[str]:
    """Serious or critical axe-core violations on the page."""
    # through the devtools protocol: the pages' Content Security Policy refuses injected inline script
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} node(s)"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_clinician_screens_a_new_patient_and_makes_a_plan(login: Any) -> None:
    page = login("clinician")
    assert page.locator("h1").inner_text().startswith("Patients")
    shot(page, "clinician-patients")
    page.click("text=New patient")
    page.fill("#id", "e2e-fm-1")
    page.fill("#display_name", "Flora (e2e)")
    page.fill("#age_years", "41")
    page.select_option("#sex", "female")
    page.check("input[name=conditions][value=fibromyalgia]")
    page.fill("#pain-duration_months", "48")
    page.fill("#pain-average_nrs", "7")
    for area in (
        "shoulder_girdle_left",
        "shoulder_girdle_right",
        "upper_arm_left",
        "upper_arm_right",
        "hip_left",
        "hip_right",
        "upper_leg_left",
        "upper_leg_right",
        "neck",
        "upper_back",
        "lower_back",
        "jaw_left",
    ):
        page.check(f"input[name='pain.locations'][value={area}]")
    page.fill("#acr-fatigue", "3")
    page.fill("#acr-waking_unrefreshed", "2")
    page.fill("#acr-cognitive_symptoms", "2")
    page.check("input[name='acr.headaches']")
    page.fill("#medications-0-name", "amitriptyline")
    page.fill("#medications-0-dose", "10 mg")
    shot(page, "clinician-screening-form")
    page.click("text=Save and screen")
    page.wait_for_load_state("networkidle")
    assert "Flora (e2e)" in page.locator("h1").inner_text()
    assert (
        "candidate"
        in page.locator("#s-screen + p, section[aria-labelledby=s-screen]").first.inner_text()
    )
    page.click("text=Create plan")
    page.wait_for_load_state("networkidle")
    steps = page.locator("#plan table tbody tr")
    assert steps.count() >= 3 and "1.5 mg" in steps.first.inner_text()
    shot(page, "clinician-patient-dashboard")
    page.click("text=Prepare the prescription")
    page.wait_for_load_state("networkidle")
    assert (
        "DRAFT" in page.content() and "DEMO-12345" in page.content()
    )  # the licence from the profile
    shot(page, "clinician-prescription-preview")
    page.click("text=Sign and send to the pharmacy")  # the box is not ticked: the browser refuses
    assert "Check the prescription" in page.locator("h1").inner_text()
    page.check("input[name=confirm]")
    page.locator("form button[type=submit]", has_text="Sign and send").dblclick()
    page.wait_for_url("**/clinic/prescriptions/**")
    page.wait_for_load_state("networkidle")
    assert "Sent to the pharmacy" in page.content()
    assert page.locator("h1").inner_text().startswith("Prescription ")
    shot(page, "clinician-prescription")
    page.goto(page.url.split("/clinic/")[0] + "/clinic")
    page.click("text=Flora (e2e)")
    page.wait_for_load_state("networkidle")
    assert (
        page.locator("#plan table", has_text="Rx ").locator("tbody tr").count() == 1
    )  # one, not two


def test_a_bad_form_keeps_what_was_typed_and_names_the_field(login: Any) -> None:
    page = login("clinician")
    page.goto("/clinic/new")
    page.fill("#id", "e2e bad id")
    page.fill("#display_name", "Kept Name")
    page.fill("#age_years", "130")
    page.click("text=Save and screen")
    page.wait_for_load_state("networkidle")
    assert page.locator("#display_name").input_value() == "Kept Name"
    assert page.locator("#age_years").get_attribute("aria-invalid") == "true"
    assert page.locator("#age_years-error").is_visible() and page.locator("#id-error").is_visible()
    shot(page, "clinician-form-errors")


def test_patient_logs_three_days_and_a_double_submit_stores_one(login: Any, server: str) -> None:
    page = login("patient", mobile=True)
    assert page.locator("h1").inner_text() == "My diary"
    today = datetime.now(UTC).date()  # the server's clock is UTC
    for back, pain in ((2, 6), (1, 5), (0, 4)):
        day = (today - timedelta(days=back)).isoformat()
        page.fill("#date", day)
        page.click(f".nrs label:has(input[name=pain_avg][value='{pain}'])")
        page.check("input[name=side_effects][value=vivid_dreams]") if back == 0 else None
        page.locator("form.big button[type=submit]").dblclick()
        page.wait_for_selector("text=Saved.")
    shot(page, "patient-diary-phone")
    rows = page.locator("table tbody tr")
    days = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    for back in (0, 1, 2):
        assert days.count((today - timedelta(days=back)).isoformat()) == 1
    token = httpx.post(
        f"{server}/api/v1/auth/token", json={"email": LOGINS["patient"], "password": PASSWORD}
    ).json()["access_token"]
    me = httpx.get(f"{server}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    diary = httpx.get(
        f"{server}/api/v1/patients/{me['patient_id']}/diary?start={(today - timedelta(days=2)).isoformat()}",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert diary["total"] == 3
    page.goto("/me/plan")
    shot(page, "patient-plan")
    assert page.locator("a[href='/me/plan.ics']").is_visible()
    page.click("text=Read my handout")
    assert "LDN" in page.locator("h1").inner_text()


def test_pharmacist_records_a_batch_and_prints_the_worksheet(login: Any) -> None:
    page = login("pharmacist")
    shot(page, "pharmacist-queue")
    page.locator("table a[href^='/pharmacy/rx/']").first.click()
    page.wait_for_load_state("networkidle")
    # the worksheet is on the page before anything is recorded; the count comes from the Rx
    assert page.locator("#worksheet h2").inner_text().startswith("Worksheet:")
    assert page.locator("text=microcrystalline cellulose").first.is_visible()
    count = page.locator("#count").input_value()
    shot(page, "pharmacist-worksheet-before-batch")
    page.fill("#lot", "E2E-LOT-1")
    page.click("text=Record batch")
    page.wait_for_load_state("networkidle")
    assert "E2E-LOT-1" in page.content() and "beyond-use date" in page.content()
    batch = page.locator("article", has_text="Lot E2E-LOT-1")
    assert f"{count} capsules" in batch.locator("h3").inner_text()
    label = batch.locator(".label-box").inner_text()
    for needed in (
        "Demo Compounding Pharmacy",
        "+1 555 0100",
        "Lot E2E-LOT-1",
        "COMPOUNDED",
        "by mouth",
        "Keep out of reach of children.",
        "Prescriber: Dr Demo Clinician",
        "Rx ",
    ):
        assert needed in label, needed
    shot(page, "pharmacist-batch-label")
    batch.locator("summary", has_text="Void this batch").click()
    batch.locator("button", has_text="Void batch").click()  # no reason: the browser refuses
    batch.locator("input[name=reason]").fill("E2E: weighing error")
    batch.locator("button", has_text="Void batch").click()
    page.wait_for_load_state("networkidle")
    assert "Void: E2E: weighing error" in page.content()
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    assert page.locator("text=microcrystalline cellulose").first.is_visible()
    shot(page, "pharmacist-worksheet-print")
    pdf = page.request.get(page.url.split("#")[0] + "/worksheet.pdf")
    assert (
        pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
    )
    (SHOTS / "pharmacist-worksheet.pdf").write_bytes(pdf.body())


def test_clinician_sees_the_response_chart_and_the_trial(login: Any) -> None:
    page = login("clinician")
    page.click("text=Anna (example)")
    page.wait_for_load_state("networkidle")
    chart = page.locator("#s-progress ~ figure svg, section[aria-labelledby=s-progress] svg").first
    assert chart.is_visible()
    assert re.search(r"IMMPACT", page.locator("section[aria-labelledby=s-progress]").inner_text())
    shot(page, "clinician-response-chart")
    page.goto("/clinic")
    page.click("text=Carmen (example, N-of-1 trial)")
    page.wait_for_load_state("networkidle")
    assert "LDN" in page.locator("#trial .notice").inner_text()
    shot(page, "clinician-trial-result")
    page.goto("/evidence")
    shot(page, "evidence")
    page.goto("/pharmacology")
    shot(page, "pharmacology")


def test_a_patient_cannot_open_another_patients_page(login: Any) -> None:
    page = login("patient")
    for path in ("/clinic", "/clinic/patients/2", "/pharmacy", "/admin"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
        assert "Not allowed" in page.locator("h1").inner_text()


def test_main_pages_have_no_serious_accessibility_violations(login: Any) -> None:
    problems: dict[str, list[str]] = {}
    pages = {"clinician": ["/clinic", "/clinic/new", "/clinic/patients/1", "/clinic/patients/1/prescription",
                           "/clinic/prescriptions/1", "/evidence", "/pharmacology"],
             "patient": ["/me", "/me/plan", "/me/progress", "/me/trial"],
             "pharmacist": ["/pharmacy", "/pharmacy/rx/1", "/pharmacy/trials/1"], "admin": ["/admin"]}  # fmt: skip
    for role, paths in pages.items():
        page = login(role)
        for path in paths:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            found = _axe(page)
            if found:
                problems[f"{role} {path}"] = found
    page = login("clinician")
    page.goto("/login")
    assert not problems, problems


def test_admin_adds_a_pharmacist_and_deactivates_them(login: Any) -> None:
    page = login("admin")
    page.fill("#email", "new.pharmacist@demo.ldn.example")
    page.fill("#display_name", "New Pharmacist")
    page.select_option("#role", "pharmacist")
    page.fill("#password", "a-long-enough-password")
    page.click("text=Add user")
    page.wait_for_load_state("networkidle")
    row = page.locator("tr", has_text="new.pharmacist@demo.ldn.example")
    assert row.count() == 1
    row.locator("input[name=active]").uncheck()
    row.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert (
        not page.locator("tr", has_text="new.pharmacist@demo.ldn.example")
        .locator("input[name=active]")
        .is_checked()
    )
    shot(page, "admin-users")
