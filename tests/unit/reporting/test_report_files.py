"""The downloadable files: CSV and XLSX with Vietnamese headings (a chart in the XLSX), and a
PDF whose embedded font draws every Vietnamese letter and whose text can be read back."""

from __future__ import annotations

import io
import re
import struct
import zlib
from datetime import date

import pytest
from openpyxl import load_workbook

from services.reporting.domain.periods import Period
from services.reporting.queries import ReportQueries
from services.reporting.reports.render_csv import render_csv
from services.reporting.reports.render_pdf import render_pdf
from services.reporting.reports.render_xlsx import render_xlsx
from shared.pdf.fonts import PdfUnavailable, vietnamese_fonts
from shared.pdf.truetype import TrueTypeFont

TODAY = date(2025, 11, 10)
VIETNAMESE = (
    "Đoàn Thanh Thắng — Độc lập - Tự do - Hạnh phúc; ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
)


def fonts_or_skip() -> tuple[TrueTypeFont, TrueTypeFont]:
    try:
        return vietnamese_fonts()
    except PdfUnavailable as error:
        pytest.skip(str(error))


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


def _objects(pdf: bytes) -> dict[int, bytes]:
    return {
        int(m.group(1)): m.group(2)
        for m in re.finditer(rb"(\d+) 0 obj\n(.*?)\nendobj\n", pdf, re.S)
    }


def _stream(body: bytes) -> bytes:
    start = body.index(b"stream\n") + 7
    return zlib.decompress(body[start : body.rindex(b"\nendstream")])


def _text_of(pdf: bytes) -> str:
    """The page text, read back through each font's ToUnicode map."""
    objects = _objects(pdf)
    maps: dict[str, dict[str, str]] = {}
    for body in objects.values():
        if b"/Subtype /Type0" in body:
            name = re.search(rb"/BaseFont /\w+\+(\S+)", body)
            unicode_ref = int(re.search(rb"/ToUnicode (\d+)", body).group(1))  # type: ignore[union-attr]
            pairs = re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]+)>", _stream(objects[unicode_ref]))
            assert name is not None
            maps[name.group(1).decode()] = {
                g.decode(): bytes.fromhex(u.decode()).decode("utf-16-be") for g, u in pairs
            }
    resources = {}
    for body in objects.values():
        if b"/Type /Page " in body:
            for alias, ref in re.findall(rb"/(F\d) (\d+) 0 R", body):
                base = re.search(rb"/BaseFont /\w+\+(\S+)", objects[int(ref)])
                assert base is not None
                resources[alias.decode()] = maps[base.group(1).decode()]
    lines = []
    for body in objects.values():
        if b"/Type /Page " in body:
            content = int(re.search(rb"/Contents (\d+)", body).group(1))  # type: ignore[union-attr]
            for alias, glyphs in re.findall(
                r"/(F\d) [\d.]+ Tf [^<]*<([0-9A-F]*)> Tj", _stream(objects[content]).decode()
            ):
                cmap = resources[alias]
                lines.append("".join(cmap[glyphs[i : i + 4]] for i in range(0, len(glyphs), 4)))
    return "\n".join(lines)


def test_pdf_annual_review_is_a_well_formed_file_with_readable_vietnamese(
    queries: ReportQueries,
) -> None:
    fonts_or_skip()
    pdf = render_pdf(queries.annual_review("ct.so-tu-phap", 2025, TODAY).document)
    assert pdf.startswith(b"%PDF-1.7")
    assert pdf.rstrip().endswith(b"%%EOF")
    xref = int(pdf[pdf.rindex(b"startxref") + 9 :].split()[0])
    assert pdf[xref : xref + 4] == b"xref"
    offsets = [int(line[:10]) for line in pdf[xref:].split(b"\n")[3:] if line.endswith(b" n ")]
    for number, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(f"{number} 0 obj".encode()), number
    assert pdf.count(b"/FontFile2") == 2, "regular and bold embedded"
    text = _text_of(pdf)
    assert "BÁO CÁO RÀ SOÁT, TỔNG KẾT, ĐÁNH GIÁ KẾT QUẢ NĂM" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Sở Tư pháp" in text or "SỞ TƯ PHÁP" in text
    assert "Đoàn Thanh Thắng" in text, "the head signs"
    assert "(Ký, ghi rõ họ tên, đóng dấu)" in text
    assert "?" not in text, "no letter fell back to a missing glyph"


def test_pdf_city_summary_puts_wide_tables_on_landscape_pages(queries: ReportQueries) -> None:
    fonts_or_skip()
    pdf = render_pdf(queries.city_summary(Period(2025), TODAY).document)
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert (b"595.28", b"841.89") in boxes
    assert (b"841.89", b"595.28") in boxes
    assert "Trang 1/" in _text_of(pdf)


def test_embedded_subset_keeps_the_outline_of_every_vietnamese_letter() -> None:
    regular, _bold = fonts_or_skip()
    glyphs = {regular.glyph(c) for c in VIETNAMESE}
    assert 0 not in glyphs
    subset = TrueTypeFont(regular.subset(glyphs), "subset")
    offsets = subset._glyph_offsets()
    for char in set(VIETNAMESE) - {" "}:
        glyph = subset.glyph(char)
        assert glyph == regular.glyph(char), "glyph ids are kept"
        data = subset._table(b"glyf")[offsets[glyph] : offsets[glyph + 1]]
        assert data, f"{char!r} has an outline"
        for part in subset._components(data):
            assert offsets[part + 1] > offsets[part], f"{char!r}: its accent is kept too"
    assert len(subset.data) < len(regular.data) / 3
    words = struct.unpack(f">{len(subset.data) // 4}L", subset.data[: len(subset.data) // 4 * 4])
    assert sum(words) & 0xFFFFFFFF == 0xB1B0AFBA, "checksum adjustment is right"
