"""Just enough TrueType to embed a font in a PDF: character map, advance widths, and a subset.

Vietnamese needs the precomposed letters of Latin Extended Additional (ạ ả ấ … ỹ) plus đ, ơ, ư;
a font that has them (DejaVu) is read here, and only the glyphs a document uses are kept in the
embedded copy (glyph ids unchanged, unused glyphs emptied, composite glyphs' parts kept).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

_REQUIRED = (b"head", b"hhea", b"maxp", b"hmtx", b"loca", b"glyf", b"cmap")
_EMBEDDED = (
    b"OS/2",
    b"cmap",
    b"cvt ",
    b"fpgm",
    b"glyf",
    b"head",
    b"hhea",
    b"hmtx",
    b"loca",
    b"maxp",
    b"name",
    b"prep",
)
"""Tables a viewer needs for an embedded CIDFontType2 font, plus those that keep the subset a
valid standalone font (some viewers convert it to one); `post` is rewritten without names."""

# Composite glyph flags (OpenType `glyf` table).
_ARG_WORDS, _SCALE, _MORE, _XY_SCALE, _TWO_BY_TWO = 0x0001, 0x0008, 0x0020, 0x0040, 0x0080


class FontError(ValueError):
    """Not a TrueType font this reader understands."""


@dataclass(frozen=True)
class FontMetrics:
    units_per_em: int
    ascent: int
    descent: int
    cap_height: int
    bbox: tuple[int, int, int, int]
    italic_angle: float


class TrueTypeFont:
    def __init__(self, data: bytes, name: str) -> None:
        self.data = data
        self.name = name
        self.tables = self._directory(data)
        for tag in _REQUIRED:
            if tag not in self.tables:
                raise FontError(f"{name}: no {tag.decode()} table")
        head = self._table(b"head")
        self.units_per_em = struct.unpack(">H", head[18:20])[0]
        bbox = struct.unpack(">hhhh", head[36:44])
        self.long_loca = struct.unpack(">h", head[50:52])[0] == 1
        self.num_glyphs = struct.unpack(">H", self._table(b"maxp")[4:6])[0]
        hhea = self._table(b"hhea")
        ascent, descent = struct.unpack(">hh", hhea[4:8])
        metrics_count = struct.unpack(">H", hhea[34:36])[0]
        self.advances = self._advances(metrics_count)
        self.cmap = self._cmap()
        cap_height = ascent
        if b"OS/2" in self.tables:
            os2 = self._table(b"OS/2")
            if len(os2) >= 90:
                cap_height = struct.unpack(">h", os2[88:90])[0]
        italic = 0.0
        if b"post" in self.tables:
            whole, frac = struct.unpack(">hH", self._table(b"post")[4:8])
            italic = whole + frac / 65536
        self.metrics = FontMetrics(self.units_per_em, ascent, descent, cap_height, bbox, italic)

    @classmethod
    def load(cls, path: Path) -> TrueTypeFont:
        return cls(path.read_bytes(), path.stem)

    # ------------------------------------------------------------------ reading

    @staticmethod
    def _directory(data: bytes) -> dict[bytes, tuple[int, int]]:
        if len(data) < 12 or data[:4] not in (b"\x00\x01\x00\x00", b"true"):
            raise FontError("not a TrueType (glyf) font")
        count = struct.unpack(">H", data[4:6])[0]
        tables = {}
        for i in range(count):
            tag, _checksum, offset, length = struct.unpack(
                ">4sLLL", data[12 + 16 * i : 28 + 16 * i]
            )
            tables[tag] = (offset, length)
        return tables

    def _table(self, tag: bytes) -> bytes:
        offset, length = self.tables[tag]
        return self.data[offset : offset + length]

    def _advances(self, metrics_count: int) -> list[int]:
        hmtx = self._table(b"hmtx")
        advances = [struct.unpack(">H", hmtx[4 * i : 4 * i + 2])[0] for i in range(metrics_count)]
        last = advances[-1] if advances else 0
        return advances + [last] * (self.num_glyphs - metrics_count)

    def _cmap(self) -> dict[int, int]:
        cmap = self._table(b"cmap")
        count = struct.unpack(">H", cmap[2:4])[0]
        chosen: tuple[int, int] | None = None
        for i in range(count):
            platform, encoding, offset = struct.unpack(">HHL", cmap[4 + 8 * i : 12 + 8 * i])
            fmt = struct.unpack(">H", cmap[offset : offset + 2])[0]
            rank = {(3, 10, 12): 0, (0, 4, 12): 1, (3, 1, 4): 2, (0, 3, 4): 3}.get(
                (platform, encoding, fmt)
            )
            if rank is not None and (chosen is None or rank < chosen[0]):
                chosen = (rank, offset)
        if chosen is None:
            raise FontError(f"{self.name}: no Unicode character map")
        offset = chosen[1]
        if struct.unpack(">H", cmap[offset : offset + 2])[0] == 12:
            return self._cmap12(cmap, offset)
        return self._cmap4(cmap, offset)

    @staticmethod
    def _cmap4(cmap: bytes, offset: int) -> dict[int, int]:
        segments = struct.unpack(">H", cmap[offset + 6 : offset + 8])[0] // 2
        base = offset + 14
        ends = struct.unpack(f">{segments}H", cmap[base : base + 2 * segments])
        base += 2 * segments + 2
        starts = struct.unpack(f">{segments}H", cmap[base : base + 2 * segments])
        base += 2 * segments
        deltas = struct.unpack(f">{segments}h", cmap[base : base + 2 * segments])
        base += 2 * segments
        range_base = base
        ranges = struct.unpack(f">{segments}H", cmap[base : base + 2 * segments])
        mapping: dict[int, int] = {}
        for s in range(segments):
            for code in range(starts[s], ends[s] + 1):
                if code == 0xFFFF:
                    continue
                if ranges[s] == 0:
                    glyph = (code + deltas[s]) & 0xFFFF
                else:
                    at = range_base + 2 * s + ranges[s] + 2 * (code - starts[s])
                    glyph = struct.unpack(">H", cmap[at : at + 2])[0]
                    if glyph:
                        glyph = (glyph + deltas[s]) & 0xFFFF
                if glyph:
                    mapping[code] = glyph
        return mapping

    @staticmethod
    def _cmap12(cmap: bytes, offset: int) -> dict[int, int]:
        groups = struct.unpack(">L", cmap[offset + 12 : offset + 16])[0]
        mapping: dict[int, int] = {}
        for g in range(groups):
            at = offset + 16 + 12 * g
            start, end, glyph = struct.unpack(">LLL", cmap[at : at + 12])
            for code in range(start, end + 1):
                mapping[code] = glyph + code - start
        return mapping

    # ------------------------------------------------------------------ using

    def glyph(self, char: str) -> int:
        """Glyph id of a character; 0 (.notdef) when the font lacks it."""
        return self.cmap.get(ord(char), 0)

    def advance(self, glyph: int) -> int:
        return self.advances[glyph] if glyph < len(self.advances) else 0

    def width(self, text: str, size: float) -> float:
        """Width of `text` in points at `size`."""
        units = sum(self.advance(self.cmap.get(ord(c), 0)) for c in text)
        return float(units * size / self.units_per_em)

    def _glyph_offsets(self) -> list[int]:
        loca = self._table(b"loca")
        n = self.num_glyphs + 1
        if self.long_loca:
            return list(struct.unpack(f">{n}L", loca[: 4 * n]))
        return [2 * v for v in struct.unpack(f">{n}H", loca[: 2 * n])]

    def _components(self, glyph_data: bytes) -> list[int]:
        """Glyphs a composite glyph is built from (none for a simple glyph)."""
        if len(glyph_data) < 10 or struct.unpack(">h", glyph_data[:2])[0] >= 0:
            return []
        parts, at = [], 10
        while True:
            flags, index = struct.unpack(">HH", glyph_data[at : at + 4])
            parts.append(index)
            at += 4 + (4 if flags & _ARG_WORDS else 2)
            if flags & _SCALE:
                at += 2
            elif flags & _XY_SCALE:
                at += 4
            elif flags & _TWO_BY_TWO:
                at += 8
            if not flags & _MORE:
                return parts

    def subset(self, glyphs: set[int]) -> bytes:
        """A copy of the font with only `glyphs` (and their parts) kept; ids unchanged."""
        offsets = self._glyph_offsets()
        glyf = self._table(b"glyf")
        keep, todo = {0}, list(glyphs | {0})
        while todo:
            g = todo.pop()
            if g >= self.num_glyphs:
                continue
            keep.add(g)
            for part in self._components(glyf[offsets[g] : offsets[g + 1]]):
                if part not in keep:
                    todo.append(part)
        new_glyf, new_loca = bytearray(), list[int]()
        for g in range(self.num_glyphs):
            new_loca.append(len(new_glyf))
            if g in keep:
                new_glyf += glyf[offsets[g] : offsets[g + 1]]
                new_glyf += b"\x00" * (-len(new_glyf) % 4)
        new_loca.append(len(new_glyf))
        head = bytearray(self._table(b"head"))
        head[8:12] = b"\x00\x00\x00\x00"  # checkSumAdjustment, set below
        head[50:52] = struct.pack(">h", 1)  # long offsets
        tables = {
            tag: self._table(tag) for tag in _EMBEDDED if tag in self.tables and tag != b"loca"
        }
        tables[b"glyf"] = bytes(new_glyf)
        tables[b"loca"] = struct.pack(f">{len(new_loca)}L", *new_loca)
        tables[b"head"] = bytes(head)
        if b"post" in self.tables:
            tables[b"post"] = b"\x00\x03\x00\x00" + self._table(b"post")[4:32]
        font, table_offsets = _assemble(tables)
        adjustment = (0xB1B0AFBA - _checksum(font)) & 0xFFFFFFFF
        at = table_offsets[b"head"] + 8
        return font[:at] + struct.pack(">L", adjustment) + font[at + 4 :]


def _checksum(data: bytes) -> int:
    padded = data + b"\x00" * (-len(data) % 4)
    words: tuple[int, ...] = struct.unpack(f">{len(padded) // 4}L", padded)
    return sum(words) & 0xFFFFFFFF


def _assemble(tables: dict[bytes, bytes]) -> tuple[bytes, dict[bytes, int]]:
    """An sfnt file of `tables` and where each table starts in it."""
    tags = sorted(tables)
    count = len(tags)
    power = 1
    while power * 2 <= count:
        power *= 2
    header = struct.pack(
        ">4sHHHH",
        b"\x00\x01\x00\x00",
        count,
        power * 16,
        power.bit_length() - 1,
        count * 16 - power * 16,
    )
    start = 12 + 16 * count
    directory, body = bytearray(), bytearray()
    offsets: dict[bytes, int] = {}
    for tag in tags:
        data = tables[tag]
        offsets[tag] = start + len(body)
        directory += struct.pack(">4sLLL", tag, _checksum(data), offsets[tag], len(data))
        body += data + b"\x00" * (-len(data) % 4)
    return header + bytes(directory) + bytes(body), offsets
