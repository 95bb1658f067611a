"""Sở Nội vụ in a browser: the city's dashboard with its charts, the overdue list, and the
city summary and an agency's annual review downloaded as files."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser.journeys import reload_until
from tests.browser.portal import PortalSuite, assert_accessible, sign_in
from tests.support.flows import proposer_headers, submit_proposal

SPECIALIST = "ct.p0132"  # Lê Kim Vy, chuyên viên tiếp nhận, Sở Nội vụ


def test_home_affairs_reads_the_city_dashboard_and_downloads_its_reports(
    page: Page, portal_suite: PortalSuite
) -> None:
    with httpx.Client(timeout=30) as client:
        submit_proposal(client, portal_suite["registration"].url, proposer_headers(), "Thống kê")
    base = portal_suite.portal_url
    sign_in(page, base, SPECIALIST)
    page.get_by_role("link", name="Tổng quan thành phố").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tổng quan thành phố")
    reload_until(page, page.url, "Đang tiếp nhận")  # reporting folds events as they arrive
    chart = page.get_by_role("list", name="Hồ sơ theo trạng thái")
    expect(chart).to_contain_text("Đang tiếp nhận")
    assert_accessible(page)

    with page.expect_download() as summary:
        page.get_by_role("link", name="XLSX").first.click()
    assert summary.value.path().read_bytes()[:2] == b"PK"  # an Office Open XML zip
    page.get_by_label("Cơ quan", exact=True).select_option("ct.so-tu-phap")
    with page.expect_download() as review:
        page.locator("#annual-review").get_by_role("button", name="CSV").click()
    assert review.value.suggested_filename.endswith(".csv")
    assert review.value.path().read_text(encoding="utf-8-sig").strip()

    page.get_by_role("link", name="Quá hạn").first.click()
    expect(page.get_by_role("heading", name="Quá hạn", level=1)).to_be_visible()
    assert_accessible(page)
