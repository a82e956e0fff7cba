"""Beyond-use dates under USP <795> (2023), stability data, and the earliest-component rule.

Rules, in the order ldn applies them
------------------------------------
1. The USP <795> (2023) limit for the preparation's category, used when there is no USP-NF
   compounded-preparation monograph and no CNSP-specific stability data:

   ==========================  ======  ===============================
   category                    days    storage
   ==========================  ======  ===============================
   aqueous, not preserved      14      refrigerator
   aqueous, preserved          35      room temperature or refrigerator
   nonaqueous oral liquid      90      room temperature or refrigerator
   other nonaqueous (capsule)  180     room temperature or refrigerator
   ==========================  ======  ===============================

   (aqueous = water activity >= 0.6). The 1 mg/mL naltrexone liquid is preserved aqueous
   (sodium benzoate); the capsules are "other nonaqueous".
2. Stability data for the same storage **shortens** the limit (``min``). It **extends** it only
   when the study is CNSP-specific with a stability-indicating assay and, for an aqueous
   preparation, antimicrobial-effectiveness testing too; then ``BUD = min(study, 180 days)``.
   Fawcett 1997 tested the liquid's chemistry only, so the liquid keeps 35 days in the
   refrigerator (30 at room temperature, the study's own limit) — never 60.
3. The BUD is never later than the earliest expiry of any component (when given).

Day counting: the compounding day is day 1, so a ``days``-day BUD ends on
``compounded_on + (days - 1)`` (ldn's conservative reading for a date-only label; it keeps the
whole period within ``days`` x 24 h of compounding).

References
----------
USP <795> (2023), read in secondary summaries only (see ``ldn sources usp-795-2023``); USP <659>
storage definitions; Fawcett JP et al. 1997; IJPC 2018 capsule stability (abstract).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from ldn.domain.errors import InputError
from ldn.domain.facts import Fact

__all__ = [
    "BUD_DAY_ONE_IS_COMPOUNDING_DAY",
    "CAPSULE_STABILITY_D",
    "CAPSULE_STUDIES",
    "CONTROLLED_ROOM_C",
    "EXTENDED_BUD_MAX_D",
    "LIQUID_STABILITY_FRIDGE_D",
    "LIQUID_STABILITY_ROOM_D",
    "LIQUID_STUDIES",
    "REFRIGERATOR_C",
    "USP795_BUD_D",
    "USP795_STORAGE",
    "BeyondUse",
    "BudCategory",
    "Component",
    "StabilityStudy",
    "Storage",
    "beyond_use",
    "storage_text",
]

BudCategory = Literal[
    "aqueous_nonpreserved", "aqueous_preserved", "nonaqueous_liquid", "nonaqueous_solid"
]
Storage = Literal["refrigerator", "room"]
AQUEOUS: frozenset[str] = frozenset({"aqueous_nonpreserved", "aqueous_preserved"})

USP795_BUD_D: dict[str, Fact[int]] = {
    "aqueous_nonpreserved": Fact(14, unit="d", sources=("usp-795-2023",),
                                 note="Aqueous (water activity >= 0.6) without a preservative; refrigerated."),
    "aqueous_preserved": Fact(35, unit="d", sources=("usp-795-2023",),
                              note="Aqueous with a preservative (the 1 mg/mL liquid: sodium benzoate)."),
    "nonaqueous_liquid": Fact(90, unit="d", sources=("usp-795-2023",), note="Nonaqueous oral liquids."),
    "nonaqueous_solid": Fact(180, unit="d", sources=("usp-795-2023",),
                             note="Other nonaqueous dosage forms: capsules, powders."),
}  # fmt: skip
USP795_STORAGE: dict[str, Fact[tuple[str, ...]]] = {
    "aqueous_nonpreserved": Fact(("refrigerator",), unit="", sources=("usp-795-2023",)),
    "aqueous_preserved": Fact(("room", "refrigerator"), unit="", sources=("usp-795-2023",)),
    "nonaqueous_liquid": Fact(("room", "refrigerator"), unit="", sources=("usp-795-2023",)),
    "nonaqueous_solid": Fact(("room", "refrigerator"), unit="", sources=("usp-795-2023",)),
}
EXTENDED_BUD_MAX_D = Fact(
    180,
    unit="d",
    sources=("usp-795-2023",),
    note="Ceiling of a BUD extended with CNSP-specific stability data (stability-indicating assay; "
    "antimicrobial-effectiveness testing too when aqueous). Read in secondary summaries and the "
    "issue-25 review, not in the chapter; the older 'up to 1 year with data' is not used.",
)
BUD_DAY_ONE_IS_COMPOUNDING_DAY = Fact(
    True,
    unit="",
    sources=("ldn-assumption",),
    note="A date-only BUD of N days ends on compounding date + N - 1, so use never runs past "
    "N x 24 h from compounding. Conservative by up to one day.",
)
REFRIGERATOR_C = Fact((2, 8), unit="°C", sources=("usp-659",), note="Refrigerator.")
CONTROLLED_ROOM_C = Fact(
    (20, 25), unit="°C", sources=("usp-659",), note="Controlled room temperature."
)
LIQUID_STABILITY_FRIDGE_D = Fact(
    60,
    unit="d",
    sources=("fawcett-1997",),
    note="1 mg/mL validated formula at 4 C in amber bottles (the authors' dating). Chemistry only, "
    "no antimicrobial-effectiveness data: it can shorten the USP <795> limit, not extend it.",
)
LIQUID_STABILITY_ROOM_D = Fact(
    30,
    unit="d",
    sources=("fawcett-1997",),
    note="1 mg/mL validated formula at 25 C (the authors' dating); shortens 35 to 30 days.",
)
CAPSULE_STABILITY_D = Fact(
    360,
    unit="d",
    sources=("ijpc-2018-ldn-capsules",),
    note="LDN in Avicel 90-110 % of label for 360 days at room temperature, protected from light "
    "(abstract; assay method not stated there). Does not lift the 180-day ceiling.",
)


def storage_text(storage: Storage) -> str:
    """Storage wording with the USP <659> temperature range."""
    if storage == "refrigerator":
        lo, hi = REFRIGERATOR_C.value
        return f"refrigerate ({lo}-{hi} °C)"
    lo, hi = CONTROLLED_ROOM_C.value
    return f"controlled room temperature ({lo}-{hi} °C)"


@dataclass(frozen=True, slots=True)
class StabilityStudy:
    """Stability data for one preparation and storage: how long, and what it tested."""

    source_id: str
    days: int
    storage: Storage
    stability_indicating: bool = False
    antimicrobial_effectiveness: bool = False
    note: str = ""

    def extends(self, category: str) -> bool:
        """CNSP-specific data that may replace the table limit (up to the 180-day ceiling)."""
        return self.stability_indicating and (
            category not in AQUEOUS or self.antimicrobial_effectiveness
        )


LIQUID_STUDIES: tuple[StabilityStudy, ...] = (
    StabilityStudy(
        "fawcett-1997",
        LIQUID_STABILITY_FRIDGE_D.value,
        "refrigerator",
        note="chemistry only; no antimicrobial-effectiveness data",
    ),
    StabilityStudy(
        "fawcett-1997",
        LIQUID_STABILITY_ROOM_D.value,
        "room",
        note="chemistry only; no antimicrobial-effectiveness data",
    ),
)
CAPSULE_STUDIES: tuple[StabilityStudy, ...] = (
    StabilityStudy(
        "ijpc-2018-ldn-capsules",
        CAPSULE_STABILITY_D.value,
        "room",
        note="abstract only; assay method not stated",
    ),
)


@dataclass(frozen=True, slots=True)
class Component:
    """A starting component as used: name, lot and expiry (for the record and the BUD)."""

    name: str
    lot: str = ""
    expires_on: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "lot": self.lot,
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
        }


@dataclass(frozen=True, slots=True)
class BeyondUse:
    """The BUD of a batch: the last day of use, how it was reached, and the sources."""

    category: str
    storage: Storage
    days: int
    last_day: date
    basis: tuple[str, ...]
    source_ids: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "storage": self.storage,
            "days": self.days,
            "last_day": self.last_day.isoformat(),
            "basis": list(self.basis),
            "source_ids": list(self.source_ids),
        }


def beyond_use(
    *,
    category: BudCategory,
    storage: Storage,
    compounded_on: date,
    studies: Sequence[StabilityStudy] = (),
    components: Sequence[Component] = (),
) -> BeyondUse:
    """The BUD by the rules in the module notes; refuses expired components and wrong storage."""
    if category not in USP795_BUD_D:
        raise InputError.at(
            "category",
            f"unknown BUD category {category!r}",
            f"use one of {', '.join(USP795_BUD_D)}",
        )
    allowed = USP795_STORAGE[category].value
    if storage not in allowed:
        raise InputError.at(
            "storage",
            f"a {category.replace('_', ' ')} preparation must be stored in the {' or '.join(allowed)}",
            f"store it {storage_text('refrigerator')}",
        )
    table = USP795_BUD_D[category].value
    days = table
    basis = [
        f"USP <795> (2023), {category.replace('_', ' ')} preparation: at most {table} days ({' or '.join(allowed)})."
    ]
    sources = ["usp-795-2023"]
    relevant = [s for s in studies if s.storage == storage]
    extending = [s for s in relevant if s.extends(category)]
    if extending:
        days = max(min(s.days, EXTENDED_BUD_MAX_D.value) for s in extending)
        basis.append(
            f"CNSP-specific stability data ({', '.join(sorted({s.source_id for s in extending}))}) "
            f"extend it to {days} days (ceiling {EXTENDED_BUD_MAX_D.value} days)."
        )
    for s in relevant:
        sources.append(s.source_id)
        if s.days < days:
            days = s.days
            basis.append(
                f"Stability data ({s.source_id}, {storage}): {s.days} days — shortens the BUD to {s.days} days."
            )
        elif not s.extends(category):
            why = s.note or "not CNSP-specific stability-indicating data"
            basis.append(
                f"Stability data ({s.source_id}, {storage}): {s.days} days, {why} — no extension beyond {days} days."
            )
    last = compounded_on + timedelta(days=days - 1)
    basis.append(
        f"Day 1 is the compounding day: {days} days = {compounded_on.isoformat()} to {last.isoformat()}."
    )
    sources.append("ldn-assumption")
    dated = [(i, c) for i, c in enumerate(components) if c.expires_on is not None]
    for i, c in dated:
        assert c.expires_on is not None
        if c.expires_on < compounded_on:
            raise InputError.at(
                f"components[{i}].expires_on",
                f"{c.name} (lot {c.lot or '?'}) expired on {c.expires_on.isoformat()}",
                "use an in-date lot",
            )
    if dated:
        i, first = min(dated, key=lambda ic: ic[1].expires_on or date.max)
        assert first.expires_on is not None
        if first.expires_on < last:
            last = first.expires_on
            days = (last - compounded_on).days + 1
            basis.append(
                f"Earliest component expiry: {first.name} (lot {first.lot or '?'}) on {last.isoformat()} — the BUD may not be later."
            )
    return BeyondUse(category, storage, days, last, tuple(basis), tuple(dict.fromkeys(sources)))
