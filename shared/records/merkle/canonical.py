"""Canonical bytes of a log entry: what the Merkle tree commits to, byte for byte.

A record that must prove itself years later needs one encoding that any auditor can reproduce,
in any language, from the entry alone. The encoding is orjson's output with `OPT_SORT_KEYS` and
nothing else:

- UTF-8, no whitespace between tokens, object keys sorted by code point (= UTF-8 byte order;
  this is *not* RFC 8785's UTF-16 order), non-ASCII characters written raw, `"`, `\\` and
  control characters escaped (`\\n`, `\\u001f`, ...).
- int: decimal, within 64 bits (-2**63 .. 2**64-1); a larger int is refused, send it as a string.
- float: shortest round-trip form (`1.0`, `-0.0`, `1e+16`); NaN and ±Infinity are refused.
- bool, None: `true`, `false`, `null`. list and tuple: array. dict: object with str keys only.
- UUID: lowercase hyphenated string. datetime: RFC 3339 as `isoformat()` writes it
  (`2026-11-26T10:00:00.123456+00:00`; a naive datetime gets no offset, so store aware ones).
  date: `YYYY-MM-DD`. Decimal: `str(d)` as a JSON string (`"150000000.00"`), never a number.
- bytes, bytearray, memoryview: the object `{"$bytes": "<RFC 4648 §4 base64, padded>"}`; an
  event whose whole state is bytes (encrypted or compressed) is encoded the same way. A mapping
  whose only key is `"$bytes"` is therefore reserved.

Re-encoding the parsed canonical bytes gives the same bytes.

A log entry (`encode_entry`) is a header line, its four fields (`originator_id`,
`originator_version`, `position`, `topic`) in canonical JSON and a `\n`, followed by the event's
state exactly as its store holds it. As a JSON object (`decode_entry`), for bundles and
certificates, the state is the field `stored_state`: its text (a JSON document with the store's
`{"_type_", "_data_"}` markers), or `{"$bytes": "<base64>"}` if it is not UTF-8; `entry_bytes`
turns the object back into the entry, byte for byte.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeGuard

import orjson

from shared.records.merkle.errors import CanonicalEncodingError

BYTES_KEY = "$bytes"
FIRST_POSITION = 1
"""Notification positions start at 1, so leaf index = position - 1."""

_OPTIONS = orjson.OPT_SORT_KEYS
_NULL = b"null"
"""orjson writes NaN and ±Infinity as `null`; only an output with `null` needs the slow check."""


def _default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {BYTES_KEY: base64.b64encode(value).decode("ascii")}
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CanonicalEncodingError(f"non-finite Decimal {value!r} has no canonical form")
        return str(value)
    raise CanonicalEncodingError(f"{type(value).__name__} has no canonical JSON form")


def _reject_non_finite(value: Any) -> None:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CanonicalEncodingError(f"non-finite float {value!r} has no canonical form")
    elif isinstance(value, Mapping):
        for item in value.values():
            _reject_non_finite(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _reject_non_finite(item)


def canonical_json(value: Any) -> bytes:
    """The canonical JSON bytes of `value` (see the module docstring for every rule).

    Hash the result and let it go: orjson's bytes keep a ~4 KiB buffer each, so copy them
    (`memoryview(b).tobytes()`) before holding many in memory.
    """
    try:
        encoded = orjson.dumps(value, default=_default, option=_OPTIONS)
    except orjson.JSONEncodeError as error:
        if isinstance(error.__cause__, CanonicalEncodingError):
            raise error.__cause__ from None
        raise CanonicalEncodingError(str(error)) from error
    if _NULL in encoded:
        _reject_non_finite(value)
    return encoded


STORED_STATE = "stored_state"
"""The entry object's field for the event's state as its store holds it (see `decode_entry`)."""

HEADER_FIELDS = frozenset({"position", "topic", "originator_id", "originator_version"})
ENTRY_FIELDS = HEADER_FIELDS | {STORED_STATE}
"""An entry object's fields (format 2: `encode_entry`)."""
CANONICAL_ENTRY_FIELDS = HEADER_FIELDS | {"id", "state"}
"""An entry object's fields in format 1 (`encode_canonical_entry`)."""


def is_entry_object(value: object) -> TypeGuard[Mapping[str, Any]]:
    """Whether `value` has exactly the fields of an entry object of either format."""
    return isinstance(value, Mapping) and (
        value.keys() == ENTRY_FIELDS or value.keys() == CANONICAL_ENTRY_FIELDS
    )


def encode_canonical_entry(
    *,
    position: int,
    event_id: str,
    topic: str,
    originator_id: str,
    originator_version: int,
    state: Mapping[str, Any] | bytes,
) -> bytes:
    """An entry of format 1, which the logs begun before format 2 keep: the canonical JSON of
    the header fields, the event id and the decoded event state (the stored bytes, committed as
    `{"$bytes": ...}`, when the caller cannot decode them exactly)."""
    entry_header(  # the same checks
        position=position,
        topic=topic,
        originator_id=originator_id,
        originator_version=originator_version,
    )
    return canonical_json(
        {
            "position": position,
            "id": str(event_id),
            "topic": topic,
            "originator_id": str(originator_id),
            "originator_version": originator_version,
            "state": state,
        }
    )


def entry_header(
    *, position: int, topic: str, originator_id: str, originator_version: int
) -> bytes:
    """The first line of an entry: its header fields as canonical JSON, then `\n` (canonical
    JSON never holds a raw newline, so the first one ends the header)."""
    if type(position) is not int or position < FIRST_POSITION:
        raise CanonicalEncodingError(f"position must be an int >= {FIRST_POSITION}: {position!r}")
    if type(originator_version) is not int:
        raise CanonicalEncodingError(f"originator_version must be an int: {originator_version!r}")
    if not isinstance(topic, str):
        raise CanonicalEncodingError(f"topic must be a str: {topic!r}")
    if not isinstance(originator_id, str):
        raise CanonicalEncodingError(f"originator_id must be a str: {originator_id!r}")
    header = {
        "originator_id": originator_id,
        "originator_version": originator_version,
        "position": position,
        "topic": topic,
    }
    return canonical_json(header) + b"\n"


def encode_entry(
    *,
    position: int,
    topic: str,
    originator_id: str,
    originator_version: int,
    state: bytes,
) -> bytes:
    """The leaf entry of notification `position` of a service's log: `entry_header`, then the
    event's state exactly as its store holds it (decrypted and decompressed).

    The state is committed byte for byte, not re-encoded: a verifier hashes what it reads
    without parsing a single event (performance.md's verification target), and no two stored
    states that differ by a byte share an entry. Reading it as data is
    `shared.records.merkle.stored_state`'s job.
    """
    return (
        entry_header(
            position=position,
            topic=topic,
            originator_id=originator_id,
            originator_version=originator_version,
        )
        + state
    )


def stored_text(state: bytes) -> str | dict[str, str]:
    """The entry object's form of stored state bytes: the text, if they are UTF-8 (D73's states
    are JSON), else `{"$bytes": "<base64>"}`."""
    try:
        return state.decode("utf-8")
    except UnicodeDecodeError:
        return {BYTES_KEY: base64.b64encode(state).decode("ascii")}


def stored_bytes(value: object) -> bytes:
    """The stored state bytes of an entry object's `stored_state` (inverse of `stored_text`)."""
    if type(value) is str:
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError as error:  # a lone surrogate: no bytes were stored so
            raise CanonicalEncodingError(f"stored_state is not UTF-8 text: {error}") from None
    if isinstance(value, Mapping) and value.keys() == {BYTES_KEY}:
        text = value[BYTES_KEY]
        if type(text) is str:
            try:
                data = base64.b64decode(text, validate=True)
            except ValueError:
                data = None
            if data is not None and base64.b64encode(data).decode("ascii") == text:
                return data
    raise CanonicalEncodingError('stored_state must be text or {"$bytes": padded base64}')


def decode_entry(entry: bytes) -> dict[str, Any]:
    """The entry as a JSON object, for display, bundles and certificates (inverse of
    `entry_bytes`): the header fields and `stored_state` (format 1: the canonical entry parsed;
    its bytes never hold a raw newline, an entry of format 2 always does)."""
    header, newline, state = entry.partition(b"\n")
    if not newline:
        return _decode_canonical_entry(entry)
    try:
        decoded = orjson.loads(header)
    except orjson.JSONDecodeError as error:
        raise CanonicalEncodingError(f"entry header is not JSON: {error}") from error
    if not isinstance(decoded, dict) or decoded.keys() != HEADER_FIELDS:
        raise CanonicalEncodingError("entry header is not an object with exactly its fields")
    decoded[STORED_STATE] = stored_text(state)
    return decoded


def _decode_canonical_entry(entry: bytes) -> dict[str, Any]:
    try:
        decoded = orjson.loads(entry)
    except orjson.JSONDecodeError as error:
        raise CanonicalEncodingError(f"entry is not JSON: {error}") from error
    if not isinstance(decoded, dict) or decoded.keys() != CANONICAL_ENTRY_FIELDS:
        raise CanonicalEncodingError("entry is not an object with exactly the entry fields")
    return decoded


def entry_bytes(entry: Mapping[str, Any]) -> bytes:
    """The entry bytes of an entry object (as `decode_entry` gives and bundles carry), which
    the leaf hash is taken of; `CanonicalEncodingError` if it is not one."""
    if isinstance(entry, Mapping) and entry.keys() == CANONICAL_ENTRY_FIELDS:
        return canonical_json(entry)
    if not isinstance(entry, Mapping) or entry.keys() != ENTRY_FIELDS:
        raise CanonicalEncodingError("not an object with exactly the entry fields")
    return entry_header(
        position=entry["position"],
        topic=entry["topic"],
        originator_id=entry["originator_id"],
        originator_version=entry["originator_version"],
    ) + stored_bytes(entry[STORED_STATE])
