"""The auditor (inspector) in a browser: finds a file, reads its merged timeline with the legal
basis of each event and its state at a moment, downloads the protection record and verifies it
step by step — and sees a tampered copy fail; then verifies an audit bundle of a service's log."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.browser.journeys import reload_until
from tests.browser.portal import AUDITOR_ID, PortalSuite, assert_accessible, sign_in
from tests.browser.setup_cases import protected_case
from tests.support.infra import auth, token_for

TITLE = "Số hóa sổ hộ tịch"


def test_an_auditor_reads_a_files_history_and_verifies_its_protection_record(
    page: Page, portal_suite: PortalSuite, tmp_path: Path
) -> None:
    proposal_id, case_id = protected_case(portal_suite, TITLE)
    base = portal_suite.portal_url
    sign_in(page, base, AUDITOR_ID)

    page.get_by_role("link", name="Tra cứu hồ sơ").first.click()
    assert_accessible(page)
    page.get_by_label("Từ trong tên đề xuất").fill("hộ tịch")
    page.get_by_role("button", name="Tìm kiếm").click()
    page.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(f"{base}/audit/proposals/{proposal_id}")
    reload_until(page, page.url, "Xác định biện pháp bảo vệ")
    expect(page.locator(".timeline")).to_contain_text("Căn cứ")
    page.get_by_label("Thời điểm (giờ Việt Nam)").fill("2020-01-01T00:00")
    page.get_by_role("button", name="Xem").click()
    expect(page.locator(".facts")).to_contain_text("Số sự kiện đã áp dụng")
    assert_accessible(page)

    page.goto(f"{base}/cases/{case_id}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải bản JSON (để kiểm tra)").click()
    record = tmp_path / "record.json"
    download.value.save_as(record)

    page.get_by_role("link", name="Kiểm tra giấy chứng nhận").first.click()
    assert_accessible(page)
    verified = page.get_by_role("heading", name="Đã xác thực: không phát hiện vấn đề")
    for _ in range(40):  # the witness cosigns a new checkpoint a moment after it is published
        page.get_by_label("Giấy chứng nhận bảo vệ hoặc gói kiểm toán (JSON)").set_input_files(
            record
        )
        page.get_by_role("button", name="Kiểm tra").click()
        expect(page.locator("#result-title")).to_be_visible()
        if verified.count():
            break
        page.wait_for_timeout(500)
    expect(verified).to_be_visible()
    # Every check passes, the independent witness's included; no paper code was typed.
    expect(page.locator(".verify-steps li.step-pass")).to_have_count(6)
    skipped = page.locator(".verify-steps li.step-skip")
    expect(skipped).to_be_visible()
    expect(skipped).to_contain_text("Mã in trên bản giấy")
    assert_accessible(page)

    forged = json.loads(record.read_text(encoding="utf-8"))
    forged["title"] = "Một đề xuất khác"
    (tmp_path / "forged.json").write_text(json.dumps(forged), encoding="utf-8")
    page.get_by_label("Giấy chứng nhận bảo vệ hoặc gói kiểm toán (JSON)").set_input_files(
        tmp_path / "forged.json"
    )
    page.get_by_role("button", name="Kiểm tra").click()
    expect(page.get_by_role("heading", name="Không xác thực được", exact=False)).to_be_visible()
    expect(page.locator(".verify-steps li.step-fail").first).to_be_visible()

    # An audit bundle of approval's log, as an auditor obtains it from the service.
    bundle = httpx.get(
        f"{portal_suite['approval'].url}/audit/bundle",
        headers=auth(token_for(AUDITOR_ID, roles=["auditor"])),
        timeout=30,
    )
    assert bundle.status_code == 200, bundle.text
    (tmp_path / "bundle.json").write_bytes(bundle.content)
    page.get_by_label("Giấy chứng nhận bảo vệ hoặc gói kiểm toán (JSON)").set_input_files(
        tmp_path / "bundle.json"
    )
    page.get_by_role("button", name="Kiểm tra").click()
    expect(page.get_by_role("heading", name="Đã xác thực: không phát hiện vấn đề")).to_be_visible()
    expect(page.locator(".verify-steps li.step-pass")).to_have_count(4)
    expect(page.locator(".verify-steps")).to_contain_text("Tệp là gói kiểm toán")
