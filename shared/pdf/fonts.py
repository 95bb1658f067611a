"""A TrueType pair with every Vietnamese letter, found on the machine (`fonts-dejavu-core`).

No font ships with D73: the Docker image copies Debian's DejaVu into place, and a developer's
machine usually has DejaVu, Liberation or Times New Roman.
"""

from __future__ import annotations

import functools
from pathlib import Path

from shared.pdf.truetype import FontError, TrueTypeFont

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/share/fonts/truetype/liberation"),
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
    Path("C:/Windows/Fonts"),
)
FONT_PAIRS = (
    ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    ("LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf"),
    ("times.ttf", "timesbd.ttf"),
    ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
)
VIETNAMESE_PROBE = "ĐđƠơƯưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"


class PdfUnavailable(RuntimeError):
    """No TrueType font with Vietnamese letters was found on this machine."""


@functools.cache
def vietnamese_fonts() -> tuple[TrueTypeFont, TrueTypeFont]:
    """A regular and a bold font that have every Vietnamese letter."""
    for folder in FONT_DIRS:
        for regular, bold in FONT_PAIRS:
            try:
                fonts = (TrueTypeFont.load(folder / regular), TrueTypeFont.load(folder / bold))
            except (OSError, FontError):
                continue
            if all(f.glyph(c) for f in fonts for c in VIETNAMESE_PROBE):
                return fonts
    raise PdfUnavailable(
        "no TrueType font with Vietnamese letters found (looked for DejaVu Serif, Liberation "
        "Serif, Times New Roman, DejaVu Sans in "
        + ", ".join(str(d) for d in FONT_DIRS)
        + "); install fonts-dejavu-core"
    )
