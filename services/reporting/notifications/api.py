"""The notifications of the person named by the token, on reporting's HTTP API (issue #16 §2).

The portal's bell asks `GET /notifications/unread-count`; its page lists `GET /notifications`
and marks one read with `POST /notifications/{id}/read`. Preferences are read and chosen at
`/notifications/preferences`. Operators (role admin) see the e-mails that failed every try at
`GET /notifications/failed` and put one back in the outbox with `POST …/{id}/retry`. Each POST
builds one command (`services/reporting/commands.py`) for `NotificationsApplication.handle`.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.reporting.commands import (
    ChoosePreferences,
    MarkRead,
    NotAFailedEmail,
    RetryFailed,
    UnknownNotification,
)
from services.reporting.notifications.component import Notifications
from services.reporting.notifications.domain import Delivery
from services.reporting.notifications.index import NotificationView
from services.reporting.notifications.kinds import Kind, Mode
from shared.platform.identity import Role
from shared.platform.web import CurrentActor, Problem

router = APIRouter(prefix="/notifications", tags=["notifications"])


async def notifications_of(request: Request) -> Notifications:
    """A coroutine: no worker-thread hop for an attribute read."""
    found: Notifications = request.app.state.notifications
    return found


Component = Annotated[Notifications, Depends(notifications_of)]


class Preferences(BaseModel):
    """Per kind: `immediate` (an e-mail each time), `digest` (in the daily digest) or `off`
    (no e-mail); the portal lists every notification regardless."""

    model_config = ConfigDict(extra="forbid")
    modes: dict[Kind, Mode] = Field(max_length=len(Kind))


def _not_found(notification_id: UUID) -> Problem:
    return Problem(
        404,
        "Unknown notification",
        f"No notification {notification_id} of this person.",
        type_="/problems/unknown-notification",
        message_vi=f"Không có thông báo {notification_id} của người dùng này.",
    )


@router.get("", summary="My notifications, newest first, with the unread count")
def list_notifications(
    actor: CurrentActor,
    component: Component,
    unread_only: Annotated[bool, Query(description="Only those not read yet")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    total, unread = component.app.counts_of(actor.user_id)
    shown = component.app.of_person(actor.user_id, unread_only=unread_only, limit=limit)
    texts = component.app.texts([v.id for v in shown])
    return {
        "unread": unread,
        "total": unread if unread_only else total,
        "items": [v.public(text) for v, text in zip(shown, texts, strict=True)],
    }


@router.get("/unread-count", summary="How many of my notifications I have not read (the bell)")
def unread_count(actor: CurrentActor, component: Component) -> dict[str, int]:
    return {"unread": component.app.counts_of(actor.user_id)[1]}


@router.get("/preferences", summary="How each kind of notification reaches me")
def get_preferences(actor: CurrentActor, component: Component) -> dict[str, Any]:
    return _preferences(component, actor.user_id)


@router.post("/preferences", summary="Choose how kinds of notification reach me")
def choose_preferences(
    body: Preferences, actor: CurrentActor, component: Component
) -> dict[str, Any]:
    component.app.handle(ChoosePreferences(body.modes), actor)
    return _preferences(component, actor.user_id)


def _preferences(component: Component, person_id: str) -> dict[str, Any]:
    modes = component.app.modes_of(person_id)
    return {
        "modes": modes,
        "kinds": [
            {"kind": kind.value, "label": kind.label_vi, "mode": modes[kind.value]} for kind in Kind
        ],
        "choices": [mode.value for mode in Mode],
    }


@router.get("/failed", summary="E-mails that failed every try (operators)")
def failed(actor: CurrentActor, component: Component) -> dict[str, Any]:
    _require_operator(actor.has_role(Role.ADMIN))
    views = sorted(component.app.in_state(Delivery.FAILED), key=lambda v: v.created_at)
    return {
        "failed": len(views),
        "items": [
            v.for_operators(text)
            for v, text in zip(views, component.app.texts([v.id for v in views]), strict=True)
        ],
    }


@router.post("/failed/{notification_id}/retry", summary="Put a failed e-mail back in the outbox")
def retry(notification_id: UUID, actor: CurrentActor, component: Component) -> dict[str, Any]:
    _require_operator(actor.has_role(Role.ADMIN))
    try:
        component.app.handle(RetryFailed(notification_id), actor)
    except NotAFailedEmail:
        raise Problem(
            409,
            "Not a failed e-mail",
            f"Notification {notification_id} has no e-mail that failed every try.",
            type_="/problems/not-failed",
            message_vi=f"Thông báo {notification_id} không có thư nào đã gửi lỗi hết số lần thử.",
        ) from None
    return _view(component, notification_id).for_operators(component.app.text(notification_id))


@router.post("/{notification_id}/read", summary="Mark one of my notifications read")
def mark_read(notification_id: UUID, actor: CurrentActor, component: Component) -> dict[str, Any]:
    try:
        component.app.handle(MarkRead(notification_id), actor)
    except UnknownNotification:
        raise _not_found(notification_id) from None
    return _view(component, notification_id).public(component.app.text(notification_id))


def _view(component: Component, notification_id: UUID) -> NotificationView:
    view = component.app.view(notification_id)
    if view is None:  # the index follows every commit: a command's record is in it
        raise _not_found(notification_id)
    return view


def _require_operator(allowed: bool) -> None:
    if not allowed:
        raise Problem(
            403,
            "Not allowed",
            "Only administrators (role admin) see and resend failed notification e-mails.",
            type_="/problems/not-allowed",
            message_vi="Chỉ quản trị viên (vai trò admin) xem và gửi lại thư thông báo bị lỗi.",
        )
