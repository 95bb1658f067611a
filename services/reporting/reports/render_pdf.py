"""PDF of a report, laid out as a Vietnamese administrative report to be signed.

Header (issuing body on the left, national motto on the right, number, place and date), title,
"Kính gửi", the sections (text, tables — wide ones on landscape pages — and bar charts), the
signature block and page numbers. No PDF library is installed, so `shared.pdf`
writes the file; it needs a TrueType font with Vietnamese letters (DejaVu, Liberation…) on the
machine — `fonts-dejavu-core` on Debian — and says so when there is none.
"""

from __future__ import annotations

from services.reporting.reports.document import (
    Column,
    Document,
    Table,
    Text,
    cell_text,
    kind_of,
)
from shared.pdf.fonts import vietnamese_fonts
from shared.pdf.layout import NATIONAL_MOTTO, wrap
from shared.pdf.writer import Page, PdfDocument, PdfFont

SERIES_COLOURS = ((0.20, 0.40, 0.70), (0.30, 0.62, 0.35), (0.90, 0.55, 0.15))
HEADER_FILL = (0.87, 0.90, 0.94)
LEFT, RIGHT, TOP, BOTTOM = 80.0, 50.0, 50.0, 55.0


class _Layout:
    def __init__(self, pdf: PdfDocument) -> None:
        self.pdf = pdf
        self.regular, self.bold = pdf.regular, pdf.bold
        self.page: Page = pdf.new_page()
        self.y = self.page.height - TOP

    @property
    def width(self) -> float:
        return self.page.width - LEFT - RIGHT

    @property
    def landscape(self) -> bool:
        return self.page.width > self.page.height

    def new_page(self, *, landscape: bool | None = None) -> None:
        self.page = self.pdf.new_page(landscape=self.landscape if landscape is None else landscape)
        self.y = self.page.height - TOP

    def ensure(self, height: float) -> None:
        if self.y - height < BOTTOM:
            self.new_page()

    # ------------------------------------------------------------------ text

    def paragraph(
        self,
        text: str,
        *,
        font: PdfFont | None = None,
        size: float = 12,
        align: str = "left",
        indent: float = 0,
        hanging: float = 0,
        space_after: float = 3,
    ) -> None:
        font = font or self.regular
        leading = size * 1.3
        lines = wrap(text, font, size, self.width - indent - hanging)
        for n, line in enumerate(lines):
            self.ensure(leading)
            x = LEFT + indent + (hanging if n else 0)
            if align == "center":
                x = LEFT + (self.width - font.width(line, size)) / 2
            self.page.text(x, self.y - size, line, font, size)
            self.y -= leading
        self.y -= space_after

    def centred(self, text: str, x_centre: float, y: float, font: PdfFont, size: float) -> float:
        """Text centred on `x_centre`; returns its width."""
        width = font.width(text, size)
        self.page.text(x_centre - width / 2, y, text, font, size)
        return width

    # ------------------------------------------------------------------ blocks

    def fitted(self, text: str, font: PdfFont, size: float, width: float) -> float:
        """The largest size up to `size` at which `text` fits in `width` (not below 8 pt)."""
        while size > 8 and font.width(text, size) > width:
            size -= 0.5
        return size

    def header(self, document: Document) -> None:
        """Issuing body (left), national motto (right), as on Vietnamese official documents."""
        left_width, right_width = self.width * 0.44, self.width * 0.54
        left_x, right_x = LEFT + left_width / 2, LEFT + self.width - right_width / 2
        y = self.y - 12
        superior = wrap(document.superior, self.regular, 11, left_width)
        issuer = wrap(document.issuer, self.bold, 11, left_width)
        for line in superior:
            self.centred(line, left_x, y, self.regular, 11)
            y -= 14
        width = 0.0
        for line in issuer:
            width = max(width, self.centred(line, left_x, y, self.bold, 11))
            y -= 14
        self.page.line(left_x - width / 3, y + 9, left_x + width / 3, y + 9)
        if document.signed_paper:
            self.centred(document.number, left_x, y - 8, self.regular, 11)
            y -= 8
        top = self.y - 12
        size = self.fitted(NATIONAL_MOTTO[0], self.bold, 11, right_width)
        self.centred(NATIONAL_MOTTO[0], right_x, top, self.bold, size)
        motto = self.centred(NATIONAL_MOTTO[1], right_x, top - 15, self.bold, 11.5)
        self.page.line(right_x - motto / 2, top - 19, right_x + motto / 2, top - 19)
        self.centred(document.place_date, right_x, top - 38, self.regular, 11)
        self.y = min(y, top - 38) - 24
        self.paragraph(document.title, font=self.bold, size=14, align="center", space_after=2)
        if document.subtitle:
            self.paragraph(document.subtitle, font=self.bold, size=12, align="center")
        if document.recipient:
            self.y -= 4
            self.paragraph(f"Kính gửi: {document.recipient}", size=12, align="center")
        self.y -= 8

    def text(self, section: Text) -> None:
        self.ensure(40)
        self.paragraph(section.heading, font=self.bold, size=12, space_after=4)
        for line in section.lines:
            if line.startswith("- "):
                self.paragraph(line, size=12, indent=14, hanging=10)
            else:
                self.paragraph(line, size=12, indent=0)
        self.y -= 6

    def table(self, table: Table) -> None:
        wide = len(table.columns) > 8
        if wide != self.landscape:
            self.new_page(landscape=wide)
        size = 8.5 if wide else 10
        pad, leading = 3.0, size * 1.25
        total = sum(c.width for c in table.columns)
        widths = [self.width * c.width / total for c in table.columns]
        self.ensure(60)
        self.paragraph(table.title, font=self.bold, size=12, space_after=5)

        def header() -> None:
            cells = [
                wrap(c.heading, self.bold, size, w - 2 * pad)
                for c, w in zip(table.columns, widths, strict=True)
            ]
            height = max(len(c) for c in cells) * leading + 2 * pad
            self.ensure(height + leading + 2 * pad)
            self._row(cells, table.columns, widths, height, size, pad, leading, header=True)

        header()
        if not table.rows:
            self.page.rect(
                LEFT, self.y - leading - 2 * pad, self.width, leading + 2 * pad, stroke=0
            )
            self.page.text(LEFT + pad, self.y - pad - size, "Không có số liệu.", self.regular, size)
            self.y -= leading + 2 * pad
        for row in table.rows:
            cells = [
                wrap(cell_text(c, row), self.regular, size, w - 2 * pad)
                for c, w in zip(table.columns, widths, strict=True)
            ]
            height = max(len(c) for c in cells) * leading + 2 * pad
            if self.y - height < BOTTOM:
                self.new_page()
                header()
            kinds = [kind_of(c, row) for c in table.columns]
            self._row(cells, table.columns, widths, height, size, pad, leading, kinds=kinds)
        self.y -= 10
        if table.chart is not None and table.rows:
            self.chart(table)

    def _row(
        self,
        cells: list[list[str]],
        columns: tuple[Column, ...],
        widths: list[float],
        height: float,
        size: float,
        pad: float,
        leading: float,
        *,
        header: bool = False,
        kinds: list[str] | None = None,
    ) -> None:
        x = LEFT
        font = self.bold if header else self.regular
        for n, (lines, width) in enumerate(zip(cells, widths, strict=True)):
            self.page.rect(
                x, self.y - height, width, height, fill=HEADER_FILL if header else None, stroke=0
            )
            kind = "text" if kinds is None else kinds[n]
            for i, line in enumerate(lines):
                baseline = self.y - pad - size - i * leading
                if header:
                    tx = x + (width - font.width(line, size)) / 2
                elif kind in ("int", "money", "percent"):
                    tx = x + width - pad - font.width(line, size)
                else:
                    tx = x + pad
                self.page.text(tx, baseline + 1.5, line, font, size)
            x += width
        self.y -= height
        del columns

    def chart(self, table: Table) -> None:
        """Horizontal grouped bars: one group per row, one bar per series."""
        assert table.chart is not None
        spec = table.chart
        headings = {c.key: c.heading for c in table.columns}
        values = [[int(row.get(key) or 0) for key in spec.series] for row in table.rows]
        top_value = max((v for group in values for v in group), default=0) or 1
        bar, gap, size = 6.0, 7.0, 8.5
        label_width = self.width * 0.32
        plot_width = self.width - label_width - 30
        height = len(values) * (bar * len(spec.series) + gap) + 40
        self.ensure(min(height, self.page.height - TOP - BOTTOM))
        self.paragraph(spec.title, font=self.bold, size=11, space_after=4)
        x = LEFT
        for colour, key in zip(SERIES_COLOURS, spec.series, strict=False):
            self.page.rect(x, self.y - 8, 8, 8, fill=colour)
            self.page.text(x + 11, self.y - 7.5, headings[key], self.regular, size)
            x += 20 + self.regular.width(headings[key], size)
        self.y -= 16
        axis_x = LEFT + label_width
        for row, group in zip(table.rows, values, strict=True):
            group_height = bar * len(spec.series) + gap
            if self.y - group_height < BOTTOM:
                self.new_page()
            label = wrap(str(row.get(spec.category, "")), self.regular, size, label_width - 6)
            self.page.text(LEFT, self.y - bar - 2, label[0], self.regular, size)
            for n, value in enumerate(group):
                length = plot_width * value / top_value
                y = self.y - (n + 1) * bar
                colour = SERIES_COLOURS[n % len(SERIES_COLOURS)]
                if length:
                    self.page.rect(axis_x, y, length, bar - 1, fill=colour)
                self.page.text(axis_x + length + 3, y + 0.5, str(value), self.regular, 6.5)
            self.page.line(axis_x, self.y, axis_x, self.y - group_height, width=0.6)
            self.y -= group_height
        self.y -= 10

    def signature(self, document: Document) -> None:
        if not document.signed_paper:
            return
        if self.landscape:
            self.new_page(landscape=False)
        self.ensure(150)
        top = self.y - 10
        self.page.text(LEFT, top - 11, "Nơi nhận:", self.bold, 11)
        receivers = [f"- {document.recipient};"] if document.recipient else []
        for n, line in enumerate([*receivers, "- Lưu: VT."]):
            self.page.text(LEFT, top - 26 - 13 * n, line, self.regular, 10)
        centre = LEFT + self.width * 0.72
        self.centred(document.signer_title, centre, top - 11, self.bold, 12)
        self.centred("(Ký, ghi rõ họ tên, đóng dấu)", centre, top - 26, self.regular, 11)
        if document.signer_name:
            self.centred(document.signer_name, centre, top - 110, self.bold, 12)
        self.y = top - 125
        for note in document.notes:
            self.paragraph(note, size=9)

    def page_numbers(self) -> None:
        count = len(self.pdf.pages)
        for n, page in enumerate(self.pdf.pages, start=1):
            label = f"Trang {n}/{count}"
            width = self.regular.width(label, 9)
            page.text((page.width - width) / 2, 25, label, self.regular, 9)


def render_pdf(document: Document) -> bytes:
    regular, bold = vietnamese_fonts()
    pdf = PdfDocument(regular, bold, title=f"{document.title} {document.subtitle}".strip())
    layout = _Layout(pdf)
    layout.header(document)
    for section in document.sections:
        if isinstance(section, Text):
            if layout.landscape:
                layout.new_page(landscape=False)
            layout.text(section)
        else:
            layout.table(section)
    layout.signature(document)
    layout.page_numbers()
    return pdf.render()
