"""API load benchmark: throughput and p50/p99 latency on loopback, SQLite and PostgreSQL.

Scenarios (each bounded by a request count and a time limit, 0 errors expected):
- ``bare``      a bare FastAPI POST endpoint (no auth, no database) — the reference, same run
- ``diary``     POST /patients/{id}/diary (token check, validation, insert, audit event)
- ``screening`` POST /patients/{id}/screenings (the full domain screen, stored, audited)
- ``list``      GET /patients (a clinician's patient list with status columns, audited)

The server is ``ldn serve`` (uvicorn, WORKERS processes); the load generator is a small asyncio
HTTP/1.1 keep-alive client in this process (the machine's 2 cores are shared by both, as they
would be by any single-host measurement). Run: python benchmarks/api.py [--quick]
Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg

from ldn.config import Settings
from ldn.services.clinic import demo, operations, patients
from ldn.services.clinic.context import Actor, Clinic

WORKERS = 2
CONCURRENCY = 16
QUICK = "--quick" in sys.argv
N_REQUESTS = 600 if QUICK else 4000
TIME_LIMIT_S = 10 if QUICK else 30
PG_ADMIN = os.environ.get(
    "LDN_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start")


async def _worker(
    port: int, requests: list[bytes], latencies: list[float], errors: list[int], deadline: float
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while requests and time.perf_counter() < deadline:
            raw = requests.pop()
            t0 = time.perf_counter()
            writer.write(raw)
            await writer.drain()
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            if int(status_line.split()[1]) >= 300:
                errors.append(int(status_line.split()[1]))
    finally:
        writer.close()


def run_load(port: int, requests: list[bytes]) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[int] = []
    todo = list(reversed(requests))

    async def main() -> float:
        t0 = time.perf_counter()
        deadline = t0 + TIME_LIMIT_S
        await asyncio.gather(
            *(_worker(port, todo, latencies, errors, deadline) for _ in range(CONCURRENCY))
        )
        return time.perf_counter() - t0

    wall = asyncio.run(main())
    lat = np.array(latencies) * 1000
    return {"n": len(lat), "rps": len(lat) / wall, "p50_ms": float(np.percentile(lat, 50)),
            "p99_ms": float(np.percentile(lat, 99)), "errors": len(errors), "error_codes": sorted(set(errors))}  # fmt: skip


def http(
    method: str,
    path: str,
    port: int,
    token: str = "",
    body: Any = None,
    extra: dict[str, str] | None = None,
) -> bytes:
    data = json.dumps(body).encode() if body is not None else b""
    head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {len(data)}"]
    if body is not None:
        head.append("Content-Type: application/json")
    if token:
        head.append(f"Authorization: Bearer {token}")
    head += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


def seed(url: str, tmp: Path) -> tuple[Settings, list[int]]:
    settings = Settings(
        database_url=url, data_dir=tmp, secret_key="bench-" + "k" * 40, pool_size=20
    )
    clinic = Clinic.open(settings)
    operations.upgrade(clinic)
    logins = demo.seed_demo(clinic)
    with clinic.db.transaction() as s:
        from sqlalchemy import text

        doc_id = int(s.execute(text("SELECT id FROM users WHERE role = 'clinician'")).scalar_one())
    doc = Actor(doc_id, "clinician", logins.clinic_id)
    ids = []
    for i in range(40):
        rec = {"id": f"bench-{i}", "display_name": f"Bench {i:02d}", "age_years": 30 + i, "sex": "female",
               "conditions": [{"code": "fibromyalgia"}], "pain": {"duration_months": 24, "average_nrs": 6}}  # fmt: skip
        ids.append(int(patients.create_patient(clinic, doc, record=rec)["id"]))
    clinic.close()
    return settings, ids


def bench_database(kind: str, url: str, tmp: Path) -> list[dict[str, Any]]:
    settings, ids = seed(url, tmp)
    port = free_port()
    env = {**os.environ, "LDN_DATABASE_URL": url, "LDN_SECRET_KEY": settings.secret_key, "LDN_DATA_DIR": str(tmp),
           "LDN_LOG_LEVEL": "WARNING", "LDN_POOL_SIZE": "20"}  # fmt: skip
    server = subprocess.Popen([sys.executable, "-m", "ldn", "serve", "--port", str(port), "--workers", str(WORKERS)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_ready(f"http://127.0.0.1:{port}/api/v1/health")
        token = httpx.post(f"http://127.0.0.1:{port}/api/v1/auth/token",
                           json={"email": "clinician@demo.ldn.example", "password": demo.DEMO_PASSWORD}).json()["access_token"]  # fmt: skip
        start = date(2026, 11, 1)
        diary = [http("POST", f"/api/v1/patients/{ids[i % len(ids)]}/diary", port, token,
                      {"date": (start - timedelta(days=i // len(ids))).isoformat(), "pain_avg": 5.0, "dose_mg": 4.5},
                      {"Idempotency-Key": uuid.uuid4().hex}) for i in range(N_REQUESTS)]  # fmt: skip
        screening = [
            http("POST", f"/api/v1/patients/{ids[i % len(ids)]}/screenings", port, token)
            for i in range(N_REQUESTS // 4)
        ]
        listing = [
            http("GET", "/api/v1/patients?limit=50", port, token) for _ in range(N_REQUESTS // 4)
        ]
        run_load(port, diary[:100])  # warm-up (connections, caches), not measured
        out = []
        for name, reqs in (
            ("diary POST", diary[100:]),
            ("screening POST", screening),
            ("patient list GET", listing),
        ):
            out.append({"database": kind, "scenario": name, **run_load(port, reqs)})
            print(out[-1], flush=True)
        return out
    finally:
        server.terminate()
        server.wait(20)


def bench_bare() -> dict[str, Any]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "--app-dir", str(Path(__file__).parent), "_bare_app:app",
                               "--port", str(port), "--workers", str(WORKERS), "--no-access-log", "--log-level", "warning"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_ready(f"http://127.0.0.1:{port}/docs")
        reqs = [
            http("POST", "/bare", port, body={"date": "2026-11-01", "pain_avg": 5.0})
            for _ in range(N_REQUESTS)
        ]
        run_load(port, reqs[:100])
        res = {
            "database": "-",
            "scenario": "bare FastAPI POST (reference)",
            **run_load(port, reqs[100:]),
        }
        print(res, flush=True)
        return res
    finally:
        server.terminate()
        server.wait(20)


def main() -> None:
    rows = [bench_bare()]
    with tempfile.TemporaryDirectory() as d:
        rows += bench_database("SQLite", f"sqlite:///{d}/bench.sqlite3", Path(d))
    name = f"ldn_bench_{uuid.uuid4().hex[:8]}"
    admin = PG_ADMIN.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        with tempfile.TemporaryDirectory() as d:
            rows += bench_database("PostgreSQL", PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", Path(d))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
    ref = rows[0]["rps"]
    print(
        f"\n{datetime.now(UTC):%Y-%m-%d}, {WORKERS} uvicorn workers, {CONCURRENCY} keep-alive connections, 2 cores shared with the load generator\n"
    )
    print("| scenario | database | requests | req/s | vs bare | p50 ms | p99 ms | errors |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['scenario']} | {r['database']} | {r['n']} | {r['rps']:.0f} | {r['rps'] / ref:.2f}× | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} |"
        )


if __name__ == "__main__":
    main()
