"""Citations in legal form for Vietnamese documents: "khoản 1 Điều 8 Nghị định số 73/2023/NĐ-CP",
never the compact code ("ND73 Art 8 §1") events and rule sets record.

Events keep the compact code (machine-readable, stable); whatever a person reads on paper or on
a page goes through `legal_form`. Dates are written as Decree 30/2020/NĐ-CP (Appendix I) writes
them: "ngày 05 tháng 3 năm 2025" in running text, "05/3/2025" in tables.
"""

from __future__ import annotations

import re
from datetime import date

DECREE_73 = "Nghị định số 73/2023/NĐ-CP"
PLAN_88 = "Kế hoạch số 88/KH-UBND"

_ARTICLE = re.compile(
    r"Art\s*(?P<art>\d+)(?:\s*§\s*(?P<from>\d+)(?:\s*[–-]\s*(?P<to>\d+))?)?(?:\s*¶\s*\d+)?"
    r"(?:\s*(?:point|điểm)\s*(?P<point>[a-zđ]))?"
)
_SECTION = re.compile(
    r"(?P<roman>[IVX]+)(?:\.(?P<item>\d+)(?:\s*[–-]\s*(?P<item_to>\d+))?)?"
    r"(?:\.(?P<point>[a-zđ]))?(?:[–-](?P<point_to>[a-zđ]))?"
)
_PARENTHESIS = re.compile(r"\s*\([^)]*\)")


def _clauses(first: str, last: str | None) -> str:
    if last is None:
        return f"khoản {first}"
    numbers = range(int(first), int(last) + 1)
    return ", ".join(f"khoản {n}" for n in numbers)


def _decree(text: str) -> str:
    parts = []
    for match in _ARTICLE.finditer(text):
        words = []
        if match.group("point"):
            words.append(f"điểm {match.group('point')}")
        if match.group("from"):
            words.append(_clauses(match.group("from"), match.group("to")))
        words.append(f"Điều {match.group('art')}")
        parts.append(" ".join(words))
    return f"{', '.join(parts)} {DECREE_73}" if parts else DECREE_73


def _plan(text: str) -> str:
    match = _SECTION.search(text)
    if match is None:
        return PLAN_88
    words = []
    if match.group("point"):
        point = match.group("point")
        if match.group("point_to"):
            point = f"{point}, điểm {match.group('point_to')}"
        words.append(f"điểm {point}")
    if match.group("item"):
        words.append(_clauses(match.group("item"), match.group("item_to")))
    words.append(f"Mục {match.group('roman')}")
    return f"{' '.join(words)} {PLAN_88}"


def legal_form(code: str) -> str:
    """The Vietnamese legal form of a compact citation; `;`-separated parts stay separate.

    English notes in brackets ("(period not found)") are left out: whether a rule is confirmed,
    inferred or not found is stated by its mark, in Vietnamese, where it is shown.
    """
    pieces = []
    for raw in _PARENTHESIS.sub("", code).split(";"):
        part = raw.strip()
        if not part:
            continue
        if part.startswith("ND73") or part.startswith("Art"):
            pieces.append(_decree(part.removeprefix("ND73")))
        elif re.match(r"^(KH|Plan)\s*88", part):
            pieces.append(_plan(re.sub(r"^(KH|Plan)\s*88/KH-UBND(\s+Cần Thơ)?", "", part)))
        elif not re.fullmatch(r"[A-Za-z ,.]+", part):  # an English note is not a citation
            pieces.append(part)
    return "; ".join(pieces)


def long_date(day: date) -> str:
    """ "ngày 05 tháng 3 năm 2025": days and months below 10 take a leading zero only for the
    day, and for months 1 and 2 (Decree 30/2020/NĐ-CP, Appendix I, II.5)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def short_date(day: date) -> str:
    """ "05/3/2025" (the same rule, in figures): for tables and the "Số" line."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{day.day:02d}/{month}/{day.year}"
