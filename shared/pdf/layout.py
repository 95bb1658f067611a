"""What every printed D73 document shares: the national heading of Vietnamese administrative
documents, and text wrapped to a width."""

from __future__ import annotations

from shared.pdf.writer import PdfFont

NATIONAL_MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
"""Quốc hiệu và tiêu ngữ, at the top right of every administrative document."""


def wrap(text: str, font: PdfFont, size: float, width: float) -> list[str]:
    """`text` in lines no wider than `width`: broken at spaces and at its own line breaks, and a
    word wider than a line cut where it must."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if font.width(candidate, size) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while font.width(word, size) > width and len(word) > 1:
                cut = len(word)
                while cut > 1 and font.width(word[:cut], size) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines
