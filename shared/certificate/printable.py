"""The printable copy of a protection certificate: one A4 page in Vietnamese.

The paper copy is for people: the official, the competent authority, an inspector. It shows the
facts, the establishing events with their positions in the signed log, the approved plan's hash
in full, the checkpoint, and, large, the verification code that ties the page to its JSON file,
with the command that checks that file offline. Only the JSON is proof; the page says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shared.calendar import VIETNAM_TIME
from shared.certificate.roles import STEP_OF, Role
from shared.pdf.fonts import vietnamese_fonts
from shared.pdf.layout import NATIONAL_MOTTO, wrap
from shared.pdf.writer import Page, PdfDocument, PdfFont

TITLE = "GIẤY CHỨNG NHẬN BẢO VỆ"
TIER_LABELS = {
    "NO_LIABILITY": "Không bị xử lý trách nhiệm (Điều 11 khoản 1)",
    "LIABILITY_EXCLUDED": "Được loại trừ trách nhiệm (Điều 11 khoản 2)",
    "EXCLUSION_EXEMPTION_OR_MITIGATION": (
        "Được xem xét loại trừ, miễn hoặc giảm nhẹ trách nhiệm (Điều 11 khoản 3)"
    ),
}
OUTCOME_LABELS = {
    "COMPLETED": "hoàn thành",
    "PARTIAL": "hoàn thành một phần",
    "NOT_COMPLETED": "không hoàn thành",
}
LEFT, RIGHT, TOP, BOTTOM = 56.0, 50.0, 48.0, 48.0
GRAY_FILL = (0.93, 0.94, 0.96)


def local_time(text: object) -> str:
    """`dd/mm/yyyy HH:MM` in Vietnam's time of an RFC 3339 instant (the text itself if not)."""
    if not isinstance(text, str):
        return ""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None:
        return moment.strftime("%d/%m/%Y %H:%M")
    return moment.astimezone(VIETNAM_TIME).strftime("%d/%m/%Y %H:%M")


class _Sheet:
    """A cursor down the pages of one document, with wrapped text."""

    def __init__(self, pdf: PdfDocument) -> None:
        self.pdf = pdf
        self.page: Page = pdf.new_page()
        self.y = self.page.height - TOP

    @property
    def width(self) -> float:
        return self.page.width - LEFT - RIGHT

    def ensure(self, height: float) -> None:
        if self.y - height < BOTTOM:
            self.page = self.pdf.new_page()
            self.y = self.page.height - TOP

    def centred(self, text: str, font: PdfFont, size: float, *, x: float, width: float) -> None:
        self.page.text(x + (width - font.width(text, size)) / 2, self.y, text, font, size)

    def paragraph(
        self, text: str, *, size: float = 10, bold: bool = False, indent: float = 0
    ) -> None:
        font = self.pdf.bold if bold else self.pdf.regular
        for line in wrap(text, font, size, self.width - indent):
            self.ensure(size * 1.35)
            self.page.text(LEFT + indent, self.y - size, line, font, size)
            self.y -= size * 1.35

    def field(self, label: str, value: str, *, size: float = 10, value_size: float = 0) -> None:
        label_width, value_size = 150.0, value_size or size
        lines = wrap(value or "—", self.pdf.regular, value_size, self.width - label_width)
        self.ensure(size * 1.35 * len(lines))
        self.page.text(LEFT, self.y - size, label, self.pdf.bold, size)
        for line in lines:
            self.page.text(LEFT + label_width, self.y - size, line, self.pdf.regular, value_size)
            self.y -= size * 1.35

    def heading(self, text: str) -> None:
        self.y -= 6
        self.ensure(30)
        self.page.rect(LEFT, self.y - 15, self.width, 15, fill=GRAY_FILL)
        self.page.text(LEFT + 4, self.y - 11, text, self.pdf.bold, 10.5)
        self.y -= 19

    def gap(self, height: float = 4) -> None:
        self.y -= height


def _header(sheet: _Sheet, document: Mapping[str, Any]) -> None:
    half = sheet.width / 2
    sheet.centred("HỆ THỐNG D73", sheet.pdf.bold, 9, x=LEFT, width=half - 10)
    sheet.centred(NATIONAL_MOTTO[0], sheet.pdf.bold, 9, x=LEFT + half, width=half)
    sheet.y -= 12
    service = f"Nhật ký ký số của dịch vụ {document.get('service', '')}"
    sheet.centred(service, sheet.pdf.regular, 9, x=LEFT, width=half - 10)
    sheet.centred(NATIONAL_MOTTO[1], sheet.pdf.bold, 9.5, x=LEFT + half, width=half)
    sheet.y -= 30
    sheet.centred(TITLE, sheet.pdf.bold, 18, x=LEFT, width=sheet.width)
    sheet.y -= 16
    sheet.centred(
        "theo Nghị định số 73/2023/NĐ-CP về khuyến khích, bảo vệ cán bộ năng động, sáng tạo",
        sheet.pdf.regular,
        9.5,
        x=LEFT,
        width=sheet.width,
    )
    sheet.y -= 13
    issued = local_time(document.get("issued_at"))
    sheet.centred(
        f"Số: {document.get('certificate_id', '')} — cấp lúc {issued}",
        sheet.pdf.regular,
        8.5,
        x=LEFT,
        width=sheet.width,
    )
    sheet.y -= 8


def _people(sheet: _Sheet, document: Mapping[str, Any]) -> None:
    official = document.get("official") or {}
    authority = document.get("competent_authority") or {}
    sheet.heading("1. Cán bộ được bảo vệ và hồ sơ đề xuất")
    position = official.get("position_name") or official.get("position") or ""
    unit = official.get("unit_name") or official.get("unit_id") or ""
    sheet.field("Họ và tên:", f"{official.get('name', '')} ({official.get('user_id', '')})")
    sheet.field("Chức vụ, đơn vị:", ", ".join(str(p) for p in (position, unit) if p))
    sheet.field("Đề xuất:", str(document.get("title", "")))
    sheet.field("Mã hồ sơ:", str(document.get("case_id", "")))
    sheet.field("Mã đề xuất:", str(document.get("proposal_id", "")))
    head = authority.get("head_name") or ""
    sheet.field(
        "Cấp có thẩm quyền:",
        f"{authority.get('unit_id', '')} — người đứng đầu {head} ({authority.get('head_id', '')})"
        if head
        else f"{authority.get('unit_id', '')} — người đứng đầu {authority.get('head_id', '')}",
    )


def _determination(sheet: _Sheet, document: Mapping[str, Any]) -> None:
    found = document.get("determination") or {}
    facts = found.get("facts") or {}
    by = found.get("determined_by") or {}
    sheet.heading("2. Kết luận về biện pháp bảo vệ (Điều 11)")
    tier = str(found.get("tier", ""))
    sheet.field("Biện pháp bảo vệ:", TIER_LABELS.get(tier, tier))
    sheet.field("Căn cứ:", str(found.get("legal_basis", "")))
    outcome = str(facts.get("outcome", ""))
    sheet.field("Kết quả đánh giá:", OUTCOME_LABELS.get(outcome, outcome))
    sheet.field("Quyết định số:", str(found.get("decision_ref", "")))
    sheet.field(
        "Ngày, người quyết định:",
        f"{local_time(found.get('determined_at'))} — {by.get('name') or by.get('user_id', '')}",
    )


def _plan(sheet: _Sheet, document: Mapping[str, Any]) -> None:
    sheet.heading("3. Kế hoạch đề xuất đã được phê duyệt (Điều 8 khoản 1)")
    sheet.paragraph("Mã băm SHA-256 của kế hoạch được phê duyệt (JSON chuẩn tắc):", size=9.5)
    sheet.paragraph(str(document.get("plan_hash", "")), size=9.5, bold=True, indent=12)


def _events(sheet: _Sheet, document: Mapping[str, Any]) -> None:
    sheet.heading("4. Các sự kiện xác lập việc bảo vệ, có trong nhật ký đã ký số")
    columns = (("Sự kiện", 0), ("Căn cứ", 172), ("Vị trí", 345), ("Thời điểm", 395))
    sheet.ensure(14)
    for label, offset in columns:
        sheet.page.text(LEFT + offset, sheet.y - 9, label, sheet.pdf.bold, 9)
    sheet.y -= 13
    for item in document.get("establishing_events") or []:
        entry = item.get("entry") or {}
        state = entry.get("state") or {}
        stamp = state.get("stamp") if isinstance(state, Mapping) else None
        try:
            step = STEP_OF[Role(item.get("role"))]
            label, article = step.label, step.article
        except ValueError:
            label, article = str(item.get("role")), ""
        sheet.ensure(12)
        sheet.page.line(LEFT, sheet.y + 1.5, LEFT + sheet.width, sheet.y + 1.5, width=0.3, gray=0.7)
        row = (label, article, str(item.get("position", "")), local_time((stamp or {}).get("at")))
        for (_, offset), text in zip(columns, row, strict=True):
            sheet.page.text(LEFT + offset, sheet.y - 9, text, sheet.pdf.regular, 9)
        sheet.y -= 12.5


def _checkpoint(sheet: _Sheet, document: Mapping[str, Any]) -> None:
    checkpoint = document.get("checkpoint") or {}
    sheet.heading("5. Điểm kiểm tra của nhật ký (checkpoint) mà các bằng chứng dẫn tới")
    sheet.field(
        "Dịch vụ, kích thước:",
        f"{checkpoint.get('service', '')}, {checkpoint.get('tree_size', '')} sự kiện",
        size=9.5,
    )
    sheet.field("Gốc Merkle:", str(checkpoint.get("root_hash", "")), size=9.5, value_size=8)
    sheet.field(
        "Khóa ký, thời điểm:",
        f"{checkpoint.get('key_id', '')}, {local_time(checkpoint.get('time'))}",
        size=9.5,
    )


def _code(sheet: _Sheet, document: Mapping[str, Any]) -> None:
    code = str(document.get("verification_code", ""))
    sheet.gap(8)
    sheet.ensure(64)
    box = 340.0
    x = LEFT + (sheet.width - box) / 2
    sheet.page.rect(x, sheet.y - 56, box, 56, stroke=0)
    sheet.y -= 16
    sheet.centred("MÃ XÁC MINH", sheet.pdf.bold, 9.5, x=x, width=box)
    sheet.y -= 30
    sheet.centred(code, sheet.pdf.bold, 24, x=x, width=box)
    sheet.y -= 18


def _how_to_verify(sheet: _Sheet, document: Mapping[str, Any]) -> None:
    key = document.get("signing_key") or {}
    code = document.get("verification_code", "")
    sheet.heading("6. Cách kiểm tra")
    sheet.paragraph(
        "Bản giấy này chỉ để đọc; bằng chứng là tệp JSON của giấy chứng nhận, được ký số "
        f"Ed25519 bởi dịch vụ {document.get('service', '')} (khóa {key.get('key_id', '')}). "
        "Lấy khóa công khai của dịch vụ từ cơ quan quản lý hệ thống (không dùng khóa trong tệp), "
        "rồi chạy, không cần kết nối tới hệ thống:",
        size=9.5,
    )
    sheet.gap(2)
    sheet.paragraph(
        "d73 verify-certificate certificate.json --public-key approval.ed25519.pub.pem "
        f"--code {code}",
        size=9,
        bold=True,
        indent=12,
    )
    sheet.gap(2)
    sheet.paragraph(
        "Lệnh kiểm tra chữ ký của giấy, chữ ký của điểm kiểm tra, đường dẫn Merkle của từng sự "
        "kiện, mã băm kế hoạch, nội dung kết luận và mã xác minh in trên trang này.",
        size=9.5,
    )


def render_certificate_pdf(document: Mapping[str, Any]) -> bytes:
    """The A4 page of a certificate; `shared.pdf.fonts.PdfUnavailable` without a font."""
    regular, bold = vietnamese_fonts()
    code = str(document.get("verification_code", ""))
    pdf = PdfDocument(
        regular,
        bold,
        title=f"{TITLE} — {document.get('title', '')}",
        subject=f"D73 protection certificate {document.get('certificate_id', '')}, "
        f"verification code {code}",
    )
    sheet = _Sheet(pdf)
    _header(sheet, document)
    _people(sheet, document)
    _determination(sheet, document)
    _plan(sheet, document)
    _events(sheet, document)
    _checkpoint(sheet, document)
    _code(sheet, document)
    _how_to_verify(sheet, document)
    issued = document.get("issued_at")
    return pdf.render(
        created=datetime.fromisoformat(issued.replace("Z", "+00:00"))
        if isinstance(issued, str)
        else None
    )
