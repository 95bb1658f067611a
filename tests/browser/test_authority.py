"""The deciding authority and its office in a browser, with the proposer: Sở Nội vụ takes the
file in and asks for a supplement, the proposer answers, the city People's Committee's collective
votes member by member, the plan is implemented, evaluated, recognised, and the official's
protection is determined; the proposer downloads the protection record."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.journeys import draft_and_submit, open_case_from_inbox, reload_until, take_step
from tests.browser.portal import PortalSuite, assert_accessible, sign_in, sign_out

PROPOSER = "ct.p0026"  # Giám đốc Sở Tư pháp: the city People's Committee decides
HOME_AFFAIRS = "ct.p0008"  # Giám đốc Sở Nội vụ: intake for the city
CHAIRMAN = "ct.p0001"  # Chủ tịch UBND thành phố
TITLE = "Liên thông chứng thực điện tử"


def test_a_plan_goes_from_intake_to_protection_through_the_pages(
    page: Page, portal_suite: PortalSuite
) -> None:
    base = portal_suite.portal_url
    sign_in(page, base, PROPOSER)
    proposal_id = draft_and_submit(page, base, TITLE)
    sign_out(page)

    sign_in(page, base, HOME_AFFAIRS)
    open_case_from_inbox(page, base, TITLE)
    assert_accessible(page)
    take_step(
        page,
        "Yêu cầu người đề xuất bổ sung hồ sơ",
        {"items": "Dự toán kinh phí chi tiết", "reason": "Thiếu căn cứ dự toán"},
    )
    expect(page.locator(".facts")).to_contain_text("Yêu cầu bổ sung")
    sign_out(page)

    sign_in(page, base, PROPOSER)
    page.goto(f"{base}/proposals/{proposal_id}")
    expect(page.get_by_text("Dự toán kinh phí chi tiết")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Kinh phí (đồng)").first.fill("420000000")
    page.get_by_role("button", name="Gửi hồ sơ bổ sung").click()
    expect(page.get_by_text("Đã gửi hồ sơ bổ sung.")).to_be_visible()
    sign_out(page)

    sign_in(page, base, HOME_AFFAIRS)
    open_case_from_inbox(page, base, TITLE)
    case_url = page.url
    reload_until(page, case_url, "Tiếp nhận hồ sơ đầy đủ")
    take_step(page, "Tiếp nhận hồ sơ đầy đủ")
    take_step(page, "Xin ý kiến cấp ủy trước khi quyết định", {"committee_id": "thanh-uy"})
    take_step(
        page,
        "Ghi nhận ý kiến của cấp ủy",
        {"opinion": "Thống nhất", "doc_ref": "CV-TU-01"},
    )
    sign_out(page)

    sign_in(page, base, CHAIRMAN)
    page.goto(case_url)
    take_step(
        page,
        "Họp tập thể lãnh đạo: biểu quyết của từng thành viên",
        {"minutes_ref": "BB-UBND-07"},
    )
    expect(page.locator(".facts")).to_contain_text("Đã phê duyệt")
    take_step(page, "Bảo đảm nguồn lực", {"source_ref": "QĐ-KP-07", "staff": "ct.p0027"})
    sign_out(page)

    sign_in(page, base, PROPOSER)
    page.goto(case_url)
    take_step(page, "Bắt đầu thực hiện")
    take_step(
        page,
        "Báo cáo kết quả thực hiện (mẫu M5)",
        {"results_vs_targets": "100% hồ sơ chứng thực điện tử | 100%"},
    )
    sign_out(page)

    sign_in(page, base, HOME_AFFAIRS)
    page.goto(case_url)
    take_step(page, "Xin ý kiến cấp ủy trước khi đánh giá", {"committee_id": "thanh-uy"})
    take_step(page, "Ghi nhận ý kiến của cấp ủy", {"opinion": "Thống nhất", "doc_ref": "CV-TU-02"})
    sign_out(page)

    sign_in(page, base, CHAIRMAN)
    page.goto(case_url)
    take_step(
        page,
        "Họp đánh giá kết quả: biểu quyết của từng thành viên",
        {"minutes_ref": "BB-DG-07", "assessed_outcome": "COMPLETED"},
    )
    take_step(
        page,
        "Ban hành kết luận đánh giá (mẫu M6)",
        {"outcome": "COMPLETED", "good_faith_finding": True, "conclusion_ref": "KL-07"},
    )
    take_step(page, "Công nhận kết quả")
    take_step(
        page,
        "Áp dụng hình thức khuyến khích",
        {"form": "PRAISE", "beneficiary.kind": "OFFICIAL", "decision_ref": "QĐ-KT-07"},
    )
    take_step(
        page,
        "Xác định biện pháp bảo vệ",
        {
            "art5_conditions_met": True,
            "implemented_as_decided": True,
            "directions_followed": True,
            "decision_ref": "QĐ-BV-07",
        },
    )
    expect(page.locator(".facts")).to_contain_text("Đã xác định bảo vệ")
    assert_accessible(page)
    sign_out(page)

    sign_in(page, base, PROPOSER)
    reload_until(page, f"{base}/proposals/{proposal_id}", "Xác định biện pháp bảo vệ")
    expect(page.locator(".timeline")).to_contain_text("Họp tập thể lãnh đạo xem xét đề xuất")
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải giấy chứng nhận bảo vệ (PDF)").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert download.value.path().read_bytes().startswith(b"%PDF-")
