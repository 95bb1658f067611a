"""The stored JSON written by orjson (issue #19 point 4): byte for byte what eventsourcing's
`JSONTranscoder` writes, for every state, and the same errors where it refuses one."""

from __future__ import annotations

import copy
import enum
import math
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from eventsourcing.persistence import JSONTranscoder, Transcoding, TranscodingNotRegisteredError
from hypothesis import given, settings
from hypothesis import strategies as st

from services.reporting.application import ReportingApplication
from shared.platform.eventstore import ServiceApplication, store_env
from shared.platform.settings import Settings
from shared.platform.transcoder import LeavingFieldsParsed, OrjsonTranscoder


class Colour(enum.Enum):
    RED = "red"


class Kind(enum.StrEnum):
    PLAN = "plan"


class Level(enum.IntEnum):
    HIGH = 3


class Key(str):
    pass


class PairAsList(Transcoding):
    """A transcoding whose data holds values of other transcodings (read again, inside)."""

    type = tuple
    name = "pair"

    def encode(self, obj: tuple[Any, Any]) -> list[Any]:
        return list(obj)

    def decode(self, data: list[Any]) -> tuple[Any, Any]:
        return tuple(data)


class ColourAsName(Transcoding):
    type = Colour
    name = "colour"

    def encode(self, obj: Colour) -> str:
        return obj.name

    def decode(self, data: str) -> Colour:
        return Colour[data]


def pair(
    *transcodings: Transcoding,
) -> tuple[JSONTranscoder, OrjsonTranscoder]:
    """eventsourcing's transcoder and ours, as a D73 store registers them."""
    app = ServiceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    standard, ours = JSONTranscoder(), OrjsonTranscoder()
    for transcoder in (standard, ours):
        app.register_transcodings(transcoder)
        for transcoding in transcodings:
            transcoder.register(transcoding)
    return standard, ours


STANDARD, OURS = pair(ColourAsName())


def same_bytes(
    state: Any, standard: JSONTranscoder = STANDARD, ours: JSONTranscoder = OURS
) -> bytes:
    before = copy.deepcopy(state)
    encoded = ours.encode(state)
    assert encoded == standard.encode(state)
    assert state == before, "the state given is never changed"
    return encoded


def test_a_service_store_writes_with_it() -> None:
    app = ServiceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    assert type(app.mapper.transcoder) is OrjsonTranscoder


def test_an_event_state_is_written_as_eventsourcing_writes_it() -> None:
    case_id = UUID("5d021495-99b5-5d84-a8ae-d9fd9f603b7f")
    state = {
        "timestamp": datetime(2026, 1, 5, 8, 0, 1, 250, tzinfo=UTC),
        "case_id": case_id,
        "due": date(2026, 2, 3),
        "amount": Decimal("12500000.50"),
        "votes": [
            {"member": uuid4(), "at": datetime(2026, 1, 6, tzinfo=timezone(timedelta(hours=7)))}
        ],
        "title": 'Đề xuất R73-114: "một cửa" \\ liên thông\n\ttrực tuyến',
        "roles": ("proposer", "leader"),
        "count": 3,
        "flags": {"late": False, "urgent": True, "note": None},
        "empty": {"list": [], "dict": {}, "tuple": ()},
        "colour": Colour.RED,
    }
    encoded = same_bytes(state)
    assert encoded.startswith(
        b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-01-05T08:00:01'
    )
    assert f'"case_id":{{"_type_":"uuid_hex","_data_":"{case_id.hex}"}}'.encode() in encoded
    assert STANDARD.decode(encoded) == {
        **state,
        "roles": ["proposer", "leader"],
        "empty": {"list": [], "dict": {}, "tuple": []},
    }


def test_a_transcoding_whose_data_holds_other_transcoded_values() -> None:
    standard, ours = pair(PairAsList())
    same_bytes({"pair": (uuid4(), date(2026, 3, 1)), "nested": [[(1, uuid4())]]}, standard, ours)


class KeyAsUpper(Transcoding):
    """Registered for a `str` subclass: the standard encoder writes such a value as a string."""

    type = Key
    name = "key"

    def encode(self, obj: Key) -> str:
        return obj.upper()

    def decode(self, data: str) -> Key:
        return Key(data.lower())


def test_a_transcoding_of_a_json_type_is_never_asked_as_eventsourcing_never_asks_it() -> None:
    standard, ours = pair(KeyAsUpper())
    assert same_bytes({"key": Key("k"), "id": uuid4()}, standard, ours).startswith(b'{"key":"k"')


def test_every_control_character_and_plane_is_escaped_alike() -> None:
    text = "".join(chr(c) for c in range(0x80)) + "\u2028\u2029\ufeff\U0001f600é\ud7ff\ue000"
    same_bytes({"text": text, text: [text]})


@pytest.mark.parametrize(
    "value",
    [
        0,
        -1,
        2**63 - 1,
        -(2**63),
        2**64 - 1,
        2**64,
        -(2**63) - 1,
        10**40,
        0.1,
        1e-05,
        1e16,
        -0.0,
        math.nan,
        math.inf,
        Kind.PLAN,
        Level.HIGH,
        Key("k"),
        True,
        None,
    ],
    ids=repr,
)
def test_numbers_and_subclasses_are_written_as_the_standard_encoder_writes_them(value: Any) -> None:
    same_bytes({"value": value, "in": [value, {"deep": value}]})


@pytest.mark.parametrize("key", [1, 1.5, True, None, Key("k"), Kind.PLAN])
def test_keys_that_are_not_plain_strings_are_written_as_the_standard_encoder_writes_them(
    key: Any,
) -> None:
    same_bytes({"outer": {key: uuid4()}})


def test_what_eventsourcing_refuses_is_refused_with_the_same_error() -> None:
    with pytest.raises(TranscodingNotRegisteredError):
        OURS.encode({"at": {"set": {1, 2}}})
    with pytest.raises(UnicodeEncodeError):
        OURS.encode({"text": "\ud800"})
    looped: dict[str, Any] = {"id": uuid4()}
    looped["self"] = looped
    with pytest.raises(ValueError, match="Circular reference"):
        OURS.encode(looped)


def test_a_deep_state_is_written_alike() -> None:
    deep: Any = uuid4()
    for _ in range(300):  # beyond orjson's depth limit: the standard encoder writes it
        deep = {"in": [deep]}
    assert OURS.encode(deep) == STANDARD.encode(deep)


JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True)
    | st.text()
    | st.uuids()
    | st.datetimes(timezones=st.none() | st.timezones())
    | st.dates()
    | st.decimals(allow_nan=False)
    | st.sampled_from([Colour.RED, Kind.PLAN, Level.HIGH])
)
STATES = st.dictionaries(
    st.text(),
    st.recursive(
        JSON_LEAVES,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.tuples(inner, inner)
            | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=20,
    ),
    max_size=6,
)


@settings(max_examples=400, deadline=None)
@given(STATES)
def test_any_state_is_written_as_eventsourcing_writes_it(state: dict[str, Any]) -> None:
    try:
        expected: bytes | type[Exception] = STANDARD.encode(state)
    except (UnicodeEncodeError, TranscodingNotRegisteredError) as error:
        expected = type(error)
    if isinstance(expected, bytes):
        assert OURS.encode(state) == expected
    else:
        with pytest.raises(expected):
            OURS.encode(state)


def test_reporting_reads_back_what_it_wrote(tmp_path: Path) -> None:
    """A store's own transcodings (reporting's sets) round-trip through the new writer."""
    app = ReportingApplication(env=store_env("reporting", Settings(data_dir=tmp_path)))
    try:
        transcoder = app.mapper.transcoder
        assert isinstance(transcoder, OrjsonTranscoder)
        standard = JSONTranscoder()
        app.register_transcodings(standard)
        state = {"seen": {uuid4().hex, "b"}, "at": datetime.now(UTC)}
        assert transcoder.encode(state) == standard.encode(state)
        assert transcoder.decode(transcoder.encode(state)) == state
    finally:
        app.close()


# ---------------------------------------------------------------------------------- reading


def typed(value: Any) -> Any:
    """`value` with each leaf's type beside it: 1, 1.0 and True are equal, not the same."""
    if isinstance(value, dict):
        return (dict, {key: typed(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return (type(value), [typed(item) for item in value])
    if isinstance(value, float) and math.isnan(value):
        return (float, "nan")
    return (type(value), value)


def same_reading(
    data: bytes, standard: JSONTranscoder = STANDARD, ours: JSONTranscoder = OURS
) -> Any:
    read = ours.decode(data)
    assert typed(read) == typed(standard.decode(data))
    return read


def test_a_stored_state_is_read_as_eventsourcing_reads_it() -> None:
    state = {
        "timestamp": datetime(2026, 1, 5, 8, 0, 1, 250, tzinfo=UTC),
        "case_id": uuid4(),
        "due": date(2026, 2, 3),
        "amount": Decimal("12500000.50"),
        "votes": [
            {"member": uuid4(), "at": datetime(2026, 1, 6, tzinfo=timezone(timedelta(hours=7)))}
        ],
        "roles": ["proposer", "leader"],
        "flags": {"late": False, "note": None, "count": -3},
        "colour": Colour.RED,
        "looks_like_one": {
            "_type_": "uuid_hex",
            "_data_": "5d02149599b55d84a8aed9fd9f603b7f",
            "x": 1,
        },
    }
    assert same_reading(STANDARD.encode(state)) == state


def test_transcoded_values_inside_transcoded_values_are_read_innermost_first() -> None:
    standard, ours = pair(PairAsList())
    first, second = uuid4(), date(2026, 3, 1)
    data = standard.encode({"pair": (first, second)})
    assert same_reading(data, standard, ours) == {"pair": [first, second]}  # a tuple is a list


@pytest.mark.parametrize(
    "data",
    [
        b'{"a":18446744073709551616}',
        b'{"a":-9223372036854775809}',
        b'{"a":[1.5,1e400,-0.0]}',
        b'{"a":NaN,"b":-Infinity}',
        b'{"a":"\\ud800"}',
        b'{"a":1,"a":2}',
        b"[1,2]",
        b'"text"',
        b"1.25",
    ],
)
def test_what_orjson_reads_otherwise_is_read_by_the_standard_decoder(data: bytes) -> None:
    same_reading(data)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b'{"a":{"_type_":"unknown","_data_":1}}', TranscodingNotRegisteredError),
        (b'{"a":"\xff"}', UnicodeDecodeError),
        (b'{"a":', ValueError),
        (b'{"a":{"_type_":{},"_data_":1}}', TypeError),
        (b'{"a":{"_type_":["x"],"_data_":1}}', TypeError),
        (b'{"a":{"_type_":null,"_data_":1}}', TranscodingNotRegisteredError),
    ],
)
def test_what_eventsourcing_cannot_read_fails_with_the_same_error(
    data: bytes, error: type[Exception]
) -> None:
    with pytest.raises(error):
        STANDARD.decode(data)
    with pytest.raises(error):
        OURS.decode(data)


@settings(max_examples=400, deadline=None)
@given(STATES)
def test_any_stored_state_is_read_as_eventsourcing_reads_it(state: dict[str, Any]) -> None:
    try:
        data = STANDARD.encode(state)
    except (UnicodeEncodeError, TranscodingNotRegisteredError):
        return
    same_reading(data)


def test_fields_left_parsed_are_read_as_parsed_and_the_rest_as_eventsourcing_reads_them() -> None:
    state = {
        "submitted_at": datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
        "routing": {"target": "CITY_PC", "on": date(2026, 1, 5)},
        "plan": {"timeline": {"start": date(2026, 2, 1)}, "attachments": [{"size": 3}]},
        "flag": True,
    }
    data = STANDARD.encode(state)
    read = LeavingFieldsParsed(OURS, frozenset({"plan"})).decode(data)
    assert read == {**state, "plan": orjson.loads(data)["plan"]}
    assert read["plan"]["timeline"]["start"] == {"_type_": "date_iso", "_data_": "2026-02-01"}
    assert LeavingFieldsParsed(OURS, frozenset({"plan"})).encode(state) == data


@pytest.mark.parametrize(
    "data",
    [b'{"a":[1.5],"plan":{}}', b'{"a":1.5}', b"[1,2]", b'"text"', b'{"a":NaN}', b'{"a":"\\ud800"}'],
)
def test_what_a_parsed_field_reader_cannot_read_alike_is_read_whole(data: bytes) -> None:
    assert typed(LeavingFieldsParsed(OURS, frozenset({"plan"})).decode(data)) == typed(
        STANDARD.decode(data)
    )
