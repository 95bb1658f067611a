"""Statistics and the reports of Plan 88/KH-UBND, as JSON or as files (CSV, XLSX, PDF).

- `/reports/overdue` — danh sách quá hạn for Sở Nội vụ (IV.2.c: theo dõi, đôn đốc);
- `/reports/annual-review/{unit_id}` — each agency's yearly review (IV.1.d);
- `/reports/city-summary` — Sở Nội vụ's report to the City People's Committee (IV.2.a).
PDF is offered where a signed paper is expected: the annual review and the summary report.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.reporting.api.access import (
    MONITORS,
    AgencyQuery,
    Queries,
    Reporting,
    may_read_unit_report,
    not_allowed,
    require,
)
from services.reporting.domain.periods import Period
from services.reporting.queries import today_in_vietnam
from services.reporting.reports.document import Document, Report
from services.reporting.reports.render_csv import render_csv
from shared.contracts.bounds import MAX_NAME_CHARS
from shared.platform.web import CurrentActor, Problem
from shared.records.pdf import PdfUnavailable

router = APIRouter(tags=["reports"])


def render_xlsx(document: Document) -> bytes:
    """openpyxl is imported on the first spreadsheet asked for, not at start (memory, #19)."""
    from services.reporting.reports.render_xlsx import render_xlsx as render

    return render(document)


def render_pdf(document: Document) -> bytes:
    """fpdf2 and fontTools (about 30 MB) are imported on the first PDF asked for (#19)."""
    from services.reporting.reports.render_pdf import render_pdf as render

    return render(document)


TableFormat = Literal["json", "csv", "xlsx"]
PaperFormat = Literal["json", "csv", "xlsx", "pdf"]
FILES: dict[str, tuple[str, str, Callable[[Document], bytes]]] = {
    "csv": ("text/csv; charset=utf-8", "csv", render_csv),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
        render_xlsx,
    ),
    "pdf": ("application/pdf", "pdf", render_pdf),
}


def file_responses(*formats: str) -> dict[int | str, dict[str, Any]]:
    """The 200 of a report in JSON or as a file (`format`), and its 503 when no PDF font."""
    content: dict[str, Any] = {"application/json": {"schema": {"type": "object"}}}
    for output in formats:
        media_type = FILES[output][0].split(";")[0]
        content[media_type] = {"schema": {"type": "string", "format": "binary"}}
    return {
        200: {"description": "The report, in the asked `format`", "content": content},
        503: {"description": "No Vietnamese font for PDF on this server"},
    }


TABLE_FILES = file_responses("csv", "xlsx")
PAPER_FILES = file_responses("csv", "xlsx", "pdf")
"""A report that is signed on paper is offered as PDF too."""
OVERDUE = "Danh sách quá hạn: what is late, by whom, since when"
ANNUAL_REVIEW = "Báo cáo rà soát, tổng kết hằng năm of one agency (Plan 88 IV.1.d)"
CITY_SUMMARY = "Báo cáo của Sở Nội vụ gửi UBND thành phố for a quarter or a year (Plan 88 IV.2.a)"

AsOf = Annotated[
    date | None, Query(description="The day the report is dated (default: today in Vietnam)")
]
TableOutput = Annotated[TableFormat, Query(alias="format")]
PaperOutput = Annotated[PaperFormat, Query(alias="format")]
Level = Annotated[Literal["city", "agency"] | None, Query()]


def period_query(example: str) -> Any:
    """`period`: a year or one of its quarters (`example` shows a quarter)."""
    return Query(
        max_length=MAX_NAME_CHARS, description="YYYY or YYYY-Qn", examples=["2025", example]
    )


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as error:
        raise Problem(422, "Invalid period", str(error)) from None


def _answer(report: Report, output: str) -> Any:
    if output == "json":
        return report.data
    media_type, extension, render = FILES[output]
    try:
        content = render(report.document)
    except PdfUnavailable as error:
        raise Problem(503, "PDF unavailable on this server", str(error)) from None
    filename = f"{report.document.file_stem}.{extension}"
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/stats/states", summary="How many proposals stand in each state")
def state_counts(actor: CurrentActor, reporting: Reporting) -> dict[str, Any]:
    reporting.projections.catch_up()
    return {
        "counts": reporting.projections.state_counts(),
        "position": reporting.projections.position,
    }


@router.get(
    "/stats",
    summary="Counts, rates and working days per step for a period, a unit and a level",
)
def statistics(
    actor: CurrentActor,
    queries: Queries,
    period: Annotated[str, period_query("2025-Q3")],
    unit: AgencyQuery = None,
    level: Level = None,
) -> dict[str, Any]:
    if unit is None:
        require(actor, MONITORS, "City-wide statistics are for those who monitor the plan.")
    elif not may_read_unit_report(actor, unit, queries):
        raise not_allowed("A unit head reads the statistics of their own agency.")
    return queries.statistics(_period(period), unit=unit, level=level)


@router.get("/reports/overdue", summary=OVERDUE, responses=TABLE_FILES)
def overdue_report(
    actor: CurrentActor,
    queries: Queries,
    output: TableOutput = "json",
    unit: AgencyQuery = None,
    level: Level = None,
    as_of: AsOf = None,
) -> Any:
    require(actor, MONITORS, "The overdue list is for Sở Nội vụ, the City PC and auditors.")
    report = queries.overdue_report(as_of or today_in_vietnam(), unit=unit, level=level)
    return _answer(report, output)


@router.get("/reports/annual-review/{unit_id}", summary=ANNUAL_REVIEW, responses=PAPER_FILES)
def annual_review(
    unit_id: str,
    actor: CurrentActor,
    reporting: Reporting,
    queries: Queries,
    year: Annotated[int, Query(ge=2023, le=2100)],
    output: PaperOutput = "json",
    as_of: AsOf = None,
) -> Any:
    if not queries.knows_unit(unit_id):
        raise Problem(404, "Unknown unit", f"{unit_id} is not in the organisation directory")
    if not may_read_unit_report(actor, unit_id, queries):
        raise not_allowed("An agency's review is for its head, Sở Nội vụ, the City PC, auditors.")
    report = queries.annual_review(unit_id, year, as_of or today_in_vietnam())
    return _answer(report, output)


@router.get("/reports/city-summary", summary=CITY_SUMMARY, responses=PAPER_FILES)
def city_summary(
    actor: CurrentActor,
    queries: Queries,
    period: Annotated[str, period_query("2025-Q4")],
    output: PaperOutput = "json",
    as_of: AsOf = None,
) -> Any:
    require(actor, MONITORS, "The summary report is for Sở Nội vụ, the City PC and auditors.")
    report = queries.city_summary(_period(period), as_of or today_in_vietnam())
    return _answer(report, output)
