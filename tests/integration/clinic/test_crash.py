"""Crash safety: SIGKILL the server during concurrent diary writes; after a restart every
acknowledged write is there and the database (and its audit trail) is consistent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select, text

from ldn.persistence.tables import DiaryRow
from ldn.services.clinic import demo, operations
from ldn.services.clinic.context import SYSTEM, Clinic
from tests.net import free_port


def _start(clinic: Clinic, port: int, tmp_path: Path) -> subprocess.Popen[bytes]:
    s = clinic.settings
    env = {**os.environ, "LDN_DATABASE_URL": s.resolved_database_url, "LDN_SECRET_KEY": s.secret_key,
           "LDN_DATA_DIR": str(tmp_path), "LDN_ARGON2_TIME_COST": "1", "LDN_ARGON2_MEMORY_KIB": "64",
           "LDN_ARGON2_PARALLELISM": "1", "LDN_LOG_LEVEL": "WARNING"}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "ldn", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("the server did not start")


def test_sigkill_during_concurrent_diary_writes_loses_no_acknowledged_write(
    clinic: Clinic, tmp_path: Path
) -> None:
    demo.seed_demo(clinic)
    port = free_port()
    server = _start(clinic, port, tmp_path)
    base = f"http://127.0.0.1:{port}/api/v1"
    token = httpx.post(
        f"{base}/auth/token",
        json={"email": "clinician@demo.ldn.example", "password": demo.DEMO_PASSWORD},
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    acked: list[tuple[int, str]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(worker: int) -> None:
        patient = 2 + worker % 3  # patients without demo diary entries
        day = date(2025, 1, 1) + timedelta(days=worker * 200)
        with httpx.Client(timeout=5) as client:
            while not stop.is_set():
                try:
                    r = client.post(
                        f"{base}/patients/{patient}/diary",
                        headers={**headers, "Idempotency-Key": f"w{worker}-{day}"},
                        json={"date": day.isoformat(), "pain_avg": 4.5},
                    )
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code == 201:
                    with lock:
                        acked.append((patient, day.isoformat()))
                day += timedelta(days=1)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    server.send_signal(signal.SIGKILL)
    server.wait(10)
    stop.set()
    for t in threads:
        t.join(10)
    assert len(acked) > 20, "too few writes before the kill to test anything"

    clinic.db.dispose()
    server = _start(clinic, port, tmp_path)
    try:
        with clinic.db.transaction() as s:
            stored = {(r.patient_id, r.day.isoformat()) for r in s.scalars(select(DiaryRow))}
            if clinic.db.dialect == "sqlite":
                assert s.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        missing = set(acked) - stored
        assert not missing, f"{len(missing)} acknowledged writes lost"
        assert operations.verify_audit(clinic, SYSTEM)["ok"]
        h = httpx.get(f"{base}/patients/2/diary?limit=1", headers=headers)
        assert h.status_code == 200
    finally:
        server.terminate()
        server.wait(10)
