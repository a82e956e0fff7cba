"""The clinician's inbox: the patients who need attention, most urgent first, each with the
reasons and one action (the link of the most urgent reason).

Built from the clinician's unread notifications: opening one through the inbox marks it read
(:func:`ldn.services.clinic.notifications.mark_read`), so the list empties as work gets done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ldn.persistence.tables import Notification, Patient
from ldn.services.clinic.context import Actor, Tx, use_case

__all__ = ["InboxEntry", "clinician_inbox"]

URGENCY_LABELS = {3: "urgent", 2: "high", 1: "normal", 0: "low"}


@dataclass(slots=True)
class InboxEntry:
    """One patient (or, for a notification about no patient, one notification)."""

    patient_id: int | None
    patient_name: str
    urgency: int
    oldest: datetime
    reasons: list[dict[str, Any]] = field(default_factory=list)

    @property
    def action(self) -> dict[str, Any]:
        """The most urgent reason's action (link and label, and the notification it opens)."""
        top = self.reasons[0]
        return {"id": top["id"], "label": top["action"] or "Open", "link": top["link"]}

    def as_dict(self) -> dict[str, Any]:
        return {
            "patient_id": self.patient_id,
            "patient_name": self.patient_name,
            "urgency": self.urgency,
            "urgency_label": URGENCY_LABELS.get(self.urgency, "normal"),
            "since": self.oldest.isoformat(),
            "reasons": self.reasons,
            "action": self.action,
        }


@use_case("notification.inbox")
def clinician_inbox(tx: Tx, actor: Actor, *, limit: int = 200) -> list[dict[str, Any]]:
    """The caller's patients needing attention: unread notifications grouped by patient, sorted
    by the highest urgency, then by how long the oldest has waited."""
    rows = tx.session.scalars(
        select(Notification)
        .where(Notification.recipient_user_id == actor.user_id, Notification.read_at.is_(None))
        .order_by(Notification.urgency.desc(), Notification.created_at, Notification.id)
        .limit(2000)
    ).all()
    names = {}
    ids = {n.patient_id for n in rows if n.patient_id is not None}
    if ids:
        for p in tx.session.scalars(select(Patient).where(Patient.id.in_(ids))):
            names[p.id] = p.display_name or p.record_id
    groups: dict[object, InboxEntry] = {}
    for n in rows:
        key: object = n.patient_id if n.patient_id is not None else f"n{n.id}"
        entry = groups.get(key)
        if entry is None:
            name = names.get(n.patient_id, "") if n.patient_id is not None else ""
            entry = groups[key] = InboxEntry(n.patient_id, name, n.urgency, n.created_at)
        entry.urgency = max(entry.urgency, n.urgency)
        entry.oldest = min(entry.oldest, n.created_at)
        entry.reasons.append(
            {
                "id": n.id,
                "kind": n.kind,
                "urgency": n.urgency,
                "reason": n.reason,
                "link": n.link,
                "action": n.action,
                "created_at": n.created_at.isoformat(),
            }
        )
    out = sorted(groups.values(), key=lambda e: (-e.urgency, e.oldest))[:limit]
    tx.audit(actor, "read", "inbox", detail=f"{len(out)} patients")
    return [e.as_dict() for e in out]
