"""Dosing regimens: dose lists with times, missed or doubled doses, titration plans.

Doses are given in mg of naltrexone **hydrochloride** (as prescribed) and converted to base
(x 0.9035) for the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import numpy as np

from ldn.domain.errors import InputError
from ldn.domain.pk.parameters import SALT_TO_BASE

__all__ = ["MAX_DAYS", "Regimen", "StepLike", "daily", "regimen_from_steps"]

#: longest simulation ldn accepts (a year), to keep memory bounded
MAX_DAYS = 365


class StepLike(Protocol):
    """Anything with a dose and a start date (e.g. ``ldn.domain.titration.TitrationStep``)."""

    @property
    def dose_mg(self) -> float: ...

    @property
    def start(self) -> date: ...


@dataclass(frozen=True, slots=True)
class Regimen:
    """Dose times (h from the first dose) and amounts (mg naltrexone HCl)."""

    dose_times_h: tuple[float, ...]
    doses_mg: tuple[float, ...]
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.doses_mg:
            raise InputError.at("doses", "a regimen needs at least one dose", "give --dose-mg")
        if len(self.dose_times_h) != len(self.doses_mg):
            raise InputError.at("doses", "each dose needs a time", "give as many times as doses")
        for i, d in enumerate(self.doses_mg):
            if not d > 0:
                raise InputError.at(
                    f"doses[{i}]", f"dose must be positive, got {d:g} mg", "use e.g. 4.5"
                )
        if any(b < a for a, b in zip(self.dose_times_h, self.dose_times_h[1:], strict=False)):
            raise InputError.at(
                "dose_times_h", "dose times must not go backwards", "sort the doses by time"
            )

    @property
    def times(self) -> np.ndarray:
        return np.asarray(self.dose_times_h, dtype=np.float64)

    @property
    def base_mg(self) -> np.ndarray:
        return np.asarray(self.doses_mg, dtype=np.float64) * SALT_TO_BASE.value

    def with_missed(self, index: int) -> Regimen:
        """The regimen with dose ``index`` not taken."""
        keep = [i for i in range(len(self.doses_mg)) if i != index]
        return Regimen(
            tuple(self.dose_times_h[i] for i in keep),
            tuple(self.doses_mg[i] for i in keep),
            (*self.notes, f"dose {index} missed"),
        )

    def with_doubled(self, index: int) -> Regimen:
        """The regimen with dose ``index`` taken twice (e.g. a forgotten-then-doubled dose)."""
        doses = list(self.doses_mg)
        doses[index] *= 2
        return Regimen(self.dose_times_h, tuple(doses), (*self.notes, f"dose {index} doubled"))


def daily(*, dose_mg: float, days: int, interval_h: float = 24.0) -> Regimen:
    """``dose_mg`` every ``interval_h`` hours for ``days`` days."""
    if not dose_mg > 0:
        raise InputError.at(
            "--dose-mg", f"dose must be positive, got {dose_mg:g}", "use e.g. --dose-mg 4.5"
        )
    if not interval_h > 0:
        raise InputError.at(
            "--interval-h", "the dosing interval must be positive", "use e.g. --interval-h 24"
        )
    if not 1 <= days <= MAX_DAYS:
        raise InputError.at(
            "--days", f"{days} days is outside 1-{MAX_DAYS}", f"simulate at most {MAX_DAYS} days"
        )
    n = max(1, int(np.ceil(days * 24.0 / interval_h - 1e-9)))
    return Regimen(tuple(i * interval_h for i in range(n)), (dose_mg,) * n)


def regimen_from_steps(
    steps: Sequence[StepLike], *, end: date, hour_of_day: float = 22.0
) -> Regimen:
    """One dose a day at ``hour_of_day`` following dated titration steps, up to ``end``."""
    if not steps:
        raise InputError.at("steps", "the plan has no steps", "build a plan first")
    first = steps[0].start
    times: list[float] = []
    doses: list[float] = []
    for i, step in enumerate(steps):
        stop = steps[i + 1].start if i + 1 < len(steps) else end
        for day in range((step.start - first).days, (stop - first).days):
            times.append(day * 24.0 + hour_of_day)
            doses.append(step.dose_mg)
    if (end - first).days > MAX_DAYS:
        raise InputError.at("end", f"more than {MAX_DAYS} days", "shorten the simulation")
    return Regimen(tuple(times), tuple(doses), ("from titration plan",))
