"""Leaf n of a service's log is `encode_entry` of its n-th stored event, decoded state and all."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent
from hypothesis import example, given
from hypothesis import strategies as st

from shared.platform.outbox import event_id, event_id_of
from shared.records.merkle.canonical import decode_entry, encode_entry
from shared.records.servicelog.entries import (
    EntryEncoder,
    _is_marker,
    _revive_in,
    _revived,
    _Unreadable,
    decoded_state,
    event_id_text,
)
from tests.unit.records.servicelog.support import SERVICE, all_notifications, file_memos, memo_app


def test_entry_is_encode_entry_of_the_event_store_decoded_state(tmp_path: Path) -> None:
    app = memo_app(tmp_path)
    memo = file_memos(app, 1)[0]
    stored = list(app.repository.event_store.get(memo.id))
    encoder = EntryEncoder.for_app(SERVICE, app)
    for position, notification in enumerate(all_notifications(app), start=1):
        expected = encode_entry(
            position=position,
            event_id=event_id(SERVICE, stored[position - 1]),
            topic=notification.topic,
            originator_id=notification.originator_id,
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
    encoder = EntryEncoder(SERVICE)
    assert decode_entry(encoder.entry(7, notification))["position"] == 7


def test_a_state_the_log_cannot_read_exactly_is_committed_as_its_stored_bytes() -> None:
    encoder = EntryEncoder(SERVICE)
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


def _reference_revive_in(container: dict[str, Any] | list[Any]) -> bool:
    """`entries._revive_in` before its inlined fast path for markers of two strings: every
    dict read innermost first, through `_revived`."""
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
    assert outcomes[0] == outcomes[1]
    record = StoredEvent(UUID(int=1), 1, "t:T", stored)
    entry = EntryEncoder(SERVICE).entry(1, record)
    with patch("shared.records.servicelog.entries._revive_in", _reference_revive_in):
        assert EntryEncoder(SERVICE).entry(1, record) == entry
