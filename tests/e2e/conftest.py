"""End-to-end fixtures: `ldn serve --demo` in a subprocess on SQLite, and Debian's Chromium
driven by Playwright (headless, no sandbox, no background networking: this machine is offline).

Skipped with a message when /usr/bin/chromium or Playwright is missing (``.ci/run`` installs
both, so CI runs them). Screenshots go to ``out/e2e/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT
from tests.net import free_port

CHROMIUM = os.environ.get("LDN_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "out" / "e2e"
PASSWORD = "demo-password-ldn"
LOGINS = {r: f"{r}@demo.ldn.example" for r in ("clinician", "pharmacist", "admin", "patient")}


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("ldn-e2e")
    port = free_port()
    env = {**os.environ, "LDN_DATA_DIR": str(data), "LDN_ARGON2_TIME_COST": "1", "LDN_ARGON2_MEMORY_KIB": "64",
           "LDN_ARGON2_PARALLELISM": "1", "LDN_LOG_LEVEL": "WARNING", "LDN_PHARMACY_NAME": "Demo Compounding Pharmacy",
           "LDN_PHARMACY_PHONE": "+1 555 0100", "LDN_PRESCRIBER_LICENCES": '{"clinician@demo.ldn.example": "DEMO-12345"}'}  # fmt: skip
    env.pop("LDN_DATABASE_URL", None)
    log = data / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ldn", "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # the demo cohort is seeded first (~10 s on 2 idle cores)
    while True:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"ldn serve did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(20)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(
            f"no Chromium at {CHROMIUM} (Debian: apt install chromium; .ci/run installs it)"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="pip install playwright (in the dev extra)"
    )
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def login(browser: Any, server: str) -> Any:
    """A function: role -> a logged-in page (new browser context each time)."""
    contexts: list[Any] = []

    def as_(role: str, *, mobile: bool = False) -> Any:
        ctx = browser.new_context(
            base_url=server,
            viewport={"width": 390, "height": 844} if mobile else {"width": 1280, "height": 900},
        )
        contexts.append(ctx)
        page = ctx.new_page()
        page.on(
            "console",
            lambda m: "Content Security Policy" in m.text and csp_violations.append(m.text),
        )
        page.goto("/login")
        page.fill("#email", LOGINS[role])
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page

    csp_violations: list[str] = []
    yield as_
    for ctx in contexts:
        ctx.close()
    assert not csp_violations, f"the pages broke their Content Security Policy: {csp_violations}"


def shot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
