"""The pharmacists' notifications: a new prescription to compound, a new trial's bottles to
prepare, a batch near its beyond-use date.
"""

from __future__ import annotations

from datetime import date, timedelta

from ldn.domain.notifications.intent import HIGH, NORMAL, Intent

__all__ = [
    "batch_bud_near",
    "new_prescription",
    "new_trial",
]


def new_prescription(
    *,
    patient_id: int,
    prescription_id: int,
    issued_on: date,
    status: str,
    today: date,
    window_days: int,
) -> Intent | None:
    """A prescription to compound, issued within the last ``window_days`` (clinic setting: older
    ones are not announced again when notifications are first switched on)."""
    if status != "issued" or not (0 <= (today - issued_on).days < window_days):
        return None
    return Intent(
        "rx_new",
        "pharmacist",
        HIGH,
        f"New prescription {prescription_id} to compound.",
        f"/pharmacy/rx/{prescription_id}",
        "Open the worksheet",
        f"rx:{prescription_id}",
        issued_on,
        patient_id,
    )


def new_trial(
    *, patient_id: int, trial_id: int, created_on: date, status: str, today: date, window_days: int
) -> Intent | None:
    """A new trial allocation: bottles A and B to prepare."""
    if status != "running" or not (0 <= (today - created_on).days < window_days):
        return None
    return Intent(
        "trial_new",
        "pharmacist",
        HIGH,
        f"New trial {trial_id}: prepare bottles A and B.",
        f"/pharmacy/trials/{trial_id}",
        "Prepare the bottles",
        f"trial:{trial_id}",
        created_on,
        patient_id,
    )


def batch_bud_near(
    *,
    patient_id: int,
    batch_id: int,
    lot: str,
    beyond_use: date,
    today: date,
    lead_days: int,
    prescription_id: int,
) -> Intent | None:
    """A batch's beyond-use date is within ``lead_days`` (clinic setting) or has passed."""
    due = beyond_use - timedelta(days=lead_days)
    if today < due or today > beyond_use:
        return None
    return Intent(
        "bud_near",
        "pharmacist",
        NORMAL,
        f"Batch {lot}: beyond-use date {beyond_use.isoformat()}.",
        f"/pharmacy/rx/{prescription_id}",
        "Open the prescription",
        f"batch:{batch_id}",
        due,
        patient_id,
    )
