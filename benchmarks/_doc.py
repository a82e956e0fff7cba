"""Rewrite a measured block of a document between its markers.

A benchmark's latest figures live between ``<!-- name:begin -->`` and ``<!-- name:end -->`` in
``docs/benchmarks.md`` (or another document); the prose around them, with the history of earlier
runs, is left alone. ``make bench`` sets ``LDN_BENCH_WRITE_DOCS=1``, so every benchmark that
has a block rewrites it; run by hand, a benchmark prints its figures and rewrites its block only
with ``--write-docs``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS_MD = ROOT / "docs" / "benchmarks.md"


def wanted() -> bool:
    """Should this run rewrite its block (``--write-docs``, or run by ``make bench``)?"""
    return "--write-docs" in sys.argv or os.environ.get("LDN_BENCH_WRITE_DOCS") == "1"


def rewrite_block(name: str, text: str, doc: Path = BENCHMARKS_MD) -> bool:
    """Put ``text`` between ``name``'s markers in ``doc``; False (and nothing written) when the
    document has no such block."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    body = doc.read_text(encoding="utf-8")
    if begin not in body or end not in body:
        print(f"{doc.name} has no {begin} block: figures not written", file=sys.stderr)
        return False
    head, rest = body.split(begin, 1)
    _, tail = rest.split(end, 1)
    doc.write_text(f"{head}{begin}\n{text.strip()}\n{end}{tail}", encoding="utf-8")
    return True
