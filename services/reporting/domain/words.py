"""The words of a proposal's title as the auditor's search matches them (issue #15: search by
title words).

Officials type titles in Vietnamese, but a search box is often typed without Vietnamese input, in
any case: "ho tich" must find "Số hóa sổ hộ tịch". Titles and searched words are therefore folded
the same way — case folded, tone and vowel marks removed, đ as d — and a searched word matches a
title word it begins, so "số hóa" also finds "Số hoá" and "hộ" finds "hộ tịch".
"""

from __future__ import annotations

import re
import unicodedata

MAX_SEARCHED_WORDS = 8
"""More words than a title search needs; bounds the query a search builds."""

_WORD = re.compile(r"[^\W_]+")
"""Letters and digits only: a folded word never holds a LIKE wildcard (`%`, `_`) or a quote."""


def folded_words(text: str) -> list[str]:
    """The words of `text`, folded for matching ("Hộ tịch" -> ["ho", "tich"])."""
    lowered = text.casefold().replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", lowered)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _WORD.findall(plain)


def indexed_title(title: str) -> str:
    """How a title is kept for search: its folded words between spaces (" so hoa so ho tich ")."""
    return " " + " ".join(folded_words(title)) + " "


def word_patterns(words: str) -> list[str]:
    """SQL LIKE patterns, one per searched word, each matching a title word it begins."""
    return [f"% {word}%" for word in dict.fromkeys(folded_words(words))][:MAX_SEARCHED_WORDS]
