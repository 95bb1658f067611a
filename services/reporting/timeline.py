"""Diễn biến hồ sơ — one proposal's events from every service, merged in the order they happened.

Each line says who did what, when, on which legal basis, under which rule-set version, and which
written documents (decisions, minutes, conclusions, attachments) it rests on.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.reporting.domain.periods import local_day

EVENT_NAMES_VI: dict[str, str] = {
    "d73.proposal.submitted.v1": "Gửi kế hoạch đề xuất",
    "d73.proposal.supplemented.v1": "Bổ sung kế hoạch đề xuất",
    "d73.proposal.withdrawn.v1": "Rút đề xuất",
    "d73.case.opened.v1": "Mở hồ sơ, tiếp nhận ban đầu",
    "d73.case.supplement-requested.v1": "Yêu cầu bổ sung hồ sơ",
    "d73.case.supplement-provided.v1": "Hồ sơ đã được bổ sung",
    "d73.case.plan-received.v1": "Tiếp nhận kế hoạch đề xuất",
    "d73.case.consultation-requested.v1": "Lấy ý kiến cơ quan, chuyên gia",
    "d73.case.consultation-opinion-received.v1": "Nhận ý kiến góp ý",
    "d73.case.consultation-closed.v1": "Kết thúc lấy ý kiến",
    "d73.case.party-committee-opinion-requested.v1": "Xin ý kiến cấp ủy cùng cấp",
    "d73.case.party-committee-opinion-received.v1": "Nhận ý kiến cấp ủy cùng cấp",
    "d73.case.approval-meeting-held.v1": "Họp tập thể lãnh đạo xem xét đề xuất",
    "d73.case.approved-by-override.v1": "Người đứng đầu quyết định cho thực hiện",
    "d73.case.proposal-rejected.v1": "Quyết định không phê duyệt",
    "d73.case.proposal-withdrawn.v1": "Hồ sơ đóng do rút đề xuất",
    "d73.case.resources-allocated.v1": "Bảo đảm nguồn lực thực hiện",
    "d73.case.implementation-started.v1": "Bắt đầu thực hiện",
    "d73.case.progress-reported.v1": "Báo cáo tiến độ",
    "d73.case.implementation-suspended.v1": "Tạm dừng thực hiện",
    "d73.case.implementation-resumed.v1": "Tiếp tục thực hiện",
    "d73.case.implementation-stopped.v1": "Dừng thực hiện",
    "d73.case.completion-reported.v1": "Báo cáo kết quả thực hiện",
    "d73.case.evaluation-meeting-held.v1": "Họp đánh giá kết quả",
    "d73.case.evaluation-concluded.v1": "Ban hành kết luận đánh giá",
    "d73.case.result-recognized.v1": "Công nhận kết quả",
    "d73.case.encouragement-granted.v1": "Áp dụng biện pháp khuyến khích",
    "d73.case.protection-determined.v1": "Xác định biện pháp bảo vệ",
    "d73.case.prohibited-act-reported.v1": "Phản ánh hành vi bị nghiêm cấm",
    "d73.case.prohibited-act-finding-recorded.v1": "Kết luận về hành vi bị nghiêm cấm",
    "d73.case.deadline-approaching.v1": "Nhắc hạn",
    "d73.case.deadline-breached.v1": "Quá hạn",
    "d73.case.case-closed.v1": "Lưu trữ hồ sơ",
}

SERVICE_OF_STREAM = {"D73_REGISTRATION": "registration", "D73_APPROVAL": "approval"}
_REFERENCE_KEYS = ("_ref", "_refs")


def document_refs(body: Mapping[str, Any]) -> list[str]:
    """Số hiệu văn bản: every `…_ref`/`…_refs` value and attachment name in the event, in order."""
    found: list[str] = []

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(v, str(k))
        elif isinstance(value, list):
            if key == "attachments":
                for item in value:
                    name = item.get("name") if isinstance(item, Mapping) else item
                    if name:
                        found.append(str(name))
                return
            for item in value:
                walk(item, key)
        elif key.endswith(_REFERENCE_KEYS) and isinstance(value, str) and value:
            found.append(value)

    walk(body)
    return list(dict.fromkeys(found))


_LEGAL_DATE_KEYS = (
    "signed_on",
    "issued_on",
    "reported_on",
    "received_on",
    "supplemented_on",
    "start_date",
)
"""The fields that hold a step's legal date: a decision's signature, the conclusion's issue,
the completion report's receipt (not the completion it reports), the plan's receipt…"""


def legal_date(body: Mapping[str, Any]) -> str | None:
    """The step's legal date (plan received, meeting held, decision signed, start, report
    received, conclusion issued) when the event records one apart from the moment it was
    entered; None otherwise."""
    vote = body.get("vote")
    if isinstance(vote, Mapping) and vote.get("held_on"):
        return str(vote["held_on"])
    for key in _LEGAL_DATE_KEYS:
        if body.get(key):
            return str(body[key])
    return None


def timeline_of(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries merged by when they happened; ties keep each stream's own order."""
    ordered = sorted(
        entries,
        key=lambda e: (
            datetime.fromisoformat(e["occurred_at"]),
            e.get("upstream_stream", ""),
            e.get("upstream_seq", 0),
        ),
    )
    lines = []
    for entry in ordered:
        body = entry["body"]
        actor = entry.get("actor") or {}
        day = local_day(entry["occurred_at"])
        legal = legal_date(body)
        lines.append(
            {
                "occurred_at": entry["occurred_at"],
                "local_day": day,
                # Entered after its legal date: allowed, and shown (never moves a deadline).
                "legal_date": legal,
                "entered_late": bool(body.get("entered_late"))
                or (legal is not None and legal < str(day)),
                "service": SERVICE_OF_STREAM.get(entry.get("upstream_stream", ""), "?"),
                "type": entry["type"],
                "what": EVENT_NAMES_VI.get(entry["type"], entry["type"]),
                "state_after": body.get("state"),
                "who": {
                    "user_id": actor.get("user_id"),
                    "name": actor.get("name", ""),
                    "unit_id": actor.get("unit_id", ""),
                    "roles": actor.get("roles", []),
                },
                "legal_basis": entry.get("legal_basis"),
                "rule_set_version": entry.get("rule_set_version"),
                "documents": document_refs(body),
                "event_id": entry["event_id"],
                "upstream": {
                    "stream": entry.get("upstream_stream"),
                    "seq": entry.get("upstream_seq"),
                    "position": entry.get("upstream_position"),
                },
            }
        )
    return lines
