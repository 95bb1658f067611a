"""PDF of a report, laid out by fpdf2 as a Vietnamese administrative report to be signed
(Decree 30/2020/NĐ-CP): the issuing body and the number on the left, the national motto, place
and date on the right (the reporting unit issues the report as its own), the title, "Kính gửi",
the sections (text; tables whose cells wrap and grow, wide ones on landscape pages; bar charts),
the signature block by the issuing unit's kind, and page numbers.
"""

from __future__ import annotations

from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from services.reporting.reports.document import Document, Table, Text, cell_text, kind_of
from shared.records.pdf.layout import NATIONAL_MOTTO
from shared.records.pdf.printing import GRAY, PrintedDocument

SERIES_COLOURS = ((51, 102, 178), (77, 158, 89), (230, 140, 38))


class _Report(PrintedDocument):
    def footer(self) -> None:
        self.set_y(-14)
        self.font(9)
        self.cell(0, 5, f"Trang {self.page_no()}/{{nb}}", align="C")


def _landscape(pdf: _Report) -> bool:
    return bool(pdf.w > pdf.h)


def _header(pdf: _Report, document: Document) -> None:
    top = pdf.get_y()
    left = pdf.epw * 0.42
    pdf.font(11)
    pdf.multi_cell(left, 5, document.superior, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(11, bold=True)
    pdf.multi_cell(left, 5, document.issuer, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    rule = pdf.get_y() + 0.8
    pdf.line(pdf.l_margin + left * 0.3, rule, pdf.l_margin + left * 0.7, rule)
    if document.signed_paper:
        pdf.set_y(rule + 1.5)
        pdf.font(11)
        pdf.cell(left, 6, document.number, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    bottom_left = pdf.get_y()
    right_x, right = pdf.l_margin + left + 2, pdf.epw - left - 2
    pdf.set_xy(right_x, top)
    pdf.font(10.5, bold=True)
    pdf.multi_cell(right, 5, NATIONAL_MOTTO[0], align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.font(11, bold=True)
    pdf.multi_cell(right, 5, NATIONAL_MOTTO[1], align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    width = pdf.get_string_width(NATIONAL_MOTTO[1])
    rule = pdf.get_y() + 0.8
    pdf.line(right_x + (right - width) / 2, rule, right_x + (right + width) / 2, rule)
    pdf.set_xy(right_x, rule + 3)
    pdf.font(11)
    pdf.multi_cell(right, 5, document.place_date, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(bottom_left, pdf.get_y()) + 8)
    pdf.centred(document.title, 14, bold=True)
    if document.subtitle:
        pdf.centred(document.subtitle, 12, bold=True)
    if document.recipient:
        pdf.ln(2)
        pdf.centred(f"Kính gửi: {document.recipient}", 12)
    pdf.ln(5)


def _text(pdf: _Report, section: Text) -> None:
    if _landscape(pdf):
        pdf.add_page(orientation="P")
    pdf.paragraph(section.heading, 12, bold=True, align="L")
    for line in section.lines:
        pdf.paragraph(line, 12)
    pdf.ln(2)


def _table(pdf: _Report, table: Table) -> None:
    wide = len(table.columns) > 8
    if wide != _landscape(pdf):
        pdf.add_page(orientation="L" if wide else "P")
    size = 8.5 if wide else 10
    pdf.paragraph(table.title, 12, bold=True, align="L")
    pdf.font(size)
    with pdf.table(
        col_widths=_widths(pdf, table),
        width=pdf.epw,
        align="LEFT",
        line_height=size * 0.48,
        padding=1.0,
        headings_style=FontFace(emphasis="BOLD", fill_color=GRAY),
        text_align="LEFT",
        repeat_headings=1,
    ) as grid:
        head = grid.row()
        for column in table.columns:
            head.cell(column.heading, align="CENTER")
        if not table.rows:
            grid.row().cell("Không có số liệu.", colspan=len(table.columns))
        for row in table.rows:
            cells = grid.row()
            for column in table.columns:
                numeric = kind_of(column, row) in ("int", "money", "percent")
                cells.cell(cell_text(column, row), align="RIGHT" if numeric else "LEFT")
    pdf.ln(4)
    if table.chart is not None and table.rows:
        _chart(pdf, table)


def _widths(pdf: _Report, table: Table) -> tuple[float, ...]:
    """Relative widths, except that a date or a number is never narrower than itself (so it
    never breaks mid-number): what it needs is taken from the widest text column."""
    total = sum(c.width for c in table.columns)
    widths = [pdf.epw * c.width / total for c in table.columns]
    pad = 2.0 + 1.0
    for n, column in enumerate(table.columns):
        if column.kind not in ("date", "int", "money", "percent"):
            continue
        texts = [cell_text(column, row) for row in table.rows]
        needed = max((pdf.get_string_width(t) + pad for t in texts), default=0.0)
        deficit = needed - widths[n]
        if deficit > 0:
            donor = max(
                (i for i, c in enumerate(table.columns) if c.kind in ("text", "citation")),
                key=lambda i: widths[i],
                default=None,
            )
            if donor is not None and widths[donor] - deficit > 15:
                widths[donor] -= deficit
                widths[n] += deficit
    return tuple(widths)


def _chart(pdf: _Report, table: Table) -> None:
    """Horizontal grouped bars: one group per row, one bar per series, labels wrapped."""
    assert table.chart is not None
    spec = table.chart
    headings = {c.key: c.heading for c in table.columns}
    values = [[int(row.get(key) or 0) for key in spec.series] for row in table.rows]
    top_value = max((v for group in values for v in group), default=0) or 1
    bar = 2.6
    pdf.paragraph(spec.title, 11, bold=True, align="L")
    pdf.font(8.5)
    if pdf.get_y() + 20 > pdf.h - pdf.b_margin:
        pdf.add_page(orientation="L" if _landscape(pdf) else "P")
    for colour, key in zip(SERIES_COLOURS, spec.series, strict=False):
        pdf.set_fill_color(*colour)
        pdf.rect(pdf.get_x(), pdf.get_y() + 0.8, 3, 3, style="F")
        pdf.set_x(pdf.get_x() + 4)
        pdf.cell(pdf.get_string_width(headings[key]) + 6, 5, headings[key])
    pdf.ln(7)
    for row, group in zip(table.rows, values, strict=True):
        height = max(bar * len(group) + 2.5, 5)
        if pdf.get_y() + height > pdf.h - pdf.b_margin:
            pdf.add_page(orientation="L" if _landscape(pdf) else "P")
        label_width = pdf.epw * 0.34
        plot = pdf.epw - label_width - 14
        y = pdf.get_y()
        pdf.font(8)
        pdf.multi_cell(label_width - 2, 3.6, str(row.get(spec.category, "")), align="L")
        axis = pdf.l_margin + label_width
        for n, value in enumerate(group):
            length = plot * value / top_value
            pdf.set_fill_color(*SERIES_COLOURS[n % len(SERIES_COLOURS)])
            if length:
                pdf.rect(axis, y + n * bar, length, bar - 0.4, style="F")
            pdf.set_xy(axis + length + 1, y + n * bar - 0.3)
            pdf.font(6.5)
            pdf.cell(12, bar, str(value))
        pdf.line(axis, y, axis, y + height)
        pdf.set_y(max(pdf.get_y(), y + height))
    pdf.set_fill_color(255, 255, 255)  # the bars' colour must not fill the next table's cells
    pdf.ln(4)


def _signature(pdf: _Report, document: Document) -> None:
    if not document.signed_paper:
        return
    if _landscape(pdf):
        pdf.add_page(orientation="P")
    if pdf.get_y() + 60 > pdf.h - pdf.b_margin:
        pdf.add_page()
    top, half = pdf.get_y() + 4, pdf.epw / 2
    pdf.set_y(top)
    pdf.font(11, bold=True)
    pdf.cell(half, 5, "Nơi nhận:", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(10)
    receivers = [f"- {document.recipient};"] if document.recipient else []
    for line in [*receivers, "- Lưu: VT."]:
        pdf.multi_cell(half - 4, 4.5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + half, top)
    pdf.font(12, bold=True)
    pdf.multi_cell(half, 5.5, document.signer_title, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.font(11)
    pdf.multi_cell(
        half, 5, "(Ký, ghi rõ họ tên, đóng dấu)", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT
    )
    if document.signer_name:
        pdf.set_y(pdf.get_y() + 22)
        pdf.set_x(pdf.l_margin + half)
        pdf.font(12, bold=True)
        pdf.multi_cell(half, 5.5, document.signer_name, align="C")
    pdf.set_y(max(bottom, pdf.get_y()) + 6)
    for note in document.notes:
        pdf.paragraph(note, 9, align="L")


def render_pdf(document: Document) -> bytes:
    pdf = _Report(title=f"{document.title} {document.subtitle}".strip())
    pdf.alias_nb_pages()
    _header(pdf, document)
    for section in document.sections:
        if isinstance(section, Text):
            _text(pdf, section)
        else:
            _table(pdf, section)
    _signature(pdf, document)
    return bytes(pdf.output())
