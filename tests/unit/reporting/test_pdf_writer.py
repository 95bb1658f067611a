"""Drawing state must not leak: a table header's fill colour once turned every later text line
into the same pale blue, making header labels invisible and figures faint (seen on a page)."""

from __future__ import annotations

from shared.pdf.writer import Page


def test_a_filled_shape_does_not_change_the_colour_of_what_follows() -> None:
    page = Page(595.28, 841.89)
    page.rect(10, 10, 100, 20, fill=(0.86, 0.89, 0.95), stroke=0)
    page.line(0, 0, 10, 10, gray=0.5)
    for op in page.ops:
        assert op.startswith("q ")
        assert op.endswith(" Q")
    assert " rg " in page.ops[0], "the fill colour is set inside the saved state"
