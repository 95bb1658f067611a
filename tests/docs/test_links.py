"""The repository explains itself: every relative link in README.md and docs/*.md leads to a file
inside the repository, and none points outside it (where a reader of the repo has nothing)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
EXTERNAL = ("http://", "https://", "mailto:")


def links(text: str) -> list[str]:
    """Inline links and images, and reference definitions; code blocks and spans excluded."""
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    prose = re.sub(r"`[^`\n]*`", "", prose)
    return [m.group(1) for m in LINK.finditer(prose)] + REFERENCE.findall(prose)


def test_the_documents_exist() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in DOCUMENTS}
    assert {"README.md", "docs/architecture.md", "docs/operators.md"} <= names


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves_inside_the_repository(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    broken = []
    for target in links(text):
        if target.startswith(EXTERNAL) or target.startswith("#"):
            continue
        path = unquote(target.split("#", 1)[0])
        resolved = (document.parent / path).resolve()
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            broken.append(target)
    assert broken == [], f"{document.name}: links that lead nowhere in the repository: {broken}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_document_names_a_path_outside_the_repository(document: Path) -> None:
    """Not in a link, not in code either: `../shared/design.md` from README.md is nowhere for a
    reader of the repository (the design lives in docs/architecture.md)."""
    text = document.read_text(encoding="utf-8")
    outside = [
        m.group(0)
        for m in re.finditer(r"(?<![.\w])(?:\.\./)+[\w.-]+", text)
        if not (document.parent / m.group(0)).resolve().is_relative_to(ROOT)
    ]
    assert outside == []


def test_the_link_reader_finds_links_and_skips_code() -> None:
    sample = "[a](docs/x.md) ![img](p.png#f) `[no](code.md)`\n```\n[no](block.md)\n```\n[r]: ref.md"
    assert links(sample) == ["docs/x.md", "p.png#f", "ref.md"]
