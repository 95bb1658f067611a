"""The bell: my notifications, read from reporting's notifications API (issue #16 §2).

The portal keeps nothing: it lists what reporting's notifier recorded for the signed-in person,
marks one read (and follows its link to the case), and lets the person choose how each kind
reaches them by e-mail. The bell's count comes from `/notifications/unread.json`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from services.portal.i18n import N_
from services.portal.services_api import ServiceRefused
from services.portal.web import CheckedForm, CurrentViewer, Services, refused, render, see_other

router = APIRouter(tags=["notifications"])

MODES = {
    "immediate": N_("At once"),
    "digest": N_("In the daily digest"),
    "off": N_("No e-mail"),
}


def _local(link: str) -> str:
    """The case page's path in this portal (a notification's link is the public URL)."""
    parts = urlsplit(link)
    return parts.path if parts.path.startswith(("/cases/", "/proposals/")) else "/notifications"


@router.get("/notifications", summary="My notifications, newest first")
async def notifications(request: Request, who: CurrentViewer, api: Services) -> Response:
    found = await api.get("reporting", "/notifications?limit=100", who.token)
    prefs = await api.get("reporting", "/notifications/preferences", who.token)
    for item in found["items"]:
        item["path"] = _local(item["link"])
    return render(
        request, "notifications/list.html", found=found, preferences=prefs, mode_labels=MODES
    )


@router.get("/notifications/unread.json", summary="The bell's count", include_in_schema=False)
async def unread(who: CurrentViewer, api: Services) -> JSONResponse:
    found = await api.get("reporting", "/notifications/unread-count", who.token)
    return JSONResponse({"unread": int(found.get("unread", 0))})


@router.post("/notifications/{notification_id}/read", summary="Mark read (and open the case)")
async def mark_read(
    notification_id: UUID, who: CurrentViewer, api: Services, form: CheckedForm
) -> Response:
    item: dict[str, Any] = await api.post(
        "reporting", f"/notifications/{notification_id}/read", who.token
    )
    if form.get("open"):
        return see_other(_local(str(item.get("link", ""))))
    return see_other("/notifications")


@router.post("/notifications/preferences", summary="Choose how each kind reaches me")
async def choose(
    request: Request, who: CurrentViewer, api: Services, form: CheckedForm
) -> Response:
    modes = {
        key.removeprefix("mode-"): str(value)
        for key, value in form.items()
        if key.startswith("mode-")
    }
    try:
        await api.post("reporting", "/notifications/preferences", who.token, {"modes": modes})
    except ServiceRefused as error:
        found = await api.get("reporting", "/notifications?limit=100", who.token)
        prefs = await api.get("reporting", "/notifications/preferences", who.token)
        return refused(
            request,
            error,
            "notifications/list.html",
            found=found,
            preferences=prefs,
            mode_labels=MODES,
        )
    return see_other("/notifications")
