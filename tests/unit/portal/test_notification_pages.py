"""The bell's pages: the portal lists what reporting's notifications API holds for the person,
marks one read and opens its case, and saves the person's e-mail choices (issue #16 §2)."""

from __future__ import annotations

import json
import re
import warnings
from typing import Any

import httpx

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from services.portal.main import create_app
from services.portal.services_api import ServiceClient
from services.portal.settings import PortalSettings

STRONG = "a-real-key-of-more-than-32-bytes-0123456789"
ITEM_ID = "6f1c7c36-6a8e-5d0e-9a53-1f2d3c4b5a69"


class FakeReporting:
    """Reporting's notifications API as the portal sees it over HTTP."""

    def __init__(self) -> None:
        self.read = False
        self.modes = {"routed": "immediate", "supplement_requested": "immediate"}
        self.calls: list[tuple[str, str, str]] = []

    def item(self) -> dict[str, Any]:
        return {
            "id": ITEM_ID,
            "kind": "supplement_requested",
            "kind_label": "Yêu cầu bổ sung hồ sơ",
            "subject": "[D73] Yêu cầu bổ sung hồ sơ: Số hóa hồ sơ",
            "text": "Kính gửi ông,\n\nHạn bổ sung: 10/06/2024.",
            "link": "https://portal.example/proposals/5d1d7c36-6a8e-5d0e-9a53-1f2d3c4b5a69",
            "created_at": "2024-06-03T02:00:00+00:00",
            "read": self.read,
            "email": "sent",
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        token = request.headers["authorization"]
        self.calls.append((request.method, request.url.path, token))
        path = request.url.path
        if path == "/notifications":
            return httpx.Response(
                200, json={"unread": 0 if self.read else 1, "total": 1, "items": [self.item()]}
            )
        if path == "/notifications/unread-count":
            return httpx.Response(200, json={"unread": 0 if self.read else 1})
        if path == f"/notifications/{ITEM_ID}/read":
            self.read = True
            return httpx.Response(200, json=self.item())
        if path == "/notifications/preferences":
            if request.method == "POST":
                self.modes.update(json.loads(request.content)["modes"])
            return httpx.Response(
                200,
                json={
                    "modes": self.modes,
                    "kinds": [
                        {"kind": k, "label": k, "mode": m} for k, m in sorted(self.modes.items())
                    ],
                    "choices": ["immediate", "digest", "off"],
                },
            )
        return httpx.Response(404, json={"title": "not found"})


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_the_bell_lists_marks_read_opens_the_case_and_keeps_choices() -> None:
    settings = PortalSettings(jwt_secret=STRONG, portal_dev_sign_in=True)
    reporting = FakeReporting()
    app = create_app(settings)
    with TestClient(app) as client:
        app.state.services = ServiceClient(settings, transport=httpx.MockTransport(reporting))
        token = _csrf(client.get("/sign-in").text)
        client.post(
            "/sign-in/development",
            data={"csrf_token": token, "person_id": "ct.p0026", "next": "/"},
        )
        home = client.get("/")
        assert 'href="/notifications"' in home.text
        assert client.get("/notifications/unread.json").json() == {"unread": 1}

        page = client.get("/notifications")
        assert page.status_code == 200
        assert "1 thông báo chưa đọc" in page.text
        assert "Yêu cầu bổ sung hồ sơ: Số hóa hồ sơ" in page.text
        assert "Gộp vào bản tóm tắt hằng ngày" in page.text

        opened = client.post(
            f"/notifications/{ITEM_ID}/read",
            data={"csrf_token": _csrf(page.text), "open": "1"},
            follow_redirects=False,
        )
        assert opened.status_code == 303
        assert opened.headers["location"] == "/proposals/5d1d7c36-6a8e-5d0e-9a53-1f2d3c4b5a69"
        assert reporting.read
        assert client.get("/notifications/unread.json").json() == {"unread": 0}

        saved = client.post(
            "/notifications/preferences",
            data={"csrf_token": _csrf(page.text), "mode-routed": "off"},
            follow_redirects=False,
        )
        assert saved.status_code == 303
        assert reporting.modes["routed"] == "off"
        forged = client.post(f"/notifications/{ITEM_ID}/read", data={"open": "1"})
        assert forged.status_code in (400, 403)
    tokens = {token for _, _, token in reporting.calls}
    assert len(tokens) == 1, "every call carries the signed-in person's token"
    assert next(iter(tokens)).startswith("Bearer ")
