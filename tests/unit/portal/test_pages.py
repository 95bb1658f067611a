"""The portal's pages without a browser: Vietnamese dates in Vietnam time, long lists a page at a
time, a service that is down said in a sentence (never JSON), forms refused without their CSRF
token, and a redirect after sign-in that never leaves the site."""

from __future__ import annotations

import re
import warnings
from concurrent.futures import ThreadPoolExecutor

import anyio
import httpx

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from services.portal import formatting
from services.portal.main import create_app
from services.portal.pages.listing import paginate
from services.portal.services_api import ServiceClient
from services.portal.settings import PortalSettings

STRONG = "a-real-key-of-more-than-32-bytes-0123456789"


def test_dates_are_dd_mm_yyyy_on_the_day_it_is_in_vietnam() -> None:
    assert formatting.day("2026-03-09") == "09/03/2026"
    # 18:30 UTC on 31 December is already 1 January in Vietnam (UTC+7).
    assert formatting.day("2025-12-31T18:30:00Z") == "01/01/2026"
    assert formatting.instant("2025-12-31T18:30:00+00:00") == "01/01/2026 01:30"
    assert formatting.money("350000000") == "350.000.000"
    assert formatting.day(None) == ""


def test_long_lists_are_shown_a_page_at_a_time() -> None:
    rows = list(range(45))
    first = paginate(rows, 1)
    assert (first.rows, first.page, first.pages, first.total) == (list(range(20)), 1, 3, 45)
    assert paginate(rows, 3).rows == list(range(40, 45))
    assert paginate(rows, 99).page == 3  # past the end: the last page
    assert paginate([], 1).pages == 1


def _client() -> TestClient:
    settings = PortalSettings(
        jwt_secret=STRONG,
        portal_dev_sign_in=True,
        registration_url="http://127.0.0.1:9",  # nothing listens there
    )
    return TestClient(create_app(settings))


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_a_service_that_is_down_is_said_in_vietnamese_on_the_page() -> None:
    with _client() as client:
        token = _csrf(client.get("/sign-in").text)
        client.post(
            "/sign-in/development",
            data={"csrf_token": token, "person_id": "ct.p0026", "next": "/"},
        )
        page = client.get("/proposals")
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert "Dịch vụ tạm thời không sẵn sàng" in page.text
    assert "problem+json" not in page.text
    assert "Traceback" not in page.text


def test_a_form_without_the_sessions_csrf_token_is_refused() -> None:
    with _client() as client:
        client.get("/sign-in")
        refused = client.post(
            "/sign-in/development", data={"csrf_token": "forged", "person_id": "ct.p0001"}
        )
        assert refused.status_code == 403
        assert "Biểu mẫu đã hết hạn" in refused.text
        assert client.get("/", follow_redirects=False).status_code == 303  # still signed out


def test_after_sign_in_the_redirect_stays_on_this_site() -> None:
    with _client() as client:
        token = _csrf(client.get("/sign-in").text)
        answer = client.post(
            "/sign-in/development",
            data={"csrf_token": token, "person_id": "ct.p0026", "next": "//evil.example/x"},
            follow_redirects=False,
        )
    assert answer.headers["location"] == "/"


def test_the_session_cookie_is_signed_http_only_and_same_site() -> None:
    with _client() as client:
        token = _csrf(client.get("/sign-in").text)
        answer = client.post(
            "/sign-in/development",
            data={"csrf_token": token, "person_id": "ct.p0026"},
            follow_redirects=False,
        )
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_the_service_client_sends_the_persons_token_and_language() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    async def call() -> object:
        client = ServiceClient(PortalSettings(), transport=httpx.MockTransport(answer))
        try:
            return await client.get("registration", "/proposals", "tok", locale="en")
        finally:
            await client.close()

    # Its own thread: a browser test of the same session may keep an event loop running here.
    with ThreadPoolExecutor(1) as thread:
        assert thread.submit(anyio.run, call).result() == []
    assert seen[0].headers["authorization"] == "Bearer tok"
    assert seen[0].headers["accept-language"] == "en"
    assert str(seen[0].url) == "http://127.0.0.1:8101/proposals"


def test_the_development_sign_in_can_add_the_auditors_role() -> None:
    for asked, shown in (("on", True), ("", False)):
        with _client() as client:
            token = _csrf(client.get("/sign-in").text)
            client.post(
                "/sign-in/development",
                data={"csrf_token": token, "person_id": "ct.p0026", "auditor": asked},
            )
            home = client.get("/").text
        assert ('href="/audit"' in home) is shown
