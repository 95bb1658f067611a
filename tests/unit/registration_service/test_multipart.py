"""The streaming multipart reader: the file part arrives byte for byte however the body is cut
into chunks, and malformed bodies are refused with a reason."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.registration.api.multipart import (
    FilePart,
    MalformedMultipart,
    NotMultipart,
    boundary_of,
    read_file_part,
)

BOUNDARY = b"----d73boundary7MA4YWxkTrZu0gW"


def body(content: bytes, name: str = "Dự toán.pdf", *, extra_field: bool = True) -> bytes:
    parts = [b"preamble to ignore\r\n"]
    if extra_field:
        parts.append(
            b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="note"\r\n\r\nghi chu\r\n'
        )
    parts.append(
        b"--"
        + BOUNDARY
        + b'\r\nContent-Disposition: form-data; name="file"; filename="'
        + name.encode()
        + b'"\r\nContent-Type: application/pdf\r\n\r\n'
        + content
        + b"\r\n--"
        + BOUNDARY
        + b"--\r\nepilogue"
    )
    return b"".join(parts)


def read(raw: bytes, cuts: list[int]) -> tuple[FilePart, bytes]:
    received = bytearray()

    async def chunks() -> AsyncIterator[bytes]:
        start = 0
        for cut in sorted(set(cuts)):
            yield raw[start:cut]
            start = cut
        yield raw[start:]
        yield b""

    part = asyncio.run(read_file_part(chunks(), BOUNDARY, received.extend))
    return part, bytes(received)


tricky_content = st.one_of(
    st.binary(max_size=3000),
    # content that contains pieces of the delimiter, CRLFs and dashes
    st.lists(
        st.sampled_from(
            [b"\r\n", b"--", b"\r\n--", BOUNDARY[:10], b"x", b"\r\n--" + BOUNDARY[:-1]]
        ),
        max_size=40,
    ).map(b"".join),
)


@settings(max_examples=200, deadline=None)
@given(content=tricky_content, data=st.data())
def test_the_file_arrives_byte_for_byte_however_the_body_is_chunked(
    content: bytes, data: st.DataObject
) -> None:
    raw = body(content)
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=30))
    part, received = read(raw, cuts)
    assert received == content
    assert part == FilePart("Dự toán.pdf", "application/pdf")


def test_a_body_may_open_with_its_first_boundary() -> None:
    raw = body(b"%PDF-1.7", extra_field=False).removeprefix(b"preamble to ignore\r\n")
    assert read(raw, [1, 2, 3])[1] == b"%PDF-1.7"


def test_an_rfc5987_file_name_wins_over_the_plain_one() -> None:
    raw = body(b"x").replace(
        b'filename="D\xe1\xbb\xb1 to\xc3\xa1n.pdf"',
        b"filename=\"fallback.pdf\"; filename*=UTF-8''D%E1%BB%B1%20to%C3%A1n.pdf",
    )
    assert read(raw, [])[0].file_name == "Dự toán.pdf"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"no boundary anywhere", "no multipart boundary"),
        (body(b"abc")[: -len(b"\r\n--" + BOUNDARY + b"--\r\nepilogue") - 1], "closing boundary"),
        (body(b"abc").replace(b'name="file"', b'name="other"'), "no part named 'file'"),
        (body(b"abc").replace(b"Content-Disposition: form-data; ", b"X: "), "Content-Disposition"),
    ],
)
def test_malformed_bodies_are_refused_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(MalformedMultipart, match=reason):
        read(raw, [7])


def test_two_file_parts_are_refused() -> None:
    one = body(b"a", extra_field=False).split(b"\r\n--" + BOUNDARY + b"--")[0]
    two = one + b"\r\n" + one.split(b"\r\n", 1)[1] + b"\r\n--" + BOUNDARY + b"--\r\n"
    with pytest.raises(MalformedMultipart, match="only one part"):
        read(two, [])


def test_the_boundary_comes_from_a_multipart_form_data_content_type() -> None:
    assert boundary_of('multipart/form-data; boundary="abc def"') == b"abc def"
    assert boundary_of("Multipart/Form-Data; charset=utf-8; boundary=xyz") == b"xyz"
    with pytest.raises(NotMultipart):
        boundary_of("application/json")
    with pytest.raises(NotMultipart):
        boundary_of(None)
    with pytest.raises(MalformedMultipart, match="boundary"):
        boundary_of("multipart/form-data")
