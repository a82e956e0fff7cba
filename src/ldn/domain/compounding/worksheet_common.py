"""Checks and helpers the capsule and liquid worksheets share."""

from __future__ import annotations

from ldn.domain.compounding.chemistry import TABLET_STRENGTH_MG
from ldn.domain.errors import InputError

__all__ = ["checked_tablet_mass", "unique_sources"]


def checked_tablet_mass(tablet_mass_mg: float | None, *, loc: str, fix: str) -> float:
    """The mean mass of one 50 mg tablet (mg), needed when tablets are the source: present and
    above the 50 mg of naltrexone HCl it carries."""
    if tablet_mass_mg is None:
        raise InputError.at(
            loc,
            "the tablet route needs the mass of one 50 mg tablet (its excipients go into the blend)",
            fix,
        )
    if tablet_mass_mg <= TABLET_STRENGTH_MG.value:
        raise InputError.at(
            "tablet_mass_mg",
            f"a 50 mg tablet cannot weigh {tablet_mass_mg:g} mg",
            "weigh 10 tablets and divide by 10",
        )
    return tablet_mass_mg


def unique_sources(*extra: str) -> tuple[str, ...]:
    """The source ids, each once, in their first order."""
    return tuple(dict.fromkeys(extra))
