"""The document libraries load when a document is printed, not when a service starts: fpdf2,
fontTools and openpyxl take about 35 MB of each service's memory (issue #19, peak RSS)."""

from __future__ import annotations

import pytest

from tests.support.probes import in_fresh_interpreter

HEAVY = ("fpdf", "fontTools", "openpyxl")


@pytest.mark.parametrize("service", ["registration", "approval", "reporting"])
def test_a_started_service_has_not_loaded_the_document_libraries(service: str) -> None:
    probe = (
        f"import sys; from services.{service}.main import create_app; create_app(); "
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    assert in_fresh_interpreter(probe) == ""


def test_printing_a_document_loads_them() -> None:
    """The probe above can see a loaded library: the first PDF printed imports fpdf."""
    probe = (
        "import sys; from services.reporting.api.reports import render_pdf; "
        "from services.reporting.reports.document import Document, Text; "
        "before = 'fpdf' in sys.modules; "
        "pdf = render_pdf(Document('summary', 'bao-cao', 'BÁO CÁO', '', 'UBND', 'Sở Nội vụ', "
        "'Cần Thơ', (Text('I', ('Một dòng.',)),))); "
        "print(before, 'fpdf' in sys.modules, pdf[:4])"
    )
    assert in_fresh_interpreter(probe).split() == ["False", "True", "b'%PDF'"]
