"""What is this medicine? A name (and any codes) resolved to ingredients, classes and form.

Resolution, safest reading first:

1. **Codes** (``Coding`` from FHIR or CDS Hooks): an RxNorm ingredient code or a WHO ATC code
   in the knowledge base names its ingredient or product; an ATC code that is not listed still
   tells its class by its group (N02A opioids, N07BC opioid-dependence drugs, R05DA opium
   alkaloids, A07DA antipropulsives, N01AH opioid anaesthetics, N07BB04 naltrexone, A06AH
   peripheral opioid antagonists).
2. **Text**: the tokens of the name (``normalise.tokens``) are read left to right, taking the
   longest known name at each place ("tylenol 3" before "tylenol"); forms, strengths, salts and
   connectors are skipped; a word that is none of these is tried as a misspelling
   (Damerau-Levenshtein distance 1, or 2 for words of 8+ letters; never a word with a digit, which
   can name another product) and accepted only when the known names that close all mean the same.

The union of what codes and text found is the answer, so a wrong code can add a class but never
hide one. Anything left unread makes the match ``partial``; nothing read makes it
``unrecognised`` — and the screen sends both to the clinician (fail closed).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from rapidfuzz.distance import DamerauLevenshtein
from rapidfuzz.process import extract

from ldn.domain.medicines.knowledge import (
    DEPOT_FORMS,
    LONG_ACTING_FORMS,
    Ingredient,
    KnowledgeBase,
    Product,
    knowledge_base,
)
from ldn.domain.medicines.normalise import (
    RELEASE_WORDS,
    ROUTE_WORDS,
    is_noise,
    tokens,
    without_numbering,
)

__all__ = [
    "ATC_GROUPS",
    "ATC_SYSTEM",
    "OPIOID_CLASSES",
    "RXNORM_SYSTEM",
    "MatchPart",
    "MedicineMatch",
    "identify",
]

RXNORM_SYSTEM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC_SYSTEM = "http://www.whocc.no/atc"
#: classes whose ingredients are opioid receptor agonists (washout before naltrexone)
OPIOID_CLASSES: frozenset[str] = frozenset({
    "opioid_full_agonist", "opioid_long_acting", "tramadol", "tapentadol", "codeine", "methadone",
    "buprenorphine", "opioid_agonist_antagonist", "opioid_antitussive", "opioid_antidiarrhoeal",
    "opioid_like", "opioid_unspecified",
})  # fmt: skip
#: ATC groups (prefixes) and the class an unlisted code in them implies (WHO ATC structure)
ATC_GROUPS: tuple[tuple[str, str], ...] = (
    ("N07BB04", "naltrexone"), ("A08AA62", "naltrexone"), ("N07BC", "opioid_unspecified"),
    ("N02A", "opioid_unspecified"), ("N01AH", "opioid_full_agonist"),
    ("R05DA", "opioid_antitussive"), ("A07DA", "opioid_antidiarrhoeal"), ("A06AH", "pamora"),
    ("V03AB15", "opioid_antagonist"), ("N07BB05", "opioid_antagonist"),
)  # fmt: skip
_ATC_SOURCE = ("who-atc-ddd",)
#: classes whose ingredients count as analgesics for ICHD-3 8.2 (a product with two or more is
#: a combination analgesic, 8.2.5)
_ANALGESIC = OPIOID_CLASSES - {"opioid_antidiarrhoeal"} | {
    "simple_analgesic",
    "analgesic_adjuvant",
    "triptan",
    "ergotamine",
}

Status = Literal["recognised", "partial", "unrecognised"]


@dataclass(frozen=True, slots=True)
class MatchPart:
    """One piece of the answer: what text or code matched what, and why."""

    text: str
    how: Literal["product", "ingredient", "code", "code_group", "spelling"]
    target: str
    ingredients: tuple[str, ...]
    source_ids: tuple[str, ...]
    markets: tuple[str, ...] = ()

    def describe(self) -> str:
        what = " + ".join(i.replace("_", " ") for i in self.ingredients) or self.target
        why = {
            "product": f"product{', ' + '/'.join(self.markets) + ' label' if self.markets else ''}",
            "ingredient": "ingredient name",
            "code": "code",
            "code_group": "ATC group",
            "spelling": f"read as {self.target!r}",
        }[self.how]
        shown = self.target if self.how in ("product", "ingredient") else self.text
        return f"{shown!r} → {what} ({why})"


@dataclass(frozen=True, slots=True)
class MedicineMatch:
    """What ldn makes of one medicine: its ingredients and classes, and how it knows."""

    query: str
    status: Status
    ingredients: tuple[str, ...]
    classes: frozenset[str]
    form: str | None
    parts: tuple[MatchPart, ...]
    unread: tuple[str, ...]

    @property
    def contains_opioid(self) -> bool:
        return bool(self.classes & OPIOID_CLASSES)

    @property
    def contains_naltrexone(self) -> bool:
        return "naltrexone" in self.classes

    @property
    def long_acting(self) -> bool:
        return self.form in LONG_ACTING_FORMS

    @property
    def depot(self) -> bool:
        return self.form in DEPOT_FORMS

    @property
    def source_ids(self) -> tuple[str, ...]:
        return tuple(sorted({s for p in self.parts for s in p.source_ids}))

    @property
    def analgesic_ingredients(self) -> tuple[str, ...]:
        kb = knowledge_base()
        return tuple(
            i
            for i in self.ingredients
            if i in kb.ingredients and set(kb.ingredients[i].classes) & _ANALGESIC
        )

    def explanation(self) -> str:
        """One line a clinician can check, e.g. ``'Percocet' → oxycodone + paracetamol (product, US label)``."""
        if self.status == "unrecognised":
            return f"{self.query!r}: not in ldn's medicine list"
        text = "; ".join(p.describe() for p in self.parts)
        if self.unread:
            text += f"; not read: {' '.join(self.unread)!r}"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "status": self.status,
            "ingredients": list(self.ingredients),
            "classes": sorted(self.classes),
            "form": self.form,
            "contains_opioid": self.contains_opioid,
            "contains_naltrexone": self.contains_naltrexone,
            "long_acting": self.long_acting,
            "unread": list(self.unread),
            "explanation": self.explanation(),
            "matched": [
                {
                    "text": p.text,
                    "how": p.how,
                    "target": p.target,
                    "ingredients": list(p.ingredients),
                    "markets": list(p.markets),
                    "source_ids": list(p.source_ids),
                }
                for p in self.parts
            ],
            "source_ids": list(self.source_ids),
        }


def _part(kb: KnowledgeBase, text: str, entry: Ingredient | Product, how: Any) -> MatchPart:
    if isinstance(entry, Product):
        return MatchPart(text, how, entry.display, entry.ingredients, entry.sources, entry.markets)
    return MatchPart(text, how, entry.display, (entry.key,), entry.sources)


def _from_codes(kb: KnowledgeBase, codes: tuple[tuple[str, str], ...]) -> list[MatchPart]:
    out: list[MatchPart] = []
    for system, code in codes:
        c = code.strip()
        if system == RXNORM_SYSTEM and c in kb.by_rxcui:
            out.append(_part(kb, f"RxNorm {c}", kb.by_rxcui[c], "code"))
        elif system == ATC_SYSTEM:
            entry = kb.by_atc.get(c.upper())
            if entry is not None:
                out.append(_part(kb, f"ATC {c}", entry, "code"))
                continue
            group = next((cls for prefix, cls in ATC_GROUPS if c.upper().startswith(prefix)), None)
            if group is not None:
                out.append(MatchPart(f"ATC {c}", "code_group", group, (), _ATC_SOURCE))
    return out


@lru_cache(maxsize=1)
def _single_word_names() -> tuple[str, ...]:
    return tuple(sorted(k[0] for k in knowledge_base().by_name if len(k) == 1 and len(k[0]) >= 4))


def _spelling(word: str) -> str | None:
    """The one known name within the allowed edit distance of ``word``, else None."""
    if len(word) < 5 or any(c.isdigit() for c in word):
        return None  # "tylenol3" must not be read as "tylenol": a digit can name another product
    limit = 2 if len(word) >= 8 else 1
    hits = extract(
        word, _single_word_names(), scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=10
    )
    if not hits:
        return None
    best = min(h[1] for h in hits)
    top = [h[0] for h in hits if h[1] == best]
    kb = knowledge_base()
    meanings = {_ingredients_of(kb.by_name[(t,)]) for t in top}
    if len(meanings) != 1:
        return None  # a tie is fine only when every candidate means the same
    entry = kb.by_name[(top[0],)]
    if (top[0],) in _opioid_prefixes() and not kb.classes_of(entry) & OPIOID_CLASSES:
        return None  # "robaxisalc" may be "Robaxisal C" (with codeine), not "Robaxisal"
    return top[0]


_UNITS = frozenset({"mg", "mcg", "ug", "g", "ml", "iu", "units", "unit", "%", "mmol", "mcgh"})


@lru_cache(maxsize=1)
def _numbered_opioid_prefixes() -> frozenset[tuple[str, ...]]:
    """Names that, followed by a number, name an opioid product ("tylenol" of "tylenol 3")."""
    kb = knowledge_base()
    return frozenset(
        k[:-1]
        for k, e in kb.by_name.items()
        if len(k) > 1 and k[-1].isdigit() and kb.classes_of(e) & OPIOID_CLASSES
    )


@lru_cache(maxsize=1)
def _opioid_prefixes() -> frozenset[tuple[str, ...]]:
    """Every proper prefix of an opioid product's name ("robaxisal" of "robaxisal c")."""
    kb = knowledge_base()
    return frozenset(
        k[:j]
        for k, e in kb.by_name.items()
        if kb.classes_of(e) & OPIOID_CLASSES
        for j in range(1, len(k))
    )


def _bare_number_at(words: list[str], i: int) -> bool:
    """A number without a unit after it (so not a strength such as "500 mg")."""
    return (
        i < len(words)
        and words[i].isdigit()
        and (i + 1 >= len(words) or words[i + 1] not in _UNITS)
    )


def _ingredients_of(entry: Ingredient | Product) -> tuple[str, ...]:
    return tuple(sorted(entry.ingredients if isinstance(entry, Product) else (entry.key,)))


def _from_text(
    kb: KnowledgeBase, words: list[str]
) -> tuple[list[MatchPart], list[str], str | None]:
    parts: list[MatchPart] = []
    unread: list[str] = []
    form: str | None = None
    i = 0
    while i < len(words):
        for n in range(min(kb.longest_name, len(words) - i), 0, -1):
            key = tuple(words[i : i + n])
            entry = kb.by_name.get(key) or kb.by_name.get(without_numbering(key))
            if entry is not None:
                how = "product" if isinstance(entry, Product) else "ingredient"
                parts.append(_part(kb, " ".join(key), entry, how))
                i += n
                if key in _numbered_opioid_prefixes() and _bare_number_at(words, i):
                    unread.append(
                        words[i]
                    )  # "Atasol 1": not "Atasol" + a strength, maybe "Atasol-15"
                    i += 1
                break
        else:
            w = words[i]
            if w in ROUTE_WORDS and form is None:
                form = ROUTE_WORDS[w]
            elif w in RELEASE_WORDS and form is None:
                form = "er_tablet"
            if not is_noise(w):
                fixed = _spelling(w)
                if fixed is not None:
                    parts.append(_part(kb, w, kb.by_name[(fixed,)], "spelling"))
                else:
                    unread.append(w)
            i += 1
    return parts, unread, form


def identify(
    name: str, *, codes: tuple[tuple[str, str], ...] = (), route: str | None = None
) -> MedicineMatch:
    """Resolve a medicine from its ``name`` and any ``codes`` ((system, code) pairs)."""
    kb = knowledge_base()
    parts = _from_codes(kb, codes)
    text_parts, unread, text_form = _from_text(kb, tokens(name))
    parts += text_parts
    ingredients = tuple(dict.fromkeys(i for p in parts for i in p.ingredients))
    classes = {c for i in ingredients for c in kb.ingredients[i].classes}
    classes |= {p.target for p in parts if p.how == "code_group"}
    forms = [
        kb_form
        for p in parts
        if p.how in ("product", "spelling", "code")
        if (kb_form := _product_form(kb, p)) is not None
    ]
    form = _longest_lasting([*forms, text_form, "patch" if route == "transdermal" else None])
    status: Status = "unrecognised" if not parts else ("partial" if unread else "recognised")
    return MedicineMatch(
        name, status, ingredients, frozenset(classes), form, tuple(parts), tuple(unread)
    )


def _product_form(kb: KnowledgeBase, part: MatchPart) -> str | None:
    entry = kb.by_name.get(tuple(tokens(part.target)))
    return entry.form if isinstance(entry, Product) else None


_FORM_RANK = {"implant": 0, "depot_injection": 1, "patch": 2, "er_tablet": 3, "er_capsule": 3}


def _longest_lasting(forms: list[str | None]) -> str | None:
    """The form that keeps an opioid longest (depot > patch > extended release > others)."""
    known = [f for f in forms if f]
    return min(known, key=lambda f: _FORM_RANK.get(f, 9)) if known else None
