"""What every notification rule returns (:class:`Intent`), its urgency ranks, the clinic's
thresholds (:class:`Thresholds`, ``LDN_NOTIFY_*``) and the quiet hours (local "HH:MM" times).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal

__all__ = [
    "HIGH",
    "LOW",
    "NORMAL",
    "URGENT",
    "Intent",
    "Recipient",
    "Thresholds",
    "in_quiet_hours",
    "parse_hhmm",
]

Recipient = Literal["patient", "clinician", "pharmacist"]
#: urgency ranks (the inbox sorts by them, highest first)
URGENT, HIGH, NORMAL, LOW = 3, 2, 1, 0


@dataclass(frozen=True, slots=True)
class Intent:
    """What a rule asks for: one notification of ``kind`` to the ``recipient`` role (the patient
    themself, or the clinic's clinicians or pharmacists), with the reason shown in the app, a
    link and its one-click action, and the dedupe key (``kind``, ``subject_key``, ``due_on``)."""

    kind: str
    recipient: Recipient
    urgency: int
    reason: str
    link: str
    action: str
    subject_key: str
    due_on: date
    patient_id: int | None = None


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The clinic's settings for the rules (``LDN_NOTIFY_*``; policies, not clinical facts)."""

    diary_gap_days: int = 3
    pain_jump_points: float = 2.0
    pain_window_days: int = 7
    refill_lead_days: int = 5
    assessment_lead_days: int = 7
    rx_wait_days: int = 3
    bud_lead_days: int = 7
    new_item_days: int = 3


def parse_hhmm(value: str) -> time:
    """A local clock time from "HH:MM"."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(local: datetime, *, start: str | None, end: str | None) -> bool:
    """Whether the local time falls in the quiet hours ``start``..``end`` ("HH:MM"; a span may
    cross midnight, e.g. 22:00-07:00); no quiet hours when either is missing or they are equal."""
    if not start or not end or start == end:
        return False
    t, s, e = local.time().replace(second=0, microsecond=0), parse_hhmm(start), parse_hhmm(end)
    return s <= t < e if s < e else (t >= s or t < e)
