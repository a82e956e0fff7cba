"""The citation registry: every paper, label, guideline and web page ldn relies on.

The registry is data, shipped in the package as TOML files under ``ldn/domain/data/sources/``
(one file per area, so that the criteria, pharmacology and evidence curators do not edit the
same file). Each entry is a table keyed by its stable id::

    [wolfe-2016]
    authors = "Wolfe F, Clauw DJ, Fitzcharles MA, et al."
    year = 2016
    title = "2016 Revisions to the 2010/2011 fibromyalgia diagnostic criteria"
    venue = "Semin Arthritis Rheum 46(3):319-329"
    doi = "10.1016/j.semarthrit.2016.08.012"
    kind = "guideline"
    verification = "verified"     # verified | secondary | unverified
    note = "Criteria table checked in a reproduced copy."

``verification`` records how ldn's curators checked the entry: ``verified`` means the fact we
use was read in the source itself or a faithful reproduction (the research notes' [V]/[D]);
``secondary`` means it was read only in a review, summary or calculator ([S]); ``unverified``
means it is from memory or could not be found ([U]/[NF]). ``kind = "assumption"`` marks an
explicit project assumption where no published source exists — it is listed, never hidden.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal, get_args

from ldn.domain.errors import NotFoundError

__all__ = [
    "KINDS",
    "Kind",
    "Source",
    "Verification",
    "get_source",
    "registry",
    "unresolved",
]

Kind = Literal[
    "article",
    "rct",
    "crossover_rct",
    "meta_analysis",
    "systematic_review",
    "cohort",
    "pk_study",
    "pet_study",
    "label",
    "guideline",
    "criteria",
    "instrument",
    "review",
    "practice",
    "terminology",
    "standard",
    "software",
    "textbook",
    "web",
    "assumption",
]
KINDS: tuple[str, ...] = get_args(Kind)
Verification = Literal["verified", "secondary", "unverified"]
_VERIFICATIONS: tuple[str, ...] = get_args(Verification)
_FIELDS = {
    "authors",
    "year",
    "title",
    "venue",
    "doi",
    "pmid",
    "url",
    "kind",
    "verification",
    "note",
}


@dataclass(frozen=True, slots=True)
class Source:
    """One citable source."""

    id: str
    title: str
    kind: Kind
    verification: Verification
    authors: str = ""
    year: int | None = None
    venue: str = ""
    doi: str = ""
    pmid: str = ""
    url: str = ""
    note: str = ""

    @property
    def link(self) -> str:
        """The best link for a reader: DOI, then PubMed, then the URL."""
        if self.doi:
            return f"https://doi.org/{self.doi}"
        if self.pmid:
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
        return self.url

    @property
    def short(self) -> str:
        """A short citation: ``Wolfe 2016, Semin Arthritis Rheum``."""
        lead = self.authors.split(",")[0].strip() if self.authors else ""
        words = lead.split()
        if len(words) >= 2 and words[-1].isupper() and len(words[-1]) <= 3:
            first = " ".join(words[:-1])  # a person: "Wolfe F" -> "Wolfe"
        else:  # an organisation or no author: its name, or the title, shortened
            first = lead.split(" (")[0] or self.title
            first = first if len(first) <= 60 else first[:57].rstrip() + "…"
        year = f" {self.year}" if self.year else ""
        return f"{first}{year}"

    @property
    def citation(self) -> str:
        parts = [self.authors, f"({self.year})" if self.year else "", self.title, self.venue]
        text = ". ".join(p.strip().rstrip(".") for p in parts if p)
        return f"{text}. {self.link}".strip() if self.link else text

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "authors": self.authors,
            "year": self.year,
            "title": self.title,
            "venue": self.venue,
            "doi": self.doi,
            "pmid": self.pmid,
            "url": self.url,
            "link": self.link,
            "kind": self.kind,
            "verification": self.verification,
            "note": self.note,
        }


def _parse(sid: str, raw: Mapping[str, object], origin: str) -> Source:
    unknown = set(raw) - _FIELDS
    if unknown:
        raise ValueError(f"{origin}: [{sid}] has unknown fields {sorted(unknown)}")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ValueError(f"{origin}: [{sid}] kind {kind!r} is not one of {KINDS}")
    verification = raw.get("verification")
    if verification not in _VERIFICATIONS:
        raise ValueError(f"{origin}: [{sid}] verification {verification!r} not in {_VERIFICATIONS}")
    title = raw.get("title")
    if not isinstance(title, str) or not title:
        raise ValueError(f"{origin}: [{sid}] needs a title")
    year = raw.get("year")
    return Source(
        id=sid,
        title=title,
        kind=kind,  # type: ignore[arg-type]
        verification=verification,  # type: ignore[arg-type]
        authors=str(raw.get("authors", "")),
        year=int(year) if isinstance(year, int) else None,
        venue=str(raw.get("venue", "")),
        doi=str(raw.get("doi", "")),
        pmid=str(raw.get("pmid", "")),
        url=str(raw.get("url", "")),
        note=str(raw.get("note", "")),
    )


@lru_cache(maxsize=1)
def registry() -> Mapping[str, Source]:
    """All sources, keyed by id (read once from the shipped TOML files)."""
    out: dict[str, Source] = {}
    folder = resources.files("ldn.domain").joinpath("data", "sources")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        for sid, raw in data.items():
            if sid in out:
                raise ValueError(f"{entry.name}: source id {sid!r} is defined twice")
            if not isinstance(raw, dict):
                raise ValueError(f"{entry.name}: {sid!r} must be a table")
            out[sid] = _parse(sid, raw, entry.name)
    return dict(sorted(out.items()))


def get_source(source_id: str) -> Source:
    """The source with this id, or :class:`NotFoundError` naming the fix."""
    try:
        return registry()[source_id]
    except KeyError:
        raise NotFoundError(
            f"no source with id {source_id!r}", fix="run `ldn sources` to list the ids"
        ) from None


def unresolved(source_ids: Iterable[str]) -> list[str]:
    """The ids in ``source_ids`` that the registry does not know."""
    known = registry()
    return [sid for sid in source_ids if sid not in known]
