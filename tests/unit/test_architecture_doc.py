"""docs/architecture.md is the map (issue #20): every package of the tree is on it."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "ldn"


def test_every_package_is_on_the_map() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = [
        p.relative_to(SRC)
        for p in SRC.rglob("__init__.py")
        if "migrations" not in p.parts and "data" not in p.parts
    ]
    missing = [str(p.parent) for p in packages if f"{p.parent.name}/" not in doc]
    assert missing in ([], ["."]), f"packages missing from docs/architecture.md: {missing}"
