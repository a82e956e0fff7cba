"""The patient's diary as an installable app that works offline (issue #18 part 4), in Chromium:
the manifest and the service worker register, two days logged offline survive a reload while
offline and are stored exactly once when the phone is online again; an older offline edit of a
day that was changed meanwhile is not dropped silently: the patient is told and can send it
again. axe-core finds no serious or critical violation on the diary with entries kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.e2e.conftest import LOGINS, PASSWORD, shot
from tests.e2e.test_web import _axe

TODAY = datetime.now(UTC).date()  # the server's clock is UTC


def _api(server: str) -> tuple[dict[str, str], int]:
    token = httpx.post(
        f"{server}/api/v1/auth/token", json={"email": LOGINS["patient"], "password": PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    me = httpx.get(f"{server}/api/v1/auth/me", headers=headers).json()
    return headers, int(me["patient_id"])


def _entries(server: str, first: str, last: str) -> list[dict[str, Any]]:
    headers, pid = _api(server)
    r = httpx.get(
        f"{server}/api/v1/patients/{pid}/diary",
        params={"start": first, "end": last},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _installed(page: Any, server: str) -> None:
    """The manifest is linked and parsed, the service worker controls the diary."""
    assert (
        page.locator("link[rel=manifest]").get_attribute("href") == "/static/manifest.webmanifest"
    )
    scope = page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
    assert scope == f"{server}/me"
    page.reload()  # now under the worker's control: the diary page is kept for offline use
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    cdp = page.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert not manifest.get("errors"), manifest
    assert '"start_url": "/me"' in manifest["data"]


def _log(page: Any, day: str, pain: int) -> None:
    page.fill("#date", day)
    page.click(f".nrs label:has(input[name=pain_avg][value='{pain}'])")
    page.click("form.big button[type=submit]")
    page.wait_for_selector(f"#offline-list li.pending:has-text('{day}')")


def test_two_days_logged_offline_are_stored_once_when_online(login: Any, server: str) -> None:
    page = login("patient", mobile=True)
    _installed(page, server)
    days = [(TODAY - timedelta(days=back)).isoformat() for back in (10, 9)]
    page.context.set_offline(True)
    for day, pain in zip(days, (6, 3), strict=True):
        _log(page, day, pain)
    notice = page.locator("#offline-notice")
    assert notice.inner_text() == "Saved on this phone; will send when online."
    page.reload()  # offline: the service worker answers with the kept diary
    assert page.locator("h1").inner_text() == "My diary"
    assert page.locator("#offline-list li.pending").count() == 2
    shot(page, "patient-diary-offline")
    assert not _axe(page)
    page.context.set_offline(False)
    page.locator("#offline-list li.sent").nth(1).wait_for()
    assert page.locator("#offline-list li.pending").count() == 0
    sent = page.locator("#offline-list li.sent").all_inner_texts()
    assert sorted(sent) == [f"{days[0]} — stored", f"{days[1]} — stored"]
    stored = _entries(server, days[0], days[1])
    assert [(e["date"], e["pain_avg"], e["version"]) for e in stored] == [
        (days[0], 6, 1),
        (days[1], 3, 1),
    ]
    page.reload()  # and once more online: nothing is sent twice
    page.wait_for_load_state("networkidle")
    assert _entries(server, days[0], days[1]) == stored
    table = page.locator("table tbody tr td:first-child").all_inner_texts()
    assert [table.count(d) for d in days] == [1, 1]


def test_an_older_offline_edit_is_not_lost_silently(login: Any, server: str) -> None:
    page = login("patient", mobile=True)
    _installed(page, server)
    day = (TODAY - timedelta(days=12)).isoformat()
    page.context.set_offline(True)
    _log(page, day, 7)  # made now, on the phone, offline
    # meanwhile the same day is logged from another device (online, later)
    headers, pid = _api(server)
    other = httpx.put(
        f"{server}/api/v1/patients/{pid}/diary/{day}",
        headers=headers,
        json={"date": day, "pain_avg": 2},
    )
    assert other.status_code in (200, 201), other.text
    page.context.set_offline(False)
    refused = page.locator("#offline-list li.refused")
    refused.wait_for()
    assert "newer entry" in refused.inner_text() and day in refused.inner_text()
    assert [e["pain_avg"] for e in _entries(server, day, day)] == [2]  # the newer one was kept
    shot(page, "patient-diary-conflict")
    assert not _axe(page)
    page.reload()  # still there after a reload: kept on the phone until the patient decides
    refused.wait_for()
    refused.get_by_role("button", name="Send mine again").click()
    page.wait_for_selector(f"#offline-list li.sent:has-text('{day}')")
    assert "replaced an older entry" in page.locator("#offline-list li.sent").inner_text()
    stored = _entries(server, day, day)
    assert [(e["pain_avg"], e["version"]) for e in stored] == [(7, 2)]
    assert page.locator("#offline-list li.refused").count() == 0
