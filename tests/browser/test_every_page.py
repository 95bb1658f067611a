"""Every page of the portal, as each persona sees it, on a small phone's screen (375×667): no
serious or critical axe-core violation and nothing wider than the screen — the error pages too:
an address that does not exist, a file another service does not know, a service that is down,
an expired form."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from services.cli.natsserver import free_port
from tests.browser.journeys import reload_until
from tests.browser.portal import AUDITOR_ID, PortalSuite, assert_accessible, sign_in, sign_out
from tests.browser.setup_cases import protected_case
from tests.support.flows import proposer_headers, submit_proposal, wait_for_case

TITLE = "Bản đồ số hạ tầng đô thị"
PROPOSER = "ct.p0026"
CHAIRMAN = "ct.p0001"
SPECIALIST = "ct.p0132"


def _visit(page: Page, url: str, expected_status: int = 200) -> float:
    """Opens `url`, checks it, and returns how long the axe and width checks took."""
    response = page.goto(url)
    assert response is not None
    assert response.status == expected_status, f"{url}: {response.status}"
    started = time.monotonic()
    assert_accessible(page)
    return time.monotonic() - started


def test_every_page_passes_axe_core_and_fits_a_phone(page: Page, portal_suite: PortalSuite) -> None:
    proposal_id, case_id = protected_case(portal_suite, TITLE)
    with httpx.Client(timeout=30) as client:
        waiting = submit_proposal(
            client, portal_suite["registration"].url, proposer_headers(), "Sổ tay tiếp dân điện tử"
        )
        waiting_case = wait_for_case(
            client, portal_suite["approval"].url, waiting, proposer_headers()
        )["id"]
    base = portal_suite.portal_url
    _visit(page, f"{base}/sign-in")
    _visit(page, f"{base}/no-such-page", 404)
    expect(page.get_by_role("alert")).to_contain_text("Không tìm thấy")

    sign_in(page, base, PROPOSER)
    for url in ("/", "/proposals", "/proposals/new", f"/proposals/{proposal_id}", "/verify"):
        _visit(page, base + url)
    _visit(page, f"{base}/cases/{case_id}")
    expect(page.locator(".facts")).to_contain_text("Không bị xử lý trách nhiệm")
    page.goto(f"{base}/proposals/new")
    page.get_by_label("Tên đề xuất").fill("Bản nháp để xem")
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.get_by_text("Đã lưu bản nháp.")).to_be_visible()
    assert_accessible(page)
    # Errors said in Vietnamese: a file approval does not know, an address of the wrong form.
    _visit(page, f"{base}/cases/{uuid.uuid4()}", 404)
    expect(page.get_by_role("alert").first).to_contain_text("Không tìm thấy")
    _visit(page, f"{base}/proposals?page=x", 400)
    expect(page.get_by_role("alert").first).to_contain_text("Yêu cầu không hợp lệ")
    sign_out(page)

    sign_in(page, base, "ct.p0008")  # Sở Nội vụ's director: intake of the city's files
    reload_until(page, f"{base}/inbox", "Sổ tay tiếp dân điện tử")
    assert_accessible(page)
    _visit(page, f"{base}/cases/{waiting_case}")
    sign_out(page)

    sign_in(page, base, SPECIALIST)
    for url in ("/monitoring", "/monitoring/overdue"):
        _visit(page, base + url)
    sign_out(page)

    sign_in(page, base, AUDITOR_ID)
    for url in (
        "/audit",
        "/audit?search=1&words=ban+do+so",
        f"/audit/proposals/{proposal_id}",
        f"/audit/proposals/{proposal_id}?at=2020-01-01T00:00",
    ):
        _visit(page, base + url)
    page.goto(f"{base}/audit?search=1&words=ban+do+so")
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()

    # A form left open while the person signed in again in another tab: its CSRF token is
    # stale, and the refusal page says so.
    page.goto(f"{base}/proposals/new")
    other_tab = page.context.new_page()
    other_tab.goto(base)
    sign_out(other_tab)
    sign_in(other_tab, base, PROPOSER)
    other_tab.close()
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.get_by_role("alert")).to_contain_text("Biểu mẫu đã hết hạn")
    assert_accessible(page)


@pytest.fixture
def portal_without_reporting(portal_suite: PortalSuite) -> Iterator[str]:
    """A portal whose reporting service cannot be reached (nothing listens at its address)."""
    url = portal_suite.start_portal(
        "portal-no-reporting",
        {
            "D73_PORTAL_DEV_SIGN_IN": "true",
            "D73_REPORTING_URL": f"http://127.0.0.1:{free_port()}",
        },
    )
    try:
        yield url
    finally:
        portal_suite["portal-no-reporting"].stop()


def test_a_service_that_is_down_is_a_readable_vietnamese_message(
    page: Page, portal_without_reporting: str
) -> None:
    base = portal_without_reporting
    sign_in(page, base, SPECIALIST)
    _visit(page, f"{base}/monitoring", 503)
    alert = page.get_by_role("alert").first
    expect(alert).to_contain_text("Dịch vụ tạm thời không sẵn sàng")
    expect(page.locator("body")).not_to_contain_text("{")
    sign_out(page)
    sign_in(page, base, AUDITOR_ID)
    page.goto(f"{base}/audit?search=1&words=x")
    expect(page.get_by_role("alert").first).to_contain_text("Dịch vụ tạm thời không sẵn sàng")
    assert_accessible(page)
