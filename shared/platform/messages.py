"""One catalogue of the messages users read in problem bodies: Vietnamese by default, English
when the request's `Accept-Language` prefers it.

Users are officials, leaders and Sở Nội vụ clerks: a refusal says in Vietnamese what is wrong,
naming fields by the plan's own labels (Art 7 §2: "Sự cần thiết", "Tính khả thi"…). The English
text stays available (`detail_en`, `message_en`) for operators and for clients that ask for it.
Titles are looked up by problem type (the error class's slug), then by the English title a
`Problem` was raised with, then by HTTP status.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Language = Literal["vi", "en"]
DEFAULT_LANGUAGE: Language = "vi"

_RANGE = re.compile(
    r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$"
)


def negotiate(accept_language: str | None) -> Language:
    """`vi` unless English is preferred to Vietnamese (RFC 9110 §12.5.4 weights); `*` and
    unknown languages leave the default."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    best: dict[Language, float] = {}
    for position, item in enumerate(accept_language[:1000].split(",")[:50]):
        match = _RANGE.match(item)
        if match is None:
            continue
        tag, weight = match.group(1).lower(), match.group(2)
        try:
            q = 1.0 if weight is None else float(weight)
        except ValueError:
            continue
        language: Language | None = (
            "vi" if tag.startswith("vi") else "en" if tag.startswith("en") else None
        )
        if language is not None and q > 0:
            # earlier ranges win ties (a tiny penalty by position)
            best[language] = max(best.get(language, 0.0), q - position * 1e-6)
    if best.get("en", 0.0) > best.get("vi", 0.0):
        return "en"
    return DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Entry:
    title_vi: str
    title_en: str
    detail_vi: str


COMMON_LABELS: Mapping[str, tuple[str, str]] = {
    "reason": ("Lý do", "Reason"),
    "reasons": ("Lý do", "Reasons"),
    "items": ("Nội dung cần bổ sung", "Items to supplement"),
    "due": ("Thời hạn", "Due date"),
    "summary": ("Tóm tắt", "Summary"),
    "decision_ref": ("Số quyết định", "Decision number"),
    "decided_on": ("Ngày quyết định", "Decision date"),
    "signed_on": ("Ngày ký quyết định", "Decision signed on"),
    "decision_signed_on": ("Ngày ký quyết định phê duyệt", "Approval decision signed on"),
    "held_on": ("Ngày họp", "Meeting date"),
    "received_on": ("Ngày nhận", "Date received"),
    "start_date": ("Ngày bắt đầu thực hiện", "Start date"),
    "completed_on": ("Ngày hoàn thành", "Completion date"),
    "reported_on": ("Ngày nhận báo cáo kết quả", "Report received on"),
    "issued_on": ("Ngày ban hành kết luận", "Conclusion issued on"),
    "votes": ("Biểu quyết", "Votes"),
    "outcome": ("Kết quả đánh giá", "Outcome"),
    "beneficiary": ("Người được khuyến khích", "Beneficiary"),
    "form": ("Hình thức khuyến khích", "Form"),
    "period": ("Kỳ báo cáo", "Period"),
    "as_of": ("Ngày chốt số liệu", "As of"),
}
"""Labels of the fields of commands other than the plan (the plan's own are registration's)."""

_BY_TYPE: Mapping[str, Entry] = {
    "validation": Entry(
        "Dữ liệu không hợp lệ",
        "Invalid request",
        "Một số trường của yêu cầu không hợp lệ; xem danh sách lỗi bên dưới.",
    ),
    "not-allowed": Entry(
        "Không có thẩm quyền",
        "Not allowed",
        "Bạn không có thẩm quyền thực hiện thao tác này.",
    ),
    "identity-refused": Entry(
        "Danh bạ tổ chức không xác nhận người dùng",
        "Not backed by the organisation directory",
        "Người dùng hoặc vai trò trong mã thông báo không có trong danh bạ tổ chức đang có "
        "hiệu lực.",
    ),
    "not-party-to-case": Entry(
        "Không phải người có liên quan đến hồ sơ",
        "Not a party to the case",
        "Chỉ người đề xuất, người có thẩm quyền, người được giao và Sở Nội vụ xem hồ sơ này.",
    ),
    "proposal-not-found": Entry(
        "Không tìm thấy đề xuất", "Proposal not found", "Không có đề xuất nào với mã này."
    ),
    "case-not-found": Entry(
        "Không tìm thấy hồ sơ", "Case not found", "Không có hồ sơ nào với mã này."
    ),
    "attachment-not-found": Entry(
        "Không tìm thấy tài liệu kèm theo",
        "Attachment not found",
        "Tài liệu kèm theo này không có trong đề xuất.",
    ),
    "conflict": Entry(
        "Mâu thuẫn với hồ sơ",
        "Conflict",
        "Thao tác mâu thuẫn với nội dung đã ghi trong hồ sơ.",
    ),
    "invalid-transition": Entry(
        "Thao tác không phù hợp với trạng thái hồ sơ",
        "Not allowed in the current state",
        "Thao tác này không thực hiện được ở trạng thái hiện tại của hồ sơ.",
    ),
    "attachment-too-large": Entry(
        "Tệp đính kèm quá lớn", "Attachment too large", "Tệp vượt quá dung lượng cho phép."
    ),
    "unsupported-media-type": Entry(
        "Loại tệp không được chấp nhận",
        "Unsupported media type",
        "Loại tệp hoặc nội dung tệp không thuộc danh mục được chấp nhận.",
    ),
    "not-multipart": Entry(
        "Sai cách gửi tệp",
        "Not a multipart upload",
        "Tệp phải được gửi dưới dạng multipart/form-data.",
    ),
    "malformed-multipart": Entry(
        "Dữ liệu tải lên bị lỗi", "Malformed upload", "Không đọc được dữ liệu tải lên."
    ),
    "incomplete": Entry(
        "Kế hoạch đề xuất chưa đủ nội dung",
        "Incomplete plan",
        "Kế hoạch đề xuất còn thiếu hoặc sai các nội dung dưới đây "
        "(khoản 2 Điều 7 Nghị định số 73/2023/NĐ-CP).",
    ),
    "invalid-change": Entry(
        "Nội dung sửa đổi không hợp lệ",
        "Invalid change",
        "Nội dung sửa đổi có trường không được sửa hoặc giá trị sai định dạng.",
    ),
    "unroutable": Entry(
        "Không xác định được người có thẩm quyền",
        "No competent authority",
        "Không xác định được người có thẩm quyền tiếp nhận kế hoạch đề xuất "
        "(khoản 3, khoản 4 Điều 7 Nghị định số 73/2023/NĐ-CP).",
    ),
    "idempotency-key-reused": Entry(
        "Khóa chống gửi trùng đã được dùng",
        "Idempotency key reused",
        "Khóa Idempotency-Key này đã được dùng cho một yêu cầu khác.",
    ),
    "invalid-idempotency-key": Entry(
        "Khóa chống gửi trùng không hợp lệ",
        "Invalid idempotency key",
        "Khóa Idempotency-Key không đúng định dạng.",
    ),
    "invalid": Entry(
        "Dữ liệu không hợp lệ",
        "Invalid input",
        "Một số nội dung của yêu cầu thiếu hoặc sai; xem danh sách lỗi bên dưới.",
    ),
    "concurrent-modification": Entry(
        "Hồ sơ vừa được thay đổi",
        "Concurrent modification",
        "Người khác vừa thay đổi hồ sơ này cùng lúc; hãy tải lại và thử lại.",
    ),
    "not-ready": Entry(
        "Dịch vụ chưa sẵn sàng",
        "Not ready",
        "Dịch vụ chưa sẵn sàng phục vụ; xem các mục kiểm tra.",
    ),
    "pdf-unavailable": Entry(
        "Không tạo được bản PDF",
        "PDF unavailable",
        "Máy chủ này không tạo được bản PDF; hãy dùng bản JSON.",
    ),
    "outside-the-log": Entry(
        "Ngoài phạm vi nhật ký", "Outside the log", "Vị trí yêu cầu nằm ngoài nhật ký kiểm toán."
    ),
    "no-checkpoint": Entry(
        "Chưa có điểm ký xác nhận",
        "Nothing signed yet",
        "Nhật ký chưa có điểm kiểm tra nào được ký.",
    ),
}

_BY_TITLE: Mapping[str, Entry] = {
    entry.title_en: entry
    for entry in (
        Entry(
            "Không có đề xuất này", "Unknown proposal", "Chưa nhận được sự kiện nào về đề xuất này."
        ),
        Entry(
            "Thời điểm thiếu múi giờ",
            "Instant without a time zone",
            "Hãy ghi thời điểm kèm múi giờ, ví dụ +07:00.",
        ),
        Entry("Không có sự kiện này", "Unknown event", "Không có sự kiện nào tại thời điểm này."),
        Entry(
            "Không có thẩm quyền", "Not allowed", "Bạn không có thẩm quyền thực hiện thao tác này."
        ),
        Entry(
            "Kỳ báo cáo không hợp lệ",
            "Invalid period",
            "Kỳ báo cáo phải là năm (2025) hoặc quý (2025-Q3).",
        ),
        Entry(
            "Không tạo được bản PDF",
            "PDF unavailable on this server",
            "Máy chủ này không tạo được bản PDF.",
        ),
        Entry("Không có đơn vị này", "Unknown unit", "Đơn vị không có trong danh bạ tổ chức."),
        Entry("Trạng thái không hợp lệ", "Unknown state", "Trạng thái không thuộc danh mục."),
        Entry("Khoảng thời gian trống", "Empty period", "Ngày kết thúc trước ngày bắt đầu."),
        Entry(
            "Chưa có điểm kiểm tra", "No checkpoint", "Chưa có điểm kiểm tra nào được chứng kiến."
        ),
        Entry(
            "Không có khóa chứng kiến", "No witness key", "Dịch vụ báo cáo này không ký chứng kiến."
        ),
        Entry(
            "Chưa có kết luận về bảo vệ",
            "No protection determination",
            "Cơ quan có thẩm quyền chưa kết luận biện pháp bảo vệ cho cán bộ này.",
        ),
        Entry("Không tạo được bản PDF", "PDF unavailable", "Máy chủ này không tạo được bản PDF."),
        Entry(
            "Nhật ký kiểm toán bị sai lệch",
            "Audit log integrity failure",
            "Nhật ký kiểm toán không khớp với các sự kiện đã lưu.",
        ),
        Entry("Nhật ký kiểm toán chưa sẵn sàng", "Audit log not ready", "Hãy thử lại sau ít phút."),
        Entry(
            "Chỉ dành cho kiểm toán viên",
            "Auditors only",
            "Chỉ kiểm toán viên và quản trị viên được đọc các bản ghi này.",
        ),
        Entry(
            "Nội bộ hệ thống bị lỗi",
            "Internal error",
            "Đã có lỗi ngoài dự kiến; lỗi đã được ghi lại.",
        ),
    )
}

_BY_STATUS: Mapping[int, Entry] = {
    400: Entry("Yêu cầu không hợp lệ", "Bad request", "Không đọc được yêu cầu."),
    401: Entry(
        "Cần đăng nhập",
        "Authentication required",
        "Hãy đăng nhập (gửi mã xác thực hợp lệ) để thực hiện thao tác này.",
    ),
    403: Entry(
        "Không có thẩm quyền", "Forbidden", "Bạn không có thẩm quyền thực hiện thao tác này."
    ),
    404: Entry("Không tìm thấy", "Not found", "Không tìm thấy nội dung yêu cầu."),
    405: Entry(
        "Phương thức không được hỗ trợ",
        "Method not allowed",
        "Địa chỉ này không nhận phương thức yêu cầu đã gửi.",
    ),
    409: Entry("Xung đột", "Conflict", "Yêu cầu mâu thuẫn với trạng thái hiện tại."),
    413: Entry("Nội dung quá lớn", "Content too large", "Yêu cầu vượt quá dung lượng cho phép."),
    415: Entry(
        "Định dạng không được hỗ trợ",
        "Unsupported media type",
        "Định dạng nội dung không được chấp nhận.",
    ),
    422: Entry("Dữ liệu không hợp lệ", "Unprocessable content", "Nội dung yêu cầu không hợp lệ."),
    429: Entry("Quá nhiều yêu cầu", "Too many requests", "Hãy thử lại sau ít phút."),
    500: Entry(
        "Nội bộ hệ thống bị lỗi", "Internal error", "Đã có lỗi ngoài dự kiến; lỗi đã được ghi lại."
    ),
    503: Entry("Dịch vụ tạm thời không phục vụ", "Service unavailable", "Hãy thử lại sau ít phút."),
}


def _entry(type_: str, title: str, status: int) -> Entry | None:
    slug = type_.rsplit("/", 1)[-1] if type_.startswith("/problems/") else ""
    return _BY_TYPE.get(slug) or _BY_TITLE.get(title) or _BY_STATUS.get(status)


def title(type_: str, title_en: str, status: int, language: Language) -> str:
    """The problem's title in `language`: the catalogue's for a known problem type (never a
    docstring cut mid-sentence); otherwise the title as raised, in Vietnamese when known."""
    slug = type_.rsplit("/", 1)[-1] if type_.startswith("/problems/") else ""
    if slug in _BY_TYPE:
        entry = _BY_TYPE[slug]
        return entry.title_vi if language == "vi" else entry.title_en
    entry_or_none = _BY_TITLE.get(title_en) or _BY_STATUS.get(status)
    if language == "en" or entry_or_none is None:
        return title_en or (entry_or_none.title_en if entry_or_none else "")
    return entry_or_none.title_vi


def detail(type_: str, title_en: str, status: int, detail_en: str, message_vi: str = "") -> str:
    """The Vietnamese detail: the error's own Vietnamese message, else the catalogue's."""
    if message_vi:
        return message_vi
    entry = _entry(type_, title_en, status)
    return entry.detail_vi if entry is not None else detail_en


# --- field problems ----------------------------------------------------------------------------

_CODES: Mapping[str, tuple[str, str]] = {
    # registration's plan problems (ProblemCode)
    "missing": ("bắt buộc phải có", "is required"),
    "invalid_type": ("sai kiểu dữ liệu", "has the wrong type"),
    "invalid_format": ("sai định dạng", "is malformed"),
    "invalid_value": ("giá trị không hợp lệ", "has an invalid value"),
    "out_of_range": ("ngoài phạm vi cho phép", "is out of range"),
    "unknown_field": ("không phải trường được phép sửa", "is not an editable field"),
    # pydantic's error types
    "string_type": ("phải là văn bản", "must be text"),
    "string_too_short": ("không được để trống hoặc quá ngắn", "is too short"),
    "string_too_long": ("quá dài", "is too long"),
    "string_pattern_mismatch": ("sai định dạng", "is malformed"),
    "int_type": ("phải là số nguyên", "must be a whole number"),
    "int_parsing": ("phải là số nguyên", "must be a whole number"),
    "int_from_float": ("phải là số nguyên", "must be a whole number"),
    "float_type": ("phải là số", "must be a number"),
    "float_parsing": ("phải là số", "must be a number"),
    "finite_number": ("phải là số hữu hạn", "must be a finite number"),
    "bool_type": ("phải là đúng/sai", "must be true or false"),
    "bool_parsing": ("phải là đúng/sai", "must be true or false"),
    "date_type": ("phải là ngày (YYYY-MM-DD)", "must be a date (YYYY-MM-DD)"),
    "date_parsing": ("phải là ngày (YYYY-MM-DD)", "must be a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": ("phải là ngày (YYYY-MM-DD)", "must be a date (YYYY-MM-DD)"),
    "date_from_datetime_inexact": ("phải là ngày, không kèm giờ", "must be a date without a time"),
    "datetime_type": ("phải là thời điểm có múi giờ", "must be an instant with a time zone"),
    "datetime_parsing": ("phải là thời điểm có múi giờ", "must be an instant with a time zone"),
    "timezone_aware": ("phải kèm múi giờ", "must carry a time zone"),
    "uuid_type": ("phải là mã UUID", "must be a UUID"),
    "uuid_parsing": ("phải là mã UUID", "must be a UUID"),
    "list_type": ("phải là danh sách", "must be a list"),
    "dict_type": ("phải là đối tượng", "must be an object"),
    "model_type": ("phải là đối tượng", "must be an object"),
    "model_attributes_type": ("phải là đối tượng", "must be an object"),
    "too_short": ("chưa đủ số phần tử", "has too few items"),
    "too_long": ("quá nhiều phần tử", "has too many items"),
    "literal_error": ("không thuộc các giá trị cho phép", "is not one of the allowed values"),
    "enum": ("không thuộc các giá trị cho phép", "is not one of the allowed values"),
    "greater_than": ("quá nhỏ", "is too small"),
    "greater_than_equal": ("quá nhỏ", "is too small"),
    "less_than": ("quá lớn", "is too large"),
    "less_than_equal": ("quá lớn", "is too large"),
    "extra_forbidden": ("là trường không được chấp nhận", "is not an accepted field"),
    "json_invalid": ("không phải JSON hợp lệ", "is not valid JSON"),
    "json_type": ("không phải JSON hợp lệ", "is not valid JSON"),
    "value_error": ("giá trị không hợp lệ", "has an invalid value"),
    "assertion_error": ("giá trị không hợp lệ", "has an invalid value"),
}

LEGAL_STEPS: Mapping[str, str] = {
    "plan_received": "ngày nhận được kế hoạch đề xuất đầy đủ",
    "approval_meeting": "ngày họp tập thể lãnh đạo xem xét kế hoạch",
    "approval": "ngày phê duyệt kế hoạch",
    "implementation_started": "ngày bắt đầu thực hiện",
    "completed": "ngày hoàn thành",
    "report_received": "ngày nhận báo cáo kết quả",
    "evaluation_meeting": "ngày họp đánh giá kết quả",
}
"""The steps with a legal date, as a refusal names the previous one (the domain's `LegalStep`)."""

_RULES: Mapping[str, str] = {
    "legal_date_in_future": (
        "không được sau ngày nhập vào hồ sơ ({recorded}): ngày pháp lý là ngày bước đó đã "
        "diễn ra, không thể là ngày trong tương lai"
    ),
    "legal_date_before_previous_step": (
        "không được trước {step} ({day}): ngày pháp lý của một bước không được trước ngày "
        "pháp lý của bước liền trước"
    ),
    "implementation_before_approval": (
        "không được trước {step} ({day}): chỉ được tổ chức thực hiện sau khi người có thẩm "
        "quyền cho phép thực hiện (khoản 1 Điều 8 Nghị định số 73/2023/NĐ-CP)"
    ),
    "completion_before_start": (
        "không được trước {step} ({day}): không thể hoàn thành trước khi bắt đầu thực hiện"
    ),
}
"""Rules a value breaks (not its format), by the code the domain refuses with: each states the
rule, filled with the facts the refusal names (`params`: the previous step, its day)."""


def rule_message(code: str, params: Mapping[str, str] | None) -> str:
    """The Vietnamese statement of the broken rule `code`, or "" when it is not a rule."""
    template = _RULES.get(code)
    if template is None:
        return ""
    given = dict(params or {})
    facts = {
        "step": LEGAL_STEPS.get(given.get("step", ""), "bước trước"),
        "day": vietnamese_date(given.get("day", "")),
        "recorded": vietnamese_date(given.get("recorded", "")),
    }
    return template.format(**facts)


def vietnamese_date(iso: str) -> str:
    """`2026-01-05` → `05/01/2026`, as Vietnamese administrative texts write a day."""
    return _ISO_DAY.sub(r"\3/\2/\1", iso)


_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(is )?required"), "bắt buộc phải có"),
    (re.compile(r"^must be a list"), "phải là danh sách"),
    (re.compile(r"^must list at least one"), "phải có ít nhất một mục"),
    (re.compile(r"^must be non-empty text|^must be text"), "phải là văn bản, không được để trống"),
    (re.compile(r"^must be a date"), "phải là ngày (YYYY-MM-DD)"),
    (re.compile(r"^must be a UUID"), "phải là mã UUID"),
    (re.compile(r"^must be true or false"), "phải là đúng/sai"),
    (re.compile(r"^must be (a )?(whole )?number|^must be an integer"), "phải là số"),
    (re.compile(r"^must not repeat"), "không được lặp lại"),
    (re.compile(r"^must be one of"), "không thuộc các giá trị cho phép"),
    (re.compile(r"in the future"), "không được là ngày trong tương lai"),
)
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _vietnamese_reason(code: str, message_en: str) -> str:
    known = _CODES.get(code)
    if known is not None:
        return known[0]
    text = message_en.strip()
    before = re.match(r"^must not be before (\d{4}-\d{2}-\d{2})", text)
    if before:
        return "không được trước ngày " + vietnamese_date(before.group(1))
    for pattern, reason in _PHRASES:
        if pattern.search(text):
            return reason
    return "không hợp lệ"


_INDEX = re.compile(r"\[\d*\]")


def field_label(path: str, labels: Mapping[str, tuple[str, str]], language: Language) -> str:
    """The plan's label of the field `path` names (`plan.tasks[0].assignee` → "Nhiệm vụ"),
    or the path itself when no label is known."""
    parts = [p for p in _INDEX.sub("", path).split(".") if p and p not in ("body", "plan")]
    for part in parts:
        if part in labels:
            vi, en = labels[part]
            return vi if language == "vi" else en
    return path


def field_message(
    path: str,
    code: str,
    message_en: str,
    labels: Mapping[str, tuple[str, str]],
    language: Language,
    message_vi: str = "",
    params: Mapping[str, str] | None = None,
) -> str:
    """`«label»: what is wrong`, in `language` (the error's own Vietnamese when it has one; a
    broken rule stated from its code and facts)."""
    label = field_label(path, labels, language)
    if language == "en":
        return f"{label}: {message_en}" if label != path else message_en
    reason = message_vi or rule_message(code, params) or _vietnamese_reason(code, message_en)
    return f"{label}: {reason}"
