"""Which files a plan may carry and how they are named (domain/attachments.py)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from services.registration.domain import UnsupportedMediaType
from services.registration.domain.attachments import (
    ALLOWED_MEDIA_TYPES,
    check_container,
    check_content,
    file_name,
    media_type_of,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_a_declared_type_is_read_without_its_parameters() -> None:
    assert media_type_of("Text/Plain; charset=UTF-8", "ghi chú.txt") == "text/plain"


def test_every_allowed_type_is_recognised_by_its_extension_when_unlabelled() -> None:
    for name, kind in ALLOWED_MEDIA_TYPES.items():
        for extension in kind.extensions:
            assert media_type_of("application/octet-stream", f"tệp{extension.upper()}") == name
    with pytest.raises(UnsupportedMediaType, match="cannot tell"):
        media_type_of(None, "không đuôi")


def test_office_documents_must_be_what_they_say() -> None:
    check_content(DOCX, b"PK\x03\x04rest of the zip")
    check_content("application/msword", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1....")
    with pytest.raises(UnsupportedMediaType, match="not Word"):
        check_content(DOCX, b"%PDF-1.7")


def test_text_may_be_cut_inside_a_multibyte_character_at_the_sniffing_limit() -> None:
    check_content("text/csv", "Họ tên,Đơn vị\n".encode()[:-4] + "ồ".encode()[:1])
    with pytest.raises(UnsupportedMediaType, match="NUL"):
        check_content("text/plain", b"a\x00b")


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("/etc/passwd", "passwd"),
        ("..\\..\\Dự toán.xlsx", "Dự toán.xlsx"),
        ("a\x00b\x1f.pdf", "ab.pdf"),
        ("...", ""),
        ("Tờ trình" + "x" * 300 + ".docx", "Tờ trình" + "x" * 242 + ".docx"),
    ],
)
def test_a_file_name_keeps_no_path_no_control_characters_and_its_extension(
    raw: str, kept: str
) -> None:
    assert file_name(raw) == kept
    assert len(file_name(raw)) <= 255


def _zip(tmp_path: Path, name: str, members: dict[str, str]) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in members.items():
            archive.writestr(member, text)
    return path


def test_any_zip_is_not_a_docx(tmp_path: Path) -> None:
    """A ZIP starts like every OOXML file: the container must hold a Word document."""
    plain = _zip(tmp_path, "a.docx", {"readme.txt": "not a document"})
    with pytest.raises(UnsupportedMediaType, match="Word"):
        check_container(DOCX, plain)
    word = _zip(
        tmp_path,
        "b.docx",
        {"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"},
    )
    check_container(DOCX, word)
    broken = tmp_path / "c.docx"
    broken.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(UnsupportedMediaType):
        check_container(DOCX, broken)


def test_an_opendocument_names_its_own_type(tmp_path: Path) -> None:
    odt = "application/vnd.oasis.opendocument.text"
    sheet = _zip(tmp_path, "s.odt", {"mimetype": "application/vnd.oasis.opendocument.spreadsheet"})
    with pytest.raises(UnsupportedMediaType):
        check_container(odt, sheet)
    check_container(odt, _zip(tmp_path, "t.odt", {"mimetype": odt}))
