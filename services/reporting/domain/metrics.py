"""Chỉ tiêu — the names of what reporting counts, and how reports say them in Vietnamese.

A metric is a flat string so that a bucket of counts is one small dict: `approved_vote`,
`outcome:PARTIAL`, `days:review:5` (one step that took 5 working days), `state:IN_INTAKE` (one
proposal submitted in the bucket's period that stands in IN_INTAKE now).
"""

from __future__ import annotations

from shared.contracts.vocabulary import CaseState, DeadlineName, EscalationTarget

SUBMITTED = "submitted"
WITHDRAWN = "withdrawn"
OPENED = "opened"
SUPPLEMENT_REQUESTED = "supplement_requested"
SUPPLEMENT_PROVIDED = "supplement_provided"
RECEIVED = "received"
CONSULTATION_REQUESTED = "consultation_requested"
COLLECTIVE_REJECTED = "collective_rejected"
APPROVED_VOTE = "approved_vote"
APPROVED_OVERRIDE = "approved_override"
REJECTED = "rejected"
FUNDING_VND = "funding_vnd"
IMPLEMENTATION_STARTED = "implementation_started"
PROGRESS_REPORTED = "progress_reported"
RISK_OF_DAMAGE = "risk_of_damage"
SUSPENDED = "suspended"
RESUMED = "resumed"
STOPPED = "stopped"
COMPLETION_REPORTED = "completion_reported"
COMPLETION_REPORT_LATE = "completion_report_late"
COMPLETION_AFTER_STOP = "completion_after_stop"
DAMAGE_REPORTED = "damage_reported"
EVALUATED = "evaluated"
EVALUATION_VOTE_FAILED = "evaluation_vote_failed"
OUTCOME_CAUSED_DAMAGE = "outcome_caused_damage"
GOOD_FAITH = "good_faith"
CONCLUSION_LATE = "conclusion_late"
RECOGNIZED = "recognized"
PROTECTION_REVOKED = "protection_revoked"
PROHIBITED_ACT_SUBSTANTIATED = "prohibited_act_substantiated"
CLOSED = "closed"

OUTCOME = "outcome:"
ENCOURAGEMENT = "encouragement:"
BENEFICIARY = "beneficiary:"
PROTECTION = "protection:"
PROHIBITED_ACT = "prohibited_act:"
DEADLINE_WARNING = "deadline_warning:"
BREACH = "breach:"
BREACH_WITHDRAWN = "breach_withdrawn:"
"""A breach recorded before the step was entered, whose legal date met the deadline."""
ENTERED_LATE = "entered_late:"
"""A step entered after its legal date (by event name): allowed, shown, never a breach."""
ESCALATED = "escalated:"
LATE_BY = "late_by:"
DAYS = "days:"
DAYS_LATE = "days_late:"
STATE = "state:"

STEPS: dict[str, str] = {
    "intake": "Tiếp nhận (từ khi gửi đến khi tiếp nhận)",
    "supplement_answer": "Bổ sung hồ sơ (từ khi yêu cầu đến khi bổ sung)",
    "review": "Xem xét, quyết định (từ khi tiếp nhận đến khi quyết định)",
    "implementation": "Thực hiện (từ khi bắt đầu đến khi hoàn thành)",
    "report": "Báo cáo kết quả (từ khi hoàn thành đến khi báo cáo)",
    "evaluation": "Họp đánh giá (từ khi báo cáo đến khi đánh giá)",
    "conclusion": "Ban hành kết luận (từ khi đánh giá đến khi kết luận)",
    "total": "Toàn bộ (từ khi gửi đến khi có kết luận)",
}
"""Steps whose duration in working days is counted (median, p90)."""

LATE_ENTRIES: dict[str, str] = {
    "plan-received": "Tiếp nhận kế hoạch đề xuất",
    "approval-meeting-held": "Họp tập thể lãnh đạo xem xét kế hoạch",
    "approved-by-override": "Quyết định cho phép thực hiện của người đứng đầu",
    "proposal-rejected": "Quyết định không phê duyệt",
    "implementation-started": "Bắt đầu thực hiện",
    "completion-reported": "Nhận báo cáo kết quả",
    "evaluation-meeting-held": "Họp đánh giá kết quả",
    "evaluation-concluded": "Ban hành kết luận đánh giá",
}
"""Steps with a legal date that may be entered after it (event name → how reports name it)."""

DEADLINES: dict[str, str] = {
    DeadlineName.INTAKE.value: "Tiếp nhận, kiểm tra hồ sơ",
    DeadlineName.SUPPLEMENT.value: "Bổ sung hồ sơ",
    DeadlineName.CONSULTATION.value: "Lấy ý kiến (khoản 2 Điều 8)",
    DeadlineName.APPROVAL.value: "Họp xem xét, phê duyệt (7 ngày làm việc, khoản 1 Điều 8)",
    DeadlineName.EVALUATION.value: "Họp đánh giá kết quả (7 ngày làm việc)",
    DeadlineName.CONCLUSION.value: "Ban hành kết luận đánh giá (3 ngày làm việc)",
}

STATES: dict[str, str] = {
    "SUBMITTED": "Đã gửi",
    CaseState.IN_INTAKE.value: "Đang tiếp nhận",
    CaseState.NEEDS_SUPPLEMENT.value: "Chờ bổ sung",
    CaseState.UNDER_REVIEW.value: "Đang xem xét",
    CaseState.IN_CONSULTATION.value: "Đang lấy ý kiến",
    CaseState.COLLECTIVE_REJECTED.value: "Tập thể không thông qua",
    CaseState.APPROVED.value: "Đã phê duyệt",
    CaseState.REJECTED.value: "Không phê duyệt",
    CaseState.WITHDRAWN.value: "Đã rút",
    CaseState.IN_IMPLEMENTATION.value: "Đang thực hiện",
    CaseState.SUSPENDED.value: "Tạm dừng",
    CaseState.STOPPED.value: "Dừng thực hiện",
    CaseState.COMPLETION_REPORTED.value: "Đã báo cáo kết quả",
    CaseState.EVALUATED.value: "Đã đánh giá",
    CaseState.CONCLUDED.value: "Đã kết luận",
    CaseState.RECOGNIZED.value: "Đã công nhận kết quả",
    CaseState.PROTECTION_DETERMINED.value: "Đã xác định bảo vệ",
    CaseState.CLOSED.value: "Đã lưu trữ",
    "UNKNOWN": "Chưa rõ",
}


OUTCOMES: dict[str, str] = {
    "COMPLETED": "Hoàn thành",
    "PARTIAL": "Hoàn thành một phần",
    "NOT_COMPLETED": "Không hoàn thành",
}

ENCOURAGEMENT_FORMS: dict[str, str] = {
    "PRAISE": "Biểu dương (điểm a khoản 1 Điều 10)",
    "COMMENDATION": "Khen thưởng (điểm a khoản 1 Điều 10)",
    "APPOINTMENT_PRIORITY": "Ưu tiên bổ nhiệm, quy hoạch (điểm b khoản 1 Điều 10)",
    "RANK_PROMOTION_MERIT": "Thành tích nâng ngạch (điểm c khoản 1 Điều 10)",
    "EARLY_SALARY_STEP_12M": "Nâng bậc lương trước 12 tháng (điểm c khoản 1 Điều 10)",
    "OTHER": "Hình thức khác (điểm d khoản 1 Điều 10)",
}

PROTECTION_TIERS: dict[str, str] = {
    "NO_LIABILITY": "Không bị xử lý trách nhiệm (khoản 1 Điều 11)",
    "LIABILITY_EXCLUDED": "Loại trừ trách nhiệm (khoản 2 Điều 11)",
    "EXCLUSION_EXEMPTION_OR_MITIGATION": "Xem xét loại trừ, miễn, giảm nhẹ (khoản 3 Điều 11)",
    "NONE": "Không thuộc trường hợp bảo vệ",
}

ESCALATION_TARGETS: dict[str, str] = {
    EscalationTarget.SUPERIOR_UNIT: "Cơ quan cấp trên",
    EscalationTarget.HOME_AFFAIRS: "Sở Nội vụ",
}

LEVELS: dict[str, str] = {
    "city": "Thuộc thẩm quyền UBND thành phố (điểm a khoản 3 Mục II Kế hoạch số 88/KH-UBND)",
    "agency": (
        "Thuộc thẩm quyền cơ quan, đơn vị, địa phương"
        " (điểm b khoản 3 Mục II Kế hoạch số 88/KH-UBND)"
    ),
}
