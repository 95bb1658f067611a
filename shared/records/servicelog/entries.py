"""The log entry of each stored event: the bytes a service's Merkle log commits to (issue #6).

Leaf n of a service's log is `shared.records.merkle.canonical.encode_entry` of the n-th stored event
in notification order, private drafts included: the log is of the store, not of what is published.
`position` counts events in log order (1, 2, 3 …) and never the store's notification id: on
PostgreSQL a rolled-back insert burns sequence values, so notification ids have gaps, and a
faithful migration or restore may renumber them; the log must not depend on either.

`state` is the stored state decoded: the JSON the event store wrote, with each value of the four
transcodings every D73 store registers (`uuid_hex`, `decimal_str`, `datetime_iso`, `date_iso`)
read back into its value, so a bundle shows an auditor the event's data, not eventsourcing's
storage format. A state this cannot read exactly (another transcoding, a NaN, an int beyond 64
bits, not JSON at all) is committed as its stored bytes instead, so every event has an entry and
the relay and the verifier always agree. Decryption and decompression, when a store is
configured with them, happen first: the log commits to the plaintext.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol
from uuid import NAMESPACE_URL, UUID

import orjson

from shared.records.merkle.canonical import encode_entry
from shared.records.merkle.errors import CanonicalEncodingError

Reviver = Callable[[str], object]

_REVIVERS: dict[str, Reviver] = {
    "uuid_hex": UUID,
    "decimal_str": Decimal,
    "datetime_iso": datetime.fromisoformat,
    "date_iso": date.fromisoformat,
}
"""The transcodings of `shared.platform.eventstore.ServiceApplication`, by the name stored with a
value."""


_URL_NAMESPACE = NAMESPACE_URL.bytes
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def event_id_text(service: str, originator_id: UUID | str, originator_version: int) -> str:
    """`str(shared.platform.outbox.event_id_of(...))` without building UUID objects: uuid5 (RFC 9562
    §5.5) by hand, as it is computed for every event of a log that is verified (the tests pin
    it to `event_id_of`). `originator_id` may be given as `str(uuid)` already."""
    return _event_id(_names_of(service), originator_id, originator_version)


def _names_of(service: str) -> Any:
    """SHA-1 fed with the namespace and the part of every event name of `service` before the
    originator: copied per event, so only the originator and version are hashed each time."""
    return hashlib.sha1(_URL_NAMESPACE + f"/d73/{service}/".encode())


def _event_id(names: Any, originator_id: UUID | str, originator_version: int) -> str:
    digest = names.copy()
    digest.update(f"{originator_id}/{originator_version}".encode())
    x = digest.hexdigest()
    # The version nibble (hex digit 12) becomes 5, the top two bits of digit 16 become 10.
    return f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{_VARIANT[x[16]]}{x[17:20]}-{x[20:32]}"


class StoredRecord(Protocol):
    """What the log reads of a stored event (eventsourcing's `Notification` or `StoredEvent`)."""

    @property
    def originator_id(self) -> UUID | str: ...
    @property
    def originator_version(self) -> int: ...
    @property
    def topic(self) -> str: ...
    @property
    def state(self) -> bytes: ...


class _Unreadable(Exception):
    """The state uses something `_revive` does not read exactly."""


def _is_marker(value: dict[str, Any]) -> bool:
    """An object of exactly `_type_` and `_data_` is a transcoded value (as eventsourcing reads)."""
    return len(value) == 2 and "_type_" in value and "_data_" in value


def _revive_in(
    container: dict[str, Any] | list[Any], revivers: Mapping[str, Reviver] = _REVIVERS
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
    plain: bytes, revivers: Mapping[str, Reviver] = _REVIVERS
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


def _uuid_text(data: str) -> str:
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


_ENTRY_REVIVERS: dict[str, Reviver] = {
    **_REVIVERS,
    "uuid_hex": _uuid_text,
    "decimal_str": _decimal_text,
}
"""What an entry reads transcoded values back into: the same values, a UUID and a Decimal as
the string `canonical_json` writes of them, so the same entry bytes, without a `UUID` built in
Python per value nor a `default` called back from orjson per Decimal."""


def _hyphenated(originator_id: UUID | str) -> str:
    """`str(UUID(originator_id))` of an originator id as a store holds it."""
    if type(originator_id) is str:
        return _uuid_text(originator_id)
    if not isinstance(originator_id, UUID):
        originator_id = UUID(originator_id)
    return str(originator_id)


class EntryEncoder:
    """Turns a service's stored events into the canonical entries of its log."""

    def __init__(self, service: str, *, cipher: Any = None, compressor: Any = None) -> None:
        self.service = service
        self._cipher = cipher
        self._compressor = compressor
        self._stored_plain = cipher is None and compressor is None
        self._names = _names_of(service)

    @classmethod
    def for_app(cls, service: str, app: Any) -> EntryEncoder:
        """The encoder of an eventsourcing application's store (its cipher and compressor)."""
        mapper = app.mapper
        return cls(service, cipher=mapper.cipher, compressor=mapper.compressor)

    def plain_state(self, stored: bytes) -> bytes:
        if self._cipher is not None:
            stored = self._cipher.decrypt(stored)
        if self._compressor is not None:
            stored = self._compressor.decompress(stored)
        return stored

    def entry(self, position: int, record: StoredRecord) -> bytes:
        """The canonical entry of `record` at log `position` (1-based)."""
        return self.entry_of(
            position, record.originator_id, record.originator_version, record.topic, record.state
        )

    def entry_of(
        self,
        position: int,
        originator_id: UUID | str,
        originator_version: int,
        topic: str,
        stored: bytes,
    ) -> bytes:
        """`entry` of a stored event given as its row's fields (the verifier streams rows, so
        this runs once per event of a store: no call here that can be saved)."""
        plain = stored if self._stored_plain else self.plain_state(stored)
        originator = _hyphenated(originator_id)  # once: the event id and the entry both spell it
        event_id = _event_id(self._names, originator, originator_version)
        try:
            return encode_entry(
                position=position,
                event_id=event_id,
                topic=topic,
                originator_id=originator,
                originator_version=originator_version,
                state=decoded_state(plain, _ENTRY_REVIVERS),
            )
        except CanonicalEncodingError:
            # A NaN or an int beyond 64 bits inside an otherwise readable state.
            return encode_entry(
                position=position,
                event_id=event_id,
                topic=topic,
                originator_id=originator,
                originator_version=originator_version,
                state=plain,
            )
