"""Scale out for real (issue #21): two ``ldn serve`` processes and two ``ldn worker``s on one
PostgreSQL database, diary writers spread across both, every tenth write retried (same
``Idempotency-Key``) on another connection, usually the other server. Nothing acknowledged is
lost, nothing is stored or answered "created" twice, and the audit chain verifies with exactly
one event per stored entry and per replayed answer.

The bounded version of ``benchmarks/scale.py`` (which measures 1, 2 and 4 processes): the same
code, 2 servers, 300 writes and 30 retries. PostgreSQL only: skipped when no server answers at
``LDN_TEST_DATABASE_URL`` (default postgres@127.0.0.1:5432), a failure with
``LDN_REQUIRE_POSTGRES=1``. No timing is asserted.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

import psycopg
import pytest
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.postgres

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _admin_url() -> str:
    url = os.environ.get("LDN_TEST_DATABASE_URL", PG_DEFAULT)
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(libpq, connect_timeout=3):
            return url
    except psycopg.Error as exc:
        msg = f"PostgreSQL not reachable at {url} ({type(exc).__name__})"
        if os.environ.get("LDN_REQUIRE_POSTGRES") == "1":
            pytest.fail(msg + " [LDN_REQUIRE_POSTGRES=1]")
        pytest.skip(msg)


def _scale() -> ModuleType:
    """benchmarks/scale.py (it imports its neighbours _load and patient_list by name)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return importlib.import_module("scale")
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_two_servers_lose_nothing_store_nothing_twice_and_the_chain_verifies() -> None:
    url = _admin_url()
    out = _scale().run_scale(
        2, writes=300, patients=50, concurrency=8, time_limit_s=45, admin_url=url
    )
    assert out.sent == 330  # 300 entries, every tenth sent twice
    assert out.answered == out.sent, "every request was answered within the bound"
    assert out.errors == 0
    assert out.lost == 0
    assert out.duplicated == 0
    assert (out.created, out.replayed) == (300, 30)
    assert out.unacknowledged_stored == 0
    assert out.chain_ok, "the audit chain verifies"
    assert out.audit_matches, "one create event per stored entry, one replay event per replay"
