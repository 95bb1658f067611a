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

Re-encoding the parsed canonical bytes gives the same bytes, so a bundle may carry entries as
JSON objects and the verifier re-encodes them.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from uuid import UUID

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


def encode_entry(
    *,
    position: int,
    event_id: UUID | str,
    topic: str,
    originator_id: UUID | str,
    originator_version: int,
    state: Mapping[str, Any] | bytes,
) -> bytes:
    """The leaf entry of notification `position` of a service's log.

    `state` is the decoded event state (a JSON-able mapping), or the stored bytes when the state
    cannot be decoded by the caller (then it is committed as `{"$bytes": ...}`).
    """
    if type(position) is not int or position < FIRST_POSITION:
        raise CanonicalEncodingError(f"position must be an int >= {FIRST_POSITION}: {position!r}")
    if type(originator_version) is not int:
        raise CanonicalEncodingError(f"originator_version must be an int: {originator_version!r}")
    if not isinstance(topic, str):
        raise CanonicalEncodingError(f"topic must be a str: {topic!r}")
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


ENTRY_FIELDS = frozenset(
    {"position", "id", "topic", "originator_id", "originator_version", "state"}
)


def decode_entry(entry: bytes) -> dict[str, Any]:
    """The entry as a JSON object, for display and for bundles (inverse of `encode_entry`)."""
    try:
        decoded = orjson.loads(entry)
    except orjson.JSONDecodeError as error:
        raise CanonicalEncodingError(f"entry is not JSON: {error}") from error
    if not isinstance(decoded, dict) or decoded.keys() != ENTRY_FIELDS:
        raise CanonicalEncodingError("entry is not an object with exactly the entry fields")
    return decoded
