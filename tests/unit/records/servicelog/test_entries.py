"""Leaf n of a service's log is `encode_entry` of its n-th stored event, its state as stored; in
a log begun in format 1, `encode_canonical_entry` of it, decoded state and all."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch
from uuid import UUID

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import example, given
from hypothesis import strategies as st

from shared.platform.outbox import event_id, event_id_of
from shared.records.merkle.canonical import (
    decode_entry,
    encode_canonical_entry,
    encode_entry,
    entry_bytes,
)
from shared.records.merkle.errors import CanonicalEncodingError
from shared.records.merkle.stored_state import (
    REVIVERS,
    _is_marker,
    _revive_in,
    _Unreadable,
    decoded_state,
    entry_state,
)
from shared.records.servicelog.entries import EntryEncoder, event_id_text
from shared.records.servicelog.format import EntryFormat, FormatTable
from tests.unit.records.servicelog.support import (
    SERVICE,
    all_notifications,
    file_memos,
    memo_app,
    service_log,
)

FORMAT_1 = EntryFormat.CANONICAL_STATE


def format_1() -> EntryEncoder:
    return EntryEncoder(SERVICE, entry_format=FORMAT_1)


def test_a_log_begun_now_commits_each_state_as_stored(tmp_path: Path) -> None:
    app = memo_app(tmp_path)
    file_memos(app, 1)
    log = service_log(app, tmp_path / "keys")
    log.open()
    encoder = EntryEncoder.for_app(SERVICE, app)
    assert encoder.entry_format is EntryFormat.STORED_STATE
    for position, notification in enumerate(all_notifications(app), start=1):
        entry = encoder.entry(position, notification)
        assert entry == encode_entry(
            position=position,
            topic=notification.topic,
            originator_id=str(notification.originator_id),
            originator_version=notification.originator_version,
            state=notification.state,
        )
        assert entry_bytes(decode_entry(entry)) == entry
    filed = entry_state(decode_entry(encoder.entry(1, all_notifications(app)[0])))
    assert filed["budget"] == "150000000.00"  # Decimal as its string, never a float
    assert filed["due"] == "2026-12-01"
    assert filed["title"] == "Sáng kiến số 0"


def test_a_log_that_signed_before_format_2_keeps_format_1(tmp_path: Path) -> None:
    app = memo_app(tmp_path)
    file_memos(app, 3)
    old = memo_app(tmp_path / "old")
    file_memos(old, 3)
    assert EntryEncoder.for_app(SERVICE, old).entry_format is FORMAT_1  # no table: before it
    # The release before format 2: a log that signed in format 1, no format table.
    with patch.object(FormatTable, "create", lambda self: FORMAT_1):
        log = service_log(old, tmp_path / "keys")
        log.sync_to(all_notifications(old)[-1].id)
        assert log.sign(when_due=False) is not None
    assert FormatTable(old.recorder).create() is FORMAT_1  # schema step 3 on that store
    assert FormatTable(app.recorder).create() is EntryFormat.STORED_STATE  # nothing signed
    assert FormatTable(old.recorder).read() is FORMAT_1
    assert FormatTable(app.recorder).read() is EntryFormat.STORED_STATE


@given(
    st.uuids(),
    st.sampled_from([lambda u: u, lambda u: u.hex, str, lambda u: str(u).encode()]),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.integers(min_value=1, max_value=2**63),
    st.text(max_size=12),
    st.binary(max_size=40),
)
@example(UUID(int=1), str, 1, 1, 'a"b\\c\n\u0000é', b"{}")
def test_the_entry_written_by_hand_is_encode_entry_byte_for_byte(
    originator: UUID, stored_as: Any, version: int, position: int, topic: str, state: bytes
) -> None:
    encoder = EntryEncoder(SERVICE)
    assert encoder.entry_of(position, stored_as(originator), version, topic, state) == (
        encode_entry(
            position=position,
            topic=topic,
            originator_id=str(originator),
            originator_version=version,
            state=state,
        )
    )


def test_a_format_1_entry_is_of_the_event_store_decoded_state(tmp_path: Path) -> None:
    app = memo_app(tmp_path)
    memo = file_memos(app, 1)[0]
    stored = list(app.repository.event_store.get(memo.id))
    encoder = EntryEncoder.for_app(SERVICE, app, FORMAT_1)
    for position, notification in enumerate(all_notifications(app), start=1):
        expected = encode_canonical_entry(
            position=position,
            event_id=str(event_id(SERVICE, stored[position - 1])),
            topic=notification.topic,
            originator_id=str(notification.originator_id),
            originator_version=notification.originator_version,
            state=app.mapper.transcoder.decode(notification.state),
        )
        assert encoder.entry(position, notification) == expected
    filed = decode_entry(encoder.entry(1, all_notifications(app)[0]))["state"]
    assert filed["budget"] == "150000000.00"  # Decimal as its string, never a float
    assert filed["due"] == "2026-12-01"
    assert filed["title"] == "Sáng kiến số 0"


@given(st.uuids(), st.integers(min_value=1, max_value=2**40))
def test_the_entry_names_an_event_by_the_id_it_is_published_under(
    originator: UUID, version: int
) -> None:
    assert event_id_text(SERVICE, originator, version) == str(
        event_id_of(SERVICE, originator, version)
    )


def test_position_is_the_place_in_the_log_not_the_notification_id(tmp_path: Path) -> None:
    app = memo_app(tmp_path)
    file_memos(app, 1, drafts=False)
    notification = all_notifications(app)[0]
    for encoder in (EntryEncoder(SERVICE), format_1()):
        assert decode_entry(encoder.entry(7, notification))["position"] == 7


def test_a_state_the_log_cannot_read_exactly_is_committed_as_its_stored_bytes() -> None:
    encoder = format_1()
    originator = UUID(int=1)
    for state in (
        b'{"x": {"_type_": "money", "_data_": "12 VND"}}',  # a transcoding D73 does not register
        b'{"x": NaN}',  # json.dumps writes NaN; it has no canonical form
        b'{"x": 18446744073709551616}',  # beyond 64 bits
        b"\x00compressed?",
    ):
        record = StoredEvent(originator, 1, "t:T", state)
        entry = decode_entry(encoder.entry(1, record))
        assert entry["state"] == {"$bytes": base64.b64encode(state).decode()}


def test_transcoded_values_are_read_innermost_first_as_the_event_store_does() -> None:
    stored = orjson.dumps(
        {
            "when": {"_type_": "datetime_iso", "_data_": "2026-11-26T10:00:00.5+07:00"},
            "list": [{"_type_": "uuid_hex", "_data_": "00000000000000000000000000000001"}],
            "plain": {"_type_": "only one key"},
            "account": "012345678901234567890123",  # digits in a string take the exact parser
            "largest": 2**64 - 1,
        }
    )
    state = decoded_state(stored)
    assert isinstance(state, dict)
    assert state["when"].isoformat() == "2026-11-26T10:00:00.500000+07:00"
    assert state["list"] == [UUID(int=1)]
    assert state["plain"] == {"_type_": "only one key"}
    assert (state["account"], state["largest"]) == ("012345678901234567890123", 2**64 - 1)


_JSON_VALUES = st.recursive(
    st.integers() | st.text(alphabet="0123456789,:[ ab") | st.booleans() | st.none(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=4), _JSON_VALUES, max_size=5), st.booleans())
@example({"below": -(2**63) - 1, "float": 0.5}, False)  # nineteen digits, read as a float
@example({"above": 2**64, "float": 0.5}, True)
def test_every_integer_is_read_exactly_whatever_digits_the_strings_hold(
    value: dict[str, object], spaced: bool
) -> None:
    """The fast parser is skipped only where a number of twenty digits may be: never a big
    integer read as a float, however the stored JSON is spaced."""
    separators = (", ", ": ") if spaced else (",", ":")
    assert decoded_state(json.dumps(value, separators=separators).encode()) == value


def _revived(marker: dict[str, Any]) -> object:
    """How `entries` read one marker, each level through a call, until its walk read only
    markers of two strings and refused any other."""
    name, data = marker["_type_"], marker["_data_"]
    revive = REVIVERS.get(name) if type(name) is str else None
    if revive is None or type(data) is not str:
        raise _Unreadable(f"transcoding {marker['_type_']!r}")
    try:
        return revive(data)
    except (ValueError, ArithmeticError) as error:
        raise _Unreadable(str(error)) from error


def _reference_revive_in(container: dict[str, Any] | list[Any], _: object = None) -> bool:
    """`entries._revive_in` before its inlined fast path for markers of two strings: every
    dict read innermost first, through `_revived`, each value into its object (a UUID, a
    Decimal, ...) whatever revivers the caller asks for."""
    items = container.items() if type(container) is dict else enumerate(container)
    floats = False
    for key, item in items:
        if type(item) is dict:
            floats |= _reference_revive_in(item)
            if _is_marker(item):
                container[key] = _revived(item)  # type: ignore[index]
        elif type(item) is list:
            floats |= _reference_revive_in(item)
        elif type(item) is float:
            floats = True
    return floats


_MARKERS = st.fixed_dictionaries(
    {
        "_type_": st.sampled_from(["uuid_hex", "decimal_str", "datetime_iso", "date_iso", "x"]),
        "_data_": st.sampled_from(
            [
                "00000000000000000000000000000001",
                "0000000000000000000000000000000G",
                "150000000.00",
                "NaN",
                "1e400",
                "2026-11-26T10:00:00.5+07:00",
                "2026-11-26",
                "2026-13-01",
                "",
            ]
        )
        | st.integers()
        | st.lists(st.integers(), max_size=1),
    }
)
_STATES = st.recursive(
    st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=3)
    | st.none()
    | _MARKERS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "_type_", "_data_"]), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=3), _STATES, max_size=4))
def test_the_inlined_marker_path_gives_the_leaf_bytes_of_the_reference_walk(
    value: dict[str, object],
) -> None:
    """The same state (or the same refusal), so the same entry byte for byte, as the walk that
    reads every level through `_revived`."""
    stored = json.dumps(value).encode()
    fast, reference = orjson.loads(stored), orjson.loads(stored)
    outcomes: list[tuple[bool, Any] | None] = []
    for walk, parsed in ((_revive_in, fast), (_reference_revive_in, reference)):
        try:
            outcomes.append((walk(parsed), parsed))
        except _Unreadable:
            outcomes.append(None)
    assert repr(outcomes[0]) == repr(outcomes[1])  # repr: Decimal("NaN") != itself
    record = StoredEvent(UUID(int=1), 1, "t:T", stored)
    entry = format_1().entry(1, record)
    with patch("shared.records.merkle.stored_state._revive_in", _reference_revive_in):
        assert format_1().entry(1, record) == entry


def _reference_entry(service: str, position: int, record: StoredEvent) -> bytes:
    """`EntryEncoder.entry` as it was before it read rows and spelled UUIDs and Decimals
    itself: the originator through `UUID`, the event id through `event_id_of`, each
    transcoded value into its object through `_revived` (orjson writes a UUID, `canonical_json`
    a Decimal), the stored bytes where that fails."""
    originator_id = record.originator_id
    if not isinstance(originator_id, UUID):
        originator_id = UUID(originator_id)
    fields: dict[str, Any] = {
        "position": position,
        "event_id": str(event_id_of(service, originator_id, record.originator_version)),
        "topic": record.topic,
        "originator_id": str(originator_id),
        "originator_version": record.originator_version,
    }
    with patch("shared.records.merkle.stored_state._revive_in", _reference_revive_in):
        state = decoded_state(record.state)
    try:
        return encode_canonical_entry(**fields, state=state)
    except CanonicalEncodingError:
        return encode_canonical_entry(**fields, state=record.state)


_TRICKY_MARKERS = st.one_of(
    st.builds(lambda u: {"_type_": "uuid_hex", "_data_": u.hex}, st.uuids()),
    st.builds(
        lambda u, form: {"_type_": "uuid_hex", "_data_": form(u)},
        st.uuids(),
        st.sampled_from(
            [str, lambda u: u.hex.upper(), lambda u: "{" + str(u) + "}", lambda u: u.urn]
        ),
    ),
    st.builds(lambda d: {"_type_": "date_iso", "_data_": d.isoformat()}, st.dates()),
    st.builds(
        lambda d: {"_type_": "datetime_iso", "_data_": d.isoformat()},
        st.datetimes(timezones=st.none() | st.timezones()),
    ),
    st.builds(
        lambda d: {"_type_": "decimal_str", "_data_": str(d)},
        st.decimals(allow_nan=True, allow_infinity=True),
    ),
    st.fixed_dictionaries(
        {
            "_type_": st.sampled_from(
                ["uuid_hex", "decimal_str", "datetime_iso", "date_iso", "bytes_b64", "Uuid_hex"]
            ),
            "_data_": st.sampled_from(
                ["", "00000000000000000000000000000001", "1_000.5", " 12 ", "-0", "1E+3", "sNaN"]
            )
            | st.integers()
            | st.lists(st.integers(), max_size=1),
        }
    ),
    # A `_type_` that is a list or a marker, a `_data_` that is a marker or a list of them.
    st.fixed_dictionaries(
        {
            "_type_": st.just(["uuid_hex"]),
            "_data_": st.just("00000000000000000000000000000001"),
        }
    ),
    st.builds(
        lambda name, inner: {"_type_": name, "_data_": inner},
        st.sampled_from(["uuid_hex", "decimal_str"]),
        st.builds(lambda u: {"_type_": "uuid_hex", "_data_": u.hex}, st.uuids())
        | st.builds(lambda: [{"_type_": "decimal_str", "_data_": "1.5"}]),
    ),
)
_TRICKY_KEYS = st.sampled_from(
    ["a", "B", "_type_", "_data_", "é", "Đơn vị", "z", "€", "\U0001f600", "ab", "a\u0000", ""]
) | st.text(max_size=3)
_TRICKY_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=4)
    | _TRICKY_MARKERS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TRICKY_KEYS, inner, max_size=3),
    max_leaves=12,
)


def _stored(value: object, spaced: bool, ascii_only: bool) -> bytes:
    separators = (", ", ": ") if spaced else (",", ":")
    return json.dumps(value, separators=separators, ensure_ascii=ascii_only).encode()


@given(
    st.dictionaries(_TRICKY_KEYS, _TRICKY_VALUES, max_size=5)
    | _TRICKY_MARKERS
    | st.lists(_TRICKY_VALUES, max_size=2),
    st.booleans(),
    st.booleans(),
    st.uuids(),
    st.sampled_from(
        [lambda u: u, lambda u: u.hex, str, lambda u: u.hex.upper(), lambda u: str(u).encode()]
    ),
    st.integers(min_value=1, max_value=2**40),
    st.integers(min_value=1, max_value=2**40),
)
@example(
    {"when": {"_type_": "datetime_iso", "_data_": "2026-11-26T03:00:01+07:00:30"}},
    False,
    False,
    UUID(int=1),
    str,
    1,
    1,
)
@example(
    {"x": {"_type_": "decimal_str", "_data_": "NaN"}, "y": 1}, False, False, UUID(int=1), str, 1, 1
)
@example(
    {"big": 2**64, "f": 0.5, "u": {"_type_": "uuid_hex", "_data_": "0" * 32}},
    True,
    False,
    UUID(int=1),
    str,
    1,
    1,
)
def test_an_entry_from_a_row_is_byte_for_byte_the_entry_of_the_reference_path(
    state: object,
    spaced: bool,
    ascii_only: bool,
    originator: UUID,
    stored_as: Any,
    version: int,
    position: int,
) -> None:
    """UUIDs and Decimals spelled as strings, originator ids read as stored, the event id
    spelled from its hex digest: the same leaf bytes as reading every value into its object,
    including every state committed as its stored bytes."""
    stored = _stored(state, spaced, ascii_only)
    record = StoredEvent(originator, version, "t:T", stored)
    expected = _reference_entry(SERVICE, position, record)
    encoder = format_1()
    assert encoder.entry(position, record) == expected
    row_id = stored_as(originator)
    assert encoder.entry_of(position, row_id, version, "t:T", stored) == expected


@pytest.mark.parametrize(
    "stored",
    [
        b"not json",
        b"[1, 2]",
        b'{"_type_": "uuid_hex", "_data_": "00000000000000000000000000000001"}',
        b'{"a": {"_type_": "decimal_str", "_data_": "Infinity"}}',
        b'{"a": {"_type_": "uuid_hex", "_data_": {"_type_": "uuid_hex", "_data_": "'
        + b"0" * 32
        + b'"}}}',
        b'{"a": {"_type_": {"_type_": "uuid_hex", "_data_": "' + b"0" * 32 + b'"}, "_data_": "x"}}',
        b'{"a": {"_type_": ["uuid_hex"], "_data_": "' + b"0" * 32 + b'"}}',
        b'{"a": 18446744073709551616, "f": 1.5}',
        b'{"a": -9223372036854775809, "f": 1.5, "d": {"_type_": "decimal_str", "_data_": "1"}}',
    ],
)
def test_states_the_log_cannot_read_exactly_give_the_reference_entry(stored: bytes) -> None:
    record = StoredEvent(UUID(int=7), 3, "t:T", stored)
    expected = _reference_entry(SERVICE, 5, record)
    assert format_1().entry(5, record) == expected
    assert format_1().entry_of(5, UUID(int=7).hex, 3, "t:T", stored) == expected


@pytest.mark.parametrize("entry_format", list(EntryFormat))
@pytest.mark.parametrize(
    "stored", [b'{"title": "S\xc3\xa1ng ki\xe1\xba\xbfn"}', b"\x00\xffbytes", b'{"x": NaN}']
)
def test_a_leaf_input_is_the_leaf_prefix_and_the_entry(
    entry_format: EntryFormat, stored: bytes
) -> None:
    encoder = EntryEncoder(SERVICE, entry_format=entry_format)
    for version in (3, 2**64):  # 2**64: beyond what a store holds, the slow path's refusal
        row = (7, UUID(int=5).hex, version, "t:T", stored)
        try:
            entry = encoder.entry_of(*row)
        except CanonicalEncodingError:
            with pytest.raises(CanonicalEncodingError):
                encoder.leaf_input_of(*row)
        else:
            assert encoder.leaf_input_of(*row) == b"\x00" + entry


@pytest.mark.parametrize("entry_format", list(EntryFormat))
def test_a_page_of_rows_gives_the_leaf_hash_of_each_entry(entry_format: EntryFormat) -> None:
    """Rows as SQLite holds them and as PostgreSQL gives them to the verifier (the uuid's and
    the topic's text as bytes) hash to the leaves of the entries, from the page's position on."""
    encoder = EntryEncoder(SERVICE, entry_format=entry_format)
    states = [b'{"title": "S\xc3\xa1ng ki\xe1\xba\xbfn"}', b"\x00\xffbytes", b'{"x": 1}']
    topics = ["t:Đề xuất", "t:T", "t:Đề xuất"]
    expected = [
        hashlib.sha256(
            b"\x00" + encoder.entry_of(40 + n, UUID(int=n + 1), n + 1, topics[n], state)
        ).digest()
        for n, state in enumerate(states)
    ]
    stored = [
        (900 + n, UUID(int=n + 1).hex, n + 1, topics[n], state) for n, state in enumerate(states)
    ]
    served = [
        (900 + n, str(UUID(int=n + 1)).encode(), n + 1, topics[n].encode(), state)
        for n, state in enumerate(states)
    ]
    assert encoder.leaf_hashes_of(40, stored, typed=False) == expected
    assert encoder.leaf_hashes_of(40, served, typed=True) == expected
    assert encoder.leaf_hashes_of(41, served, typed=True) != expected
