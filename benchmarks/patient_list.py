"""The clinician's patient list with its dashboard columns (issue #18) for a large clinic.

A clinic of N patients (default 10,000; half with an active plan, all screened, 30 diary days
each with a side effect every tenth day) is written in bulk to SQLite. Timed, in the same run:

- ``name page``   the list by name: one page of 50, columns for that page only (the reference)
- ``sorted``      sorted by days missed: the columns derived for every patient, one page cut
- ``filtered``    fibromyalgia, needs attention, no diary for 3 days

Each runs a few times; the median is printed with its ratio to the reference, and the number of
SQL statements (it must not depend on N), on SQLite and on PostgreSQL (a database made for the
run at ``LDN_TEST_DATABASE_URL``'s server, dropped after).
Run: python benchmarks/patient_list.py [--quick] [--profile] [--write-docs] (``--write-docs``, or
``make bench``, rewrites its table in docs/benchmarks.md)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _doc
import psycopg
from sqlalchemy import event, insert, select, text

from ldn.config import Settings
from ldn.persistence import migrate
from ldn.persistence.db import Database
from ldn.persistence.tables import DiaryRow, Patient, PatientRecordVersion, Plan, Screening, User
from ldn.services.clinic import accounts, patients
from ldn.services.clinic.context import SYSTEM, Actor, Clinic

QUICK = "--quick" in sys.argv
N = 1000 if QUICK else 10_000
DAYS = 30
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PG_ADMIN = os.environ.get(
    "LDN_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def seed(clinic: Clinic, n: int = N) -> Actor:
    """A clinic of ``n`` patients, written in bulk; its clinician doc@big.example (password
    ``x`` * 20)."""
    c = accounts.create_clinic(clinic, SYSTEM, name="Big Clinic")
    cid = int(c["id"])
    accounts.create_user(
        clinic,
        SYSTEM,
        clinic_id=cid,
        email="doc@big.example",
        password="x" * 20,
        role="clinician",
        display_name="Dr Big",
    )
    with clinic.db.transaction() as s:
        uid = int(s.scalar(select(User.id).where(User.email == "doc@big.example")) or 0)
        s.execute(
            insert(Patient),
            [
                {
                    "clinic_id": cid,
                    "record_id": f"p{i}",
                    "display_name": f"Patient {i:05d}",
                    "current_version": 1,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i in range(n)
            ],
        )
        ids = list(
            s.scalars(select(Patient.id).where(Patient.clinic_id == cid).order_by(Patient.id))
        )
        conditions = [{"code": "fibromyalgia"}], [{"code": "chronic_migraine"}]
        s.execute(
            insert(PatientRecordVersion),
            [
                {
                    "patient_id": pid,
                    "version": 1,
                    "created_at": NOW,
                    "data": {"id": f"p{i}", "conditions": conditions[i % 2]},
                }
                for i, pid in enumerate(ids)
            ],
        )
        s.execute(
            insert(Screening),
            [
                {
                    "patient_id": pid,
                    "record_version": 1,
                    "rules_version": "bench",
                    "as_of": NOW.date(),
                    "verdict": "candidate",
                    "report": {},
                    "created_at": NOW,
                }
                for pid in ids
            ],
        )
        start = NOW.date() - timedelta(days=60)
        steps = [
            {"dose_mg": mg, "start": (start + timedelta(days=14 * k)).isoformat()}
            for k, mg in enumerate((1.5, 3.0, 4.5))
        ]
        plan = {
            "plan": {"steps": steps, "assessment_date": (start + timedelta(weeks=12)).isoformat()}
        }
        s.execute(
            insert(Plan),
            [
                {
                    "patient_id": pid,
                    "version": 1,
                    "status": "active",
                    "options": {},
                    "data": plan,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for pid in ids[::2]
            ],
        )
        for chunk in range(0, len(ids), 1000):
            rows = []
            for n, pid in enumerate(ids[chunk : chunk + 1000]):
                for d in range(DAYS - (n % 7)):
                    day = NOW.date() - timedelta(days=DAYS + 1 - d)
                    effects = ["insomnia"] if d % 10 == 0 else []
                    rows.append(
                        {
                            "patient_id": pid,
                            "day": day,
                            "request_sha256": "-",
                            "version": 1,
                            "data": {
                                "date": day.isoformat(),
                                "pain_avg": 5,
                                "side_effects": effects,
                            },
                            "created_at": NOW,
                            "updated_at": NOW,
                        }
                    )
            s.execute(insert(DiaryRow), rows)
    return Actor(user_id=uid, role="clinician", clinic_id=cid)


def measure(clinic: Clinic, label: str, call: Callable[[], Any], reference: float | None) -> float:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    times = []
    for _ in range(3 if QUICK else 5):
        statements.clear()
        event.listen(clinic.db.engine, "before_cursor_execute", count)
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
        event.remove(clinic.db.engine, "before_cursor_execute", count)
    median = statistics.median(times)
    ratio = f"{median / reference:6.1f}x" if reference else "  (ref)"
    print(f"  {label:<12} {median * 1000:8.1f} ms  {ratio}  {len(statements)} statements")
    shown = f"{median * 1000:.1f} ms" if median < 0.1 else f"{median:.2f} s"
    if reference:
        shown += f" ({median / reference:.0f}×)"
    RESULTS.setdefault(label, {})[clinic.db.engine.dialect.name] = (shown, len(statements))
    return median


#: label -> dialect -> (time as shown, statements), for the table in docs/benchmarks.md
RESULTS: dict[str, dict[str, tuple[str, int]]] = {}
_ROWS = {
    "name page": "by name, one page of 50 (the default; columns for the page only; the reference)",
    "sorted": "sorted by days missed (columns for every patient, then one page)",
    "filtered": "filtered: fibromyalgia, needs attention, no diary for 3 days",
}


def table() -> str:
    """The results as docs/benchmarks.md shows them."""
    load = os.getloadavg()
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} by `python benchmarks/patient_list.py`: {N:,} "
        f"patients, {DAYS} diary days each, median of {3 if QUICK else 5} runs; load average "
        f"after the run {load[0]:.1f}.",
        "",
        "| query | SQLite | statements | PostgreSQL | statements |",
        "|---|---|---|---|---|",
    ]
    for label, words in _ROWS.items():
        got = RESULTS.get(label, {})
        cells = [got.get(d, ("-", "-")) for d in ("sqlite", "postgresql")]
        lines.append(f"| {words} | " + " | ".join(f"{t} | {n}" for t, n in cells) + " |")
    return "\n".join(lines)


def analyse(url: str, clinic: Clinic) -> None:
    """What autovacuum does a minute after a bulk load: the planner's statistics (without them
    PostgreSQL plans the page's subqueries for empty tables: 55 ms instead of 8) and, on
    PostgreSQL, the visibility map (the total's count reads the index alone)."""
    if url.startswith("postgresql"):
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    else:
        with clinic.db.transaction() as s:
            s.execute(text("ANALYZE"))


def run(url: str, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=url,
            data_dir=Path(tmp),
            secret_key="b" * 48,
            argon2_time_cost=1,
            argon2_memory_kib=64,
            argon2_parallelism=1,
        )
        db = Database(settings.resolved_database_url)
        migrate.upgrade(db)
        clinic = Clinic(settings, db, lambda: NOW)
        t0 = time.perf_counter()
        doc = seed(clinic)
        print(
            f"{name}: {N} patients, {DAYS} diary days each, seeded in {time.perf_counter() - t0:.1f} s"
        )
        analyse(url, clinic)

        def listing(**kw: Any) -> Any:
            return patients.list_patients(clinic, doc, limit=50, offset=0, **kw)

        ref = measure(clinic, "name page", listing, None)
        measure(clinic, "sorted", lambda: listing(sort="-days_missed"), ref)
        measure(
            clinic,
            "filtered",
            lambda: listing(condition="fibromyalgia", attention=True, no_diary_days=3),
            ref,
        )
        if "--profile" in sys.argv:
            profile(clinic, doc)
        clinic.close()


def profile(clinic: Clinic, doc: Actor) -> None:
    """cProfile of 20 default pages (by name), by own time."""
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    for _ in range(20):
        patients.list_patients(clinic, doc, limit=50, offset=0)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(15)
    print(out.getvalue())


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.sqlite3", "SQLite")
    admin = PG_ADMIN.replace("+psycopg", "")
    name = f"ldn_list_{os.getpid()}"
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    except psycopg.Error as exc:
        print(f"PostgreSQL skipped ({type(exc).__name__})")
        return
    try:
        run(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", "PostgreSQL")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
    report = table()
    print("\n" + report)
    if _doc.wanted() and not QUICK:
        _doc.rewrite_block("patient-list", report)


if __name__ == "__main__":
    main()
