"""Looking at printed documents as a reader would: each page rendered by pdftoppm (poppler-utils,
installed by tests/pdf_setup.sh) and its text extracted by pdftotext."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image

DPI = 72  # one pixel per point: A4 is 595 × 842
MM = DPI / 25.4


def require_poppler() -> None:
    if not (shutil.which("pdftoppm") and shutil.which("pdftotext")):
        pytest.fail("pdftoppm/pdftotext missing: `make test` installs them (tests/pdf_setup.sh)")


def pages_of(pdf: bytes, keep: Path | None = None) -> list[Image.Image]:
    """Every page as an RGB image; also written as PNG files under `keep` when given."""
    require_poppler()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", str(DPI), "-png", str(source), str(Path(folder) / "page")],
            check=True,
            capture_output=True,
        )
        images = []
        for png in sorted(Path(folder).glob("page*.png")):
            if keep is not None:
                keep.mkdir(parents=True, exist_ok=True)
                shutil.copy(png, keep / png.name)
            with Image.open(png) as image:
                images.append(image.convert("RGB"))
        return images


def text_of(pdf: bytes) -> str:
    require_poppler()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        return subprocess.run(
            ["pdftotext", str(source), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout


def ink_outside(image: Image.Image, left: float, top: float, right: float, bottom: float) -> int:
    """Dark pixels outside the margins (in mm): text that spilled out of the printable area."""
    gray = image.convert("L")
    width, height = gray.size
    box = (
        int(left * MM) - 1,
        int(top * MM) - 1,
        width - int(right * MM) + 1,
        height - int(bottom * MM) + 1,
    )
    data = gray.tobytes()
    count = 0
    for y in range(height):
        row = data[y * width : (y + 1) * width]
        for x, value in enumerate(row):
            inside = box[0] <= x < box[2] and box[1] <= y < box[3]
            if not inside and value < 160:
                count += 1
    return count


def dark_pixels(image: Image.Image) -> int:
    return sum(1 for value in image.convert("L").tobytes() if value < 160)
