"""The proposer in a browser: sign in, draft the plan of Art 7 §2, see what is missing in
Vietnamese next to each field and where the plan will go, submit, find it in my list."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.journeys import draft_and_submit
from tests.browser.portal import PortalSuite, assert_accessible, sign_in, sign_out

DIRECTOR_TU_PHAP = "ct.p0026"


def test_a_proposer_drafts_completes_and_submits_a_plan(
    page: Page, portal_suite: PortalSuite
) -> None:
    base = portal_suite.portal_url
    page.goto(f"{base}/proposals")
    expect(page).to_have_url(f"{base}/sign-in?next=/proposals")
    assert_accessible(page)
    sign_in(page, base, DIRECTOR_TU_PHAP)
    assert_accessible(page)

    proposal_id = draft_and_submit(page, base, "Số hóa hồ sơ lý lịch tư pháp")

    page.get_by_role("link", name="Đề xuất của tôi").first.click()
    row = page.get_by_role("row").filter(has_text="Số hóa hồ sơ lý lịch tư pháp")
    expect(row).to_contain_text("Đã gửi")
    assert_accessible(page)
    row.get_by_role("link").click()
    expect(page).to_have_url(f"{base}/proposals/{proposal_id}")
    sign_out(page)
