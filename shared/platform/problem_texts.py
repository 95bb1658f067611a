"""Vietnamese wording of the problems the HTTP edge itself raises (RFC 9457 `title`/`detail`).

One place for these texts, so that they can join a message catalogue keyed by language; the
domain errors keep their own wording next to their rules.
"""

from __future__ import annotations

from typing import Any

STATUS_TITLES: dict[int, str] = {
    400: "Yêu cầu không đọc được",
    401: "Cần xác thực",
    403: "Không có quyền",
    404: "Không tìm thấy",
    405: "Phương thức không được hỗ trợ",
    409: "Xung đột với trạng thái hiện tại",
    413: "Nội dung yêu cầu quá lớn",
    415: "Kiểu nội dung không được hỗ trợ",
    422: "Dữ liệu không hợp lệ",
    500: "Lỗi nội bộ",
    503: "Dịch vụ chưa sẵn sàng",
}
"""Title of a problem by HTTP status, where no more specific title exists."""

VALIDATION_TITLE = "Dữ liệu không hợp lệ"
BODY_TOO_LARGE = "Nội dung yêu cầu dài {size} byte, vượt giới hạn {limit} byte của địa chỉ này"
BODY_UNREADABLE = "Nội dung yêu cầu không phải JSON đọc được (hoặc có số quá lớn)"
CONCURRENT_TITLE = "Hồ sơ vừa được người khác thay đổi"
CONCURRENT_DETAIL = "Có người thay đổi hồ sơ này cùng lúc; hãy tải lại và thử lại."
INTERNAL_TITLE = "Lỗi nội bộ"
AUTH_REQUIRED = "Cần gửi mã thông báo (bearer token)"
AUTH_INVALID = "Mã thông báo không hợp lệ: {reason}"


def invalid_fields(count: int) -> str:
    return f"{count} trường không hợp lệ"


VALIDATION_MESSAGES: dict[str, str] = {
    "missing": "bắt buộc",
    "extra_forbidden": "không phải trường được phép",
    "string_type": "phải là văn bản",
    "string_too_short": "phải có ít nhất {min_length} ký tự",
    "string_too_long": "dài quá {max_length} ký tự",
    "string_unicode": "không phải văn bản Unicode hợp lệ",
    "string_pattern_mismatch": "không đúng định dạng",
    "int_type": "phải là số nguyên",
    "int_parsing": "phải là số nguyên",
    "int_from_float": "phải là số nguyên",
    "int_parsing_size": "số quá lớn",
    "decimal_type": "phải là số",
    "decimal_parsing": "phải là số",
    "decimal_max_places": "phải là số nguyên đồng (không có phần lẻ)",
    "decimal_max_digits": "có quá nhiều chữ số",
    "finite_number": "phải là số hữu hạn",
    "greater_than_equal": "phải lớn hơn hoặc bằng {ge}",
    "greater_than": "phải lớn hơn {gt}",
    "less_than_equal": "phải nhỏ hơn hoặc bằng {le}",
    "less_than": "phải nhỏ hơn {lt}",
    "bool_type": "phải là true hoặc false",
    "bool_parsing": "phải là true hoặc false",
    "list_type": "phải là danh sách",
    "too_long": "có quá {max_length} mục",
    "too_short": "phải có ít nhất {min_length} mục",
    "dict_type": "phải là đối tượng JSON",
    "model_attributes_type": "phải là đối tượng JSON",
    "date_type": "phải là ngày YYYY-MM-DD",
    "date_parsing": "phải là ngày YYYY-MM-DD",
    "date_from_datetime_parsing": "phải là ngày YYYY-MM-DD",
    "uuid_type": "phải là UUID",
    "uuid_parsing": "phải là UUID",
    "literal_error": "phải là một trong: {expected}",
    "enum": "phải là một trong: {expected}",
    "json_invalid": "không phải JSON hợp lệ",
}
"""Vietnamese messages of pydantic's error types; `value_error` carries our own message."""


def validation_message(error: dict[str, Any]) -> str:
    """The Vietnamese message of one pydantic error (its own text when it is already ours)."""
    kind = str(error.get("type", ""))
    if kind == "value_error":
        message = str(error.get("msg", ""))
        return message.removeprefix("Value error, ")
    template = VALIDATION_MESSAGES.get(kind)
    if template is None:
        return str(error.get("msg", ""))
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        return str(error.get("msg", ""))
