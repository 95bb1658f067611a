"""Báo cáo của Sở Nội vụ gửi Ủy ban nhân dân thành phố — Plan 88/KH-UBND IV.2.a.

"Giao Sở Nội vụ … tổng hợp, báo cáo Ủy ban nhân dân thành phố việc triển khai thực hiện Kế
hoạch này theo quy định" — city-wide figures for a quarter or a year, by management level
(Plan 88 II.3.a / II.3.b) and by agency, with deadline compliance and what is late now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from services.reporting.domain import metrics as m
from services.reporting.domain.periods import Period
from services.reporting.reports import common
from services.reporting.reports.common import Summary
from services.reporting.reports.document import (
    Column,
    Document,
    Report,
    Table,
    Text,
    count,
    percent,
    short_date,
)
from services.reporting.reports.names import Names


def build_city_summary(
    *,
    period: Period,
    totals: Summary,
    previous: Summary,
    by_level: Mapping[str, Summary],
    by_agency: Sequence[tuple[str, Summary, int]],
    late_units: Sequence[tuple[str, Mapping[str, int]]],
    overdue: Sequence[Mapping[str, Any]],
    names: Names,
    today: date,
    home_affairs_id: str,
) -> Report:
    """`by_agency`: (agency id, its summary, its open overdue items); `late_units`: (unit id,
    breaches by deadline) for units that answered for breached deadlines."""
    late_rows = []
    for n, (unit, breaches) in enumerate(late_units, start=1):
        row: dict[str, Any] = {"no": n, "unit": names.unit(unit), "unit_id": unit}
        row.update({code: breaches.get(code, 0) for code in m.DEADLINES})
        row["total"] = sum(breaches.values())
        late_rows.append(row)
    assessment = common.Assessment.of(totals, len(overdue))
    data: dict[str, Any] = {
        "report": "city-summary",
        "legal_basis": "KH 88/KH-UBND IV.2.a",
        "period": period.label,
        "as_of": today.isoformat(),
        "indicators": common.indicator_values(totals),
        "indicators_previous": common.indicator_values(previous),
        "summary": dict(totals),
        "by_level": {level: dict(s) for level, s in by_level.items()},
        "by_agency": [
            {
                "unit_id": unit,
                "name": names.unit(unit),
                "overdue_now": overdue_now,
                "indicators": common.indicator_values(s),
            }
            for unit, s, overdue_now in by_agency
        ],
        "late_units": [
            {"unit_id": r["unit_id"], "name": r["unit"], "breaches": dict(b)}
            for r, (_u, b) in zip(late_rows, late_units, strict=True)
        ],
        "overdue": [dict(r) for r in overdue],
        "assessment": assessment.achievements,
        "shortcomings": assessment.shortcomings,
        "recommendations": assessment.measures,
    }
    d = totals["decisions"]
    overview = (
        f"Trong {period.label_vi}, các cơ quan, đơn vị, địa phương đã tiếp nhận"
        f" {count(totals['submitted'])} đề xuất đổi mới, sáng tạo; phê duyệt"
        f" {count(d['approved'])}, không phê duyệt {count(d['rejected'])} (tỷ lệ phê duyệt"
        f" {percent(d['approval_rate'])}); {count(len(overdue))} việc đang quá hạn tại thời điểm"
        " báo cáo.",
        *assessment.achievements,
    )
    level_rows = [
        (m.LEVELS[level], by_level[level], None) for level in m.LEVELS if level in by_level
    ]
    late_units_table = Table(
        "V. ĐƠN VỊ CHỊU TRÁCH NHIỆM CÁC LƯỢT QUÁ HẠN",
        (
            Column("no", "STT", "int", 0.55),
            Column("unit", "Cơ quan, đơn vị", "text", 3.0),
            *(
                Column(code, label.split(" (")[0], "int", 0.9)
                for code, label in m.DEADLINES.items()
            ),
            Column("total", "Tổng", "int", 0.6),
        ),
        tuple(late_rows),
        sheet="Đơn vị quá hạn",
    )
    sections = (
        Text("I. TÌNH HÌNH CHUNG", overview),
        common.indicators_table(
            "II. CHỈ TIÊU TỔNG HỢP TOÀN THÀNH PHỐ",
            [
                ("this_period", period.label_vi.capitalize(), totals),
                ("previous", period.previous.label_vi.capitalize(), previous),
            ],
        ),
        common.flows_table(
            "III. KẾT QUẢ THEO CẤP QUẢN LÝ (khoản 3 Mục II Kế hoạch số 88/KH-UBND)",
            "Cấp quản lý",
            level_rows,
            sheet="Theo cấp",
            chart_title="Kết quả theo cấp quản lý",
        ),
        common.flows_table(
            "IV. KẾT QUẢ THEO CƠ QUAN, ĐƠN VỊ, ĐỊA PHƯƠNG",
            "Cơ quan, đơn vị",
            [(names.unit(unit), s, overdue_now) for unit, s, overdue_now in by_agency],
            sheet="Theo cơ quan",
            chart_title=f"Đề xuất, phê duyệt, hoàn thành theo cơ quan – {period.label_vi}",
        ),
        *common.follow_up_sections(
            totals,
            late=(late_units_table,),
            overdue=overdue,
            overdue_title="VI. VIỆC ĐANG QUÁ HẠN",
        ),
        Text("VII. HẠN CHẾ, TỒN TẠI", tuple(assessment.shortcomings)),
        Text("VIII. KIẾN NGHỊ, ĐỀ XUẤT", tuple(assessment.measures)),
    )
    document = Document(
        kind="city-summary",
        file_stem=f"bao-cao-snv-ubnd-tp-{period.label}",
        title="BÁO CÁO",
        subtitle=(
            "Tình hình thực hiện Kế hoạch số 88/KH-UBND về khuyến khích, bảo vệ cán bộ năng"
            " động, sáng tạo, dám nghĩ, dám làm, dám chịu trách nhiệm vì lợi ích chung –"
            f" {period.label_vi}"
        ),
        superior="ỦY BAN NHÂN DÂN THÀNH PHỐ CẦN THƠ",
        issuer="SỞ NỘI VỤ",
        sections=sections,
        recipient="Ủy ban nhân dân thành phố Cần Thơ",
        **common.issued_by(names, home_affairs_id, today),
        notes=(f"Số liệu từ hệ thống D73 đến ngày {short_date(today)}.",),
    )
    return Report(data, document)
