"""The medicine knowledge base: ingredients, products and their codes, as shipped package data.

Data lives in ``ldn/domain/data/medicines/*.toml`` (see ``docs/medicines.md`` for how to add an
entry). Two kinds of record::

    [oxycodone]                                   # ingredients.toml: key = INN
    classes = ["opioid_full_agonist"]
    synonyms = ["oxycodone hydrochloride", "oxycodon"]
    atc = ["N02AA05"]
    rxcui = "7804"
    sources = ["who-atc-ddd"]

    [[product]]                                   # products_*.toml
    names = ["Percocet"]
    ingredients = ["oxycodone", "paracetamol"]
    form = "tablet"
    markets = ["US", "CA"]
    sources = ["dailymed"]

Every entry cites source ids from the registry (:mod:`ldn.domain.sources`); the loader refuses a
class, form or ingredient it does not know, and a name that would mean two things.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal, get_args

from ldn.domain.medicines.normalise import name_key

__all__ = [
    "ALL_CLASSES",
    "FORMS",
    "LONG_ACTING_FORMS",
    "DrugClass",
    "Form",
    "Ingredient",
    "KnowledgeBase",
    "Product",
    "compiled",
    "knowledge_base",
    "medicine_names",
    "source_digest",
]

DrugClass = Literal[
    # opioids: every class here holds an opioid receptor agonist (see OPIOID_CLASSES)
    "opioid_full_agonist",
    "opioid_long_acting",
    "tramadol",
    "tapentadol",
    "codeine",
    "methadone",
    "buprenorphine",
    "opioid_agonist_antagonist",
    "opioid_antitussive",
    "opioid_antidiarrhoeal",
    "opioid_like",
    "opioid_unspecified",
    # antagonists
    "naltrexone",
    "opioid_antagonist",
    "pamora",
    # screen-relevant non-opioids
    "thioridazine",
    "disulfiram",
    "triptan",
    "ergotamine",
    "simple_analgesic",
    "analgesic_adjuvant",
    "levothyroxine",
    "immunosuppressant",
    # recognised, no screen rule of their own
    "antidepressant",
    "gabapentinoid",
    "muscle_relaxant",
    "anticonvulsant",
    "migraine_preventive",
    "cgrp_antagonist",
    "benzodiazepine",
    "sleep_medicine",
    "antihistamine",
    "antiemetic",
    "supplement",
    "cannabinoid",
    "corticosteroid",
    "dmard",
    "gastrointestinal",
    "cardiovascular",
    "antidiabetic",
    "hormone",
    "antipsychotic",
    "stimulant",
    "antitussive_non_opioid",
    "decongestant",
    "local_anaesthetic",
    "other_recognised",
]
ALL_CLASSES: frozenset[str] = frozenset(get_args(DrugClass))

Form = Literal[
    "tablet",
    "er_tablet",
    "capsule",
    "er_capsule",
    "liquid",
    "patch",
    "film",
    "sublingual_tablet",
    "nasal_spray",
    "injection",
    "depot_injection",
    "implant",
    "suppository",
    "lozenge",
    "powder",
    "topical",
]
FORMS: frozenset[str] = frozenset(get_args(Form))
#: forms that release an opioid over days (patches) or weeks (depots, implants) or a day (ER)
LONG_ACTING_FORMS: frozenset[str] = frozenset(
    {"er_tablet", "er_capsule", "patch", "depot_injection", "implant"}
)
DEPOT_FORMS: frozenset[str] = frozenset({"depot_injection", "implant"})
_MARKETS = frozenset({"US", "UK", "EU", "CA", "AU", "NZ", "IE", "INT"})


@dataclass(frozen=True, slots=True)
class Ingredient:
    """One active ingredient, keyed by its INN."""

    key: str
    classes: tuple[str, ...]
    synonyms: tuple[str, ...] = ()
    atc: tuple[str, ...] = ()
    rxcui: str | None = None
    sources: tuple[str, ...] = ()

    @property
    def display(self) -> str:
        return self.key.replace("_", " ")


@dataclass(frozen=True, slots=True)
class Product:
    """A marketed product (brand or common name) with every active ingredient."""

    names: tuple[str, ...]
    ingredients: tuple[str, ...]
    form: str
    markets: tuple[str, ...]
    sources: tuple[str, ...]
    atc: tuple[str, ...] = ()

    @property
    def display(self) -> str:
        return self.names[0]


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """Ingredients and products with their look-up indexes (normalised name -> entry)."""

    ingredients: Mapping[str, Ingredient]
    products: tuple[Product, ...]
    by_name: Mapping[tuple[str, ...], Ingredient | Product]
    by_atc: Mapping[str, Ingredient | Product]
    by_rxcui: Mapping[str, Ingredient]
    longest_name: int = field(default=1)

    @classmethod
    def build(
        cls, ingredients: Mapping[str, Ingredient], products: tuple[Product, ...]
    ) -> KnowledgeBase:
        """Index ``ingredients`` and ``products``; refuse anything inconsistent (ValueError)."""
        by_name: dict[tuple[str, ...], Ingredient | Product] = {}
        by_atc: dict[str, Ingredient | Product] = {}
        by_rxcui: dict[str, Ingredient] = {}

        def add(name: str, entry: Ingredient | Product) -> None:
            key = name_key(name)
            if not key:
                raise ValueError(f"medicine name {name!r} is empty after normalising")
            other = by_name.get(key)
            if other is not None and other is not entry:
                raise ValueError(
                    f"medicine name {name!r} means both {other.display!r} and {entry.display!r}"
                )
            by_name[key] = entry

        for ing in ingredients.values():
            bad = set(ing.classes) - ALL_CLASSES
            if bad or not ing.classes:
                raise ValueError(
                    f"ingredient {ing.key!r}: unknown or missing classes {sorted(bad)}"
                )
            if not ing.sources:
                raise ValueError(f"ingredient {ing.key!r} cites no source")
            for name in (ing.key, *ing.synonyms):
                add(name, ing)
            for code in ing.atc:
                by_atc[code.upper()] = ing
            if ing.rxcui:
                by_rxcui[ing.rxcui] = ing
        for prod in products:
            missing = [i for i in prod.ingredients if i not in ingredients]
            if missing or not prod.ingredients:
                raise ValueError(f"product {prod.display!r}: unknown ingredients {missing}")
            if prod.form not in FORMS:
                raise ValueError(f"product {prod.display!r}: unknown form {prod.form!r}")
            if set(prod.markets) - _MARKETS or not prod.sources:
                raise ValueError(f"product {prod.display!r}: bad markets or no source")
            for name in prod.names:
                add(name, prod)
            for code in prod.atc:
                by_atc.setdefault(code.upper(), prod)
        longest = max((len(k) for k in by_name), default=1)
        return cls(dict(ingredients), products, by_name, by_atc, by_rxcui, longest)

    def classes_of(self, entry: Ingredient | Product) -> frozenset[str]:
        if isinstance(entry, Ingredient):
            return frozenset(entry.classes)
        return frozenset(c for i in entry.ingredients for c in self.ingredients[i].classes)

    def source_ids(self) -> frozenset[str]:
        """Every source id the knowledge base cites (the registry test checks they resolve)."""
        ids = {s for i in self.ingredients.values() for s in i.sources}
        return frozenset(ids | {s for p in self.products for s in p.sources})


def _tuple(raw: object, what: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise ValueError(f"{what} must be a list of strings")
    return tuple(raw)


def _parse(files: Mapping[str, bytes]) -> dict[str, dict[str, Any]]:
    """The TOML files as plain data (what ``compiled.json`` stores)."""
    return {fname: tomllib.loads(blob.decode("utf-8")) for fname, blob in sorted(files.items())}


def _load(
    files: Mapping[str, bytes], parsed: Mapping[str, Mapping[str, Any]] | None = None
) -> KnowledgeBase:
    ingredients: dict[str, Ingredient] = {}
    products: list[Product] = []
    for fname, data in sorted((parsed or _parse(files)).items()):
        for key, raw in data.items():
            if key == "product":
                for p in raw:
                    where = f"{fname}: product {p.get('names')}"
                    products.append(
                        Product(
                            _tuple(p.get("names"), where),
                            _tuple(p.get("ingredients"), where),
                            str(p.get("form", "")),
                            _tuple(p.get("markets"), where),
                            _tuple(p.get("sources"), where),
                            _tuple(p.get("atc"), where),
                        )
                    )
                continue
            if key in ingredients:
                raise ValueError(f"{fname}: ingredient {key!r} defined twice")
            where = f"{fname}: [{key}]"
            rx = raw.get("rxcui")
            ingredients[key] = Ingredient(
                key,
                _tuple(raw.get("classes"), where),
                _tuple(raw.get("synonyms"), where),
                _tuple(raw.get("atc"), where),
                str(rx) if rx is not None else None,
                _tuple(raw.get("sources"), where),
            )
    return KnowledgeBase.build(ingredients, tuple(products))


def source_digest(files: Mapping[str, bytes]) -> str:
    """SHA-256 over the TOML files: ``compiled.json`` is used only when it was made from these."""
    h = hashlib.sha256()
    for fname, blob in sorted(files.items()):
        h.update(fname.encode() + b"\0" + blob + b"\0")
    return h.hexdigest()


def _toml_files() -> dict[str, bytes]:
    folder = resources.files("ldn.domain.data").joinpath("medicines")
    return {f.name: f.read_bytes() for f in folder.iterdir() if f.name.endswith(".toml")}


def compiled(files: Mapping[str, bytes] | None = None) -> dict[str, Any]:
    """The knowledge base as JSON-ready data with its source digest (``ldn meds compile``)."""
    files = files or _toml_files()
    return {"source_digest": source_digest(files), "files": _parse(files)}


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    """The shipped knowledge base (read once). The TOML files are the source; ``compiled.json``
    is their parsed form, used when its digest matches them (parsing TOML is the slow part of a
    screen's start-up) and ignored otherwise, so an edit never reads stale data."""
    files = _toml_files()
    blob = resources.files("ldn.domain.data").joinpath("medicines/compiled.json")
    if blob.is_file():
        data = json.loads(blob.read_text(encoding="utf-8"))
        if data.get("source_digest") == source_digest(files):
            return _load(files, data["files"])
    return _load(files)


@lru_cache(maxsize=1)
def medicine_names() -> tuple[str, ...]:
    """Every product name and ingredient (for suggestions in a form), sorted."""
    kb = knowledge_base()
    names = {n for p in kb.products for n in p.names} | {i.display for i in kb.ingredients.values()}
    return tuple(sorted(names, key=str.lower))
