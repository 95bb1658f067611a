"""Printed documents laid out by fpdf2: embedded Unicode fonts (the vendored DejaVu Serif, with
every Vietnamese letter), wrapped text and tables whose cells grow with their text, so nothing
spills out of its cell; dates are kept whole (non-breaking spaces inside "01/7/2025 08:30").

Margins follow Decree 30/2020/NĐ-CP, Appendix I (A4; top and bottom 20 mm, left 30 mm, right
15 mm).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from shared.records.pdf import PdfUnavailable

FONT_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR, BOLD = FONT_DIR / "DejaVuSerif.ttf", FONT_DIR / "DejaVuSerif-Bold.ttf"
FAMILY = "DejaVuSerif"
LEFT, RIGHT, TOP, BOTTOM = 30.0, 15.0, 20.0, 20.0
NBSP = "\u00a0"
GRAY = (236, 238, 242)


def keep_whole(text: str) -> str:
    """Non-breaking spaces inside a date-time, so that "01/7/2025 08:30" never splits."""
    return text.replace(" ", NBSP)


class PrintedDocument(FPDF):
    """An A4 page set in the vendored DejaVu Serif, with the helpers our documents use."""

    def __init__(self, *, title: str, subject: str = "", created: datetime | None = None) -> None:
        if not (REGULAR.is_file() and BOLD.is_file()):
            raise PdfUnavailable(f"the fonts {REGULAR.name}, {BOLD.name} are missing in {FONT_DIR}")
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_margins(LEFT, TOP, RIGHT)
        self.set_auto_page_break(auto=True, margin=BOTTOM)
        self.add_font(FAMILY, "", str(REGULAR))
        self.add_font(FAMILY, "B", str(BOLD))
        self.set_title(title)
        self.set_subject(subject)
        self.set_creator("D73")
        self.set_lang("vi")
        if created is not None:
            self.set_creation_date(created)
        self.add_page()
        self.set_font(FAMILY, size=10.5)

    def font(self, size: float, *, bold: bool = False) -> None:
        self.set_font(FAMILY, "B" if bold else "", size)

    def centred(self, text: str, size: float, *, bold: bool = False, width: float = 0) -> None:
        """A centred block of text, wrapped within `width` (the whole line by default)."""
        self.font(size, bold=bold)
        x = self.l_margin + (self.epw - width) / 2 if width else self.l_margin
        self.set_x(x)
        self.multi_cell(
            width or self.epw,
            size * 0.48,
            text,
            align="C",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    def paragraph(
        self, text: str, size: float = 10.5, *, bold: bool = False, align: str = "J"
    ) -> None:
        self.font(size, bold=bold)
        self.multi_cell(0, size * 0.5, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def heading(self, text: str) -> None:
        self.ln(2)
        self.font(11, bold=True)
        self.set_fill_color(*GRAY)
        self.multi_cell(0, 6.5, text, fill=True, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def fields(self, rows: Sequence[tuple[str, str]], *, label_width: float = 48) -> None:
        """Label–value pairs as a two-column table: long values wrap inside their cell."""
        self.font(10.5)
        with self.table(
            col_widths=(label_width, self.epw - label_width),
            width=self.epw,
            first_row_as_headings=False,
            borders_layout=TableBordersLayout.NONE,
            align="LEFT",
            line_height=5.2,
            text_align=("LEFT", "LEFT"),
            padding=(0.6, 1.0),
        ) as table:
            for label, value in rows:
                row = table.row()
                row.cell(label, style=FontFace(emphasis="BOLD"))
                row.cell(value or "—")

    def grid(
        self, headings: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]
    ) -> None:
        """A bordered table; each cell wraps its own text and the row grows to fit."""
        self.font(9.5)
        with self.table(
            col_widths=tuple(widths),
            width=self.epw,
            line_height=4.8,
            text_align="LEFT",
            padding=1.2,
            align="LEFT",
            headings_style=FontFace(emphasis="BOLD", fill_color=GRAY),
        ) as table:
            head = table.row()
            for text in headings:
                head.cell(text)
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(value)

    def boxed(self, label: str, code: str, *, width: float = 110, largest: float = 24) -> float:
        """A framed box with `code` set as large as fits inside it; returns the size used."""
        size = fit_size(self, code, width - 8, largest)
        x = self.l_margin + (self.epw - width) / 2
        y = self.get_y() + 2
        height = 8 + size * 0.45 + 5
        if y + height > self.h - self.b_margin:
            self.add_page()
            y = self.get_y()
        self.set_line_width(0.4)
        self.rect(x, y, width, height)
        self.set_xy(x, y + 2)
        self.font(9.5, bold=True)
        self.cell(width, 5, label, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.font(size, bold=True)
        self.cell(width, size * 0.45 + 3, code, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_y(y + height + 3)
        return size


def fit_size(pdf: FPDF, text: str, width: float, largest: float, smallest: float = 6) -> float:
    """The largest bold size (in points, half-point steps) at which `text` is at most `width`."""
    size = largest
    while size > smallest:
        pdf.set_font(FAMILY, "B", size)
        if pdf.get_string_width(text) <= width:
            return size
        size -= 0.5
    return smallest
