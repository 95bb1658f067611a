"""XLSX of a report: a cover sheet with the heading and the text, then one sheet per table with
Vietnamese headings, number formats and, where the table asks for one, a bar chart."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from services.reporting.reports.document import Document, Table, Text, kind_of
from shared.records.pdf.layout import NATIONAL_MOTTO

BOLD = Font(name="Times New Roman", bold=True, size=12)
PLAIN = Font(name="Times New Roman", size=12)
HEADER = Font(name="Times New Roman", bold=True, size=11)
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FORMATS = {"int": "#,##0", "money": "#,##0", "percent": "0.0%", "date": "dd/mm/yyyy"}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(table: Table, used: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub(" ", table.sheet or table.title).strip()[:28] or "Bảng"
    name, n = base, 2
    while name.lower() in used:
        name = f"{base[:26]} {n}"
        n += 1
    used.add(name.lower())
    return name


def _cell_value(kind: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if kind == "date":
        return date.fromisoformat(str(value)[:10])
    if kind in ("int", "money"):
        return int(value)
    if kind == "percent":
        return float(value)
    return value


def _cover(sheet: Worksheet, document: Document) -> None:
    sheet.title = "Báo cáo"
    sheet.column_dimensions["A"].width = 60
    sheet.column_dimensions["B"].width = 60
    sheet["A1"], sheet["B1"] = document.superior, NATIONAL_MOTTO[0]
    sheet["A2"], sheet["B2"] = document.issuer, NATIONAL_MOTTO[1]
    sheet["A3"], sheet["B3"] = document.number if document.signed_paper else "", document.place_date
    for cell in ("A1", "B1", "A2", "B2"):
        sheet[cell].font = BOLD
        sheet[cell].alignment = Alignment(horizontal="center")
    sheet["A3"].alignment = sheet["B3"].alignment = Alignment(horizontal="center")
    row = 5
    for line, font in ((document.title, BOLD), (document.subtitle, PLAIN)):
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        cell = sheet.cell(row=row, column=1, value=line)
        cell.font = font
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        row += 1
    if document.recipient:
        sheet.cell(row=row, column=1, value=f"Kính gửi: {document.recipient}").font = PLAIN
        row += 1
    for section in document.sections:
        row += 1
        if isinstance(section, Text):
            sheet.cell(row=row, column=1, value=section.heading).font = BOLD
            for line in section.lines:
                row += 1
                sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
                cell = sheet.cell(row=row, column=1, value=line)
                cell.font = PLAIN
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                sheet.row_dimensions[row].height = 15 * max(1, len(line) // 110 + 1)
        else:
            sheet.cell(
                row=row, column=1, value=f"{section.title} — xem trang tính riêng"
            ).font = PLAIN
    for note in document.notes:
        row += 2
        sheet.cell(row=row, column=1, value=note).font = Font(name="Times New Roman", italic=True)


def _table_sheet(sheet: Worksheet, table: Table) -> None:
    sheet.cell(row=1, column=1, value=table.title).font = BOLD
    for c, column in enumerate(table.columns, start=1):
        cell = sheet.cell(row=3, column=c, value=column.heading)
        cell.font, cell.fill, cell.border = HEADER, HEADER_FILL, BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(c)].width = max(8.0, 14 * column.width)
    sheet.row_dimensions[3].height = 45
    for r, row in enumerate(table.rows, start=4):
        for c, column in enumerate(table.columns, start=1):
            kind = kind_of(column, row)
            cell = sheet.cell(row=r, column=c, value=_cell_value(kind, row.get(column.key)))
            cell.border = BOX
            cell.font = Font(name="Times New Roman", size=11)
            if kind in FORMATS:
                cell.number_format = FORMATS[kind]
            if kind == "text":
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A4"
    if table.chart is not None and table.rows:
        _chart(sheet, table)


def _chart(sheet: Worksheet, table: Table) -> None:
    assert table.chart is not None
    keys = [c.key for c in table.columns]
    chart = BarChart()
    chart.type = "bar" if len(table.rows) > 6 else "col"
    chart.title = table.chart.title
    chart.y_axis.title = "Số lượng"
    chart.height = max(7.5, 0.6 * len(table.rows) + 4)
    chart.width = 18
    first, last = 4, 3 + len(table.rows)
    for key in table.chart.series:
        column = keys.index(key) + 1
        data = Reference(sheet, min_col=column, min_row=3, max_row=last)
        chart.add_data(data, titles_from_data=True)
    category = keys.index(table.chart.category) + 1
    chart.set_categories(Reference(sheet, min_col=category, min_row=first, max_row=last))
    sheet.add_chart(chart, f"{get_column_letter(len(keys) + 2)}3")


def _no_formulas(workbook: Workbook) -> None:
    """Every text stays text: openpyxl takes a value starting with `=` for a formula, so a
    title such as "=HYPERLINK(…)" would run in the reader's spreadsheet (issue #11 §6)."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"


def render_xlsx(document: Document) -> bytes:
    workbook = Workbook()
    _cover(workbook.active, document)
    used = {"báo cáo"}
    for table in document.tables():
        _table_sheet(workbook.create_sheet(_sheet_name(table, used)), table)
    _no_formulas(workbook)
    workbook.properties.title = document.title
    workbook.properties.creator = "D73 – Sở Nội vụ thành phố Cần Thơ"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
