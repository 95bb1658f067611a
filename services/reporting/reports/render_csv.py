"""CSV of a report: every block in order, tables with Vietnamese headings (UTF-8 with BOM, so
spreadsheet programs read the diacritics). Numbers stay plain numbers; dates are ISO; a text
that a spreadsheet would take for a formula is neutralised (issue #11 §6)."""

from __future__ import annotations

import csv
import io
from typing import Any

from services.reporting.reports.document import (
    Column,
    Document,
    Table,
    Text,
    kind_of,
    spreadsheet_text,
)


def raw_value(column: Column, row: dict[str, Any]) -> Any:
    value = row.get(column.key)
    if value is None:
        return ""
    kind = kind_of(column, row)
    if kind == "percent":
        return f"{float(value):.4f}"
    if kind == "date":
        return str(value)[:10]
    return spreadsheet_text(value) if isinstance(value, str) else value


def render_csv(document: Document) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for line in (document.title, document.subtitle, document.place_date):
        if line:
            writer.writerow([spreadsheet_text(line)])
    for section in document.sections:
        writer.writerow([])
        if isinstance(section, Text):
            writer.writerow([spreadsheet_text(section.heading)])
            for line in section.lines:
                writer.writerow([spreadsheet_text(line)])
        elif isinstance(section, Table):
            writer.writerow([spreadsheet_text(section.title)])
            writer.writerow([spreadsheet_text(c.heading) for c in section.columns])
            for row in section.rows:
                writer.writerow([raw_value(c, row) for c in section.columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
