"""What a notification says, in Vietnamese: one set of lines, rendered as plain text and HTML.

Every message names the case by its title and ends with a link to the case page in the portal
(the proposer's own proposal page, or the authority's case page).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from services.reporting.notifications.kinds import Kind
from shared.contracts import approval as c
from shared.contracts.base import IntegrationEvent
from shared.contracts.vocabulary import DeadlineName

DEADLINE_VI: dict[DeadlineName, str] = {
    DeadlineName.INTAKE: "tiếp nhận, kiểm tra hồ sơ",
    DeadlineName.SUPPLEMENT: "bổ sung hồ sơ",
    DeadlineName.CONSULTATION: "lấy ý kiến",
    DeadlineName.APPROVAL: "xem xét, phê duyệt kế hoạch (khoản 1 Điều 8)",
    DeadlineName.EVALUATION: "họp đánh giá kết quả (khoản 2 Điều 9)",
    DeadlineName.CONCLUSION: "ban hành kết luận đánh giá",
}
"""Every running clock (`CASE_CLOCKS`) by its Vietnamese name."""
OUTCOME_VI = {
    "COMPLETED": "hoàn thành",
    "PARTIAL": "hoàn thành một phần",
    "NOT_COMPLETED": "không hoàn thành",
}
TIER_VI = {
    "NO_LIABILITY": "không phải chịu trách nhiệm",
    "LIABILITY_EXCLUDED": "được loại trừ trách nhiệm",
    "EXCLUSION_EXEMPTION_OR_MITIGATION": "được xem xét loại trừ, miễn hoặc giảm nhẹ trách nhiệm",
    "NONE": "không thuộc trường hợp được bảo vệ",
}
FORM_VI = {
    "PRAISE": "biểu dương",
    "COMMENDATION": "khen thưởng",
    "APPOINTMENT_PRIORITY": "ưu tiên khi xem xét bổ nhiệm",
    "RANK_PROMOTION_MERIT": "xét nâng ngạch, thăng hạng",
    "EARLY_SALARY_STEP_12M": "nâng bậc lương trước thời hạn 12 tháng",
    "OTHER": "hình thức khác",
}


def day_vi(day: date | None) -> str:
    return "" if day is None else day.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class Letter:
    """A notification's words: subject, body lines, and the link to the case page."""

    subject: str
    lines: tuple[str, ...]
    link: str

    def text(self, name: str) -> str:
        greeting = f"Kính gửi {name}," if name else "Kính gửi ông/bà,"
        body = "\n".join(self.lines)
        return (
            f"{greeting}\n\n{body}\n\nXem hồ sơ: {self.link}\n\n"
            "-- \nHệ thống D73 (Nghị định số 73/2023/NĐ-CP). Thư này được gửi tự động; "
            "tùy chọn nhận thông báo ở mục Thông báo trên cổng thông tin.\n"
        )

    def html(self, name: str) -> str:
        greeting = f"Kính gửi {html.escape(name)}," if name else "Kính gửi ông/bà,"
        paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in self.lines)
        link = html.escape(self.link, quote=True)
        return (
            '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.subject)}</title></head><body>"
            f"<p>{greeting}</p>{paragraphs}"
            f'<p><a href="{link}">Xem hồ sơ</a></p>'
            "<hr><p><small>Hệ thống D73 (Nghị định số 73/2023/NĐ-CP). Thư này được gửi tự động; "
            "tùy chọn nhận thông báo ở mục Thông báo trên cổng thông tin.</small></p>"
            "</body></html>"
        )


def _days(left: int | None) -> str:
    if left is None:
        return ""
    if left < 0:
        return f" (đã quá {-left} ngày làm việc)"
    return f" (còn {left} ngày làm việc)"


def lines_for(
    kind: Kind,
    event: IntegrationEvent,
    *,
    title: str,
    unit_name: str,
    escalated_to_name: str = "",
    days_left: int | None = None,
) -> tuple[str, ...]:
    """The body of one notification of `kind` about `event`."""
    plan = f"Kế hoạch đề xuất «{title}»"
    e = event
    if kind is Kind.ROUTED and isinstance(e, c.CaseOpened):
        due = f" Hạn tiếp nhận, kiểm tra hồ sơ: {day_vi(e.intake_due)}." if e.intake_due else ""
        return (f"{plan} đã được chuyển đến {unit_name} để xem xét.{due}",)
    if kind is Kind.PLAN_ARRIVED and isinstance(e, c.CaseOpened):
        who = e.proposer.name if e.proposer else "cán bộ"
        unit = f" ({e.proposer.unit_name})" if e.proposer and e.proposer.unit_name else ""
        due = f" Hạn tiếp nhận, kiểm tra hồ sơ: {day_vi(e.intake_due)}." if e.intake_due else ""
        return (f"{plan} của {who}{unit} đã được gửi đến {unit_name}.{due}",)
    if kind is Kind.SUPPLEMENT_REQUESTED and isinstance(e, c.SupplementRequested):
        return (
            f"Cơ quan tiếp nhận yêu cầu bổ sung hồ sơ của {plan.lower()}.",
            "Nội dung cần bổ sung: " + "; ".join(e.items) + ".",
            f"Lý do: {e.reason}",
            f"Hạn bổ sung: {day_vi(e.due)}{_days(days_left)}.",
        )
    if kind is Kind.SUPPLEMENT_ANSWERED and isinstance(e, c.SupplementProvided):
        changed = ", ".join(e.changed_fields) or "tài liệu kèm theo"
        return (
            f"Cán bộ đề xuất đã bổ sung hồ sơ của {plan.lower()} ({changed}).",
            f"Hạn tiếp nhận, kiểm tra hồ sơ: {day_vi(e.intake_due)}.",
        )
    if kind is Kind.OPINION_RECEIVED and isinstance(e, c.ConsultationOpinionReceived):
        return (f"Đã nhận ý kiến tham gia về {plan.lower()} (văn bản {e.doc_ref}).",)
    if kind is Kind.OPINION_RECEIVED and isinstance(e, c.PartyCommitteeOpinionReceived):
        return (f"Đã nhận ý kiến của cấp ủy về {plan.lower()} (văn bản {e.doc_ref}).",)
    if kind is Kind.DECISION:
        return _decision(e, plan)
    if kind is Kind.DIRECTION:
        return _direction(e, plan)
    if kind is Kind.EVALUATION and isinstance(e, c.EvaluationConcluded):
        return (
            f"Kết quả thực hiện {plan.lower()} được đánh giá là "
            f"{OUTCOME_VI.get(e.outcome, e.outcome)} (kết luận {e.conclusion_ref}).",
        )
    if kind is Kind.ENCOURAGEMENT and isinstance(e, c.EncouragementGranted):
        who = e.beneficiary.name or "cán bộ"
        return (
            f"{who} được {FORM_VI.get(e.form, e.form)} vì đã đề xuất, thực hiện {plan.lower()} "
            f"(quyết định {e.decision_ref}).",
        )
    if kind is Kind.PROTECTION and isinstance(e, c.ProtectionDetermined):
        return (
            f"Về {plan.lower()}, cán bộ {TIER_VI.get(e.tier, e.tier)} "
            f"(quyết định {e.decision_ref}, Điều 11 Nghị định số 73/2023/NĐ-CP).",
        )
    if isinstance(e, c.DeadlineApproaching | c.DeadlineBreached):
        step = DEADLINE_VI.get(DeadlineName(e.deadline), e.deadline)
        if kind is Kind.DEADLINE_APPROACHING:
            return (f"Sắp đến hạn {step} của {plan.lower()}: {day_vi(e.due)}{_days(days_left)}.",)
        late = f"Đã quá hạn {step} của {plan.lower()} (hạn {day_vi(e.due)}){_days(days_left)}."
        if kind is Kind.ESCALATED:
            to = escalated_to_name or "cơ quan cấp trên"
            return (
                late,
                f"Việc chậm trễ đã được báo cáo đến {to} và Sở Nội vụ để theo dõi, đôn đốc.",
            )
        return (late,)
    return (f"{plan}: {kind.label_vi}.",)


def _decision(e: IntegrationEvent, plan: str) -> tuple[str, ...]:
    if isinstance(e, c.ApprovalMeetingHeld):
        if e.vote.outcome == "PASSED":
            return (f"{plan} đã được tập thể lãnh đạo thông qua (quyết định {e.decision_ref}).",)
        return (
            f"{plan} chưa được tập thể lãnh đạo thông qua "
            f"({e.vote.votes_for} tán thành / {e.vote.votes_cast or 0} phiếu).",
        )
    if isinstance(e, c.ApprovedByOverride):
        return (f"{plan} đã được phê duyệt (quyết định {e.decision_ref}).",)
    if isinstance(e, c.ProposalRejected):
        return _with_reasons(
            f"{plan} không được phê duyệt (quyết định {e.decision_ref}).", e.reasons
        )
    return (f"{plan}: có quyết định mới.",)


def _direction(e: IntegrationEvent, plan: str) -> tuple[str, ...]:
    if isinstance(e, c.ImplementationResumed):
        return (f"Có chỉ đạo tiếp tục thực hiện {plan.lower()} (văn bản {e.decision_ref}).",)
    if isinstance(e, c.ImplementationSuspended | c.ImplementationStopped):
        what = "tạm dừng" if isinstance(e, c.ImplementationSuspended) else "dừng"
        return _with_reasons(
            f"Có chỉ đạo {what} thực hiện {plan.lower()} (văn bản {e.decision_ref}).", e.reasons
        )
    return (f"{plan}: có chỉ đạo mới.",)


def _with_reasons(line: str, reasons: Sequence[str]) -> tuple[str, ...]:
    """A decision or direction, then the reasons it gives (Lý do)."""
    return (line, "Lý do: " + "; ".join(reasons) + ".")


def subject_for(kind: Kind, title: str) -> str:
    short = title if len(title) <= 80 else title[:79] + "…"
    return f"[D73] {kind.label_vi}: {short}"
