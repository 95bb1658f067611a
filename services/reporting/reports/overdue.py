"""Danh sách quá hạn — what is late, by whom, since when, escalated to whom (for Sở Nội vụ).

Plan 88 IV.2.c: the Department of Home Affairs monitors, inspects and urges (theo dõi, kiểm tra,
đôn đốc). Each row is a statutory deadline that passed and is still open.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from services.reporting.domain import metrics as m
from services.reporting.reports.document import (
    Column,
    Document,
    Report,
    Table,
    Text,
    short_date,
    vietnamese_date,
)
from services.reporting.reports.names import Names

COLUMNS = (
    Column("no", "STT", "int", 0.55),
    Column("title", "Đề xuất", "text", 1.8),
    Column("proposer", "Người đề xuất", "text", 1.2),
    Column("unit", "Cơ quan, đơn vị", "text", 1.6),
    Column("step", "Bước quá hạn", "text", 1.6),
    Column("due", "Hạn xử lý", "date", 0.9),
    Column("late_since", "Quá hạn từ ngày", "date", 0.9),
    Column("working_days_overdue", "Số ngày làm việc quá hạn", "int", 0.8),
    Column("responsible", "Người, đơn vị chịu trách nhiệm", "text", 1.6),
    Column("escalated_to", "Đã báo cáo đến", "text", 1.4),
    Column("legal_basis", "Căn cứ", "citation", 1.6),
    Column("note", "Ghi chú", "text", 0.8),
)


def build_overdue_list(
    rows: Sequence[Mapping[str, Any]],
    *,
    today: date,
    names: Names,
    scope: str = "",
    entered_late: Mapping[str, int] | None = None,
) -> Report:
    """`rows` are open breaches with `working_days_overdue` as of `today` (most overdue first);
    `entered_late` counts this year's steps entered after their legal date, by step."""
    items = overdue_rows(rows, names)
    late_entries = {k: v for k, v in (entered_late or {}).items() if v}
    data = {
        "report": "overdue",
        "as_of": today.isoformat(),
        "scope": scope,
        "count": len(items),
        "rows": items,
        "entered_late": late_entries,
    }
    lines = (
        f"Tính đến ngày {short_date(today)} có {len(items)} việc quá hạn chưa được xử lý"
        + (f" ({scope})." if scope else "."),
        "Số ngày quá hạn tính theo ngày làm việc, theo bộ quy tắc áp dụng cho từng hồ sơ.",
        "Thời hạn tính theo ngày thực hiện từng bước (ngày họp, ngày ký, ngày nhận báo cáo);"
        " bước đã làm đúng hạn nhưng nhập vào hệ thống muộn không bị tính là quá hạn.",
        f"Từ đầu năm {today.year} có {sum(late_entries.values())} lượt nhập muộn so với ngày"
        " thực hiện"
        + (
            ": "
            + "; ".join(
                f"{m.LATE_ENTRIES.get(step, step)}: {times}"
                for step, times in sorted(late_entries.items())
            )
            + "."
            if late_entries
            else "."
        ),
        *withdrawn_rule_set_lines(items),
    )
    document = Document(
        kind="overdue",
        file_stem=f"danh-sach-qua-han-{today.isoformat()}",
        title="DANH SÁCH HỒ SƠ ĐỀ XUẤT QUÁ HẠN",
        subtitle=f"(tính đến ngày {short_date(today)})",
        superior="ỦY BAN NHÂN DÂN THÀNH PHỐ CẦN THƠ",
        issuer="SỞ NỘI VỤ",
        place_date=vietnamese_date(today),
        sections=(
            Text("Tổng hợp", lines),
            Table("Danh sách việc quá hạn", COLUMNS, tuple(items), sheet="Quá hạn"),
        ),
        signed_paper=False,
    )
    return Report(data, document)


def overdue_rows(rows: Sequence[Mapping[str, Any]], names: Names) -> list[dict[str, Any]]:
    """Open breaches as people read them: names, the step, the escalation in words."""
    ordered = sorted(
        rows,
        key=lambda r: (-int(r.get("working_days_overdue") or 0), str(r["due"]), r["proposal_id"]),
    )
    items = []
    for n, row in enumerate(ordered, start=1):
        escalation = row.get("escalated_to")
        items.append(
            {
                "no": n,
                "proposal_id": row["proposal_id"],
                "title": row.get("title", ""),
                "proposer_id": row.get("proposer_id"),
                "proposer": row.get("proposer_name") or names.person(row.get("proposer_id")),
                "unit_id": row.get("unit_id"),
                "unit": names.unit(row.get("unit_id")),
                "level": row.get("level"),
                "state": row.get("state"),
                "deadline": row["deadline"],
                "step": m.DEADLINES.get(row["deadline"], row["deadline"]),
                "due": row["due"],
                "late_since": row.get("late_since") or row.get("breached_on"),
                "working_days_overdue": row.get("working_days_overdue"),
                "responsible_user_id": row.get("responsible_user_id"),
                "responsible_unit_id": row.get("responsible_unit_id"),
                "responsible": _responsible(row, names),
                "escalated_to": _escalation(escalation, names),
                "escalation": escalation,
                "legal_basis": row.get("legal_basis") or "",
                "rule_set_version": row.get("rule_set_version"),
                "rule_set_note": row.get("rule_set_note"),
                "note": (
                    f"Mở theo bộ quy tắc {row.get('rule_set_version')} đã rút"
                    if row.get("rule_set_note")
                    else ""
                ),
            }
        )
    return items


def withdrawn_rule_set_lines(items: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """Each withdrawn rule set's note once, with the rows it concerns (issue #14 point 7)."""
    rows_of: dict[str, list[str]] = {}
    for item in items:
        if item.get("rule_set_note"):
            rows_of.setdefault(str(item["rule_set_note"]), []).append(str(item["no"]))
    return tuple(f"Ghi chú (STT {', '.join(numbers)}): {note}" for note, numbers in rows_of.items())


def _responsible(row: Mapping[str, Any], names: Names) -> str:
    person = names.person(row.get("responsible_user_id"))
    unit = names.unit(row.get("responsible_unit_id"))
    return " – ".join(part for part in (person, unit) if part)


def _escalation(escalation: Mapping[str, Any] | None, names: Names) -> str:
    if not escalation:
        return ""
    target = m.ESCALATION_TARGETS.get(str(escalation.get("target")), str(escalation.get("target")))
    unit = names.unit(escalation.get("unit_id"))
    return f"{target}: {unit}" if unit else target
