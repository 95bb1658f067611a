"""The state of a stored event read back as data: for auditors and certificates (issue #6).

The event store writes an event's state as JSON, each UUID, Decimal, datetime and date as a
marker object `{"_type_": "<transcoding>", "_data_": "<text>"}` (the four transcodings every D73
store registers: `uuid_hex`, `decimal_str`, `datetime_iso`, `date_iso`). A log entry commits to
those stored bytes exactly (`shared.records.merkle.canonical`); what an auditor or a certificate
reads of them is this module's: the JSON with each marker read back into its value. A state this
cannot read exactly (another transcoding, a NaN, an int beyond 64 bits, not JSON at all) reads
as nothing, never as something it does not say.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson

from shared.records.merkle.canonical import STORED_STATE, canonical_json, stored_bytes
from shared.records.merkle.errors import CanonicalEncodingError

Reviver = Callable[[str], object]

REVIVERS: dict[str, Reviver] = {
    "uuid_hex": UUID,
    "decimal_str": Decimal,
    "datetime_iso": datetime.fromisoformat,
    "date_iso": date.fromisoformat,
}
"""The transcodings of `shared.platform.eventstore.ServiceApplication`, by the name stored with a
value."""


class _Unreadable(Exception):
    """The state uses something `_revive` does not read exactly."""


def _is_marker(value: dict[str, Any]) -> bool:
    """An object of exactly `_type_` and `_data_` is a transcoded value (as eventsourcing reads)."""
    return len(value) == 2 and "_type_" in value and "_data_" in value


def _revive_in(
    container: dict[str, Any] | list[Any], revivers: Mapping[str, Reviver] = REVIVERS
) -> bool:
    """Read the transcoded values of freshly parsed JSON back, in place, innermost first (so
    a marker's own `_data_` is read before the marker, as eventsourcing's object hook does);
    True if a float was met (orjson may have read a big integer as one)."""
    items = container.items() if type(container) is dict else enumerate(container)
    floats = False
    for key, item in items:
        kind = type(item)
        if kind is str:  # the most common value, by far: one test
            continue
        if kind is dict:
            if (
                len(item) == 2
                and type(data := item.get("_data_")) is str
                and type(name := item.get("_type_")) is str
            ):
                # A marker of two strings: nothing inside to read first, so read it here.
                try:
                    revive = revivers[name]
                except KeyError:
                    raise _Unreadable(f"transcoding {name!r}") from None
                try:
                    container[key] = revive(data)  # type: ignore[index]
                except (ValueError, ArithmeticError) as error:
                    raise _Unreadable(str(error)) from error
                continue
            floats |= _revive_in(item, revivers)
            if _is_marker(item):
                # Not two strings as stored (a `_type_` list, a `_data_` object): unreadable,
                # whatever its insides were read into (strings, for an entry).
                raise _Unreadable(f"transcoding {item['_type_']!r}")
        elif kind is list:
            floats |= _revive_in(item, revivers)
        elif kind is float:
            floats = True
    return floats


_MAY_HOLD_BIG_INT = re.compile(rb"[:\[,][ \t\r\n]*(?:-[0-9]{19}|[0-9]{20})").search
"""orjson reads an integer beyond 64 bits as a float (above 2**64 - 1: twenty digits; below
-2**63: a minus and nineteen digits); the standard parser keeps it exact. A JSON
number starts after `:`, `[` or `,` (and blanks), so such digits anywhere else — inside a hex
UUID or a reference number, which are strings — need no slow parse; a string that happens to
hold `,` then twenty digits only takes the standard parser, which reads it the same. Asked only
of a state in which orjson met a float (D73's amounts are decimals, so rarely)."""


def decoded_state(
    plain: bytes, revivers: Mapping[str, Reviver] = REVIVERS
) -> Mapping[str, Any] | bytes:
    """The event state of stored (plain) bytes, or the bytes themselves if not exactly readable;
    each transcoded value read back by `revivers` (by default into its value)."""
    try:
        value = orjson.loads(plain)
    except ValueError:  # orjson.JSONDecodeError and json.JSONDecodeError are ValueErrors
        return plain
    if type(value) is not dict:
        return plain
    try:
        if _revive_in(value, revivers) and _MAY_HOLD_BIG_INT(plain):
            value = json.loads(plain)  # read again, every integer exact
            if type(value) is not dict:
                return plain
            _revive_in(value, revivers)
        if _is_marker(value):
            return plain
    except _Unreadable:
        return plain
    state: dict[str, Any] = value
    return state


def uuid_text(data: str) -> str:
    """`str(UUID(data))`, which is how orjson writes that UUID; by slicing when `data` is 32
    lowercase hex digits (what the event store and SQLite write), which `UUID` reads as is.
    (`bytes.fromhex(...).hex()` gives back exactly such a `data`, in C: a third of the
    instructions of `data.strip("0123456789abcdef")`.)"""
    if len(data) == 32:
        try:
            canonical = bytes.fromhex(data).hex() == data
        except ValueError:
            canonical = False
        if canonical:
            return f"{data[:8]}-{data[8:12]}-{data[12:16]}-{data[16:20]}-{data[20:]}"
    return str(UUID(data))


def _decimal_text(data: str) -> str:
    """`str(Decimal(data))`, which is what `canonical_json` writes of that Decimal; a NaN or
    an infinity, which it refuses (the entry then commits the stored bytes), is unreadable."""
    amount = Decimal(data)
    if not amount.is_finite():
        raise ValueError(f"non-finite Decimal {data!r} has no canonical form")
    return str(amount)


TEXT_REVIVERS: dict[str, Reviver] = {
    **REVIVERS,
    "uuid_hex": uuid_text,
    "decimal_str": _decimal_text,
}
"""What `json_state` reads transcoded values back into: the same values, a UUID and a Decimal as
the string `canonical_json` writes of them, without a `UUID` built in Python per value nor a
`default` called back from orjson per Decimal."""


def json_state(plain: bytes) -> dict[str, Any]:
    """The stored state as JSON values, each transcoded value as the text `canonical_json` writes
    of it (a UUID hyphenated, a Decimal as `str`, a datetime or date in ISO 8601); `{}` when the
    state is not exactly readable (see the module docstring)."""
    state = decoded_state(plain, TEXT_REVIVERS)
    if isinstance(state, bytes):
        return {}
    try:
        value = orjson.loads(canonical_json(state))
    except CanonicalEncodingError:
        return {}
    return value if type(value) is dict else {}


def entry_state(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    """What a certificate or a person reads of an entry object's event: `json_state` of its
    stored state (format 2), its `state` (format 1); `{}` if it carries none."""
    if STORED_STATE not in entry:
        state = entry.get("state")
        return state if isinstance(state, Mapping) else {}
    try:
        return json_state(stored_bytes(entry.get(STORED_STATE)))
    except CanonicalEncodingError:
        return {}
