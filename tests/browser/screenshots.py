"""Screenshots of real pages for the README: `python -m tests.browser.screenshots docs`.

Starts nats-server, the services and the portal (as the browser tests do), brings one file to
review and one to a protection record through the APIs, and photographs the plan form, the case
page with the collective's vote, and the verification of a protection record.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.portal import AUDITOR_ID, PortalSuite, sign_in
from tests.browser.setup_cases import protected_case
from tests.support.flows import (
    DOHA_DIRECTOR,
    proposer_headers,
    submit_proposal,
    wait_for_case,
)
from tests.support.infra import native_nats


def main(out: Path) -> None:
    with native_nats() as nats, tempfile.TemporaryDirectory() as data:
        suite = PortalSuite(nats_url=nats.url, data_dir=Path(data))
        try:
            suite.start_all()
            base = suite.portal_url
            with httpx.Client(timeout=30) as client:
                director = proposer_headers()
                proposal = submit_proposal(
                    client, suite["registration"].url, director, "Liên thông chứng thực điện tử"
                )
                case = wait_for_case(client, suite["approval"].url, proposal, director)
                client.post(
                    f"{suite['approval'].url}/cases/{case['id']}/receive-plan",
                    headers=DOHA_DIRECTOR,
                ).raise_for_status()
            _, protected = protected_case(suite, "Số hóa sổ hộ tịch")
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = browser.new_context(
                    viewport={"width": 1100, "height": 900},
                    locale="vi-VN",
                    timezone_id="Asia/Ho_Chi_Minh",
                )
                page = context.new_page()
                sign_in(page, base, "ct.p0026")
                page.goto(f"{base}/proposals/new")
                page.get_by_label("Tên đề xuất").fill("Một cửa liên thông cấp phường")
                page.screenshot(path=str(out / "portal-plan-form.png"))

                sign_in(page, base, "ct.p0001")
                page.goto(f"{base}/cases/{case['id']}")
                page.locator("#action-hold_approval_meeting summary").click()
                page.locator("#action-hold_approval_meeting").scroll_into_view_if_needed()
                page.screenshot(path=str(out / "portal-case-vote.png"))

                sign_in(page, base, AUDITOR_ID)
                page.goto(f"{base}/cases/{protected}")
                with page.expect_download() as download:
                    page.get_by_role("link", name="Tải bản JSON (để kiểm tra)").click()
                record = Path(data) / "record.json"
                download.value.save_as(record)
                page.goto(f"{base}/verify")
                page.get_by_label(
                    "Giấy chứng nhận bảo vệ hoặc gói kiểm toán (JSON)"
                ).set_input_files(record)
                page.get_by_role("button", name="Kiểm tra").click()
                page.locator("#result-title").scroll_into_view_if_needed()
                page.screenshot(path=str(out / "portal-verify.png"))
                browser.close()
        finally:
            suite.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
