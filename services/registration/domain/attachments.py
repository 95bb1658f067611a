"""Tài liệu kèm theo — which files a proposal plan may carry, and how they are named.

The plan itself (Art 7 §2) is structured data; attachments hold what a form cannot (estimates,
drawings, minutes, scanned letters). Only office documents, PDF, images and plain text are
accepted, and the first bytes must look like the declared type, so that a reviewer who opens an
attachment gets what its label says.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from services.registration.domain.errors import AttachmentTooLarge, UnsupportedMediaType

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word/Excel 97–2003 compound file
_ZIP = b"PK\x03\x04"  # OOXML and OpenDocument containers


@dataclass(frozen=True)
class MediaType:
    label: str
    extensions: tuple[str, ...]
    magic: tuple[bytes, ...] = ()
    """Accepted first bytes; empty means the type is text (UTF-8, no NUL)."""


ALLOWED_MEDIA_TYPES: Mapping[str, MediaType] = {
    "application/pdf": MediaType("PDF", (".pdf",), (b"%PDF-",)),
    "application/msword": MediaType("Word 97–2003", (".doc",), (_OLE,)),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": MediaType(
        "Word", (".docx",), (_ZIP,)
    ),
    "application/vnd.ms-excel": MediaType("Excel 97–2003", (".xls",), (_OLE,)),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": MediaType(
        "Excel", (".xlsx",), (_ZIP,)
    ),
    "application/vnd.oasis.opendocument.text": MediaType("OpenDocument text", (".odt",), (_ZIP,)),
    "application/vnd.oasis.opendocument.spreadsheet": MediaType(
        "OpenDocument spreadsheet", (".ods",), (_ZIP,)
    ),
    "image/png": MediaType("PNG image", (".png",), (b"\x89PNG\r\n\x1a\n",)),
    "image/jpeg": MediaType("JPEG image", (".jpg", ".jpeg"), (b"\xff\xd8\xff",)),
    "text/plain": MediaType("plain text", (".txt",)),
    "text/csv": MediaType("CSV", (".csv",)),
}
"""The allow-list: media type → what it is, its file extensions and its signature."""

SNIFF_BYTES = 512
"""How many leading bytes `check_content` needs."""

UNLABELLED = frozenset({"", "application/octet-stream"})
"""What clients send when they do not know the type; the file name's extension decides then."""


def allowed_list() -> str:
    return ", ".join(f"{name} ({kind.label})" for name, kind in ALLOWED_MEDIA_TYPES.items())


def media_type_of(declared: str | None, file_name: str) -> str:
    """The allowed media type of an upload: the declared one, or the extension's when unlabelled.

    Raises UnsupportedMediaType naming the accepted types.
    """
    essence = (declared or "").split(";", 1)[0].strip().lower()
    if essence in UNLABELLED:
        extension = "." + file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
        for name, kind in ALLOWED_MEDIA_TYPES.items():
            if extension in kind.extensions:
                return name
        raise UnsupportedMediaType(
            f"cannot tell the type of {file_name!r}; send one of: {allowed_list()}"
        )
    if essence not in ALLOWED_MEDIA_TYPES:
        raise UnsupportedMediaType(f"{essence!r} is not accepted; send one of: {allowed_list()}")
    return essence


def check_content(media_type: str, head: bytes) -> None:
    """Refuse a file whose first bytes contradict its media type (a renamed executable…)."""
    kind = ALLOWED_MEDIA_TYPES.get(media_type)
    if kind is None:
        raise UnsupportedMediaType(f"{media_type!r} is not accepted; send one of: {allowed_list()}")
    if kind.magic:
        if not any(head.startswith(magic) for magic in kind.magic):
            raise UnsupportedMediaType(f"the content is not {kind.label} as declared")
        return
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        raise UnsupportedMediaType(f"{kind.label} must be UTF-8 text") from None
    if b"\x00" in head:
        raise UnsupportedMediaType(f"{kind.label} must not contain NUL bytes")


_OOXML_MAIN_PART = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "word/document.xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xl/workbook.xml",
}
_ODF = frozenset(
    {"application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet"}
)


def check_container(media_type: str, path: Path) -> None:
    """Refuse a ZIP that is not the office document it claims to be: any ZIP starts with the
    same four bytes, so an OOXML file must hold `[Content_Types].xml` and its main part, and an
    OpenDocument file its `mimetype` naming the declared type."""
    if media_type not in _OOXML_MAIN_PART and media_type not in _ODF:
        return
    label = ALLOWED_MEDIA_TYPES[media_type].label
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if media_type in _ODF:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                if "mimetype" not in names or declared != media_type:
                    raise UnsupportedMediaType(f"the content is not {label} as declared")
            elif not {"[Content_Types].xml", _OOXML_MAIN_PART[media_type]} <= names:
                raise UnsupportedMediaType(f"the content is not {label} as declared")
    except (zipfile.BadZipFile, KeyError, OSError, EOFError):
        raise UnsupportedMediaType(f"the content is not {label} as declared") from None


def check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise AttachmentTooLarge(f"attachments may be at most {max_bytes} bytes")


_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")
MAX_NAME_LENGTH = 255


def file_name(raw: str) -> str:
    """The name to keep: no directories, no control characters, NFC, at most 255 characters.

    Returns "" when nothing usable is left; the caller refuses that.
    """
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("", name).strip().strip(".").strip()
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: MAX_NAME_LENGTH - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_NAME_LENGTH]
    return name
