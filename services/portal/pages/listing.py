"""Long lists are shown a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PAGE_SIZE = 20


@dataclass(frozen=True)
class Listing:
    rows: list[Any]
    page: int
    pages: int
    total: int


def paginate(rows: list[Any], page: int, size: int = PAGE_SIZE) -> Listing:
    pages = max(1, -(-len(rows) // size))
    page = min(max(1, page), pages)
    return Listing(rows[(page - 1) * size : page * size], page, pages, len(rows))
