"""Văn bản báo cáo — a report as its renderers see it: headed blocks of text and tables.

Builders produce a `Report`: the figures as plain data (the JSON answer) and a `Document` laid
out like a Vietnamese administrative report (issuing body, national motto, title, sections,
signature block), which the CSV, XLSX and PDF renderers turn into files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.kernel import citations


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    kind: str = "text"
    """text | int | percent | money | date | citation (a compact citation, shown in legal form)"""
    width: float = 1.0
    """Relative width on paper."""


@dataclass(frozen=True)
class Chart:
    """A bar chart of some numeric columns of its table, one bar group per row."""

    title: str
    category: str
    series: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[Column, ...]
    rows: tuple[dict[str, Any], ...]
    chart: Chart | None = None
    sheet: str = ""
    """Worksheet name (≤ 31 characters) when the table gets its own sheet."""


@dataclass(frozen=True)
class Text:
    """A heading and its paragraphs (each line may start with "- " for a bullet)."""

    heading: str
    lines: tuple[str, ...]


Section = Text | Table


@dataclass(frozen=True)
class Document:
    kind: str
    file_stem: str
    title: str
    subtitle: str
    superior: str
    issuer: str
    place_date: str
    sections: tuple[Section, ...]
    number: str = "Số:        /BC-"
    recipient: str = ""
    signer_title: str = ""
    signer_name: str = ""
    signed_paper: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)

    def tables(self) -> list[Table]:
        return [s for s in self.sections if isinstance(s, Table)]


@dataclass(frozen=True)
class Report:
    data: dict[str, Any]
    document: Document


def vietnamese_date(day: date, place: str = "Cần Thơ") -> str:
    """ "Cần Thơ, ngày 05 tháng 3 năm 2025" (Decree 30/2020/NĐ-CP)."""
    return f"{place}, {citations.long_date(day)}"


def short_date(day: str | date | None) -> str:
    """ "05/3/2025" (Decree 30/2020/NĐ-CP: a leading zero for days, and months 1 and 2)."""
    if day is None or day == "":
        return ""
    value = day if isinstance(day, date) else date.fromisoformat(str(day)[:10])
    return citations.short_date(value)


def count(value: int | None) -> str:
    """1.234.567 — Vietnamese digit grouping."""
    return "—" if value is None else f"{value:,}".replace(",", ".")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%".replace(".", ",")


def days(value: int | None) -> str:
    return "—" if value is None else f"{value} ngày làm việc"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a text cell as a formula (CSV injection, OWASP)."""


def spreadsheet_text(text: str) -> str:
    """`text` as a spreadsheet shows it and never runs it: a leading `'` where it would start a
    formula (a title "=HYPERLINK(…)" stays text in Sở Nội vụ's spreadsheet)."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def kind_of(column: Column, row: Mapping[str, Any]) -> str:
    """A `mixed` column (one indicator per row) takes each row's own `kind`."""
    return str(row.get("kind", "text")) if column.kind == "mixed" else column.kind


def cell_text(column: Column, row: Mapping[str, Any]) -> str:
    """How a value reads on paper and in CSV."""
    value, kind = row.get(column.key), kind_of(column, row)
    if value is None or value == "":
        return "" if kind == "text" else "—"
    if kind in ("int", "money"):
        return count(int(value))
    if kind == "percent":
        return percent(float(value))
    if kind == "date":
        return short_date(value)
    if kind == "citation":
        return citations.legal_form(str(value))
    return str(value)
