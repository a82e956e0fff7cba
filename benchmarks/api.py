"""API load benchmark: throughput and p50/p99 latency on loopback, SQLite and PostgreSQL.

Scenarios (each bounded by a request count and a time limit, 0 errors expected):
- ``bare``      a bare FastAPI POST endpoint (no auth, no database) — the reference, same run
- ``diary``     POST /patients/{id}/diary (token check, validation, insert, audit event)
- ``screening`` POST /patients/{id}/screenings (the full domain screen, stored, audited)
- ``list``      GET /patients, the default page (50 by name, status columns, audited) of a
                clinic of ``--patients`` patients (default 10,000, 30 diary days each)

The server is ``ldn serve`` (uvicorn, WORKERS processes, ldn's settings as shipped: access log
at INFO unless ``--log-level``); the load generator is a small asyncio HTTP/1.1 keep-alive client
in this process (the machine's 2 cores are shared by it, the workers and the database server).

    python benchmarks/api.py [--quick] [--db postgresql] [--only list] [--profile] [--write-docs]

``--profile`` samples the workers with py-spy during the diary and list scenarios and prints
where their CPU went. ``--write-docs`` (or ``make bench``) rewrites the latest table in
docs/benchmarks.md (a full run only: every scenario, not ``--quick``, no profiler).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import _doc
import httpx
import psycopg
from _load import (
    CpuMeter,
    Profile,
    format_profile,
    free_port,
    http,
    run_load,
    serve,
    stop,
    wait_ready,
)
from patient_list import seed as seed_big_clinic
from sqlalchemy import text

from ldn.config import Settings
from ldn.services.clinic import demo, operations, patients
from ldn.services.clinic.context import Actor, Clinic

WORKERS = 2
CONCURRENCY = 16
PG_ADMIN = os.environ.get(
    "LDN_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BIG_CLINIC_LOGIN = {"email": "doc@big.example", "password": "x" * 20}
#: made by hand in the benchmark's database for the last row (the schema has no such index yet)


def seed(url: str, tmp: Path, n_patients: int) -> tuple[Settings, list[int]]:
    """The demo clinic with 40 patients for the write scenarios, and a clinic of
    ``n_patients`` (bulk-written) for the list."""
    settings = Settings(database_url=url, data_dir=tmp, secret_key="bench-" + "k" * 40)
    clinic = Clinic.open(settings)
    operations.upgrade(clinic)
    logins = demo.seed_demo(clinic)
    with clinic.db.transaction() as s:
        doc_id = int(s.execute(text("SELECT id FROM users WHERE role = 'clinician'")).scalar_one())
    doc = Actor(doc_id, "clinician", logins.clinic_id)
    ids = []
    for i in range(40):
        rec = {
            "id": f"bench-{i}",
            "display_name": f"Bench {i:02d}",
            "age_years": 30 + i,
            "sex": "female",
            "conditions": [{"code": "fibromyalgia"}],
            "pain": {"duration_months": 24, "average_nrs": 6},
        }
        ids.append(int(patients.create_patient(clinic, doc, record=rec)["id"]))
    seed_big_clinic(clinic, n_patients)
    # what autovacuum does minutes after a bulk load: the planner's statistics (without them
    # PostgreSQL plans the list's page for an empty table) and the visibility map (the total's
    # count then reads the index alone)
    if url.startswith("postgresql"):
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    else:
        with clinic.db.transaction() as s:
            s.execute(text("ANALYZE"))
    clinic.close()
    return settings, ids


def token(port: int, login: dict[str, str]) -> str:
    url = f"http://127.0.0.1:{port}/api/v1/auth/token"
    return str(httpx.post(url, json=login, timeout=30).json()["access_token"])


def bench_database(
    kind: str, url: str, tmp: Path, args: argparse.Namespace
) -> list[dict[str, Any]]:
    settings, ids = seed(url, tmp, args.patients)
    port = free_port()
    env = {
        "LDN_DATABASE_URL": url,
        "LDN_SECRET_KEY": settings.resolved_secret_key(),
        "LDN_DATA_DIR": str(tmp),
        "LDN_LOG_LEVEL": args.log_level,
    }
    server = serve(port, env, workers=args.workers)
    try:
        wait_ready(f"http://127.0.0.1:{port}/api/v1/health")
        doc = token(port, {"email": "clinician@demo.ldn.example", "password": demo.DEMO_PASSWORD})
        big = token(port, BIG_CLINIC_LOGIN)
        start = date(2026, 11, 1)
        diary = []
        for i in range(args.n):
            day = start - timedelta(days=i // len(ids))
            body = {"date": day.isoformat(), "pain_avg": 5.0, "dose_mg": 4.5}
            key = {"Idempotency-Key": uuid.uuid4().hex}
            diary.append(
                http("POST", f"/api/v1/patients/{ids[i % len(ids)]}/diary", doc, body, key)
            )
        screening = [
            http("POST", f"/api/v1/patients/{ids[i % len(ids)]}/screenings", doc)
            for i in range(args.n // 4)
        ]
        listing = [http("GET", "/api/v1/patients?limit=50", big) for _ in range(args.n // 4)]
        run_load([port], diary[:100], concurrency=CONCURRENCY, time_limit_s=args.time)  # warm-up
        run_load([port], listing[:20], concurrency=CONCURRENCY, time_limit_s=args.time)
        out = []
        for name, reqs in (
            ("diary POST", diary[100:]),
            ("screening POST", screening),
            ("patient list GET", listing),
        ):
            if name.split()[0] not in args.only and name.split()[1] not in args.only:
                continue
            spy = Profile(server.pid) if args.profile and "screening" not in name else None
            meter = CpuMeter(server.pid, lambda: _backends(url))
            res = run_load([port], reqs, concurrency=CONCURRENCY, time_limit_s=args.time)
            cpu = meter.per_request_ms(len(res.done))
            out.append({"database": kind, "scenario": name, **res.summary(), **cpu})
            print(out[-1], flush=True)
            if spy is not None:
                print(f"profile of {name} on {kind}:\n{format_profile(spy.stop())}\n", flush=True)
        return out
    finally:
        stop(server)


def _backends(url: str) -> list[int]:
    """The PostgreSQL backends connected to the benchmark's database (none for SQLite)."""
    if not url.startswith("postgresql"):
        return []
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN.replace("+psycopg", ""), autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))
        return [int(r[0]) for r in rows]


def bench_bare(args: argparse.Namespace) -> dict[str, Any]:
    import subprocess
    import sys

    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(__file__).parent)]
    cmd += ["_bare_app:app", "--port", str(port), "--workers", str(args.workers)]
    cmd += ["--no-access-log", "--log-level", "warning"]
    server = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/docs")
        reqs = [http("POST", "/bare", body={"date": "2026-11-01", "pain_avg": 5.0})] * args.n
        run_load([port], reqs[:100], concurrency=CONCURRENCY, time_limit_s=args.time)
        meter = CpuMeter(server.pid, list)
        res = run_load([port], reqs[100:], concurrency=CONCURRENCY, time_limit_s=args.time)
        cpu = meter.per_request_ms(len(res.done))
        row = {"database": "-", "scenario": "bare FastAPI POST (reference)", **res.summary(), **cpu}
        print(row, flush=True)
        return row
    finally:
        stop(server)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="600 requests, 10 s, 1,000 patients")
    ap.add_argument("--db", default="sqlite,postgresql", help="databases, comma-separated")
    ap.add_argument("--profile", action="store_true", help="py-spy the workers (diary, list)")
    ap.add_argument(
        "--write-docs", action="store_true", help="rewrite the table in docs/benchmarks.md"
    )
    ap.add_argument("--log-level", default="INFO", help="LDN_LOG_LEVEL of the server")
    ap.add_argument("--patients", type=int, default=None, help="patients in the listed clinic")
    ap.add_argument("--workers", type=int, default=WORKERS, help="uvicorn worker processes")
    ap.add_argument(
        "--only", default="diary,screening,list", help="scenarios, comma-separated (default all)"
    )
    args = ap.parse_args()
    args.only = args.only.split(",")
    args.n = 600 if args.quick else 4000
    args.time = 10 if args.quick else 30
    args.patients = args.patients or (1000 if args.quick else 10_000)
    rows = [bench_bare(args)]
    kinds = args.db.split(",")
    if "sqlite" in kinds:
        with tempfile.TemporaryDirectory() as d:
            rows += bench_database("SQLite", f"sqlite:///{d}/bench.sqlite3", Path(d), args)
    if "postgresql" in kinds:
        name = f"ldn_bench_{uuid.uuid4().hex[:8]}"
        admin = PG_ADMIN.replace("+psycopg", "")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        try:
            with tempfile.TemporaryDirectory() as d:
                url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
                rows += bench_database("PostgreSQL", url, Path(d), args)
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
    ref = rows[0]["rps"]
    load = os.getloadavg()
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} by `python benchmarks/api.py`: {args.workers} "
        f"uvicorn workers, {CONCURRENCY} keep-alive connections, LDN_LOG_LEVEL={args.log_level}, "
        f"{args.patients:,} patients in the listed clinic, 2 cores shared with the load "
        f"generator; load average after the run {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.",
        "",
        "| scenario | database | requests | req/s | vs bare | p50 ms | p99 ms | errors | "
        "CPU ms per request: server / PostgreSQL / generator / other work |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['scenario']} | {r['database']} | {r['n']} | {r['rps']:.0f} | "
            f"{r['rps'] / ref:.2f}× | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} | "
            f"{r['server_ms']:.2f} / {r['postgres_ms']:.2f} / {r['generator_ms']:.2f} / "
            f"{r['other_work_ms']:.2f} |"
        )
    report = "\n".join(lines)
    print("\n" + report)
    every = len(args.only) == 3 and not args.quick and not args.profile
    if _doc.wanted() and every:
        _doc.rewrite_block("api", report)


if __name__ == "__main__":
    main()
