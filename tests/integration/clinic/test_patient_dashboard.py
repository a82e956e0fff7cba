"""Issue #18 part 5 on SQLite and PostgreSQL: the patient list's dashboard columns (API and page),
sorted and filtered on the server, in a number of queries that does not grow with the clinic."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select

from ldn.domain.dashboard import ACTIONS
from ldn.persistence.tables import User
from ldn.services.clinic.context import Actor, Clinic
from ldn.services.clinic.demo_cohort import seed_cohort
from tests.integration.clinic.helpers import World, build_world, web_login

OLD = {"verdict", "plan_dose_mg", "days_logged", "last_entry", "trial"}
NEW = {
    "last_diary_day",
    "days_missed",
    "newest_side_effect",
    "current_dose_mg",
    "next_action",
    "next_action_text",
    "needs_attention",
    "diary_gap_days",
    "conditions",
}
URGENCY = [code for code, _ in ACTIONS]


@pytest.fixture
def world(clinic: Clinic) -> Iterator[World]:
    w = build_world(clinic)
    with w.client:
        yield w


def _list(world: World, **params: Any) -> dict[str, Any]:
    r = world.client.get(
        "/api/v1/patients", params={"limit": 200} | params, headers=world.as_("clinician")
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_the_list_has_the_dashboard_columns_and_keeps_the_old_ones(world: World) -> None:
    items = _list(world)["items"]
    assert items and all(set(p["status"]) >= OLD | NEW for p in items)
    anna = next(p for p in items if p["id"] == world.own)["status"]
    entries: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        got = world.client.get(
            f"/api/v1/patients/{world.own}/diary?limit=200&offset={offset}",
            headers=world.as_("clinician"),
        ).json()
        entries, offset = entries + got["items"], got["next_offset"]
    assert anna["last_diary_day"] == anna["last_entry"] == max(e["date"] for e in entries)
    ticked = [e for e in entries if e["side_effects"]]
    newest = max(ticked, key=lambda e: e["date"]) if ticked else None
    assert anna["newest_side_effect"] == (
        {"date": newest["date"], "side_effects": newest["side_effects"]} if newest else None
    )
    plan = world.client.get(f"/api/v1/patients/{world.own}/plan", headers=world.as_("clinician"))
    steps = [s for s in plan.json()["plan"]["steps"] if s["start"] <= "2026-11-25"]
    assert anna["current_dose_mg"] == anna["plan_dose_mg"] == steps[-1]["dose_mg"]
    assert "fibromyalgia" in anna["conditions"]
    # the clinic's plan judged on its assessment date (2026-11-25 is after it)
    assert plan.json()["plan"]["assessment_date"] <= "2026-11-25"
    assert anna["next_action"] == "review_response" and anna["needs_attention"] is True


def _non_null_then_null(values: list[Any], *, descending: bool) -> None:
    present = [v for v in values if v is not None]
    assert values == present + [None] * (len(values) - len(present))
    assert present == sorted(present, reverse=descending)


def test_sorted_on_the_server_by_every_column(world: World) -> None:
    total = _list(world)["total"]
    for sort, field in (
        ("last_diary_day", "last_diary_day"),
        ("days_missed", "days_missed"),
        ("dose", "current_dose_mg"),
    ):
        for descending in (False, True):
            page = _list(world, sort=("-" if descending else "") + sort)
            assert page["total"] == total
            _non_null_then_null([p["status"][field] for p in page["items"]], descending=descending)
    by_side_effect = _list(world, sort="-side_effect")["items"]
    days = [(p["status"]["newest_side_effect"] or {}).get("date") for p in by_side_effect]
    _non_null_then_null(days, descending=True)
    urgency = [
        URGENCY.index(p["status"]["next_action"]) for p in _list(world, sort="next_action")["items"]
    ]
    assert urgency == sorted(urgency)
    names = [p["display_name"] for p in _list(world, sort="-name")["items"]]
    assert names == sorted(names, reverse=True)
    # paging a sorted list: pages join up to the whole list
    whole = [p["id"] for p in _list(world, sort="-days_missed")["items"]]
    first = _list(world, sort="-days_missed", limit=3)
    second = _list(world, sort="-days_missed", limit=200, offset=3)
    assert [p["id"] for p in first["items"] + second["items"]] == whole
    bad = world.client.get("/api/v1/patients?sort=password", headers=world.as_("clinician"))
    assert bad.status_code == 422 and "sort" in bad.text


def test_filtered_on_the_server(world: World) -> None:
    everyone = _list(world)["items"]
    fm = _list(world, condition="fibromyalgia")
    assert fm["total"] == sum("fibromyalgia" in p["status"]["conditions"] for p in everyone) >= 2
    yes, no = _list(world, attention="true"), _list(world, attention="false")
    assert yes["total"] + no["total"] == len(everyone)
    assert all(p["status"]["needs_attention"] for p in yes["items"])
    assert not any(p["status"]["needs_attention"] for p in no["items"])
    gap = _list(world, no_diary_days=3)
    assert gap["items"], "the demo clinic has patients whose diary stopped"
    for p in gap["items"]:
        assert p["status"]["diary_gap_days"] is None or p["status"]["diary_gap_days"] >= 3
        assert p["status"]["days_missed"] is not None  # tracking
    both = _list(world, condition="fibromyalgia", attention="true", sort="-last_diary_day")
    assert {p["id"] for p in both["items"]} == {p["id"] for p in fm["items"]} & {
        p["id"] for p in yes["items"]
    }


def test_the_number_of_queries_does_not_grow_with_the_clinic(world: World) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    def queries(**params: Any) -> int:
        statements.clear()
        event.listen(world.clinic.db.engine, "before_cursor_execute", count)
        try:
            _list(world, **params)
        finally:
            event.remove(world.clinic.db.engine, "before_cursor_execute", count)
        return len(statements)

    before = {s: queries(sort=s) for s in ("name", "-days_missed")}
    doc = world.as_("clinician")
    for n in range(12):
        rec = {
            "id": f"bulk-{n}",
            "display_name": f"Bulk {n:02d}",
            "age_years": 40 + n,
            "sex": "female",
            "conditions": [{"code": "fibromyalgia"}],
            "pain": {"duration_months": 24},
        }
        pid = world.client.post("/api/v1/patients", headers=doc, json={"record": rec}).json()["id"]
        for day in ("2026-11-20", "2026-11-22"):
            r = world.client.post(
                f"/api/v1/patients/{pid}/diary",
                headers=doc,
                json={"date": day, "pain_avg": 5, "side_effects": ["insomnia"]},
            )
            assert r.status_code == 201, r.text
    after = {s: queries(sort=s) for s in ("name", "-days_missed")}
    assert after == before
    bulk = [
        p for p in _list(world, sort="-side_effect")["items"] if p["record_id"].startswith("bulk-")
    ]
    assert len(bulk) == 12 and all(
        p["status"]["newest_side_effect"]["date"] == "2026-11-22" for p in bulk
    )
    # since the first day (2026-11-20) to the day before NOW: 5 days, 2 logged
    assert all(p["status"]["days_missed"] == 3 for p in bulk)


def test_the_default_page_says_what_the_full_derivation_says(world: World) -> None:
    """The default page (by name) reads its columns in one statement of correlated subqueries
    (issue #21); sorted by a column, every patient's columns come from the aggregated queries.
    On the demo cohort (56 patients: trials running, revealed and analysed, plans started,
    stopped and not yet started, diaries with gaps and side effects) both give the same status
    for every patient, in both name orders and on every page."""
    with world.clinic.db.transaction() as s:
        u = s.scalars(select(User).where(User.email == "clinician@demo.ldn.example")).one()
        doc = Actor(user_id=u.id, role="clinician", clinic_id=u.clinic_id)
    seed_cohort(world.clinic, doc)
    full = {p["id"]: p for p in _list(world, sort="-last_diary_day")["items"]}
    assert len(full) > 56
    for order in ("name", "-name"):
        paged: list[dict[str, Any]] = []
        for offset in range(0, len(full), 25):
            page = _list(world, sort=order, limit=25, offset=offset)
            assert page["total"] == len(full)
            paged += page["items"]
        assert [p["id"] for p in paged] == [p["id"] for p in _list(world, sort=order)["items"]]
        for p in paged:
            assert p == full[p["id"]], p["display_name"]
    actions = {p["status"]["next_action"] for p in full.values()}
    assert len(actions) >= 4 and "review_response" in actions, actions  # a varied clinic


def test_the_page_sorts_and_filters_with_links(world: World) -> None:
    from fastapi.testclient import TestClient

    from ldn.asgi import create_app

    c = TestClient(create_app(world.clinic.settings, clinic=world.clinic))
    web_login(c)
    html = c.get("/clinic?sort=-last_diary_day&condition=fibromyalgia").text
    assert (
        'aria-sort="descending"><a href="/clinic?condition=fibromyalgia&amp;sort=last_diary_day"'
        in html
    )
    assert '<option value="fibromyalgia" selected>' in html
    for header in (
        "Last diary day",
        "Days missed",
        "Newest side effect",
        "Current dose",
        "Next action",
    ):
        assert header in html
    rows = re.findall(
        r"<tr(?: class=\"attention\")?>\s*<td><a href=\"/clinic/patients/(\d+)\"", html
    )
    api = _list(world, sort="-last_diary_day", condition="fibromyalgia")["items"]
    assert [int(r) for r in rows] == [p["id"] for p in api]
    only = c.get("/clinic?attention=1").text
    assert 'name="attention" value="1" checked' in only
    assert only.count('class="attention"') == len(re.findall(r"/clinic/patients/\d+\"", only))
    lenient = c.get("/clinic?sort=nonsense&no_diary_days=abc")
    assert lenient.status_code == 200
