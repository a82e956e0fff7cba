"""Scale out: N ``ldn serve`` processes (and N ``ldn worker``s) on different ports against one
PostgreSQL database, diary writers spread across them.

For each N in ``--servers`` (default 1, 2, 4): a fresh database ``ldn_scale_<pid>_<N>`` on the
server of ``LDN_TEST_DATABASE_URL`` (default postgres@127.0.0.1:5432; dropped after), a clinic
of ``--patients`` patients, N servers (``--workers 1`` each) and N job workers. The load
generator sends ``--writes`` diary POSTs, each with its own ``Idempotency-Key`` and day, over 16
keep-alive connections spread round-robin over the N ports; every tenth write is sent again
(same key, same body) a little later on another connection, usually to another server, as a
phone retries when an answer was lost. Then, from the database:

- **lost**: acknowledged writes (201 created or 200 replayed) whose entry is not stored;
- **duplicated**: a key or a (patient, day) stored more than once, or a key answered
  "created" more than once;
- **audit**: every chain verifies (the service's ``verify_audit``) and there is exactly one
  ``create`` event per stored entry and one ``replay`` event per replayed answer.

Run: python benchmarks/scale.py [--quick] [--servers 1,2,4] [--write-docs]
``--write-docs`` (or ``make bench``) rewrites the table in docs/scaling.md between its markers.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import _doc
import httpx
import psycopg
from _load import free_port, http, run_load, serve, stop, wait_ready
from patient_list import seed as seed_clinic
from sqlalchemy import text
from sqlalchemy.engine import make_url

from ldn.config import Settings
from ldn.persistence import migrate
from ldn.persistence.db import Database
from ldn.services.clinic import operations
from ldn.services.clinic.context import SYSTEM, Clinic

PG_ADMIN = os.environ.get(
    "LDN_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
LOGIN = {"email": "doc@big.example", "password": "x" * 20}
#: writes go to days before this one (the seeded diaries are in October-November 2026)
FIRST_DAY = date(2026, 6, 30)
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Outcome:
    servers: int
    sent: int
    answered: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    created: int
    replayed: int
    lost: int
    duplicated: int
    unacknowledged_stored: int
    audit_events: int
    chain_ok: bool
    audit_matches: bool

    @property
    def ok(self) -> bool:
        return (
            self.lost == 0
            and self.duplicated == 0
            and self.errors == 0
            and self.chain_ok
            and self.audit_matches
        )


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def run_scale(
    servers: int,
    *,
    writes: int,
    patients: int = 200,
    concurrency: int = 16,
    time_limit_s: float = 60,
    admin_url: str = PG_ADMIN,
    retry_every: int = 10,
) -> Outcome:
    """One measurement with ``servers`` processes; see the module docstring."""
    name = f"ldn_scale_{os.getpid()}_{servers}"
    admin = _libpq(admin_url)
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    procs = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                database_url=url,
                data_dir=Path(tmp),
                secret_key="s" * 48,
                argon2_time_cost=1,
                argon2_memory_kib=64,
                argon2_parallelism=1,
            )
            db = Database(url)
            migrate.upgrade(db)
            clinic = Clinic(settings, db)
            seed_clinic(clinic, patients)
            with db.transaction() as s:
                ids = [int(i) for i in s.scalars(text("SELECT id FROM patients ORDER BY id"))]
            env = {
                "LDN_DATABASE_URL": url,
                "LDN_DATA_DIR": tmp,
                "LDN_SECRET_KEY": settings.resolved_secret_key(),
                "LDN_AUDIT_KEY": ",".join(k.decode() for k in settings.resolved_audit_keys()),
                "LDN_LOG_LEVEL": "WARNING",
                "LDN_POOL_SIZE": "4",
                "LDN_RUN_JOBS_IN_SERVER": "off",
            }
            ports = [free_port() for _ in range(servers)]
            procs = [serve(p, env, workers=1) for p in ports]
            procs += [_job_worker(env) for _ in range(servers)]
            for p in ports:
                wait_ready(f"http://127.0.0.1:{p}/api/v1/health")
            token = httpx.post(
                f"http://127.0.0.1:{ports[0]}/api/v1/auth/token", json=LOGIN, timeout=30
            ).json()["access_token"]
            plan = _requests(ids, writes, retry_every)
            raw = [
                http("POST", f"/api/v1/patients/{pid}/diary", token, body, {"Idempotency-Key": key})
                for key, pid, body in plan
            ]
            warm = [http("GET", "/api/v1/auth/me", token)] * (4 * servers)
            run_load(ports, warm, concurrency=min(concurrency, 4 * servers), time_limit_s=10)
            result = run_load(ports, raw, concurrency=concurrency, time_limit_s=time_limit_s)
            summary = result.summary()
            statuses: dict[str, list[int]] = {}
            for index, status, _ in result.done:
                statuses.setdefault(plan[index][0], []).append(status)
            outcome = _verify(clinic, servers, plan, statuses, summary)
            clinic.close()
            return outcome
    finally:
        for proc in procs:
            stop(proc)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def _job_worker(env: dict[str, str]) -> Any:
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", "ldn", "worker"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _requests(ids: list[int], writes: int, retry_every: int) -> list[tuple[str, int, Any]]:
    """(key, patient id, body) in sending order: ``writes`` distinct entries, each
    ``retry_every``-th sent again 37 places later (another connection, usually another port)."""
    firsts = []
    for i in range(writes):
        day = FIRST_DAY - timedelta(days=i // len(ids))
        body = {"date": day.isoformat(), "pain_avg": float(i % 11), "dose_mg": 4.5}
        firsts.append((f"w{i}-{uuid.uuid4().hex[:12]}", ids[i % len(ids)], body))
    plan = list(firsts)
    for i in range(0, writes, retry_every):
        plan.insert(min(len(plan), i + i // retry_every + 37), firsts[i])
    return plan


def _verify(
    clinic: Clinic,
    servers: int,
    plan: list[tuple[str, int, Any]],
    statuses: dict[str, list[int]],
    summary: dict[str, Any],
) -> Outcome:
    sent_keys = {key for key, _, _ in plan}
    with clinic.db.transaction() as s:
        stored = Counter(
            str(k)
            for k in s.scalars(
                text("SELECT idempotency_key FROM diary_entries WHERE idempotency_key LIKE 'w%'")
            )
        )
        same_day = int(
            s.scalar(
                text(
                    "SELECT count(*) FROM (SELECT patient_id, day FROM diary_entries "
                    "GROUP BY patient_id, day HAVING count(*) > 1) d"
                )
            )
            or 0
        )
        creates = int(
            s.scalar(
                text(
                    "SELECT count(*) FROM audit_events WHERE resource = 'diary_entry' "
                    "AND action = 'create'"
                )
            )
            or 0
        )
        replays = int(
            s.scalar(
                text(
                    "SELECT count(*) FROM audit_events WHERE resource = 'diary_entry' "
                    "AND detail = 'replay'"
                )
            )
            or 0
        )
    acked = {k for k, codes in statuses.items() if any(c in (200, 201) for c in codes)}
    created = sum(codes.count(201) for codes in statuses.values())
    replayed = sum(codes.count(200) for codes in statuses.values())
    lost = len(acked - set(stored))
    twice_created = sum(max(codes.count(201) - 1, 0) for codes in statuses.values())
    duplicated = sum(n - 1 for n in stored.values()) + same_day + twice_created
    unacked = len((set(stored) & sent_keys) - acked)
    report = operations.verify_audit(clinic, SYSTEM)
    return Outcome(
        servers=servers,
        sent=len(plan),
        answered=summary["n"],
        rps=summary["rps"],
        p50_ms=summary["p50_ms"],
        p99_ms=summary["p99_ms"],
        errors=summary["errors"],
        created=created,
        replayed=replayed,
        lost=lost,
        duplicated=duplicated,
        unacknowledged_stored=unacked,
        audit_events=int(report["events"]),
        chain_ok=bool(report["ok"]),
        audit_matches=creates == len(stored) and replays == replayed,
    )


def table(rows: list[Outcome]) -> str:
    ref = rows[0].rps
    lines = [
        "| processes | writes sent (with retries) | answered | req/s | vs 1 process | p50 ms | "
        "p99 ms | errors | created | replayed | lost | duplicated | audit chain |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        chain = (
            f"verifies ({r.audit_events} events)" if r.chain_ok and r.audit_matches else "BROKEN"
        )
        lines.append(
            f"| {r.servers} | {r.sent} | {r.answered} | {r.rps:.0f} | {r.rps / ref:.2f}× | "
            f"{r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} | {r.created} | {r.replayed} | "
            f"{r.lost} | {r.duplicated} | {chain} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="600 writes per row")
    ap.add_argument("--servers", default="1,2,4")
    ap.add_argument("--writes", type=int, default=None)
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args()
    writes = args.writes or (600 if args.quick else 3000)
    rows = []
    for n in (int(x) for x in args.servers.split(",")):
        rows.append(run_scale(n, writes=writes))
        print(rows[-1], flush=True)
    load = os.getloadavg()
    head = (
        f"Measured {datetime.now(UTC):%Y-%m-%d} by `python benchmarks/scale.py`: {writes} diary "
        f"POSTs (+{writes // 10} retries) per row, 16 connections, each process `ldn serve "
        f"--workers 1` plus one `ldn worker`, PostgreSQL {_pg_version()} on the same 2 cores; "
        f"load average after the run {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}."
    )
    report = head + "\n\n" + table(rows)
    print("\n" + report)
    if _doc.wanted() and not args.quick:
        _doc.rewrite_block("scale", report, ROOT / "docs" / "scaling.md")
    if not all(r.ok for r in rows):
        raise SystemExit("lost or duplicated writes, errors, or a broken audit chain")


def _pg_version() -> str:
    with psycopg.connect(_libpq(PG_ADMIN)) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]).split()[0] if row else "?"


if __name__ == "__main__":
    main()
