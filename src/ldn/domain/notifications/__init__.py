"""Notification rules: plain data and a clock in, notification intents out (issue #18).

Every rule is a pure function of the facts it needs and ``today`` (or a local ``now``); it
returns an :class:`Intent` or ``None``. An intent's dedupe key ``(kind, recipient, subject_key,
due_on)`` is the unique key of the ``notifications`` table, so evaluating a rule again (every
minute, by several workers) can never create a second notification for the same thing.

Thresholds are either cited facts (the IMMPACT response categories of
:mod:`ldn.domain.instruments.nrs`, the assessment date of :mod:`ldn.domain.titration`) or clinic
settings (``LDN_NOTIFY_*``, :class:`Thresholds`): a policy of the clinic, not a clinical fact.
The rules only say who should look at what; ldn supports clinical judgement and never replaces
it. The table with every rule is in docs/notifications.md.

The rules are grouped by recipient: :mod:`.patient`, :mod:`.clinician` and :mod:`.pharmacist`;
:mod:`.intent` holds what they return, the urgency ranks, the thresholds and the quiet hours.
"""

from __future__ import annotations

from ldn.domain.notifications.clinician import (
    assessment_due,
    diary_gap,
    prescription_waiting,
    response_reached,
    side_effect_alerts,
    trial_ready_to_reveal,
    worst_pain_jump,
)
from ldn.domain.notifications.intent import (
    HIGH,
    LOW,
    NORMAL,
    URGENT,
    Intent,
    Thresholds,
    in_quiet_hours,
)
from ldn.domain.notifications.intent import Recipient as Recipient
from ldn.domain.notifications.patient import (
    assessment_approaching,
    diary_reminder,
    dose_step_day,
    refill_due,
    trial_period_change,
)
from ldn.domain.notifications.pharmacist import batch_bud_near, new_prescription, new_trial

__all__ = [
    "HIGH",
    "LOW",
    "NORMAL",
    "URGENT",
    "Intent",
    "Thresholds",
    "assessment_approaching",
    "assessment_due",
    "batch_bud_near",
    "diary_gap",
    "diary_reminder",
    "dose_step_day",
    "in_quiet_hours",
    "new_prescription",
    "new_trial",
    "prescription_waiting",
    "refill_due",
    "response_reached",
    "side_effect_alerts",
    "trial_period_change",
    "trial_ready_to_reveal",
    "worst_pain_jump",
]
