"""Medicine names as tokens: case, accents, punctuation, hyphens, slashes and "No. 3" unified.

``name_key("Tylenol No. 3")`` and ``name_key("TYLENOL #3")`` are both ``("tylenol", "3")``;
``name_key("co-codamol")`` is ``("co", "codamol")``. The same function normalises the knowledge
base's names and what a person typed, so the two always meet.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "CONNECTORS",
    "NOISE",
    "RELEASE_WORDS",
    "ROUTE_WORDS",
    "is_noise",
    "name_key",
    "tokens",
    "without_numbering",
]

_SPLIT = re.compile(r"[^a-z0-9.]+")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_STRENGTH = re.compile(r"^\d+(?:\.\d+)?(mg|mcg|ug|g|ml|iu|h|hr|hrs|mgh|mcgh|%|mmol|units?)?$")

#: words joining the ingredients of a combination ("paracetamol with codeine")
CONNECTORS = frozenset({"with", "and", "plus", "w", "mit", "et", "y", "con", "avec", "in"})
#: words saying the product releases over a day or longer (extended-release forms)
RELEASE_WORDS = frozenset({
    "er", "xr", "sr", "cr", "la", "mr", "xl", "pr", "xt", "cd", "retard", "contin", "continus",
    "extended", "sustained", "controlled", "modified", "prolonged", "depot", "slow", "24hr",
    "12hr", "long", "acting", "once", "daily", "bid", "q12h", "q24h", "rel", "release", "released",
})  # fmt: skip
#: words for a route or form that changes how long an opioid stays (patches, depots)
ROUTE_WORDS = {
    "patch": "patch", "patches": "patch", "transdermal": "patch", "td": "patch", "matrix": "patch",
    "mcgh": "patch", "mcg/h": "patch", "microgram/hour": "patch", "implant": "implant",
    "depot": "depot_injection", "monthly": "depot_injection", "weekly": "depot_injection",
    "buccal": "film", "film": "film", "sublingual": "sublingual_tablet", "sl": "sublingual_tablet",
    "nasal": "nasal_spray", "spray": "nasal_spray", "injection": "injection", "inj": "injection",
    "lozenge": "lozenge", "lollipop": "lozenge", "suppository": "suppository",
    "supp": "suppository", "syrup": "liquid", "solution": "liquid", "elixir": "liquid",
    "linctus": "liquid", "suspension": "liquid", "drops": "liquid", "liquid": "liquid",
}  # fmt: skip
#: forms, units, salts, packaging and dosing words that never name a medicine
NOISE = frozenset(
    {
        *RELEASE_WORDS,
        *ROUTE_WORDS,
        *CONNECTORS,
        "tablet",
        "tablets",
        "tab",
        "tabs",
        "tbl",
        "capsule",
        "capsules",
        "cap",
        "caps",
        "caplet",
        "caplets",
        "softgel",
        "softgels",
        "gelcap",
        "gelcaps",
        "pill",
        "pills",
        "oral",
        "po",
        "orally",
        "chewable",
        "dispersible",
        "effervescent",
        "orodispersible",
        "odt",
        "coated",
        "film-coated",
        "enteric",
        "ec",
        "gastro",
        "resistant",
        "immediate",
        "ir",
        "instant",
        "rapid",
        "fast",
        "melt",
        "mg",
        "mcg",
        "ug",
        "g",
        "ml",
        "iu",
        "unit",
        "units",
        "h",
        "hr",
        "hrs",
        "hour",
        "hours",
        "per",
        "dose",
        "doses",
        "puff",
        "puffs",
        "pump",
        "mmol",
        "percent",
        "strength",
        "extra",
        "maximum",
        "max",
        "forte",
        "mite",
        "adult",
        "adults",
        "children",
        "child",
        "junior",
        "infant",
        "pediatric",
        "paediatric",
        "generic",
        "brand",
        "compounded",
        "compound",
        "low",
        "high",
        "prn",
        "as",
        "needed",
        "required",
        "at",
        "night",
        "bedtime",
        "morning",
        "nightly",
        "qhs",
        "qd",
        "od",
        "bd",
        "tds",
        "tid",
        "qid",
        "qds",
        "daily",
        "weekly",
        "day",
        "days",
        "a",
        "an",
        "the",
        "of",
        "for",
        "to",
        "take",
        "taking",
        "x",
        "times",
        "hydrochloride",
        "hcl",
        "sulfate",
        "sulphate",
        "phosphate",
        "bitartrate",
        "tartrate",
        "citrate",
        "maleate",
        "succinate",
        "besylate",
        "besilate",
        "mesylate",
        "mesilate",
        "acetate",
        "bromide",
        "hydrobromide",
        "sodium",
        "potassium",
        "napsylate",
        "hemihydrate",
        "dihydrate",
        "monohydrate",
        "anhydrous",
        "base",
        "salt",
        "hbr",
        "usp",
        "bp",
        "ph",
        "eur",
        "inj",
        "vial",
        "vials",
        "ampoule",
        "amp",
        "pen",
        "prefilled",
        "syringe",
        "injectable",
        "subcutaneous",
        "sc",
        "sq",
        "im",
        "iv",
        "intramuscular",
        "intravenous",
        "topical",
        "cream",
        "gel",
        "ointment",
        "spray",
        "inhaler",
        "drop",
        "eye",
        "ear",
        "pack",
        "box",
        "bottle",
        "blister",
        "sachet",
        "sachets",
        "granules",
        "powder",
        "otc",
        "rx",
        "no",
        "nr",
        "number",
        "#",
        "medicine",
        "medicines",
        "medication",
        "medications",
        "unnamed",
        "drug",
        "drugs",
        "system",
        "concentrate",
        "intensol",
        "solution",
        "film",
    }
)


def tokens(text: str) -> list[str]:
    """Lowercase ASCII tokens of ``text``: accents stripped, µ read as mc, "#3"/"No. 3" as "3"."""
    t = unicodedata.normalize("NFKD", text.replace("µ", "mc").replace("μ", "mc"))
    t = "".join(c for c in t if not unicodedata.combining(c)).lower()
    t = re.sub(r"mcg\s*/\s*(hr|hour|h)\b", " mcgh ", t).replace("w/", " with ")
    t = re.sub(r"\b(no|nr)\.?(?=\d)", r"\1 ", t.replace("#", " "))  # "no.3", "no3" -> "no 3"
    words = [w.strip(".") for w in _SPLIT.split(t)]
    return [w for w in words if w]


def without_numbering(words: tuple[str, ...]) -> tuple[str, ...]:
    """The words without a 'No.'/'Nr'/'number' before a product number ("tylenol no 3" →
    "tylenol 3"); the matcher tries a name with and without it, so "Tussi-Organidin NR" keeps its NR."""
    return tuple(
        w
        for i, w in enumerate(words)
        if not (w in ("no", "nr", "number") and i + 1 < len(words) and words[i + 1].isdigit())
    )


def name_key(text: str) -> tuple[str, ...]:
    """The look-up key of a name in the knowledge base (its tokens, without numbering words)."""
    return without_numbering(tuple(tokens(text)))


def is_number(token: str) -> bool:
    return bool(_NUMBER.match(token))


def is_noise(token: str) -> bool:
    """True for a word that never names a medicine: a form, unit, salt, strength or number."""
    return token in NOISE or bool(_STRENGTH.match(token))
