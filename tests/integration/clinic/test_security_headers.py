"""Security: response headers (issue 19, medium 3) and Swagger UI from the package (low): a CSP
without inline script (htmx configured for it, no inline script or handler in any template),
no framing, nosniff, a referrer policy, HSTS over HTTPS, and no caching of anything but the
package's static files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ldn.asgi import create_app
from ldn.config import Settings
from ldn.services.clinic.context import Clinic
from tests.integration.clinic.helpers import PASSWORD, World, build_world

TEMPLATES = Path(str(files("ldn.web") / "templates"))
STATIC = Path(str(files("ldn.web") / "static"))


def _csrf(html: str) -> str:
    """The form's CSRF token ("" on a page without one)."""
    return html.split('name="csrf" value="')[1].split('"')[0] if 'name="csrf"' in html else ""


@pytest.fixture
def world(clinic: Clinic) -> Iterator[World]:
    clinic.settings = Settings(
        **{**clinic.settings.model_dump(), "forwarded_allow_ips": "10.0.0.1"}
    )
    w = build_world(clinic)
    with w.client:
        yield w


def _web(world: World, **kw: object) -> TestClient:
    return TestClient(create_app(world.clinic.settings, clinic=world.clinic), **kw)  # type: ignore[arg-type]


def _signed_in(world: World) -> TestClient:
    c = _web(world)
    token = _csrf(c.get("/login").text)
    r = c.post(
        "/login",
        data={"email": "clinician@demo.ldn.example", "password": PASSWORD, "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    return c


def _assert_hardened(headers: object, *, cached: bool = False) -> None:
    h = dict(headers)  # type: ignore[call-overload]
    csp = h["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval', no CDN
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert h["x-frame-options"] == "DENY"
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"
    assert (h.get("cache-control") == "no-store") != cached


def test_every_answer_carries_the_security_headers(world: World) -> None:
    c, pid = world.client, world.own
    api = c.get(f"/api/v1/patients/{pid}", headers=world.as_("clinician"))
    assert api.status_code == 200
    _assert_hardened(api.headers)
    _assert_hardened(c.get(f"/api/v1/patients/{pid}").headers)  # errors too
    _assert_hardened(
        c.get(f"/fhir/R4/Patient/{pid}/$everything", headers=world.as_("clinician")).headers
    )
    web = _signed_in(world)
    page = web.get(f"/clinic/patients/{pid}")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    _assert_hardened(page.headers)
    _assert_hardened(web.get("/login").headers)
    static = web.get("/static/vendor/htmx.min.js")
    assert static.status_code == 200
    _assert_hardened(static.headers, cached=True)
    assert "strict-transport-security" not in page.headers  # plain HTTP: no HSTS


def test_hsts_only_over_https(world: World) -> None:
    behind = _web(world, client=("10.0.0.1", 1))
    r = behind.get("/api/v1/health", headers={"X-Forwarded-Proto": "https"})
    assert r.headers["strict-transport-security"].startswith("max-age=")
    assert "strict-transport-security" not in behind.get("/api/v1/health").headers
    untrusted = _web(world, client=("192.0.2.1", 1))  # only a trusted proxy may say "https"
    assert (
        "strict-transport-security"
        not in untrusted.get("/api/v1/health", headers={"X-Forwarded-Proto": "https"}).headers
    )


def test_no_inline_script_anywhere_in_the_pages() -> None:
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        assert not inline.search(text), f"inline <script> in {path.name}"
        assert not handler.search(text), f"inline event handler in {path.name}"
        assert "javascript:" not in text.lower(), path.name
    base = (TEMPLATES / "base.html").read_text()
    assert '<meta name="htmx-config"' in base and '"includeIndicatorStyles":false' in base


def test_pages_render_under_the_policy(world: World) -> None:
    web = _signed_in(world)
    for path in (
        "/clinic",
        f"/clinic/patients/{world.own}",
        "/evidence",
        "/pharmacology",
        "/clinic/new",
    ):
        r = web.get(path)
        assert r.status_code == 200, path
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", r.text), path
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", r.text), path  # no inline event handler
        assert all(
            src.startswith("/static/") for src in re.findall(r'<script[^>]*\bsrc="([^"]+)"', r.text)
        ), path


def test_api_docs_load_swagger_ui_from_the_package(world: World) -> None:
    web = _web(world)
    docs = web.get("/api/docs")
    assert docs.status_code == 200
    _assert_hardened(docs.headers)
    sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert sources and all(s.startswith("/static/") for s in sources), sources
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", docs.text)
    for s in sources:
        asset = web.get(s)
        assert asset.status_code == 200 and len(asset.content) > 100, s
    assert (STATIC / "vendor" / "swagger-ui.LICENSE").is_file()
    assert "cdn" not in docs.text.lower()
