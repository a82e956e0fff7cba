"""Notifications (issue #18): the caller's own list, unread count, mark read, preferences; the
clinician's inbox (patients needing attention, most urgent first)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from ldn.api.deps import ActorDep, ClinicDep, IdPath, PageDep
from ldn.services.clinic import inbox, notifications

router = APIRouter(tags=["notifications"])


class NotificationOut(BaseModel):
    id: int
    kind: str
    urgency: int = Field(description="3 urgent, 2 high, 1 normal, 0 low")
    reason: str
    link: str
    action: str
    patient_id: int | None
    due_on: str
    created_at: str
    delivered_at: str | None
    read_at: str | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class UnreadOut(BaseModel):
    unread: int


class MarkedOut(BaseModel):
    marked: int


_HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time_zone: str = Field(default="UTC", max_length=64, description="IANA time zone")
    reminder_time: str | None = Field(default=None, pattern=_HHMM, description="Diary reminder")
    email: bool = True
    quiet_start: str | None = Field(default=None, pattern=_HHMM)
    quiet_end: str | None = Field(default=None, pattern=_HHMM)


class PreferencesOut(BaseModel):
    time_zone: str
    reminder_time: str
    email: bool
    quiet_start: str | None
    quiet_end: str | None


class InboxReason(BaseModel):
    id: int
    kind: str
    urgency: int
    reason: str
    link: str
    action: str
    created_at: str


class InboxAction(BaseModel):
    id: int
    label: str
    link: str


class InboxEntryOut(BaseModel):
    patient_id: int | None
    patient_name: str
    urgency: int
    urgency_label: str
    since: str
    reasons: list[InboxReason]
    action: InboxAction


@router.get(
    "/notifications", response_model=NotificationPage, summary="My notifications, newest first"
)
def list_notifications(
    clinic: ClinicDep,
    actor: ActorDep,
    page: PageDep,
    unread: Annotated[bool, Query(description="Only the unread")] = False,
) -> dict[str, Any]:
    return notifications.list_notifications(
        clinic, actor, unread_only=unread, limit=page.limit, offset=page.offset
    ).as_dict()


@router.get("/notifications/unread-count", response_model=UnreadOut, summary="How many are unread")
def unread_count(clinic: ClinicDep, actor: ActorDep) -> dict[str, Any]:
    return {"unread": notifications.unread_count(clinic, actor)}


@router.post("/notifications/read-all", response_model=MarkedOut, summary="Mark all mine read")
def read_all(clinic: ClinicDep, actor: ActorDep) -> dict[str, Any]:
    return notifications.mark_read(clinic, actor, None)


@router.post(
    "/notifications/{notification_id}/read", response_model=NotificationOut, summary="Mark one read"
)
def read_one(notification_id: IdPath, clinic: ClinicDep, actor: ActorDep) -> dict[str, Any]:
    return notifications.mark_read(clinic, actor, notification_id)


@router.get("/notifications/preferences", response_model=PreferencesOut, summary="My preferences")
def get_preferences(clinic: ClinicDep, actor: ActorDep) -> dict[str, Any]:
    return notifications.get_preferences(clinic, actor)


@router.put(
    "/notifications/preferences", response_model=PreferencesOut, summary="Change my preferences"
)
def put_preferences(body: PreferencesIn, clinic: ClinicDep, actor: ActorDep) -> dict[str, Any]:
    return notifications.set_preferences(clinic, actor, **body.model_dump())


@router.get(
    "/inbox", response_model=list[InboxEntryOut], summary="Patients needing attention (clinician)"
)
def clinician_inbox(clinic: ClinicDep, actor: ActorDep) -> list[dict[str, Any]]:
    return inbox.clinician_inbox(clinic, actor)
