"""The request path of issue #21 on SQLite and PostgreSQL: a diary POST in three statements,
the patient list's default page in few, and a revoked token refused on every kind of route
although the token is no longer checked in a transaction of its own before the use case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, select

from ldn.persistence.tables import DiaryRow
from ldn.services.clinic.context import Clinic
from tests.integration.clinic.helpers import World, build_world, login


@pytest.fixture
def world(clinic: Clinic) -> Iterator[World]:
    w = build_world(clinic)
    with w.client:
        yield w


class RoundTrips:
    """What a request sends to the database, as SQLAlchemy sees it: every statement executed on
    a cursor (``before_cursor_execute``: SELECT, INSERT, UPDATE, WITH …, and on SQLite the
    ``BEGIN IMMEDIATE`` ldn issues) and every COMMIT (the engine's ``commit`` event).

    Not counted, because no SQLAlchemy cursor event sees them: the ``BEGIN`` psycopg sends by
    itself before a transaction's first statement, and the connection pool's liveness check on
    checkout (``pool_pre_ping``, one short round trip per request, kept so that a restarted
    database server costs no failed request)."""

    def __init__(self, clinic: Clinic) -> None:
        self.engine = clinic.db.engine
        self.statements: list[str] = []
        self.commits = 0

    def _statement(self, *args: Any) -> None:
        self.statements.append(" ".join(str(args[2]).split()))

    def _commit(self, *_args: Any) -> None:
        self.commits += 1

    def __enter__(self) -> RoundTrips:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)

    @property
    def sql(self) -> list[str]:
        """The statements without SQLite's BEGIN IMMEDIATE (psycopg's BEGIN is not seen)."""
        return [s for s in self.statements if not s.startswith("BEGIN")]


def _entry(day: str) -> dict[str, Any]:
    return {"date": day, "pain_avg": 4.0, "dose_mg": 4.5}


def test_a_new_diary_entry_costs_three_statements_and_the_commit(world: World) -> None:
    """Actor + patient scope + audit head lock in one query, the INSERT (ON CONFLICT DO
    NOTHING: the idempotency and same-day checks), the audit event with its head (one statement
    on PostgreSQL, a data-modifying CTE; two on SQLite), then COMMIT."""
    c, h, pid = world.client, world.as_("clinician"), world.other
    pg = world.clinic.db.dialect == "postgresql"
    with RoundTrips(world.clinic) as trips:
        r = c.post(
            f"/api/v1/patients/{pid}/diary",
            headers={**h, "Idempotency-Key": "k-1"},
            json=_entry("2026-10-01"),
        )
    assert r.status_code == 201, r.text
    assert [s.split()[0] for s in trips.sql] == (
        ["SELECT", "INSERT", "WITH"] if pg else ["SELECT", "INSERT", "INSERT", "UPDATE"]
    )
    assert trips.commits == 1
    assert "FOR UPDATE" in trips.sql[0] or not pg  # the chain head is locked in the first query
    # a retry is answered from the stored entry: one more lookup, still one transaction
    with RoundTrips(world.clinic) as trips:
        again = c.post(
            f"/api/v1/patients/{pid}/diary",
            headers={**h, "Idempotency-Key": "k-1"},
            json=_entry("2026-10-01"),
        )
    assert again.status_code == 200 and again.headers["Diary-Outcome"] == "replayed"
    assert again.json()["id"] == r.json()["id"]
    assert len(trips.sql) == (4 if pg else 5) and trips.commits == 1


def test_the_default_patient_page_is_one_query_for_page_total_and_token(world: World) -> None:
    """Issue #21: the page, its total, the token check and every column's facts in one
    statement, then the audit event (one statement on PostgreSQL, two on SQLite)."""
    c, h = world.client, world.as_("clinician")
    with RoundTrips(world.clinic) as trips:
        page = c.get("/api/v1/patients?limit=50", headers=h)
    assert page.status_code == 200 and page.json()["total"] == len(page.json()["items"])
    first = trips.sql[0]
    assert "count(*)" in first and "users" in first and "token_version" in first
    assert "diary_entries" in first and "plans" in first and "trials" in first
    assert trips.commits == 1
    assert len(trips.sql) <= 4  # one read; the audit event (with its head's lock on SQLite)


@pytest.mark.parametrize("how", ["logout", "deactivate"])
def test_a_revoked_token_is_refused_on_every_kind_of_route(world: World, how: str) -> None:
    """Routes whose use case checks the token in its first query (diary, patient list), a use
    case without a patient (prescriptions), routes without a use case (/auth/me, instruments),
    a throttled computation, and a request the use case would refuse for its input: all 401
    once the token is revoked, and nothing is written."""
    c = world.client
    h = login(c, "clinician@demo.ldn.example")
    pid = world.other
    assert c.get("/api/v1/auth/me", headers=h).status_code == 200
    if how == "logout":
        assert c.post("/api/v1/auth/logout", headers=h).status_code == 204
    else:
        uid = c.get("/api/v1/auth/me", headers=h).json()["user_id"]
        r = c.patch(f"/api/v1/users/{uid}", headers=world.as_("admin"), json={"active": False})
        assert r.status_code == 200
    refused = [
        c.post(f"/api/v1/patients/{pid}/diary", headers=h, json=_entry("2026-10-02")),
        c.post(f"/api/v1/patients/{pid}/diary", headers=h, json=_entry("2100-01-01")),
        c.get("/api/v1/patients?limit=50", headers=h),
        c.get(f"/api/v1/patients/{pid}", headers=h),
        c.get("/api/v1/prescriptions", headers=h),
        c.get("/api/v1/auth/me", headers=h),
        c.get("/api/v1/compute/instruments", headers=h),
        c.get("/api/v1/compute/pk?dose_mg=4.5", headers=h),
        c.get("/api/v1/patients/999999999", headers=h),
    ]
    assert [r.status_code for r in refused] == [401] * len(refused)
    with world.clinic.db.transaction() as s:
        days = s.scalars(select(DiaryRow.day).where(DiaryRow.patient_id == pid)).all()
    assert date(2026, 10, 2) not in days
