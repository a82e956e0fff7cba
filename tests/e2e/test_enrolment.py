"""Enrolment end to end in Chromium: a clinician creates a patient and invites them, the patient
opens the link in a browser of their own, chooses a password and logs a diary day; the link then
refuses a second use. Also: the diary chart on a 390 x 844 phone fits the screen with no text
under 11 px, the handout page, and axe-core on the new pages (no serious or critical
violations)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import shot

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
NEW_PASSWORD = "a long enrolment passphrase"


def _axe(page: Any) -> list[str]:
    """Serious or critical axe-core violations on the page (as tests/e2e/test_web.py)."""
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} node(s)"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _fresh(browser: Any, server: str, csp: list[str]) -> tuple[Any, Any]:
    """A new browser context (no cookies: the patient's own phone) and its page."""
    ctx = browser.new_context(base_url=server, viewport=PHONE)
    page = ctx.new_page()
    page.on("console", lambda m: "Content Security Policy" in m.text and csp.append(m.text))
    return ctx, page


def test_clinician_invites_and_the_patient_enrols_then_the_link_is_spent(
    login: Any, browser: Any, server: str
) -> None:
    problems: dict[str, list[str]] = {}
    doc = login("clinician")
    doc.goto("/clinic/new")
    doc.fill("#display_name", "Enid (e2e enrolment)")
    doc.fill("#age_years", "52")
    doc.select_option("#sex", "female")
    doc.check("input[name=conditions][value=fibromyalgia]")
    doc.fill("#pain-duration_months", "36")
    doc.click("text=Save and screen")
    doc.wait_for_load_state("networkidle")
    assert "Enid (e2e enrolment)" in doc.locator("h1").inner_text()
    problems["clinician patient page"] = _axe(doc)
    doc.click("text=Invite to make a login")
    doc.wait_for_load_state("networkidle")
    link = doc.locator("#invite-link").inner_text().strip()
    code = doc.locator("#invite-code").inner_text().strip()
    assert "/enrol/" in link and len(code) == 9
    problems["clinician invite page"] = _axe(doc)
    shot(doc, "clinician-invite")

    csp: list[str] = []
    ctx, phone = _fresh(browser, server, csp)
    try:
        phone.goto(link)
        assert phone.locator("h1").inner_text() == "Set up your login"
        problems["patient enrol page"] = _axe(phone)
        phone.fill("#email", "enid.e2e@example.org")
        phone.fill("#password", NEW_PASSWORD)
        phone.fill("#password_again", NEW_PASSWORD)
        shot(phone, "patient-enrol-phone")
        phone.click("text=Make my login")
        phone.wait_for_load_state("networkidle")
        assert phone.url.endswith("/me") and phone.locator("h1").inner_text() == "My diary"
        phone.click(".nrs label:has(input[name=pain_avg][value='5'])")
        phone.locator("form.big button[type=submit]").click()
        phone.wait_for_selector("text=Saved.")
        assert phone.goto("/clinic/patients/1").status == 403  # their own record only
    finally:
        ctx.close()

    ctx, again = _fresh(browser, server, csp)
    try:
        response = again.goto(link)
        assert response is not None and response.status == 409
        assert "already been used" in again.locator("[role=alert]").inner_text()
        problems["spent invite page"] = _axe(again)
        again.goto("/enrol")
        problems["enrol by code page"] = _axe(again)
        again.fill("#code", code)
        again.fill("#email", "someone.else@example.org")
        again.fill("#password", NEW_PASSWORD)
        again.fill("#password_again", NEW_PASSWORD)
        again.click("text=Make my login")
        again.wait_for_load_state("networkidle")
        assert "already been used" in again.locator("[role=alert]").inner_text()
    finally:
        ctx.close()
    doc.click("text=Back to Enid (e2e enrolment)")
    doc.wait_for_load_state("networkidle")
    assert "The patient has a login" in doc.locator("#access").inner_text()
    assert not csp, csp
    assert not any(problems.values()), problems


def test_the_diary_chart_fits_a_phone_and_its_text_is_at_least_11_px(login: Any) -> None:
    page = login("patient", mobile=True)
    page.goto("/me/progress")
    page.wait_for_load_state("networkidle")
    svg = page.locator("figure.chart svg").first
    assert svg.is_visible()
    box = svg.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    smallest = page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('figure.chart svg text')].map(t => {
             const m = t.getScreenCTM();
             return parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
           }))"""
    )
    assert smallest >= 11.0, f"the smallest chart text is {smallest:.1f} px on a 390 px screen"
    shot(page, "patient-progress-phone")
    assert not _axe(page)


def test_the_handout_page_goes_back_and_prints(login: Any) -> None:
    page = login("patient", mobile=True)
    page.goto("/me/handout")
    assert page.locator("a[href='/me/plan']").first.is_visible()
    assert page.locator("button[data-print]").is_visible()
    page.emulate_media(media="print")
    assert not page.locator("button[data-print]").is_visible()  # tools are not printed
    page.emulate_media(media="screen")
    assert not _axe(page)
    page.locator("a[href='/me/plan']").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "My plan"
