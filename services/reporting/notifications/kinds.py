"""The kinds of notification, and what a person may choose for each (issue #16 §2)."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """What a notification is about; a person's preferences are per kind."""

    ROUTED = "routed"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    DECISION = "decision"
    DIRECTION = "direction"
    EVALUATION = "evaluation"
    ENCOURAGEMENT = "encouragement"
    PROTECTION = "protection"
    PLAN_ARRIVED = "plan_arrived"
    SUPPLEMENT_ANSWERED = "supplement_answered"
    OPINION_RECEIVED = "opinion_received"
    DEADLINE_APPROACHING = "deadline_approaching"
    DEADLINE_BREACHED = "deadline_breached"
    ESCALATED = "escalated"
    DIGEST = "digest"

    @property
    def label_vi(self) -> str:
        return LABELS_VI[self]


LABELS_VI: dict[str, str] = {  # by Kind, or by its value
    Kind.ROUTED: "Kế hoạch đã được chuyển đến cơ quan có thẩm quyền",
    Kind.SUPPLEMENT_REQUESTED: "Yêu cầu bổ sung hồ sơ",
    Kind.DECISION: "Quyết định về đề xuất",
    Kind.DIRECTION: "Chỉ đạo tạm dừng, tiếp tục hoặc dừng thực hiện",
    Kind.EVALUATION: "Kết quả đánh giá",
    Kind.ENCOURAGEMENT: "Khuyến khích",
    Kind.PROTECTION: "Xác định bảo vệ",
    Kind.PLAN_ARRIVED: "Kế hoạch đề xuất mới đến",
    Kind.SUPPLEMENT_ANSWERED: "Hồ sơ đã được bổ sung",
    Kind.OPINION_RECEIVED: "Đã nhận ý kiến",
    Kind.DEADLINE_APPROACHING: "Sắp đến hạn",
    Kind.DEADLINE_BREACHED: "Quá hạn",
    Kind.ESCALATED: "Quá hạn — báo cáo cấp trên",
    Kind.DIGEST: "Tóm tắt hằng ngày",
}


class Mode(StrEnum):
    """How a kind reaches a person by e-mail; the portal lists every notification regardless,
    since it is the record of what the person was told."""

    IMMEDIATE = "immediate"
    """An e-mail for each notification as it happens."""
    DIGEST = "digest"
    """Gathered into the daily digest."""
    OFF = "off"
    """No e-mail (still listed in the portal)."""


DEFAULT_MODE = Mode.IMMEDIATE
