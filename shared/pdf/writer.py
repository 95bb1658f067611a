"""A small PDF 1.7 writer: pages of text, lines and filled boxes, fonts embedded as subsets.

Text is written as glyph ids of an embedded TrueType font (Type0 / CIDFontType2, Identity-H),
with a ToUnicode map so that it can be searched and copied. Vietnamese text is normalised to
NFC first so that every letter is one precomposed glyph.
"""

from __future__ import annotations

import hashlib
import unicodedata
import zlib
from datetime import UTC, datetime

from shared.pdf.truetype import TrueTypeFont

A4 = (595.28, 841.89)


def _number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _utf16_hex(text: str) -> str:
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def _text_string(text: str) -> str:
    """A PDF text string: literal when printable ASCII (searchable as is), else UTF-16."""
    if text.isascii() and text.isprintable():
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return f"({escaped})"
    return _utf16_hex(text)


class PdfFont:
    """One embedded font of a document: encodes text and remembers the glyphs it used."""

    def __init__(self, font: TrueTypeFont, resource: str) -> None:
        self.font = font
        self.resource = resource
        self.used: dict[int, str] = {}
        tag = hashlib.sha256(font.name.encode() + resource.encode()).hexdigest()
        self.base_name = "".join(chr(65 + int(c, 16) % 26) for c in tag[:6]) + "+" + font.name

    def encode(self, text: str) -> str:
        """Hex glyph ids of `text`; a character the font lacks becomes '?'."""
        out = []
        for char in unicodedata.normalize("NFC", text):
            glyph = self.font.glyph(char)
            if glyph == 0:
                char, glyph = "?", self.font.glyph("?")
            self.used.setdefault(glyph, char)
            out.append(f"{glyph:04X}")
        return "".join(out)

    def width(self, text: str, size: float) -> float:
        return self.font.width(unicodedata.normalize("NFC", text), size)


class Page:
    def __init__(self, width: float, height: float) -> None:
        self.width = width
        self.height = height
        self.ops: list[str] = []

    def text(self, x: float, y: float, text: str, font: PdfFont, size: float) -> None:
        if not text:
            return
        self.ops.append(
            f"BT /{font.resource} {_number(size)} Tf 1 0 0 1 {_number(x)} {_number(y)} Tm "
            f"<{font.encode(text)}> Tj ET"
        )

    def line(
        self, x1: float, y1: float, x2: float, y2: float, width: float = 0.5, gray: float = 0
    ) -> None:
        self.ops.append(
            f"q {_number(gray)} G {_number(width)} w {_number(x1)} {_number(y1)} m "
            f"{_number(x2)} {_number(y2)} l S Q"
        )

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        fill: tuple[float, float, float] | None = None,
        stroke: float | None = None,
    ) -> None:
        ops = []
        if fill is not None:
            ops.append(f"{_number(fill[0])} {_number(fill[1])} {_number(fill[2])} rg")
        if stroke is not None:
            ops.append(f"{_number(stroke)} G 0.5 w")
        paint = (
            "B" if fill is not None and stroke is not None else ("f" if fill is not None else "S")
        )
        ops.append(f"{_number(x)} {_number(y)} {_number(w)} {_number(h)} re {paint}")
        # q … Q: a colour set for this shape must not leak into the text drawn after it.
        self.ops.append("q " + " ".join(ops) + " Q")


class _Objects:
    """The numbered objects of one file (numbers start at 1)."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def add(self, body: bytes = b"") -> int:
        self.bodies.append(body)
        return len(self.bodies)

    def set(self, number: int, body: bytes) -> None:
        self.bodies[number - 1] = body

    @staticmethod
    def stream(dictionary: str, data: bytes) -> bytes:
        packed = zlib.compress(data, 9)
        return (
            f"<< {dictionary} /Filter /FlateDecode /Length {len(packed)} >>\nstream\n".encode()
            + packed
            + b"\nendstream"
        )


class PdfDocument:
    def __init__(
        self, regular: TrueTypeFont, bold: TrueTypeFont, *, title: str = "", subject: str = ""
    ) -> None:
        self.regular = PdfFont(regular, "F1")
        self.bold = PdfFont(bold, "F2")
        self.title = title
        self.subject = subject
        """Document information; an ASCII subject stays readable in the file's bytes."""
        self.pages: list[Page] = []

    def new_page(self, *, landscape: bool = False) -> Page:
        width, height = A4
        page = Page(height, width) if landscape else Page(width, height)
        self.pages.append(page)
        return page

    def render(self, *, created: datetime | None = None) -> bytes:
        objects = _Objects()
        catalog, tree = objects.add(), objects.add()
        moment = (created or datetime.now(UTC)).strftime("%Y%m%d%H%M%SZ")
        subject = f"/Subject {_text_string(self.subject)} " if self.subject else ""
        info = objects.add(
            f"<< /Title {_utf16_hex(self.title)} {subject}/Producer (D73) "
            f"/Creator (D73) /CreationDate (D:{moment}) >>".encode()
        )
        fonts = {font.resource: _embed(font, objects) for font in (self.regular, self.bold)}
        font_resources = " ".join(f"/{name} {ref} 0 R" for name, ref in fonts.items())
        kids = []
        for page in self.pages:
            content = objects.add(objects.stream("", "\n".join(page.ops).encode("latin-1")))
            kids.append(
                objects.add(
                    f"<< /Type /Page /Parent {tree} 0 R /MediaBox [0 0 {_number(page.width)} "
                    f"{_number(page.height)}] /Resources << /Font << {font_resources} >> >> "
                    f"/Contents {content} 0 R >>".encode()
                )
            )
        objects.set(catalog, f"<< /Type /Catalog /Pages {tree} 0 R /Lang (vi-VN) >>".encode())
        refs = " ".join(f"{k} 0 R" for k in kids)
        objects.set(
            tree,
            f"<< /Type /Pages /Count {len(kids)} /Kids [{refs}] >>".encode(),
        )
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects.bodies, start=1):
            offsets.append(len(out))
            out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode()
        for offset in offsets:
            out += f"{offset:010d} 00000 n \n".encode()
        identifier = hashlib.md5(bytes(out), usedforsecurity=False).hexdigest()
        out += (
            f"trailer\n<< /Size {len(offsets) + 1} /Root {catalog} 0 R /Info {info} 0 R "
            f"/ID [<{identifier}> <{identifier}>] >>\nstartxref\n{xref}\n%%EOF\n"
        ).encode()
        return bytes(out)


def _embed(font: PdfFont, objects: _Objects) -> int:
    """Type0 font → CIDFontType2 → descriptor → subset font program, plus ToUnicode."""
    ttf, metrics = font.font, font.font.metrics
    scale = 1000 / ttf.units_per_em
    glyphs = sorted(font.used) or [0]
    subset = ttf.subset(set(glyphs))
    font_file = objects.add(objects.stream(f"/Length1 {len(subset)}", subset))
    flags = 32 | (2 if "Serif" in ttf.name else 0)  # nonsymbolic; serif
    bbox = " ".join(_number(v * scale) for v in metrics.bbox)
    descriptor = objects.add(
        (
            f"<< /Type /FontDescriptor /FontName /{font.base_name} /Flags {flags} "
            f"/FontBBox [{bbox}] /ItalicAngle {_number(metrics.italic_angle)} "
            f"/Ascent {_number(metrics.ascent * scale)} "
            f"/Descent {_number(metrics.descent * scale)} "
            f"/CapHeight {_number(metrics.cap_height * scale)} /StemV 80 "
            f"/FontFile2 {font_file} 0 R >>"
        ).encode()
    )
    widths = " ".join(f"{g} [{_number(ttf.advance(g) * scale)}]" for g in glyphs)
    cid_font = objects.add(
        (
            f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{font.base_name} "
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            f"/FontDescriptor {descriptor} 0 R /DW 1000 /W [{widths}] /CIDToGIDMap /Identity >>"
        ).encode()
    )
    to_unicode = objects.add(objects.stream("", _to_unicode(font.used)))
    return objects.add(
        (
            f"<< /Type /Font /Subtype /Type0 /BaseFont /{font.base_name} /Encoding /Identity-H "
            f"/DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R >>"
        ).encode()
    )


def _to_unicode(used: dict[int, str]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    items = sorted(used.items())
    for start in range(0, len(items), 100):
        chunk = items[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        for glyph, char in chunk:
            lines.append(f"<{glyph:04X}> <{char.encode('utf-16-be').hex().upper()}>")
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")
