"""Blinding with a public commitment (pharmacist role).

The pharmacist draws which bottle (A or B) holds LDN from a seed and seals it: the commitment
is SHA-256 over the canonical JSON of the allocation plus a secret 32-byte salt. Patient and
clinician receive only the commitment and the A/B schedule. At reveal the pharmacist publishes
allocation and salt; anyone can recompute the hash. A changed allocation (or salt) fails.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

import numpy as np

from ldn.domain.errors import InputError

__all__ = ["Allocation", "commit", "make_allocation", "verify"]


@dataclass(frozen=True, slots=True)
class Allocation:
    ldn_bottle: str
    trial_id: str
    seed: int

    @property
    def placebo_bottle(self) -> str:
        return "B" if self.ldn_bottle == "A" else "A"

    def canonical(self) -> str:
        return json.dumps(
            {
                "ldn_bottle": self.ldn_bottle,
                "placebo_bottle": self.placebo_bottle,
                "seed": self.seed,
                "trial_id": self.trial_id,
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    def as_dict(self) -> dict[str, Any]:
        return json.loads(self.canonical())  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, d: Any) -> Allocation:
        try:
            a = cls(str(d["ldn_bottle"]), str(d["trial_id"]), int(d["seed"]))
        except (KeyError, TypeError, ValueError):
            raise InputError.at(
                "allocation",
                "not an allocation record",
                "pass the allocation.json the pharmacist revealed",
            ) from None
        if a.ldn_bottle not in ("A", "B"):
            raise InputError.at(
                "allocation.ldn_bottle", f"{a.ldn_bottle!r} is not A or B", "use A or B"
            )
        return a


def make_allocation(*, trial_id: str, seed: int) -> Allocation:
    rng = np.random.default_rng([seed, 0x4C444E])
    return Allocation("A" if rng.random() < 0.5 else "B", trial_id, seed)


def new_salt() -> str:
    return secrets.token_hex(32)


def commit(allocation: Allocation, salt: str) -> str:
    return hashlib.sha256((allocation.canonical() + "|" + salt).encode()).hexdigest()


def verify(commitment: str, allocation: Allocation, salt: str) -> bool:
    return secrets.compare_digest(commit(allocation, salt), commitment.strip().lower())
