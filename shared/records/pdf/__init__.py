"""Printed documents (reporting's reports, approval's protection extracts), laid out by fpdf2
with the vendored DejaVu Serif fonts (`shared.records.pdf.printing`).

This package's root stays light: fpdf2 and fontTools take about 30 MB of memory, so services
import `printing` only when they print (issue #19, memory per service).
"""


class PdfUnavailable(RuntimeError):
    """The vendored fonts are missing from this installation (a broken package)."""
