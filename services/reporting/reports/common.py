"""Parts the annual review and the summary report share: indicator rows, tables, assessments."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypedDict

from services.reporting.domain import metrics as m
from services.reporting.reports.document import (
    Chart,
    Column,
    Section,
    Table,
    Text,
    count,
    days,
    percent,
    vietnamese_date,
)
from services.reporting.reports.names import Names, number_line, signer_title
from services.reporting.reports.overdue import COLUMNS as OVERDUE_COLUMNS
from services.reporting.reports.overdue import withdrawn_rule_set_lines
from shared.contracts.vocabulary import DeadlineName

Summary = Mapping[str, Any]


def _protected(s: Summary) -> int:
    tiers = s["protection"]["tiers"]
    return int(sum(v for k, v in tiers.items() if k != "NONE"))


INDICATORS: tuple[tuple[str, str, str, Callable[[Summary], Any]], ...] = (
    ("submitted", "Số đề xuất đăng ký, gửi", "int", lambda s: s["submitted"]),
    (
        "leader_proposals",
        "  trong đó: của cán bộ lãnh đạo, quản lý (Điều 2)",
        "int",
        lambda s: s["leader_proposals"],
    ),
    (
        "staff_initiatives",
        "  trong đó: sáng kiến của công chức, viên chức, người lao động",
        "int",
        lambda s: s["staff_initiatives"],
    ),
    ("approved", "Số đề xuất được phê duyệt", "int", lambda s: s["decisions"]["approved"]),
    (
        "approved_by_override",
        "  trong đó: người đứng đầu quyết định (khoản 1 Điều 8)",
        "int",
        lambda s: s["decisions"]["approved_by_override"],
    ),
    ("rejected", "Số đề xuất không được phê duyệt", "int", lambda s: s["decisions"]["rejected"]),
    ("withdrawn", "Số đề xuất rút", "int", lambda s: s["decisions"]["withdrawn"]),
    ("approval_rate", "Tỷ lệ phê duyệt", "percent", lambda s: s["decisions"]["approval_rate"]),
    (
        "override_rate",
        "Tỷ lệ phê duyệt do người đứng đầu quyết định",
        "percent",
        lambda s: s["decisions"]["override_rate"],
    ),
    (
        "implementation_started",
        "Số đề xuất bắt đầu thực hiện",
        "int",
        lambda s: s["implementation"]["started"],
    ),
    ("suspended", "Số lượt tạm dừng thực hiện", "int", lambda s: s["implementation"]["suspended"]),
    ("stopped", "Số đề xuất dừng thực hiện", "int", lambda s: s["implementation"]["stopped"]),
    (
        "completed",
        "Kết quả đánh giá: hoàn thành",
        "int",
        lambda s: s["evaluation"]["outcomes"]["COMPLETED"],
    ),
    (
        "partial",
        "Kết quả đánh giá: hoàn thành một phần",
        "int",
        lambda s: s["evaluation"]["outcomes"]["PARTIAL"],
    ),
    (
        "not_completed",
        "Kết quả đánh giá: không hoàn thành",
        "int",
        lambda s: s["evaluation"]["outcomes"]["NOT_COMPLETED"],
    ),
    (
        "caused_damage",
        "  trong đó: có gây thiệt hại",
        "int",
        lambda s: s["evaluation"]["caused_damage"],
    ),
    ("recognized", "Số kết quả được công nhận", "int", lambda s: s["evaluation"]["recognized"]),
    (
        "encouragements",
        "Số lượt áp dụng biện pháp khuyến khích (Điều 10)",
        "int",
        lambda s: s["encouragement"]["total"],
    ),
    ("protected", "Số trường hợp được bảo vệ (khoản 1–3 Điều 11)", "int", _protected),
    (
        "breaches",
        "Số lượt quá hạn",
        "int",
        lambda s: s["deadlines"]["breaches_total"],
    ),
    (
        "completion_report_late",
        "Số báo cáo kết quả nộp muộn",
        "int",
        lambda s: s["implementation"]["completion_report_late"],
    ),
    (
        "review_median",
        "Thời gian xem xét, quyết định: một nửa số hồ sơ xong trong (ngày làm việc)",
        "int",
        lambda s: s["days"].get("review", {}).get("median"),
    ),
    (
        "review_p90",
        "Thời gian xem xét, quyết định: 9/10 số hồ sơ xong trong (ngày làm việc)",
        "int",
        lambda s: s["days"].get("review", {}).get("p90"),
    ),
    (
        "funding_vnd",
        "Kinh phí bảo đảm thực hiện (đồng)",
        "money",
        lambda s: s["implementation"]["funding_vnd"],
    ),
)


def indicator_values(summary: Summary) -> dict[str, Any]:
    return {key: get(summary) for key, _label, _kind, get in INDICATORS}


def indicators_table(
    title: str, columns: Sequence[tuple[str, str, Summary]], *, sheet: str = "Chỉ tiêu"
) -> Table:
    """Indicator rows × one column per (key, heading, summary)."""
    values = {key: indicator_values(summary) for key, _heading, summary in columns}
    rows = []
    for n, (key, label, kind, _get) in enumerate(INDICATORS, start=1):
        row: dict[str, Any] = {"no": n, "indicator": label, "kind": kind, "key": key}
        for column_key, _heading, _summary in columns:
            row[column_key] = values[column_key][key]
        rows.append(row)
    cols = [Column("no", "STT", "int", 0.55), Column("indicator", "Chỉ tiêu", "text", 4.0)]
    cols += [Column(key, heading, "mixed", 1.2) for key, heading, _ in columns]
    return Table(title, tuple(cols), tuple(rows), sheet=sheet)


def steps_table(summary: Summary) -> Table:
    rows = []
    for step, label in m.STEPS.items():
        stats = summary["days"].get(step)
        if not stats:
            continue
        rows.append(
            {
                "step": label,
                "count": stats["count"],
                "median": stats["median"],
                "p90": stats["p90"],
                "max": stats["max"],
            }
        )
    return Table(
        "Thời gian thực hiện từng bước (ngày làm việc)",
        (
            Column("step", "Bước", "text", 4.0),
            Column("count", "Số lượt", "int"),
            Column("median", "Một nửa số lượt xong trong", "int"),
            Column("p90", "9/10 số lượt xong trong", "int"),
            Column("max", "Lâu nhất", "int"),
        ),
        tuple(rows),
        sheet="Thời gian",
    )


def encouragement_table(summary: Summary) -> Table:
    return _counts_table(
        "Biện pháp khuyến khích đã áp dụng (Điều 10)",
        Column("form", "Hình thức", "text", 4.0),
        Column("count", "Số lượt", "int"),
        m.ENCOURAGEMENT_FORMS,
        summary["encouragement"]["forms"],
        sheet="Khuyến khích",
    )


def protection_table(summary: Summary) -> Table:
    revoked = {
        "tier": "Bảo vệ bị thu hồi do vi phạm Điều 6",
        "count": summary["protection"]["revoked"],
    }
    return _counts_table(
        "Kết quả xác định biện pháp bảo vệ (Điều 11)",
        Column("tier", "Mức bảo vệ", "text", 4.0),
        Column("count", "Số trường hợp", "int"),
        m.PROTECTION_TIERS,
        summary["protection"]["tiers"],
        sheet="Bảo vệ",
        last=revoked,
    )


def _counts_table(
    title: str,
    name: Column,
    number: Column,
    labels: Mapping[str, str],
    counts: Mapping[str, int],
    *,
    sheet: str,
    last: dict[str, Any] | None = None,
) -> Table:
    """One row per code of `labels` (its label, its count; 0 when none), and `last` after."""
    rows = [{name.key: label, number.key: counts.get(code, 0)} for code, label in labels.items()]
    return Table(title, (name, number), (*rows, *([] if last is None else [last])), sheet=sheet)


def breaches_table(summary: Summary) -> Table:
    breaches = summary["deadlines"]["breaches"]
    late = summary["deadlines"]["days_late"]
    rows = [
        {
            "step": label,
            "breaches": breaches.get(code, 0),
            "late_median": late.get(code, {}).get("median"),
        }
        for code, label in m.DEADLINES.items()
    ]
    return Table(
        "Chấp hành thời hạn theo từng bước",
        (
            Column("step", "Bước", "text", 4.0),
            Column("breaches", "Số lượt quá hạn", "int"),
            Column("late_median", "Một nửa số lượt trễ không quá (ngày làm việc)", "int"),
        ),
        tuple(rows),
        sheet="Thời hạn",
    )


def late_entries_table(summary: Summary) -> Table:
    """Steps entered after their legal date: allowed and counted by that date (a head who
    complied is never late), but shown, so that late record-keeping is seen and mended."""
    entered = summary["deadlines"]["entered_late"]
    withdrawn = summary["deadlines"]["breaches_withdrawn"]
    rows = [
        {"no": n, "step": label, "entered_late": entered.get(code, 0)}
        for n, (code, label) in enumerate(m.LATE_ENTRIES.items(), start=1)
    ]
    return Table(
        "Các bước nhập vào hệ thống sau ngày thực hiện (tính thời hạn theo ngày thực hiện; "
        f"{sum(withdrawn.values())} lượt quá hạn được rút lại vì thực tế đã làm đúng hạn)",
        (
            Column("no", "STT", "int", 0.55),
            Column("step", "Bước", "text", 4.0),
            Column("entered_late", "Số lượt nhập muộn", "int"),
        ),
        tuple(rows),
        sheet="Nhập muộn",
    )


def overdue_sections(rows: Sequence[Mapping[str, Any]], title: str) -> tuple[Section, ...]:
    """The open overdue items, and under them the note of any withdrawn rule set they follow."""
    table = Table(title, OVERDUE_COLUMNS, tuple(dict(r) for r in rows), sheet="Đang quá hạn")
    notes = withdrawn_rule_set_lines(rows)
    return (table, Text("Ghi chú", notes)) if notes else (table,)


def follow_up_sections(
    summary: Summary,
    *,
    late: Sequence[Table],
    overdue: Sequence[Mapping[str, Any]],
    overdue_title: str,
) -> tuple[Section, ...]:
    """What every Plan 88 report shows after its figures, in this order: how long each step
    took, the breached deadlines, who was `late`, what is overdue now, then encouragement
    (Art 10) and protection (Art 11)."""
    return (
        steps_table(summary),
        breaches_table(summary),
        *late,
        *overdue_sections(overdue, overdue_title),
        encouragement_table(summary),
        protection_table(summary),
    )


@dataclass(frozen=True)
class Assessment:
    """Mặt được, mặt hạn chế, biện pháp: what a period's figures say, in words."""

    achievements: list[str]
    shortcomings: list[str]
    measures: list[str]

    @classmethod
    def of(cls, summary: Summary, overdue: int) -> Assessment:
        return cls(
            achievements(summary), shortcomings(summary, overdue), measures(summary, overdue)
        )


class Issuance(TypedDict):
    """Who issues a report and signs it, and when (Decree 30/2020/NĐ-CP)."""

    number: str
    place_date: str
    signer_title: str
    signer_name: str


def issued_by(names: Names, unit_id: str, today: date) -> Issuance:
    """The issuing unit's number line, the place and date, and its head's title and name."""
    return Issuance(
        number=number_line(names, unit_id),
        place_date=vietnamese_date(today),
        signer_title=signer_title(names, unit_id),
        signer_name=names.head(unit_id),
    )


def flows_table(
    title: str,
    first_heading: str,
    rows: Sequence[tuple[str, Summary, int | None]],
    *,
    sheet: str,
    chart_title: str,
) -> Table:
    """One row per scope (quarter, level or agency): the main counts, with a bar chart."""
    out = []
    for label, s, overdue_now in rows:
        outcomes = s["evaluation"]["outcomes"]
        out.append(
            {
                "scope": label,
                "submitted": s["submitted"],
                "leaders": s["leader_proposals"],
                "staff": s["staff_initiatives"],
                "approved": s["decisions"]["approved"],
                "override": s["decisions"]["approved_by_override"],
                "rejected": s["decisions"]["rejected"],
                "withdrawn": s["decisions"]["withdrawn"],
                "completed": outcomes["COMPLETED"],
                "partial": outcomes["PARTIAL"],
                "not_completed": outcomes["NOT_COMPLETED"],
                "breaches": s["deadlines"]["breaches_total"],
                "overdue_now": overdue_now,
            }
        )
    columns = (
        Column("scope", first_heading, "text", 2.6),
        Column("submitted", "Đề xuất", "int", 0.8),
        Column("leaders", "Của lãnh đạo", "int", 0.8),
        Column("staff", "Sáng kiến CC, VC", "int", 0.8),
        Column("approved", "Phê duyệt", "int", 0.8),
        Column("override", "Người đứng đầu quyết định", "int", 0.9),
        Column("rejected", "Không phê duyệt", "int", 0.8),
        Column("withdrawn", "Rút", "int", 0.6),
        Column("completed", "Hoàn thành", "int", 0.8),
        Column("partial", "Một phần", "int", 0.7),
        Column("not_completed", "Không hoàn thành", "int", 0.8),
        Column("breaches", "Lượt quá hạn", "int", 0.7),
        Column("overdue_now", "Đang quá hạn", "int", 0.7),
    )
    return Table(
        title,
        columns,
        tuple(out),
        chart=Chart(chart_title, "scope", ("submitted", "approved", "completed")),
        sheet=sheet,
    )


def achievements(s: Summary) -> list[str]:
    """Mặt được: what the figures show was done."""
    d, e = s["decisions"], s["evaluation"]
    lines = [
        f"- Tiếp nhận {count(s['submitted'])} đề xuất đổi mới, sáng tạo"
        + (
            f" ({count(s['leader_proposals'])} của cán bộ lãnh đạo, quản lý; "
            f"{count(s['staff_initiatives'])} sáng kiến của công chức, viên chức, người lao động)."
            if s["leader_proposals"] is not None
            else "."
        ),
        f"- Phê duyệt {count(d['approved'])} đề xuất"
        f" (trong đó {count(d['approved_by_override'])} do người đứng đầu quyết định theo"
        f" khoản 1 Điều 8), không phê duyệt {count(d['rejected'])}, rút {count(d['withdrawn'])};"
        f" tỷ lệ phê duyệt {percent(d['approval_rate'])}.",
    ]
    if e["evaluated"]:
        lines.append(
            f"- Đánh giá kết quả {count(e['evaluated'])} đề xuất: hoàn thành"
            f" {count(e['outcomes']['COMPLETED'])}, hoàn thành một phần"
            f" {count(e['outcomes']['PARTIAL'])}, không hoàn thành"
            f" {count(e['outcomes']['NOT_COMPLETED'])}; công nhận {count(e['recognized'])} kết quả."
        )
    if s["encouragement"]["total"]:
        lines.append(
            f"- Áp dụng {count(s['encouragement']['total'])} lượt biện pháp khuyến khích"
            " theo Điều 10 Nghị định số 73/2023/NĐ-CP."
        )
    protected = _protected(s)
    if protected:
        lines.append(
            f"- Xác định {count(protected)} trường hợp được áp dụng biện pháp bảo vệ theo Điều 11."
        )
    review = s["days"].get("review")
    if review:
        lines.append(
            f"- Thời gian xem xét, quyết định: một nửa số hồ sơ xong trong"
            f" {days(review['median'])}, 9/10 số hồ sơ xong trong {days(review['p90'])}."
        )
    return lines


def shortcomings(s: Summary, overdue_now: int) -> list[str]:
    """Mặt hạn chế: what the figures show fell short."""
    lines = []
    deadlines = s["deadlines"]
    if deadlines["breaches_total"]:
        detail = ", ".join(
            f"{m.DEADLINES.get(k, k).split(' (')[0].lower()}: {v}"
            for k, v in sorted(deadlines["breaches"].items())
        )
        lines.append(f"- {count(deadlines['breaches_total'])} lượt quá hạn ({detail}).")
    if overdue_now:
        lines.append(f"- {count(overdue_now)} việc đang quá hạn tại thời điểm báo cáo.")
    review = s["days"].get("review")
    if review and review["p90"] is not None and review["p90"] > 7:
        lines.append(
            "- Có hồ sơ xem xét, quyết định quá 7 ngày làm việc kể từ khi tiếp nhận"
            f" (9/10 số hồ sơ xong trong {days(review['p90'])}), chưa bảo đảm khoản 1 Điều 8"
            " Nghị định số 73/2023/NĐ-CP."
        )
    e, i = s["evaluation"], s["implementation"]
    unfinished = e["outcomes"]["PARTIAL"] + e["outcomes"]["NOT_COMPLETED"]
    if unfinished:
        lines.append(
            f"- {count(unfinished)} đề xuất chưa hoàn thành mục tiêu"
            + (
                f", {count(e['caused_damage'])} trường hợp có thiệt hại."
                if e["caused_damage"]
                else "."
            )
        )
    if i["stopped"] or i["suspended"]:
        lines.append(
            f"- {count(i['suspended'])} lượt tạm dừng và {count(i['stopped'])} đề xuất phải dừng"
            " thực hiện."
        )
    if i["completion_report_late"]:
        lines.append(
            f"- {count(i['completion_report_late'])} báo cáo kết quả nộp sau thời hạn 5 ngày"
            " làm việc."
        )
    if s["prohibited_acts"]["substantiated"]:
        lines.append(
            f"- {count(s['prohibited_acts']['substantiated'])} hành vi bị nghiêm cấm (Điều 6)"
            " được xác định."
        )
    return lines or ["- Số liệu trong kỳ không cho thấy hạn chế nổi bật."]


def measures(s: Summary, overdue_now: int) -> list[str]:
    """Biện pháp khắc phục suggested by each shortcoming."""
    lines = []
    breaches = s["deadlines"]["breaches"]
    if breaches.get(DeadlineName.APPROVAL) or overdue_now:
        lines.append(
            "- Rà soát quy trình tiếp nhận, tổ chức họp tập thể lãnh đạo bảo đảm thời hạn 7 ngày"
            " làm việc (khoản 1 Điều 8); xử lý dứt điểm các việc đang quá hạn."
        )
    if breaches.get(DeadlineName.INTAKE) or breaches.get(DeadlineName.SUPPLEMENT):
        lines.append(
            "- Phân công rõ bộ phận tiếp nhận, kiểm tra hồ sơ và theo dõi yêu cầu bổ sung."
        )
    e = s["evaluation"]
    if e["outcomes"]["PARTIAL"] or e["outcomes"]["NOT_COMPLETED"]:
        lines.append(
            "- Đánh giá kỹ nguyên nhân khách quan, chủ quan của các đề xuất chưa hoàn thành"
            " (khoản 4 Điều 11); tăng cường bảo đảm nguồn lực theo khoản 2 Điều 10."
        )
    if s["implementation"]["completion_report_late"]:
        lines.append(
            "- Nhắc người thực hiện báo cáo kết quả trong 5 ngày làm việc sau khi hoàn thành."
        )
    if s["staff_initiatives"]:
        lines.append(
            "- Tiếp tục khuyến khích công chức, viên chức, người lao động đăng ký sáng kiến"
            " (khoản 3 Mục II Kế hoạch số 88/KH-UBND); các sáng kiến này không thuộc đối tượng"
            " bảo vệ theo Điều 2 Nghị định số 73/2023/NĐ-CP."
        )
    return lines or ["- Duy trì các biện pháp đang áp dụng; tiếp tục tuyên truyền Nghị định."]
