"""Shared by the HTTP benchmarks (api.py, scale.py): servers, a small keep-alive load generator
and a py-spy profile summary. Loopback only; every run is bounded by a request count and a time.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, timeout_s: float = 60) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start")


def http(
    method: str, path: str, token: str = "", body: Any = None, extra: dict[str, str] | None = None
) -> bytes:
    """One raw HTTP/1.1 request (keep-alive)."""
    data = json.dumps(body).encode() if body is not None else b""
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(data)}"]
    if body is not None:
        head.append("Content-Type: application/json")
    if token:
        head.append(f"Authorization: Bearer {token}")
    head += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


@dataclass
class Result:
    """What a load run saw: per request its index, status and latency (seconds)."""

    wall_s: float
    done: list[tuple[int, int, float]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        lat = np.array([d[2] for d in self.done] or [0.0]) * 1000
        codes = Counter(d[1] for d in self.done if d[1] >= 300)
        return {
            "n": len(self.done),
            "rps": len(self.done) / self.wall_s,
            "p50_ms": float(np.percentile(lat, 50)),
            "p99_ms": float(np.percentile(lat, 99)),
            "errors": sum(codes.values()),
            "error_codes": dict(codes),
        }


async def _client(port: int, todo: list[tuple[int, bytes]], out: Result, deadline: float) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while todo and time.perf_counter() < deadline:
            index, raw = todo.pop()
            t0 = time.perf_counter()
            writer.write(raw)
            await writer.drain()
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            out.done.append((index, int(status_line.split()[1]), time.perf_counter() - t0))
    finally:
        writer.close()


def run_load(
    ports: list[int], requests: list[bytes], *, concurrency: int, time_limit_s: float
) -> Result:
    """Send ``requests`` over ``concurrency`` keep-alive connections spread round-robin over
    ``ports``, in order, until all are answered or ``time_limit_s`` has passed."""
    todo = list(reversed(list(enumerate(requests))))
    out = Result(0.0)

    async def main() -> None:
        t0 = time.perf_counter()
        deadline = t0 + time_limit_s
        await asyncio.gather(
            *(_client(ports[i % len(ports)], todo, out, deadline) for i in range(concurrency))
        )
        out.wall_s = time.perf_counter() - t0

    _run_alone(main)
    return out


def _run_alone(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """``asyncio.run(main())``, in a thread of its own when this thread already runs an event
    loop (Playwright's sync API leaves one running in a pytest session that ran e2e tests)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(main())
        return
    failure: list[BaseException] = []

    def alone() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # handed to the caller's thread below
            failure.append(exc)

    thread = threading.Thread(target=alone, name="ldn-load")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def serve(
    port: int, env: dict[str, str], *, workers: int, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """``ldn serve`` on loopback ``port`` (its own process group, so that stop() ends it all)."""
    sink = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        [sys.executable, "-m", "ldn", "serve", "--port", str(port), "--workers", str(workers)],
        env={**os.environ, **env},
        stdout=sink,
        stderr=sink,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


#: where a sampled stack's innermost frame lives -> a label for the summary
_AREAS = (
    ("psycopg", "psycopg (driver)"),
    ("sqlalchemy", "SQLAlchemy"),
    ("pydantic", "pydantic"),
    ("fastapi", "FastAPI/Starlette"),
    ("starlette", "FastAPI/Starlette"),
    ("anyio", "anyio (thread hops)"),
    ("uvicorn", "uvicorn/httptools"),
    ("httptools", "uvicorn/httptools"),
    ("jwt", "PyJWT"),
    ("(ldn/", "ldn"),
    ("/ldn/", "ldn"),
    ("logging", "logging"),
    ("json", "json"),
)


class Profile:
    """py-spy sampling every process of a server (``--subprocesses``) while a load runs; only
    samples of a thread holding the GIL (``--gil``: Python's own CPU, not waiting)."""

    def __init__(self, pid: int, rate_hz: int = 250) -> None:
        self.out = Path(tempfile.mkstemp(suffix=".txt")[1])
        spy = Path(sys.executable).parent / "py-spy"
        args = ["record", "--pid", str(pid), "--subprocesses", "--rate", str(rate_hz)]
        args += ["--format", "raw", "--output", str(self.out), "--nonblocking", "--gil"]
        self.proc = subprocess.Popen(
            [str(spy) if spy.exists() else "py-spy", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)  # attach

    def stop(self) -> dict[str, Any]:
        """Stop sampling; the share of samples by library (innermost frame) and the functions
        with the most own samples."""
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(30)
        areas: Counter[str] = Counter()
        leaves: Counter[str] = Counter()
        within: Counter[str] = Counter()
        total = 0
        for line in self.out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            frames = stack.split(";")
            leaf = frames[-1]
            total += n
            leaves[leaf] += n
            for frame in set(frames):
                if (
                    "/ldn/" in frame
                    or "fastapi/routing.py" in frame
                    or "sqlalchemy/orm/session" in frame
                ):
                    within[frame.split(" (")[0]] += n
            area = next((label for key, label in _AREAS if key in leaf), "other (CPython, C)")
            areas[area] += n
        keep = os.environ.get("LDN_BENCH_KEEP_PROFILE")
        if keep:  # one file per profile: <path>.<n>
            n = len(list(Path(keep).parent.glob(Path(keep).name + ".*")))
            self.out.replace(f"{keep}.{n}")
        else:
            self.out.unlink(missing_ok=True)
        return {
            "samples": total,
            "areas": areas.most_common(),
            "leaves": leaves.most_common(12),
            "within": within.most_common(25),
        }


def format_profile(p: dict[str, Any]) -> str:
    total = max(p["samples"], 1)
    lines = [f"{p['samples']} samples (threads holding the GIL, every worker)", "by library:"]
    lines += [f"  {n / total:6.1%}  {area}" for area, n in p["areas"]]
    lines.append("functions with the most own samples:")
    lines += [f"  {n / total:6.1%}  {leaf[:110]}" for leaf, n in p["leaves"]]
    lines.append("samples within (inclusive) ldn, FastAPI routing and the ORM session:")
    lines += [f"  {n / total:6.1%}  {name[:110]}" for name, n in p["within"]]
    return "\n".join(lines)


def _ticks(pid: int) -> int:
    """user + system CPU of one process, in clock ticks (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _tree(root: int) -> list[int]:
    """``root`` and its descendants (from /proc)."""
    parent: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except (OSError, IndexError, ValueError):
                continue
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += [child for child, p in parent.items() if p == pid]
    return out


def _machine_busy() -> int:
    """CPU ticks the whole machine spent busy (all cores, /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values) - values[3] - values[4]  # minus idle and iowait


class CpuMeter:
    """CPU spent during a load run by the server's processes, the database backends that
    served them, this load generator, and everything else on the machine (other work).

    ``backends`` lists the database server's processes serving the run (called at the start and
    at the end; a backend that ended during the run is not counted, one that started is counted
    from its start)."""

    def __init__(self, server_pid: int, backends: Callable[[], list[int]]) -> None:
        self.server = _tree(server_pid)
        self.backends = backends
        self.start_backends = {p: _ticks(p) for p in backends()}
        self.start = self._snapshot()

    def _snapshot(self) -> tuple[int, float, int]:
        own = os.times()
        return sum(_ticks(p) for p in self.server), own.user + own.system, _machine_busy()

    def per_request_ms(self, requests: int) -> dict[str, float]:
        end = self._snapshot()
        db_ticks = sum(max(_ticks(p) - self.start_backends.get(p, 0), 0) for p in self.backends())
        hz = os.sysconf("SC_CLK_TCK")
        server = (end[0] - self.start[0]) / hz
        db = db_ticks / hz
        generator = end[1] - self.start[1]
        machine = (end[2] - self.start[2]) / hz
        n = max(requests, 1)
        return {
            "server_ms": server / n * 1000,
            "postgres_ms": db / n * 1000,
            "generator_ms": generator / n * 1000,
            "other_work_ms": max(machine - server - db - generator, 0.0) / n * 1000,
        }
