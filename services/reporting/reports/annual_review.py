"""Báo cáo rà soát, tổng kết hằng năm of one agency — Plan 88/KH-UBND IV.1.d.

"Định kỳ hàng năm tiến hành rà soát, tổng kết, đánh giá kết quả thực hiện kế hoạch, phân tích
những mặt được, mặt hạn chế, chất lượng các chỉ tiêu, nhiệm vụ đã làm được, rút kinh nghiệm, đề
ra biện pháp khắc phục những tồn tại, hạn chế." The figures are the agency's own proposals
(its officials' and its divisions'), compared with the year before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from services.reporting.reports import common
from services.reporting.reports.common import Summary
from services.reporting.reports.document import (
    Column,
    Document,
    Report,
    Table,
    Text,
    count,
    short_date,
)
from services.reporting.reports.names import Names


def build_annual_review(
    *,
    unit_id: str,
    year: int,
    this_year: Summary,
    last_year: Summary,
    quarters: Mapping[int, Summary],
    late_people: Mapping[str, int],
    overdue: Sequence[Mapping[str, Any]],
    names: Names,
    today: date,
) -> Report:
    unit_name = names.unit(unit_id)
    superior = names.superior(unit_id)
    quarter_rows: list[tuple[str, Summary, int | None]] = [
        (f"Quý {q}", quarters[q], None) for q in sorted(quarters)
    ]
    late_rows = [
        {"no": n, "person": names.person(person), "person_id": person, "breaches": times}
        for n, (person, times) in enumerate(late_people.items(), start=1)
    ]
    assessment = common.Assessment.of(this_year, len(overdue))
    data: dict[str, Any] = {
        "report": "annual-review",
        "legal_basis": "KH 88/KH-UBND IV.1.d",
        "unit": {"id": unit_id, "name": unit_name},
        "year": year,
        "as_of": today.isoformat(),
        "indicators": common.indicator_values(this_year),
        "indicators_last_year": common.indicator_values(last_year),
        "summary": dict(this_year),
        "summary_last_year": dict(last_year),
        "quarters": {str(q): dict(s) for q, s in quarters.items()},
        "late_people": [
            {"person_id": r["person_id"], "name": r["person"], "breaches": r["breaches"]}
            for r in late_rows
        ],
        "overdue": [dict(r) for r in overdue],
        "achievements": assessment.achievements,
        "shortcomings": assessment.shortcomings,
        "measures": assessment.measures,
    }
    late_people_table = Table(
        "Người chịu trách nhiệm các lượt quá hạn",
        (
            Column("no", "STT", "int", 0.55),
            Column("person", "Người chịu trách nhiệm", "text", 4.0),
            Column("breaches", "Số lượt quá hạn", "int"),
        ),
        tuple(late_rows),
        sheet="Người quá hạn",
    )
    sections = (
        Text(
            "I. KẾT QUẢ ĐẠT ĐƯỢC (MẶT ĐƯỢC)",
            (
                f"Năm {year}, {unit_name} triển khai Nghị định số 73/2023/NĐ-CP và Kế hoạch số"
                " 88/KH-UBND ngày 23/4/2024 của Ủy ban nhân dân thành phố Cần Thơ với kết quả:",
                *assessment.achievements,
            ),
        ),
        Text("II. HẠN CHẾ, TỒN TẠI (MẶT HẠN CHẾ)", tuple(assessment.shortcomings)),
        common.indicators_table(
            "III. CHẤT LƯỢNG CÁC CHỈ TIÊU",
            [("this_year", f"Năm {year}", this_year), ("last_year", f"Năm {year - 1}", last_year)],
        ),
        common.flows_table(
            "IV. KẾT QUẢ THEO QUÝ",
            "Quý",
            quarter_rows,
            sheet="Theo quý",
            chart_title=f"Đề xuất, phê duyệt, hoàn thành theo quý năm {year}",
        ),
        *common.follow_up_sections(
            this_year,
            late=(common.late_entries_table(this_year), late_people_table),
            overdue=overdue,
            overdue_title="Việc đang quá hạn tại thời điểm báo cáo",
        ),
        Text("V. BÀI HỌC KINH NGHIỆM, BIỆN PHÁP KHẮC PHỤC", tuple(assessment.measures)),
    )
    document = Document(
        kind="annual-review",
        file_stem=f"bao-cao-ra-soat-{unit_id}-{year}",
        title=f"BÁO CÁO RÀ SOÁT, TỔNG KẾT, ĐÁNH GIÁ KẾT QUẢ NĂM {year}",
        subtitle=(
            "Thực hiện quy định về khuyến khích, bảo vệ cán bộ năng động, sáng tạo, dám nghĩ,"
            " dám làm, dám chịu trách nhiệm vì lợi ích chung (điểm d khoản 1 Mục IV Kế hoạch số"
            " 88/KH-UBND)"
        ),
        superior=names.unit(superior).upper() if superior else "ỦY BAN NHÂN DÂN THÀNH PHỐ CẦN THƠ",
        issuer=unit_name.upper(),
        sections=sections,
        recipient="Sở Nội vụ thành phố Cần Thơ",
        **common.issued_by(names, unit_id, today),
        notes=(
            f"Số liệu từ hệ thống D73 đến ngày {short_date(today)};"
            f" {count(this_year['submitted'])} đề xuất gửi trong năm {year}.",
        ),
    )
    return Report(data, document)
