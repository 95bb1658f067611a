"""The proposer in a browser: sign in, draft the plan of Art 7 §2, see what is missing in
Vietnamese next to each field and where the plan will go, submit, find it in my list, withdraw it
with a reason; attach a document to a draft and download it."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.browser.journeys import draft_and_submit
from tests.browser.portal import PortalSuite, assert_accessible, sign_in, sign_out

DIRECTOR_TU_PHAP = "ct.p0026"


def test_a_proposer_drafts_completes_and_submits_a_plan(
    page: Page, portal_suite: PortalSuite, tmp_path: Path
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
    page.get_by_label("Lý do rút đề xuất").fill("Đơn vị khác đã triển khai giải pháp tương tự")
    page.get_by_role("button", name="Rút đề xuất").click()
    expect(page.get_by_text("Đã rút đề xuất.")).to_be_visible()

    page.goto(f"{base}/proposals/new")
    page.get_by_label("Tên đề xuất").fill("Sổ tay nghiệp vụ điện tử")
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.get_by_text("Đã lưu bản nháp.")).to_be_visible()
    attachment = tmp_path / "Thuyết minh.pdf"
    attachment.write_bytes(b"%PDF-1.4\n% D73 test attachment\n%%EOF\n")
    page.get_by_label("Thêm tài liệu (PDF, Word, Excel, ảnh)").set_input_files(attachment)
    page.get_by_role("button", name="Tải lên").click()
    expect(page.get_by_text("Đã đính kèm tài liệu.")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Thuyết minh.pdf").click()
    assert download.value.path().read_bytes() == attachment.read_bytes()
    assert_accessible(page)
    sign_out(page)


def _tab_to(page: Page, target: Locator, presses: int = 40) -> None:
    """Presses Tab until `target` has the keyboard focus, as a person without a mouse does."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"{target} cannot be reached with the Tab key")


def _arrow_to(page: Page, select: Locator, value: str, presses: int = 400) -> None:
    """Moves a focused list's choice with the Down arrow until `value` is chosen."""
    for _ in range(presses):
        if select.input_value() == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{value} cannot be chosen with the arrow keys")


def test_a_proposer_signs_in_and_saves_a_draft_with_the_keyboard_alone(
    page: Page, portal_suite: PortalSuite
) -> None:
    """Tab, the arrow keys, Space and Enter only: no click, no `fill` or `select_option`."""
    base = portal_suite.portal_url
    page.goto(f"{base}/sign-in?next=/proposals")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Bỏ qua, đến nội dung chính")).to_be_focused()
    person = page.get_by_label("Người")
    _tab_to(page, person)
    _arrow_to(page, person, DIRECTOR_TU_PHAP)
    _tab_to(page, page.get_by_role("button", name="Đăng nhập với người này"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Đề xuất của tôi")).to_be_visible()
    expect(page.get_by_role("link", name="Thông báo")).to_be_visible()

    _tab_to(page, page.get_by_role("link", name="Đề xuất mới"))
    page.keyboard.press("Enter")
    title = page.get_by_label("Tên đề xuất")
    _tab_to(page, title)
    page.keyboard.type("Tra cứu văn bản bằng bàn phím")
    _tab_to(page, page.get_by_role("button", name="Lưu nháp"), presses=120)
    page.keyboard.press("Space")
    expect(page.get_by_text("Đã lưu bản nháp.")).to_be_visible()
    expect(page.get_by_label("Tên đề xuất")).to_have_value("Tra cứu văn bản bằng bàn phím")
    assert_accessible(page)

    _tab_to(page, page.get_by_role("button", name="English"), presses=200)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Save draft")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    _tab_to(page, page.get_by_role("button", name="Sign out"), presses=200)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
