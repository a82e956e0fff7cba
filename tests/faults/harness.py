"""The fault harness: a PostgreSQL of its own, two `ldn serve` processes, diary writers, faults.

Shared by the bounded test (tests/faults/test_faults.py, in ``make test``) and the full run
(benchmarks/faults.py, ``make bench``, which writes the table in docs/reliability.md).

* :class:`Postgres` — ``initdb`` into a temporary directory, a free port, trust authentication on
  127.0.0.1 only; as root the server binaries run as ``nobody`` (PostgreSQL refuses root).
* :class:`Server` — ``ldn serve`` (``--workers N``) as a subprocess, its stderr in a file.
* :class:`Writers` — threads posting diary entries with an ``Idempotency-Key`` each; a write is
  retried, with the same key, on the other server after a 503 or a connection error until it is
  acknowledged (201, or 200 for a replay). Every answer is counted per fault.
* :func:`run_faults` — fast restart, crash restart (``-m immediate``), an outage, SIGKILL of one
  master, ``ldn db backup`` under load restored into a fresh database; then the books are
  checked against the rows (lost, duplicated) and the audit chain is verified.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tests.net import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "fault-secret-" + "k" * 40
AUDIT_KEY = "fault-audit-key-" + "a" * 32
PASSWORD = "fault-password-long-enough"
CLINICIAN = "clinician@faults.example"


def pg_bin() -> Path | None:
    """The directory of ``initdb`` and ``pg_ctl`` (LDN_PG_BIN, PATH, or /usr/lib/postgresql)."""
    given = os.environ.get("LDN_PG_BIN")
    candidates = [Path(given)] if given else []
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).parent)
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return next(
        (c for c in candidates if (c / "initdb").is_file() and (c / "pg_ctl").is_file()), None
    )


def why_not() -> str | None:
    """Why the fault suite cannot run here, or None."""
    if pg_bin() is None:
        return "no PostgreSQL server binaries (initdb, pg_ctl); Debian: apt-get install postgresql"
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        return "no pg_dump/pg_restore (Debian: postgresql-client)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser (PostgreSQL refuses to run as root)"
    return None


class Postgres:
    """A throw-away PostgreSQL cluster: data, socket and log under one temporary directory."""

    def __init__(self) -> None:
        bindir = pg_bin()
        assert bindir is not None, why_not()
        self.bin = bindir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="ldn-faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        if os.geteuid() == 0:  # PostgreSQL refuses root: the cluster belongs to nobody
            os.chown(self.root, 65534, 65534)
        self._pg("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def _pg(self, tool: str, *args: str) -> None:
        cmd = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "nobody", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, cwd=self.root, timeout=120)

    def start(self) -> None:
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c max_connections=200"
        self._pg(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "120",
            "-o",
            opts,
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "120", "stop")

    def url(self, database: str = "ldn") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True
        ) as c:
            c.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return self.url(name)

    def query(self, database: str, sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/{database}") as c:
            return list(c.execute(sql))  # type: ignore[arg-type]

    def close(self) -> None:
        with suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def ldn_env(url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LDN_DATABASE_URL": url,
        "LDN_DATA_DIR": str(data_dir),
        "LDN_SECRET_KEY": SECRET,
        "LDN_AUDIT_KEY": AUDIT_KEY,
        "LDN_ARGON2_TIME_COST": "1",
        "LDN_ARGON2_MEMORY_KIB": "64",
        "LDN_ARGON2_PARALLELISM": "1",
        "LDN_LOG_LEVEL": "WARNING",
        "LDN_POOL_SIZE": "5",
        "LDN_RUN_JOBS_IN_SERVER": "off",
        "PYTHONPATH": str(ROOT / "src"),
    }


def ldn(env: dict[str, str], *args: str, stdin: str = "") -> str:
    """Run the ldn CLI; its stdout (raises with stderr on a non-zero exit)."""
    res = subprocess.run(
        [sys.executable, "-m", "ldn", *args],
        env=env,
        input=stdin,
        text=True,
        capture_output=True,
        timeout=300,
    )
    if res.returncode != 0:
        raise AssertionError(
            f"ldn {' '.join(args)} exited {res.returncode}: {res.stderr.strip()[-2000:]}"
        )
    return res.stdout


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Server:
    """One ``ldn serve`` process (a master with ``workers`` workers when workers > 1)."""

    def __init__(self, env: dict[str, str], port: int, workers: int, log: Path) -> None:
        self.env, self.port, self.workers, self.log = env, port, workers, log
        self.base = f"http://127.0.0.1:{port}/api/v1"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as err:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ldn",
                    "serve",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                ],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )

    def wait_ready(self, deadline_s: float = 180) -> float:
        """Seconds until /health answers 200 (raises after ``deadline_s``)."""
        start = time.monotonic()
        while time.monotonic() - start < deadline_s:
            assert self.proc is not None and self.proc.poll() is None, (
                f"ldn serve exited: {self.log.read_text()[-2000:]}"
            )
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return time.monotonic() - start
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"ldn serve on {self.port} not ready after {deadline_s} s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@dataclass
class Book:
    """What the writers saw: acknowledged keys, and every answer per fault."""

    acked: dict[str, str] = field(default_factory=dict)  # key -> the fault it was acknowledged in
    answers: Counter[tuple[str, str]] = field(default_factory=Counter)  # (fault, status) -> n
    first_ack_after: dict[str, float] = field(default_factory=dict)  # server base -> time
    refused: dict[str, str] = field(default_factory=dict)  # key -> a 4xx answer (a bug)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Writers:
    """``n`` threads writing diary entries through two servers, retrying on the other one."""

    def __init__(self, bases: list[str], token: str, patients: list[int], n: int) -> None:
        self.bases, self.patients, self.n = bases, patients, n
        self.headers = {"Authorization": f"Bearer {token}"}
        self.book = Book()
        self.phase = "warm-up"
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._write, args=(i,), daemon=True) for i in range(n)
        ]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def join(self, deadline_s: float = 120) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(deadline_s)

    def mark(self, phase: str) -> None:
        self.phase = phase

    def _answer(self, status: str) -> None:
        with self.book.lock:
            self.book.answers[(self.phase, status)] += 1

    def _write(self, i: int) -> None:
        patient = self.patients[i % len(self.patients)]
        day = date.today() - timedelta(days=1 + (i // len(self.patients)) * 5000)  # backwards
        seq = 0
        with httpx.Client(timeout=10) as client:
            while not self.stop.is_set():
                key = f"fault-w{i}-{seq}"
                body = {"date": day.isoformat(), "pain_avg": 4.0 + (seq % 5)}
                attempt = 0
                while True:
                    base = self.bases[(i + attempt) % len(self.bases)]
                    try:
                        r = client.post(
                            f"{base}/patients/{patient}/diary",
                            json=body,
                            headers={**self.headers, "Idempotency-Key": key},
                        )
                    except httpx.HTTPError:
                        self._answer("connection error")
                        attempt += 1
                        time.sleep(0.05)
                        continue
                    self._answer(str(r.status_code))
                    if r.status_code in (200, 201):
                        with self.book.lock:
                            self.book.acked[key] = self.phase
                            self.book.first_ack_after.setdefault(base, time.monotonic())
                        break
                    if r.status_code < 500 and r.status_code != 429:  # not retried: noted
                        with self.book.lock:
                            self.book.refused[key] = f"{r.status_code} {r.text[:300]}"
                        break
                    attempt += 1
                    # a 503 says when; the other server may answer sooner
                    time.sleep(min(float(r.headers.get("Retry-After", "0.1") or 0.1), 0.2))
                seq += 1
                day -= timedelta(days=1)


@dataclass
class FaultResult:
    name: str
    acknowledged: int = 0
    answers: dict[str, int] = field(default_factory=dict)
    recovery_s: float = 0.0
    lost: int = 0
    duplicated: int = 0
    note: str = ""


@dataclass
class Report:
    faults: list[FaultResult]
    acknowledged: int
    lost: int
    duplicated: int
    audit_ok: bool
    restore_audit_ok: bool
    error_log_lines: int
    failed_requests: int
    tracebacks: int
    workers_exited: bool
    port_rebound: bool
    timings_s: dict[str, float] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


def _login(base: str) -> str:
    r = httpx.post(
        f"{base}/auth/token", json={"email": CLINICIAN, "password": PASSWORD}, timeout=30
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


def _recovery(w: Writers, since: float) -> float:
    """Seconds from ``since`` until every server acknowledged a write again."""
    deadline = time.monotonic() + 120
    with w.book.lock:
        w.book.first_ack_after.clear()
    while time.monotonic() < deadline:
        with w.book.lock:
            if len(w.book.first_ack_after) == len(w.bases):
                return max(w.book.first_ack_after.values()) - since
        time.sleep(0.02)
    raise AssertionError("the servers did not recover within 120 s")


def run_faults(
    *,
    writers: int,
    outage_s: float,
    settle_s: float,
    work: Path,
    server_workers: tuple[int, int] = (2, 2),
) -> Report:
    """Set up, run every fault under load, check the books. ``settle_s``: load between faults;
    ``server_workers``: ``--workers`` of the two servers (the first one's master is killed)."""
    clock = time.monotonic()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.monotonic()
        timings[name] = round(now - clock, 2)
        clock = now
        if os.environ.get("LDN_FAULTS_VERBOSE"):
            print(f"faults: {name} {timings[name]} s", file=sys.stderr, flush=True)

    pg = Postgres()
    servers: list[Server] = []
    try:
        pg.start()
        url = pg.create_database("ldn")
        env = ldn_env(url, work / "cli")
        ldn(env, "db", "upgrade")
        servers = [
            Server(ldn_env(url, work / f"s{n}"), free_port(), workers, work / f"server{n}.log")
            for n, workers in enumerate(server_workers)
        ]
        for s in servers:  # they start while the CLI creates the users
            s.start()
        clinic_id = json.loads(ldn(env, "clinic", "create", "Fault Clinic", "--json"))["id"]
        ldn(
            env,
            "users",
            "create",
            CLINICIAN,
            "--role",
            "clinician",
            "--clinic",
            str(clinic_id),
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        lap("set-up")
        for s in servers:
            s.wait_ready()
        lap("servers ready")
        token = _login(servers[0].base)
        patients = []
        for n in range(writers):  # a patient per writer: days never collide
            r = httpx.post(
                f"{servers[0].base}/patients",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
                json={
                    "record": {
                        "id": f"fault-{n}",
                        "age_years": 40 + n,
                        "sex": "female",
                        "conditions": [{"code": "fibromyalgia"}],
                    }
                },
            )
            assert r.status_code == 201, r.text
            patients.append(int(r.json()["id"]))
        w = Writers([s.base for s in servers], token, patients, writers)
        w.start()
        time.sleep(settle_s)
        results: list[FaultResult] = []

        def fault(name: str, act: Any) -> FaultResult:
            before = len(w.book.acked)
            w.mark(name)
            note = act() or ""
            res = FaultResult(name, recovery_s=_recovery(w, time.monotonic()), note=note)
            time.sleep(settle_s)
            res.acknowledged = len(w.book.acked) - before
            with w.book.lock:
                res.answers = {st: n for (ph, st), n in w.book.answers.items() if ph == name}
            results.append(res)
            lap(name)
            return res

        def restart(mode: str) -> Any:
            def act() -> None:
                pg.stop(mode)
                pg.start()

            return act

        fault("fast restart", restart("fast"))
        fault("crash restart (-m immediate)", restart("immediate"))

        def outage() -> None:
            pg.stop("fast")
            time.sleep(outage_s)
            pg.start()

        fault(f"outage {outage_s:g} s", outage)

        killed: dict[str, Any] = {}

        def kill_master() -> str:
            a = servers[0]
            assert a.proc is not None
            workers_before = children(a.proc.pid)
            killed["workers"] = [p for p in workers_before if alive(p)]
            a.proc.send_signal(signal.SIGKILL)
            a.proc.wait(30)
            t0 = time.monotonic()
            while any(alive(p) for p in killed["workers"]) and time.monotonic() - t0 < 60:
                time.sleep(0.05)
            killed["exited"] = not any(alive(p) for p in killed["workers"])
            killed["exit_s"] = time.monotonic() - t0
            a.start()  # a new `ldn serve` on the same port
            a.wait_ready()
            killed["rebound"] = a.proc is not None and a.proc.poll() is None
            return f"workers exited in {killed['exit_s']:.1f} s; a new ldn serve bound the port"

        fault("SIGKILL of one master", kill_master)

        backup = work / "under-load.dump"

        def backup_under_load() -> str:
            ldn(env, "db", "backup", str(backup))
            return ""

        fault("ldn db backup under load", backup_under_load)
        w.join()
        lap("writers stopped")
        verified: dict[str, Any] = {}

        def verify_live() -> None:
            verified.update(json.loads(ldn(env, "audit", "verify", "--json")))

        live = threading.Thread(target=verify_live)
        restored = pg.create_database("restored")
        restore_env = ldn_env(restored, work / "cli")
        live.start()
        ldn(restore_env, "db", "restore", str(backup), "--yes")
        restore_audit = json.loads(ldn(restore_env, "audit", "verify", "--json"))
        live.join()
        audit = verified

        rows = pg.query(
            "ldn",
            "SELECT idempotency_key, patient_id, day FROM diary_entries "
            "WHERE idempotency_key LIKE 'fault-w%'",
        )
        keys = Counter(str(r[0]) for r in rows)
        days = Counter((int(r[1]), r[2].isoformat()) for r in rows)
        lost_keys = [k for k in w.book.acked if k not in keys]
        dup_keys = [k for k, n in keys.items() for _ in range(n - 1)]
        for f in results:
            f.lost = sum(1 for k in lost_keys if w.book.acked[k] == f.name)
            f.duplicated = sum(1 for k in dup_keys if w.book.acked.get(k) == f.name)
        lost = len(lost_keys)
        duplicated = len(dup_keys) + sum(n - 1 for n in days.values() if n > 1)
        failed = sum(
            n for (_ph, st), n in w.book.answers.items() if st.isdigit() and int(st) >= 500
        )
        failed += sum(n for (_ph, st), n in w.book.answers.items() if st == "connection error")
        lines, tracebacks = _error_lines([s.log for s in servers])
        lap("checks")
        return Report(
            results,
            len(w.book.acked),
            lost,
            duplicated,
            bool(audit["ok"]),
            bool(restore_audit["ok"]),
            lines,
            failed,
            tracebacks,
            bool(killed.get("exited")),
            bool(killed.get("rebound")),
            timings,
            dict(w.book.refused),
        )
    finally:
        for s in servers:
            s.stop()
        pg.close()


def _error_lines(logs: list[Path]) -> tuple[int, int]:
    """(error/warning lines about requests, lines of Python tracebacks) in the servers' logs."""
    lines = tracebacks = 0
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("Traceback") or line.startswith("  File "):
                tracebacks += 1
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if (
                isinstance(rec, dict)
                and rec.get("request_id")
                and rec.get("level") in ("WARNING", "ERROR")
            ):
                lines += 1
    return lines, tracebacks


def table(report: Report) -> str:
    """The Markdown table of docs/reliability.md."""
    head = "| fault | writes acknowledged | lost | duplicated | answers (status: count) | recovery | note |\n|---|---|---|---|---|---|---|\n"
    body = ""
    for f in report.faults:
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(f.answers.items()))
        body += f"| {f.name} | {f.acknowledged} | {f.lost} | {f.duplicated} | {answers} | {f.recovery_s:.2f} s | {f.note} |\n"
    return head + body
