"""The clinician's inbox in Chromium (issue #18): a patient records a side effect they have not
had before on their phone; the clinician's inbox lists the patient with the reason, and the
one-click action opens the record and clears the entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.conftest import shot


def test_a_patients_new_side_effect_shows_in_the_clinicians_inbox(login: Any) -> None:
    patient = login("patient", mobile=True)
    # a day the other browser tests leave alone (they log today and the two days before)
    day = (datetime.now(UTC).date() - timedelta(days=5)).isoformat()
    patient.fill("#date", day)
    patient.click(".nrs label:has(input[name=pain_avg][value='7'])")
    patient.check("input[name=side_effects][value=nausea]")
    patient.locator("form.big button[type=submit]").click()
    patient.wait_for_selector("text=Saved.")

    clinician = login("clinician")
    bell = clinician.locator("#bell [data-unread]")
    assert int(bell.get_attribute("data-unread") or "0") >= 1
    clinician.click("#bell >> text=Inbox")
    clinician.wait_for_load_state("networkidle")
    assert clinician.locator("h1").inner_text().startswith("Inbox")
    row = clinician.locator("table.inbox tbody tr", has_text="nausea")
    assert row.count() == 1
    assert "Anna" in row.inner_text() and "new side effect" in row.inner_text()
    shot(clinician, "clinician-inbox")
    row.locator("button", has_text="Review the record").click()
    clinician.wait_for_load_state("networkidle")
    assert "/clinic/patients/" in clinician.url and "Anna" in clinician.locator("h1").inner_text()
    clinician.goto("/clinic/inbox")
    assert clinician.locator("table.inbox tbody tr", has_text="nausea").count() == 0
