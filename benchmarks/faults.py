"""The full fault run (issue #28): 32 diary writers, a 20 s database outage, on a PostgreSQL of its
own, two ``ldn serve --workers 2``. Writes the table between the markers in docs/reliability.md.

Run: ``make bench`` (or ``.venv/bin/python benchmarks/faults.py``). The bounded form of the same
run is tests/faults/test_faults.py (``make test``).
"""

from __future__ import annotations

import platform
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.faults.harness import run_faults, table, why_not  # noqa: E402

DOC = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- faults:begin -->", "<!-- faults:end -->"


def main() -> int:
    reason = why_not()
    if reason is not None:
        print(f"faults: skipped ({reason})")
        return 0
    with tempfile.TemporaryDirectory(prefix="ldn-faults-") as tmp:
        report = run_faults(writers=32, outage_s=20, settle_s=5, work=Path(tmp))
    summary = (
        f"Run {date.today().isoformat()} on {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}: 32 writers, two `ldn serve --workers 2`, PostgreSQL "
        f"{_pg_version()}. In total {report.acknowledged} writes acknowledged, {report.lost} lost, "
        f"{report.duplicated} duplicated; audit chain verifies: {'yes' if report.audit_ok else 'NO'}; "
        f"the backup taken under load restores and verifies: {'yes' if report.restore_audit_ok else 'NO'}; "
        f"workers of the killed master exited: {'yes' if report.workers_exited else 'NO'}, port bound "
        f"again: {'yes' if report.port_rebound else 'NO'}; error log lines {report.error_log_lines} "
        f"for {report.failed_requests} failed requests, tracebacks {report.tracebacks}.\n\n"
    )
    text = DOC.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    DOC.write_text(text[:start] + "\n" + summary + table(report) + text[end:])
    print(summary + table(report))
    ok = report.lost == 0 and report.duplicated == 0 and report.audit_ok and report.restore_audit_ok
    return 0 if ok else 1


def _pg_version() -> str:
    import subprocess

    from tests.faults.harness import pg_bin

    bindir = pg_bin()
    if bindir is None:
        return "?"
    out = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True)
    return out.stdout.strip().removeprefix("postgres (PostgreSQL) ") or "?"


if __name__ == "__main__":
    raise SystemExit(main())
