"""The citation registry and cited facts: every id resolves, no entry is unused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ldn.domain.errors import NotFoundError
from ldn.domain.facts import Fact, collect_facts, facts_markdown
from ldn.domain.sources import get_source, registry, unresolved

SRC = Path(__file__).resolve().parents[2] / "src" / "ldn"
DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_registry_loads_with_required_fields() -> None:
    reg = registry()
    assert "seed-article" in reg
    for sid, src in reg.items():
        assert re.fullmatch(r"[a-z0-9][a-z0-9.-]*", sid), f"id {sid!r}: lowercase, digits, '-', '.'"
        assert src.title
        assert src.kind != "assumption" or src.verification == "unverified"


def test_every_fact_cites_known_sources() -> None:
    bad = {nf.name: unresolved(nf.fact.sources) for nf in collect_facts()}
    assert {k: v for k, v in bad.items() if v} == {}


def test_no_registry_entry_is_unused() -> None:
    """An entry is used when its id appears in code or package data outside the registry files."""
    corpus = "\n".join(
        p.read_text(encoding="utf-8")
        for p in SRC.rglob("*")
        if p.is_file()
        and p.suffix in {".py", ".toml", ".csv", ".json", ".yaml", ".md", ".html", ".j2"}
        and "sources" not in p.parent.name
    )
    unused = [
        sid for sid in registry() if not re.search(rf"(?<![\w-]){re.escape(sid)}(?![\w-])", corpus)
    ]
    assert unused == []


def test_unknown_source_names_the_fix() -> None:
    with pytest.raises(NotFoundError, match="no source with id 'nope'") as info:
        get_source("nope")
    assert "ldn sources" in info.value.fix


def test_fact_requires_a_source() -> None:
    with pytest.raises(ValueError, match="at least one source"):
        Fact(1.0, unit="mg", sources=())


def test_docs_facts_is_current() -> None:
    """docs/facts.md is generated; run `make docs` after adding a Fact."""
    assert (DOCS / "facts.md").read_text(encoding="utf-8") == facts_markdown()
