"""The printable protection record: an extract of the competent authority's records (trích lục
hồ sơ), one or two A4 pages in Vietnamese, laid out by fpdf2 (`shared.records.pdf.printing`).

It is not a certificate the software issues, nor a state document: it is titled as an extract,
names the competent authority by name and cites its determination (decision number, date,
signer); it carries no national motto, since the authority has not issued it as its own
document. Only the signed JSON is proof; the page says how to check it, in Vietnamese.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from shared.kernel.calendar import VIETNAM_TIME
from shared.kernel.citations import DECREE_73, legal_form, long_date
from shared.records.certificate.roles import STEP_OF, Role
from shared.records.merkle.stored_state import entry_state
from shared.records.pdf.printing import PrintedDocument, keep_whole

TITLE = "TRÍCH LỤC HỒ SƠ"
SUBTITLE = "về kết luận bảo vệ cán bộ đề xuất, thực hiện đổi mới, sáng tạo"
TIER_LABELS = {
    "NO_LIABILITY": "Không bị xử lý trách nhiệm",
    "LIABILITY_EXCLUDED": "Được loại trừ trách nhiệm",
    "EXCLUSION_EXEMPTION_OR_MITIGATION": "Được xem xét loại trừ, miễn hoặc giảm nhẹ trách nhiệm",
}
OUTCOME_LABELS = {
    "COMPLETED": "hoàn thành",
    "PARTIAL": "hoàn thành một phần",
    "NOT_COMPLETED": "không hoàn thành",
}
SERVICE_NAMES = {"approval": "phê duyệt", "registration": "đăng ký", "reporting": "báo cáo"}
UnitNames = Callable[[str], str]


def _instant(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is None else moment.astimezone(VIETNAM_TIME)


def local_time(text: object) -> str:
    """`dd/mm/yyyy HH:MM` in Vietnam's time of an RFC 3339 instant, never split across lines."""
    moment = _instant(text)
    return "" if moment is None else keep_whole(moment.strftime("%d/%m/%Y %H:%M"))


def _article(text: str) -> str:
    """ "Điều 7 khoản 3–4" → "khoản 3, khoản 4 Điều 7" (the decree is named once, above)."""
    match = re.match(r"Điều (\d+)(?: khoản ([\d–-]+))?", text)
    if match is None:
        return text
    code = f"ND73 Art {match.group(1)}" + (f" §{match.group(2)}" if match.group(2) else "")
    return legal_form(code).removesuffix(f" {DECREE_73}")


def _header(pdf: PrintedDocument, document: Mapping[str, Any], authority: str) -> None:
    pdf.centred(authority.upper() or "CƠ QUAN CÓ THẨM QUYỀN", 11, bold=True, width=110)
    pdf.ln(8)
    pdf.centred(TITLE, 16, bold=True)
    pdf.ln(1)
    pdf.centred(SUBTITLE, 11.5, bold=True)
    pdf.ln(2)
    issued = _instant(document.get("issued_at"))
    pdf.centred(
        f"Trích từ hồ sơ của {authority}, lập {long_date(issued.date()) if issued else ''} "
        "từ nhật ký sự kiện đã ký số của hệ thống D73. Bản trích lục này không phải văn bản "
        "do cơ quan nhà nước ban hành; giá trị chứng minh thuộc về tệp dữ liệu đã ký số.",
        9.5,
        width=150,
    )
    pdf.ln(2)


def _people(pdf: PrintedDocument, document: Mapping[str, Any], names: UnitNames) -> None:
    official = document.get("official") or {}
    pdf.heading("1. Cán bộ và đề xuất")
    position = official.get("position_name") or ""
    unit = official.get("unit_name") or names(str(official.get("unit_id", "")))
    pdf.fields(
        [
            ("Họ và tên:", str(official.get("name", ""))),
            ("Chức vụ, đơn vị:", ", ".join(str(p) for p in (position, unit) if p)),
            ("Tên đề xuất:", str(document.get("title", ""))),
            ("Mã hồ sơ:", str(document.get("case_id", ""))),
        ]
    )


def _determination(pdf: PrintedDocument, document: Mapping[str, Any], authority: str) -> None:
    found = document.get("determination") or {}
    facts = found.get("facts") or {}
    by = found.get("determined_by") or {}
    head = (document.get("competent_authority") or {}).get("head_name") or ""
    signer = str(by.get("name") or head)
    decided = _instant(found.get("determined_at"))
    decision = (
        f"Số {found.get('decision_ref') or '…'}, "
        f"{long_date(decided.date()) if decided else ''}, do ông (bà) {signer} ký"
    )
    pdf.heading("2. Kết luận của cơ quan có thẩm quyền")
    tier = str(found.get("tier", ""))
    outcome = str(facts.get("outcome", ""))
    pdf.fields(
        [
            ("Cơ quan có thẩm quyền:", authority),
            ("Văn bản kết luận:", decision),
            ("Kết quả đánh giá:", OUTCOME_LABELS.get(outcome, outcome)),
            ("Biện pháp bảo vệ:", TIER_LABELS.get(tier, tier)),
            ("Căn cứ:", legal_form(str(found.get("legal_basis") or "ND73 Art 11"))),
        ]
    )


def _plan(pdf: PrintedDocument, document: Mapping[str, Any]) -> None:
    pdf.heading("3. Kế hoạch đề xuất đã được phê duyệt")
    pdf.fields([("Mã băm SHA-256:", str(document.get("plan_hash", "")))])


def _events(pdf: PrintedDocument, document: Mapping[str, Any]) -> None:
    pdf.heading(f"4. Các bước đã ghi trong hồ sơ (điều, khoản của {DECREE_73})")
    rows = []
    for item in document.get("establishing_events") or []:
        entry = item.get("entry") or {}
        state = entry_state(entry) if isinstance(entry, Mapping) else {}
        stamp = state.get("stamp") if isinstance(state, Mapping) else None
        try:
            step = STEP_OF[Role(item.get("role"))]
            label, article = step.label, _article(step.article)
        except ValueError:
            label, article = str(item.get("role")), ""
        rows.append(
            (
                label,
                article,
                str(item.get("position", "")),
                _when(state if isinstance(state, Mapping) else {}, (stamp or {}).get("at")),
            )
        )
    pdf.grid(("Bước", "Căn cứ", "Số thứ tự trong nhật ký", "Ngày"), rows, (52, 48, 28, 37))


_LEGAL_DATE_FIELDS = ("signed_on", "decision_signed_on", "issued_on", "reported_on", "start_date")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _when(state: Mapping[str, Any], entered_at: object) -> str:
    """The step's legal date (the day it happened: meeting held, decision signed, report
    received…) and, when it was entered on a later day, when it was entered: a late entry is
    shown on paper, never hidden behind the day it was typed in."""
    vote = state.get("vote")
    candidates = [vote.get("held_on") if isinstance(vote, Mapping) else None]
    candidates += [state.get(name) for name in _LEGAL_DATE_FIELDS]
    legal = next((str(c) for c in candidates if c and _ISO_DAY.match(str(c))), None)
    entered = local_time(entered_at)
    if legal is None:
        return entered
    day = _ISO_DAY.sub(r"\3/\2/\1", legal)
    moment = _instant(entered_at)
    if moment is not None and moment.date().isoformat() > legal:
        return f"{keep_whole(day)} (nhập vào hồ sơ {entered})"
    return keep_whole(day)


def _checkpoint(pdf: PrintedDocument, document: Mapping[str, Any]) -> None:
    checkpoint = document.get("checkpoint") or {}
    service = SERVICE_NAMES.get(str(checkpoint.get("service", "")), "")
    pdf.heading("5. Điểm kiểm tra của nhật ký đã ký số")
    pdf.fields(
        [
            ("Nhật ký:", f"dịch vụ {service}, {checkpoint.get('tree_size', '')} sự kiện"),
            ("Gốc cây Merkle:", str(checkpoint.get("root_hash", ""))),
            ("Khóa ký:", str(checkpoint.get("key_id", ""))),
            ("Thời điểm ký:", local_time(checkpoint.get("time"))),
        ]
    )


def _how_to_verify(pdf: PrintedDocument, document: Mapping[str, Any]) -> None:
    code = document.get("verification_code", "")
    pdf.heading("6. Cách kiểm tra")
    pdf.paragraph(
        "Bằng chứng là tệp dữ liệu đã ký số của hồ sơ này. Lấy khóa công khai của hệ thống từ cơ "
        "quan quản lý hệ thống (không dùng khóa kèm trong tệp) rồi chạy lệnh kiểm tra dưới đây, "
        "không cần kết nối tới hệ thống. Lệnh kiểm tra chữ ký, điểm kiểm tra, đường dẫn của từng "
        "bước trong nhật ký, mã băm kế hoạch, nội dung kết luận và mã xác minh in trên trang này.",
        9.5,
    )
    pdf.paragraph(
        f"d73 kiem-tra-ho-so hoso.json --khoa khoa-cong-khai.pem --ma {code}",
        9,
        bold=True,
        align="L",
    )


def render_certificate_pdf(
    document: Mapping[str, Any], unit_names: UnitNames | None = None
) -> bytes:
    """The extract as PDF; `unit_names` turns a unit id into its name (ids never go on paper)."""
    names: UnitNames = unit_names or (lambda _unit_id: "")
    code = str(document.get("verification_code", ""))
    authority_id = str((document.get("competent_authority") or {}).get("unit_id", ""))
    authority = names(authority_id) or "cơ quan có thẩm quyền"
    pdf = PrintedDocument(
        title=f"{TITLE} — {document.get('title', '')}",
        subject=code,  # ASCII, so the code is searchable in the file as it is
        created=_instant(document.get("issued_at")),
    )
    _header(pdf, document, authority)
    _people(pdf, document, names)
    _determination(pdf, document, authority)
    _plan(pdf, document)
    _events(pdf, document)
    _checkpoint(pdf, document)
    pdf.boxed("MÃ XÁC MINH", code)
    _how_to_verify(pdf, document)
    return bytes(pdf.output())
