"""Streaming reader of a `multipart/form-data` body carrying one file (RFC 7578).

The file's bytes go to a sink as they arrive, so an upload is hashed and size-limited without
ever being held in memory, and a body that passes the limit is refused at that byte. Other
small form fields are read and ignored.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from urllib.parse import unquote

MAX_HEADER_BYTES = 16 * 1024
MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 8


class MalformedMultipart(Exception):
    """The body is not the multipart/form-data with one `file` part that this route takes
    (HTTP 400)."""


class NotMultipart(Exception):
    """Send the file as multipart/form-data, in a part named `file` (HTTP 415)."""


@dataclass(frozen=True)
class FilePart:
    file_name: str
    content_type: str | None


def boundary_of(content_type: str | None) -> bytes:
    """The boundary of a multipart/form-data Content-Type, or NotMultipart."""
    essence, params = _split_header(content_type or "")
    if essence.lower() != "multipart/form-data":
        raise NotMultipart(f"expected multipart/form-data, got {essence or 'no content type'!r}")
    boundary = params.get("boundary", "")
    if not 0 < len(boundary) <= 70:
        raise MalformedMultipart("the multipart boundary is missing or longer than 70 characters")
    return boundary.encode("latin-1")


async def read_file_part(
    chunks: AsyncIterator[bytes],
    boundary: bytes,
    sink: Callable[[bytes], None],
    field: str = "file",
) -> FilePart:
    """Pass the content of the part named `field` to `sink`; return its name and type."""
    delimiter = b"\r\n--" + boundary
    buffer = b"\r\n"  # the first delimiter may open the body without a preceding CRLF
    stream = chunks.__aiter__()
    exhausted = False

    async def more() -> bool:
        nonlocal buffer, exhausted
        if exhausted:
            return False
        try:
            buffer += await stream.__anext__()
        except StopAsyncIteration:
            exhausted = True
            return False
        return True

    # preamble: up to the first delimiter
    while (start := buffer.find(delimiter)) < 0:
        buffer = buffer[-len(delimiter) :]
        if not await more():
            raise MalformedMultipart("no multipart boundary found in the body")
    buffer = buffer[start + len(delimiter) :]
    found: FilePart | None = None
    for _ in range(MAX_PARTS):
        while len(buffer) < 2 and await more():
            pass
        if buffer.startswith(b"--"):
            if found is None:
                raise MalformedMultipart(f"no part named {field!r}")
            return found
        while (end := buffer.find(b"\r\n\r\n")) < 0:
            if len(buffer) > MAX_HEADER_BYTES:
                raise MalformedMultipart("part headers too long")
            if not await more():
                raise MalformedMultipart("the body ends inside part headers")
        headers = _part_headers(buffer[:end])
        buffer = buffer[end + 4 :]
        disposition, params = _split_header(headers.get("content-disposition", ""))
        if disposition.lower() != "form-data" or "name" not in params:
            raise MalformedMultipart("each part needs Content-Disposition: form-data; name=…")
        is_file = params["name"] == field
        if is_file and found is not None:
            raise MalformedMultipart(f"only one part named {field!r} is accepted")
        if is_file:
            found = FilePart(params.get("filename", ""), headers.get("content-type"))
        received = 0
        while True:
            cut = buffer.find(delimiter)
            content = buffer if cut < 0 else buffer[:cut]
            if cut < 0:  # keep what could be the start of a delimiter
                keep = len(delimiter) - 1
                content, buffer = buffer[:-keep] if len(buffer) > keep else b"", buffer[-keep:]
            else:
                buffer = buffer[cut + len(delimiter) :]
            if content:
                received += len(content)
                if is_file:
                    sink(content)
                elif received > MAX_FIELD_BYTES:
                    raise MalformedMultipart(f"form field {params['name']!r} is too long")
            if cut >= 0:
                break
            if not await more():
                raise MalformedMultipart("the body ends before the closing boundary")
    raise MalformedMultipart(f"more than {MAX_PARTS} parts")


def _part_headers(block: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    text = block.lstrip(b" \t").removeprefix(b"\r\n").decode("utf-8", errors="replace")
    for line in text.split("\r\n"):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise MalformedMultipart(f"malformed part header {line[:80]!r}")
        headers[name.strip().lower()] = value.strip()
    return headers


_PARAM = re.compile(r';\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def _split_header(value: str) -> tuple[str, dict[str, str]]:
    """`form-data; name="file"; filename="a.pdf"` → ("form-data", {name: file, filename: a.pdf}).

    `filename*=UTF-8''…` (RFC 5987) wins over `filename`.
    """
    essence, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for name, raw in _PARAM.findall(";" + rest):
        key = name.lower()
        text = raw.strip()
        if text.startswith('"') and text.endswith('"') and len(text) >= 2:
            text = re.sub(r"\\(.)", r"\1", text[1:-1])
        if key.endswith("*"):
            charset, _, encoded = text.partition("'")
            _, _, encoded = encoded.partition("'")
            try:
                params[key[:-1]] = unquote(encoded, encoding=charset or "utf-8", errors="strict")
            except (LookupError, UnicodeDecodeError):
                continue
        elif key not in params:
            params[key] = text
    return essence.strip(), params
