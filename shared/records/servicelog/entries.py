"""The log entry of each stored event: the bytes a service's Merkle log commits to (issue #6).

Leaf n of a service's log is `shared.records.merkle.canonical.encode_entry` of the n-th stored event
in notification order, private drafts included: the log is of the store, not of what is published.
`position` counts events in log order (1, 2, 3 …) and never the store's notification id: on
PostgreSQL a rolled-back insert burns sequence values, so notification ids have gaps, and a
faithful migration or restore may renumber them; the log must not depend on either. The
originator id is written hyphenated whatever the store's column type (SQLite keeps 32 hex
digits, PostgreSQL a uuid), so the same event has the same entry in either store.

The state is committed as its store holds it, after decryption and decompression when a store is
configured with them (the log commits to the plaintext): a verifier reads and hashes, it parses
nothing (`shared.records.merkle.stored_state` reads a state as data for people). A log begun
before this format keeps its own (`shared.records.servicelog.format`): there the state is
decoded, each transcoded value read back, and committed as canonical JSON with the event id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from itertools import count
from typing import Any, Protocol, cast
from uuid import UUID

import orjson

from shared.platform.eventids import named, names_of
from shared.records.merkle.canonical import encode_canonical_entry, encode_entry
from shared.records.merkle.errors import CanonicalEncodingError
from shared.records.merkle.stored_state import TEXT_REVIVERS, decoded_state, uuid_text
from shared.records.servicelog.format import EntryFormat, FormatTable

_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def event_id_text(service: str, originator_id: UUID | str, originator_version: int) -> str:
    """`str(shared.platform.outbox.event_id_of(...))` without building UUID objects: uuid5 (RFC 9562
    §5.5) by hand, as it is computed for every event of a log that is verified (the tests pin
    it to `event_id_of`). `originator_id` may be given as `str(uuid)` already."""
    return _event_id(names_of(service), originator_id, originator_version)


def _event_id(names: Any, originator_id: UUID | str, originator_version: int) -> str:
    x = named(names, originator_id, originator_version).hexdigest()
    # The version nibble (hex digit 12) becomes 5, the top two bits of digit 16 become 10.
    return f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{_VARIANT[x[16]]}{x[17:20]}-{x[20:32]}"


class StoredRecord(Protocol):
    """What the log reads of a stored event (eventsourcing's `Notification` or `StoredEvent`)."""

    @property
    def originator_id(self) -> UUID | str | bytes: ...
    @property
    def originator_version(self) -> int: ...
    @property
    def topic(self) -> str: ...
    @property
    def state(self) -> bytes: ...


def _hyphenated(originator_id: UUID | str | bytes) -> str:
    """`str(UUID(originator_id))` of an originator id as a store holds it (`bytes`: see
    `_spelled`)."""
    if type(originator_id) is str:
        return uuid_text(originator_id)
    if isinstance(originator_id, bytes):
        return originator_id.decode("ascii")
    if not isinstance(originator_id, UUID):
        originator_id = UUID(originator_id)
    return str(originator_id)


def _spelled(originator_id: UUID | str | bytes) -> bytes:
    """The originator id as an entry spells it, `str(UUID(...))` in ASCII. Given as `bytes`, it
    is that spelling already: PostgreSQL's own text of a `uuid` column (`originator_id::text`,
    always lowercase and hyphenated), which the verifier reads so as not to spell a million ids
    again in Python (half the cost of an entry)."""
    if type(originator_id) is bytes:
        return originator_id
    return _hyphenated(originator_id).encode()


Row = tuple[int, UUID | str | bytes, int, str | bytes, bytes]
"""(notification id, originator id as stored, originator version, topic, state): a stored
event as its row holds it, what `EntryEncoder.leaf_hashes_of` reads (the topic in bytes is
its UTF-8, as PostgreSQL's rows give it to the verifier)."""


UNREADABLE_LEAF = hashlib.sha256(b"\x00\xff").digest()
"""The leaf a verifier takes for a row that cannot be an event's entry (a field NULL or of the
wrong type, a state that does not decrypt): every entry begins with `{`, so no entry has this
leaf, and a root over it differs from the one signed over the event that was there."""


def _text(topic: str | bytes) -> str:
    return topic.decode() if isinstance(topic, bytes) else topic


_ENTRY = b'{"originator_id":"%s","originator_version":%d,"position":%d,"topic":%s}\n%s'
"""`encode_entry`'s bytes of fields a store holds (tests pin the two to the same bytes)."""
_LEAF_INPUT = b"\x00" + _ENTRY
"""What a leaf hash is taken of (RFC 9162: 0x00, then the entry), in one piece."""
_INT64_MIN, _UINT64_MAX = -(2**63), 2**64 - 1
"""The integers canonical JSON writes (`shared.records.merkle.canonical`)."""


class EntryEncoder:
    """Turns a service's stored events into the canonical entries of its log."""

    TOPICS_KEPT = 1024
    """Encoded topics remembered (a service has a few dozen; a damaged store may have more)."""

    def __init__(
        self,
        service: str,
        *,
        entry_format: EntryFormat = EntryFormat.STORED_STATE,
        cipher: Any = None,
        compressor: Any = None,
    ) -> None:
        self.service = service
        self.entry_format = entry_format
        self._cipher = cipher
        self._compressor = compressor
        self._stored_plain = cipher is None and compressor is None
        self._topics: dict[str, bytes] = {}
        self._names = names_of(service)
        if entry_format is EntryFormat.CANONICAL_STATE:
            self.entry_of = self._canonical_entry_of  # type: ignore[method-assign]
            self.leaf_input_of = self._canonical_leaf_input_of  # type: ignore[method-assign]

    @classmethod
    def for_app(
        cls, service: str, app: Any, entry_format: EntryFormat | None = None
    ) -> EntryEncoder:
        """The encoder of an eventsourcing application's store (its cipher and compressor), in
        the format its log keeps (`audit_log_format`) unless given."""
        mapper = app.mapper
        return cls(
            service,
            entry_format=FormatTable(app.recorder).read() if entry_format is None else entry_format,
            cipher=mapper.cipher,
            compressor=mapper.compressor,
        )

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
        originator_id: UUID | str | bytes,
        originator_version: int,
        topic: str,
        stored: bytes,
    ) -> bytes:
        """`entry` of a stored event given as its row's fields (the verifier streams rows, so
        this runs once per event of a store): `encode_entry`'s bytes, the header written here
        by hand (the tests pin both to the same bytes) when its fields are what a store holds."""
        return self._stored_entry(
            _ENTRY, position, originator_id, originator_version, topic, stored
        )

    def leaf_input_of(
        self,
        position: int,
        originator_id: UUID | str | bytes,
        originator_version: int,
        topic: str,
        stored: bytes,
    ) -> bytes:
        """`b"\\x00" + entry_of(...)`, the bytes a leaf hash is taken of, without copying the
        entry a second time (a verifier takes it of every event)."""
        return self._stored_entry(
            _LEAF_INPUT, position, originator_id, originator_version, topic, stored
        )

    def leaf_hashes_of(self, position: int, rows: Sequence[Row], *, typed: bool) -> list[bytes]:
        """The leaf hash of each of `rows`, the first at log `position`: a verifier's inner
        loop, one comprehension per page of rows. `typed`: the store's column types guarantee
        what `_stored_entry` checks of each field (PostgreSQL: a bigint version, the server's
        own spelling of a uuid; the topic comes as its UTF-8), so entries of format 2 of a
        plain store are written straight into the template, with no call per event (a quarter
        of the worker's instructions besides hashing)."""
        sha256 = hashlib.sha256
        leaf_input = self.leaf_input_of
        if not typed:  # SQLite's rows: the topic as text
            texts = cast(Sequence[tuple[int, UUID | str | bytes, int, str, bytes]], rows)
            return [
                sha256(leaf_input(at, originator, version, topic, state)).digest()
                for at, (_, originator, version, topic, state) in zip(count(position), texts)
            ]
        topic_names = {topic: _text(topic) for topic in {row[3] for row in rows}}
        if self.entry_format is EntryFormat.STORED_STATE and self._stored_plain:
            kept = self._topics
            topics = {
                topic: kept.get(name) or self._topic_json(name)
                for topic, name in topic_names.items()
            }
            template = _LEAF_INPUT
            return [
                sha256(template % (originator, version, at, topics[topic], state)).digest()
                for at, (_, originator, version, topic, state) in zip(count(position), rows)
            ]
        return [
            sha256(leaf_input(at, originator, version, topic_names[topic], state)).digest()
            for at, (_, originator, version, topic, state) in zip(count(position), rows)
        ]

    def _stored_entry(
        self,
        template: bytes,
        position: int,
        originator_id: UUID | str | bytes,
        originator_version: int,
        topic: str,
        stored: bytes,
    ) -> bytes:
        """The entry in format 2 written into `template` (`_ENTRY` or `_LEAF_INPUT`)."""
        plain = stored if self._stored_plain else self.plain_state(stored)
        originator = _spelled(originator_id)
        if (
            type(position) is not int
            or type(originator_version) is not int
            or position < 1
            or not _INT64_MIN <= originator_version <= _UINT64_MAX
        ):
            # Not what a store holds: `encode_entry` says what is wrong with it.
            return template.removesuffix(_ENTRY) + encode_entry(
                position=position,
                topic=topic,
                originator_id=originator.decode("ascii"),
                originator_version=originator_version,
                state=plain,
            )
        topic_json = self._topics.get(topic)
        if topic_json is None:
            topic_json = self._topic_json(topic)
        return template % (
            originator,
            originator_version,
            position,
            topic_json,
            plain,
        )

    def _canonical_entry_of(
        self,
        position: int,
        originator_id: UUID | str | bytes,
        originator_version: int,
        topic: str,
        stored: bytes,
    ) -> bytes:
        """`entry_of` in format 1: the state decoded, and the event id."""
        plain = stored if self._stored_plain else self.plain_state(stored)
        originator = _hyphenated(originator_id)  # once: the event id and the entry both spell it
        event_id = _event_id(self._names, originator, originator_version)
        try:
            return encode_canonical_entry(
                position=position,
                event_id=event_id,
                topic=topic,
                originator_id=originator,
                originator_version=originator_version,
                state=decoded_state(plain, TEXT_REVIVERS),
            )
        except CanonicalEncodingError:
            # A NaN or an int beyond 64 bits inside an otherwise readable state.
            return encode_canonical_entry(
                position=position,
                event_id=event_id,
                topic=topic,
                originator_id=originator,
                originator_version=originator_version,
                state=plain,
            )

    def _canonical_leaf_input_of(
        self,
        position: int,
        originator_id: UUID | str | bytes,
        originator_version: int,
        topic: str,
        stored: bytes,
    ) -> bytes:
        return b"\x00" + self._canonical_entry_of(
            position, originator_id, originator_version, topic, stored
        )

    def _topic_json(self, topic: str) -> bytes:
        if not isinstance(topic, str):
            raise CanonicalEncodingError(f"topic must be a str: {topic!r}")
        encoded = orjson.dumps(topic)
        if len(self._topics) < self.TOPICS_KEPT:
            self._topics[topic] = encoded
        return encoded
