"""The downloadable files: CSV and XLSX with Vietnamese headings (a chart in the XLSX), and PDFs
laid out by fpdf2, looked at as images (pdftoppm) and read back (pdftotext)."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from services.reporting.domain.periods import Period
from services.reporting.queries import ReportQueries
from services.reporting.reports.document import (
    FORMULA_STARTS,
    Column,
    Document,
    Table,
    Text,
)
from services.reporting.reports.names import number_line, signer_title
from services.reporting.reports.render_csv import render_csv
from services.reporting.reports.render_pdf import render_pdf
from services.reporting.reports.render_xlsx import render_xlsx
from shared.records.pdf.printing import BOTTOM, LEFT, RIGHT, TOP
from tests.support.printing import ink_outside, pages_of, text_of

TODAY = date(2025, 11, 10)


def test_csv_has_a_bom_vietnamese_headings_and_plain_numbers(queries: ReportQueries) -> None:
    data = render_csv(queries.overdue_report(TODAY).document)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "DANH SÁCH HỒ SƠ ĐỀ XUẤT QUÁ HẠN" in text
    assert "STT,Đề xuất,Người đề xuất" in text
    assert ",2025-10-17,2025-10-18,16," in text


def test_xlsx_has_vietnamese_sheets_and_a_chart_of_agencies(queries: ReportQueries) -> None:
    report = queries.city_summary(Period(2025), TODAY)
    book = load_workbook(io.BytesIO(render_xlsx(report.document)))
    assert book.sheetnames[0] == "Báo cáo"
    assert book["Báo cáo"]["B1"].value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    agencies = book["Theo cơ quan"]
    assert agencies["A3"].value == "Cơ quan, đơn vị"
    assert agencies["B3"].value == "Đề xuất"
    assert agencies["A4"].value == "Sở Tư pháp"
    assert agencies["B4"].value == 6
    assert len(agencies._charts) == 1
    indicators = book["Chỉ tiêu"]
    rate = next(r for r in indicators.iter_rows(min_row=4) if r[1].value == "Tỷ lệ phê duyệt")
    assert rate[2].value == pytest.approx(12 / 14, abs=1e-4)
    assert rate[2].number_format == "0.0%"


def test_pdf_annual_review_is_signed_by_the_issuing_units_kind_and_reads_back_in_vietnamese(
    queries: ReportQueries, tmp_path: Path
) -> None:
    pdf = render_pdf(queries.annual_review("ct.so-tu-phap", 2025, TODAY).document)
    assert pdf.startswith(b"%PDF-")
    text = " ".join(text_of(pdf).split())
    assert "BÁO CÁO RÀ SOÁT, TỔNG KẾT, ĐÁNH GIÁ KẾT QUẢ NĂM" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "SỞ TƯ PHÁP" in text
    assert "/BC-STP" in text, "the number line carries the unit's abbreviation"
    assert "GIÁM ĐỐC" in text, "a department's director signs in his own title"
    assert "Đoàn Thanh Thắng" in text, "the head signs"
    assert "(Ký, ghi rõ họ tên, đóng dấu)" in text
    assert "Cần Thơ, ngày 10 tháng 11 năm 2025" in text
    for jargon in ("trung vị", "p90", "P90", "ct.so-", "Điều 8 khoản"):
        assert jargon not in text, jargon
    for page in pages_of(pdf, keep=tmp_path / "annual"):
        assert ink_outside(page, left=LEFT, top=TOP - 2, right=RIGHT, bottom=BOTTOM - 12) == 0


def test_pdf_city_summary_puts_wide_tables_on_landscape_pages(
    queries: ReportQueries, tmp_path: Path
) -> None:
    pdf = render_pdf(queries.city_summary(Period(2025), TODAY).document)
    pages = pages_of(pdf, keep=tmp_path / "city")
    sizes = {(abs(p.width - 595) <= 1, abs(p.height - 842) <= 1) for p in pages}
    assert (True, True) in sizes, "portrait pages"
    assert any(p.width > p.height for p in pages), "a landscape page for the wide tables"
    for page in pages:
        assert ink_outside(page, left=LEFT, top=TOP - 2, right=RIGHT, bottom=BOTTOM - 12) == 0
    text = " ".join(text_of(pdf).split())
    assert "Trang 1/" in text
    assert "/BC-SNV" in text
    assert "KÍNH GỬI" in text.upper()


def test_a_commune_signs_on_behalf_of_its_peoples_committee(queries: ReportQueries) -> None:
    names = queries.names
    assert signer_title(names, "ct.ninh-kieu.an-hoa") == "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH"
    assert number_line(names, "ct.ninh-kieu.an-hoa") == "Số:        /BC-UBND"
    assert number_line(names, "ct.so-noi-vu") == "Số:        /BC-SNV"
    # names, never ids, on paper: a 2024 district, and a unit no version knows
    assert names.unit("ct.ninh-kieu") == "Ủy ban nhân dân quận Ninh Kiều"
    assert names.unit("ct.nowhere") == "(đơn vị không có trong danh bạ tổ chức)"


def test_pdf_overdue_list_is_an_unsigned_list_that_stays_inside_its_margins(
    queries: ReportQueries, tmp_path: Path
) -> None:
    pdf = render_pdf(queries.overdue_report(TODAY).document)
    pages = pages_of(pdf, keep=tmp_path / "overdue")
    for page in pages:
        assert ink_outside(page, left=LEFT, top=TOP - 2, right=RIGHT, bottom=BOTTOM - 12) == 0
    text = " ".join(text_of(pdf).split())
    assert "DANH SÁCH HỒ SƠ ĐỀ XUẤT QUÁ HẠN" in text
    assert "(tính đến ngày 10/11/2025)" in text
    assert "(Ký, ghi rõ họ tên, đóng dấu)" not in text, "a working list is not signed"
    assert "17/10/2025" in text, "dates as Decree 30 writes them, never split"
    assert "2025-10-17" not in text
    assert "khoản 1 Điều 8 Nghị định số 73/2023/NĐ-CP" in text, "citations in legal form"
    for code in ("ND73", "Art 8", "§", "rule set"):
        assert code not in text, code


HOSTILE = ('=HYPERLINK("http://x","bấm")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1")


def _hostile_document() -> Document:
    columns = (Column("title", "Đề xuất"), Column("count", "Số", kind="int"))
    rows = tuple({"title": text, "count": -5} for text in HOSTILE)
    return Document(
        kind="overdue",
        file_stem="x",
        title="=CMD()",
        subtitle="",
        superior="",
        issuer="",
        place_date="",
        sections=(Text("@heading", ("- gạch đầu dòng",)), Table("+bảng", columns, rows)),
    )


def test_csv_cells_that_would_be_formulas_are_neutralised() -> None:
    lines = render_csv(_hostile_document()).decode("utf-8-sig").splitlines()
    cells = [cell for row in csv.reader(lines) for cell in row]
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS) and cell != "-5"]
    assert '\'=HYPERLINK("http://x","bấm")' in cells
    assert "-5" in cells, "numbers stay numbers"


def test_xlsx_has_no_formula_cells_only_the_texts() -> None:
    book = load_workbook(io.BytesIO(render_xlsx(_hostile_document())))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert {cell.value for cell in cells} >= set(HOSTILE[:-1])  # XML keeps CR as LF


def test_pdf_reports_show_steps_entered_after_their_legal_date(
    queries: ReportQueries, tmp_path: Path
) -> None:
    """Legal dates ("ngày pháp lý"): a step entered late is allowed and never a breach, but
    the overdue list and the annual review say how many there were, by step, on paper."""
    from services.reporting.reports.overdue import build_overdue_list

    report = build_overdue_list(
        [],
        today=TODAY,
        names=queries.names,
        entered_late={"approval-meeting-held": 2, "evaluation-concluded": 1},
    )
    assert report.data["entered_late"] == {"approval-meeting-held": 2, "evaluation-concluded": 1}
    text = " ".join(text_of(render_pdf(report.document)).split())
    assert "Từ đầu năm 2025 có 3 lượt nhập muộn so với ngày thực hiện" in text
    assert "Họp tập thể lãnh đạo xem xét kế hoạch: 2" in text
    assert "không bị tính là quá hạn" in text
    annual = render_pdf(queries.annual_review("ct.so-tu-phap", 2025, TODAY).document)
    pages_of(annual, keep=tmp_path / "annual")
    assert "Các bước nhập vào hệ thống sau ngày thực hiện" in " ".join(text_of(annual).split())
