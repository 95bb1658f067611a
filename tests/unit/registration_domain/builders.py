"""Test data: a complete Cần Thơ proposal plan and officials taken from the real directory."""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime
from typing import Any

from shared.kernel.actor import Actor
from shared.kernel.directory import OrganisationDirectory

T0 = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)

_COMPLETE_PLAN: dict[str, Any] = {
    "necessity": "Thủ tục cấp phép xây dựng nhà ở riêng lẻ kéo dài, người dân đi lại nhiều lần.",
    "purpose": "Rút ngắn thời gian cấp phép xây dựng nhà ở riêng lẻ xuống 7 ngày làm việc.",
    "requirements": "Bảo đảm đúng quy định, công khai, minh bạch; không phát sinh chi phí cho dân.",
    "bottleneck": {
        "description": "Chưa có quy định về tiếp nhận hồ sơ điện tử liên thông cấp phường.",
        "legal_gap_level": "LOCALITY",
    },
    "contents": "Thí điểm tiếp nhận, thẩm định hồ sơ cấp phép xây dựng trực tuyến liên thông.",
    "tasks": [
        {
            "description": "Xây dựng quy trình nội bộ liên thông",
            "scope": "Quận Ninh Kiều",
            "assignee": "Phòng Quản lý đô thị quận Ninh Kiều",
        },
        {
            "description": "Tập huấn cán bộ một cửa",
            "scope": "11 phường thuộc quận Ninh Kiều",
            "assignee": "Văn phòng HĐND và UBND quận",
        },
    ],
    "solutions": [
        {
            "description": "Dùng Hệ thống thông tin giải quyết thủ tục hành chính của thành phố",
            "scope": "Hồ sơ nhà ở riêng lẻ",
            "assignee": "Trung tâm Phục vụ hành chính công",
        }
    ],
    "timeline": {"start": "2024-07-01", "end": "2024-12-31"},
    "resources": {
        "people": "05 công chức chuyên môn, 02 viên chức công nghệ thông tin",
        "budget_vnd": "350000000",
        "equipment": "Máy quét hồ sơ, chữ ký số",
    },
    "feasibility": "Hạ tầng hiện có đáp ứng; cán bộ đã được tập huấn dịch vụ công trực tuyến.",
    "impact_positive": "Giảm 50% thời gian chờ của người dân.",
    "impact_negative": "Khối lượng việc tăng trong 2 tháng đầu.",
    "expected_effect": "90% hồ sơ được giải quyết đúng hạn.",
    "art5_conditions": {
        "a": {"met": True, "justification": "Tháo gỡ điểm nghẽn chưa được quy định ở địa phương."},
        "b": {"met": True, "justification": "Vì lợi ích chung của người dân thành phố."},
        "c": {
            "met": True,
            "justification": "Xuất phát từ yêu cầu cấp thiết; không ảnh hưởng an ninh.",
        },
        "d": {"met": True, "justification": "Cải cách thủ tục hành chính, ứng dụng CNTT."},
    },
    "risks": [{"description": "Lỗi kết nối hệ thống", "mitigation": "Tiếp nhận giấy song song"}],
    "proposer_commitment": {"committed": True, "text": "Tôi chịu trách nhiệm về đề xuất."},
    "attachments": [
        {
            "name": "Thuyết minh chi tiết.pdf",
            "media_type": "application/pdf",
            "size": 182_044,
            "sha256": hashlib.sha256(b"thuyet minh").hexdigest(),
        }
    ],
    "domain_tags": ["cải cách hành chính", "xây dựng"],
}


def complete_plan() -> dict[str, Any]:
    return copy.deepcopy(_COMPLETE_PLAN)


def official(directory: OrganisationDirectory, unit_id: str, position: str) -> Actor:
    """The directory's holder of `position` in `unit_id` (head or deputy)."""
    unit = directory.unit(unit_id)
    for member in (unit.head, *unit.deputies):
        if member.position == position:
            return Actor(member.person_id, member.name, unit_id, position)
    raise LookupError(f"nobody holds {position} in {unit_id}")


def staff(unit_id: str, position: str = "specialist", user_id: str = "ct.staff.01") -> Actor:
    """A non-leader (not in the directory's leadership lists)."""
    return Actor(user_id, "Trần Thị Bé Ba", unit_id, position)
