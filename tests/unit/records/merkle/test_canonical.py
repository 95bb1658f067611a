"""The canonical entry bytes: one encoding an auditor can reproduce from the entry alone."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.records.merkle.canonical import (
    canonical_json,
    decode_entry,
    encode_canonical_entry,
    encode_entry,
    entry_bytes,
)
from shared.records.merkle.errors import CanonicalEncodingError
from shared.records.merkle.stored_state import entry_state

EVENT_ID = uuid.UUID("1b4e28ba-2fa1-11d2-883f-0016d3cca427")
PROPOSAL_ID = uuid.UUID("9f1d6c1e-0a53-4c1e-8f0e-5d6b7f2e3a10")


def test_keys_are_sorted_without_whitespace_and_text_is_raw_utf8() -> None:
    encoded = canonical_json(
        {"tên": "Nguyễn Văn An", "b": [1, 2.5, None, True], "a": {"z": 1, "y": 2}}
    )
    assert encoded == '{"a":{"y":2,"z":1},"b":[1,2.5,null,true],"tên":"Nguyễn Văn An"}'.encode()


def test_entry_bytes_are_a_canonical_header_line_then_the_stored_state() -> None:
    stored = '{"title":"Cải tiến","submitted_on":{"_type_":"date_iso","_data_":"2026-11-26"}}'
    entry = encode_entry(
        position=7,
        topic="services.registration.domain.proposal:Proposal.Submitted",
        originator_id=str(PROPOSAL_ID),
        originator_version=2,
        state=stored.encode(),
    )
    assert entry == (
        b'{"originator_id":"9f1d6c1e-0a53-4c1e-8f0e-5d6b7f2e3a10","originator_version":2,'
        b'"position":7,"topic":"services.registration.domain.proposal:Proposal.Submitted"}\n'
        + stored.encode()
    )
    decoded = decode_entry(entry)
    assert decoded == {
        "position": 7,
        "topic": "services.registration.domain.proposal:Proposal.Submitted",
        "originator_id": str(PROPOSAL_ID),
        "originator_version": 2,
        "stored_state": stored,
    }
    assert entry_bytes(decoded) == entry
    assert entry_state(decoded) == {"title": "Cải tiến", "submitted_on": "2026-11-26"}


def test_a_state_that_is_not_utf8_travels_as_base64_and_comes_back_byte_for_byte() -> None:
    entry = encode_entry(
        position=1,
        topic="t",
        originator_id=str(PROPOSAL_ID),
        originator_version=1,
        state=b"\x00\xffcipher",
    )
    decoded = decode_entry(entry)
    assert decoded["stored_state"] == {"$bytes": "AP9jaXBoZXI="}
    assert entry_bytes(decoded) == entry
    assert entry_state(decoded) == {}


@pytest.mark.parametrize(
    "stored_state",
    [{"$bytes": "AP9jaXBoZXI"}, {"$bytes": "not base64!"}, {"x": "1"}, 7, "\ud800"],
)
def test_a_stored_state_that_names_no_bytes_is_refused(stored_state: object) -> None:
    entry = decode_entry(
        encode_entry(
            position=1, topic="t", originator_id=str(PROPOSAL_ID), originator_version=1, state=b"{}"
        )
    )
    entry["stored_state"] = stored_state
    with pytest.raises(CanonicalEncodingError):
        entry_bytes(entry)


def test_a_format_1_entry_is_the_canonical_json_of_the_decoded_event() -> None:
    entry = encode_canonical_entry(
        position=7,
        event_id=str(EVENT_ID),
        topic="services.registration.domain.proposal:Proposal.Submitted",
        originator_id=str(PROPOSAL_ID),
        originator_version=2,
        state={"title": "Cải tiến", "submitted_on": date(2026, 11, 26)},
    )
    assert entry == (
        b'{"id":"1b4e28ba-2fa1-11d2-883f-0016d3cca427",'
        b'"originator_id":"9f1d6c1e-0a53-4c1e-8f0e-5d6b7f2e3a10","originator_version":2,'
        b'"position":7,"state":{"submitted_on":"2026-11-26",'
        b'"title":"C\xe1\xba\xa3i ti\xe1\xba\xbfn"},'
        b'"topic":"services.registration.domain.proposal:Proposal.Submitted"}'
    )
    decoded = decode_entry(entry)
    assert decoded["position"] == 7
    assert entry_bytes(decoded) == entry
    assert entry_state(decoded) == {"title": "Cải tiến", "submitted_on": "2026-11-26"}


def test_values_of_event_state_have_one_text_form() -> None:
    moment = datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=7)))
    encoded = canonical_json(
        {
            "at": moment,
            "utc": datetime(2026, 1, 1, tzinfo=UTC),
            "on": date(2026, 11, 26),
            "budget": Decimal("150000000.00"),
            "id": PROPOSAL_ID,
            "blob": bytearray(b"\x01"),
            "pair": (1, "x"),
        }
    )
    assert orjson.loads(encoded) == {
        "at": "2026-11-26T10:00:00.123456+07:00",
        "utc": "2026-01-01T00:00:00+00:00",
        "on": "2026-11-26",
        "budget": "150000000.00",
        "id": str(PROPOSAL_ID),
        "blob": {"$bytes": "AQ=="},
        "pair": [1, "x"],
    }


@pytest.mark.parametrize(
    "value",
    [
        {"a": math.nan},
        {"a": [1.0, {"b": math.inf}]},
        {"a": -math.inf},
        {"a": Decimal("NaN")},
        {"a": Decimal("Infinity")},
        {1: "non-string key"},
        {"a": {1, 2}},
        {"a": 2**64},
        {"a": object()},
    ],
)
def test_values_without_a_canonical_form_are_refused(value: Any) -> None:
    with pytest.raises(CanonicalEncodingError):
        canonical_json(value)


def test_the_word_null_in_text_is_not_mistaken_for_nan() -> None:
    assert canonical_json({"note": "null", "none": None}) == b'{"none":null,"note":"null"}'


@pytest.mark.parametrize(
    ("field", "value"),
    [("position", 0), ("position", True), ("position", "3"), ("originator_version", 1.0)],
)
def test_entry_fields_must_have_their_types(field: str, value: object) -> None:
    fields: dict[str, Any] = {
        "position": 1,
        "topic": "t",
        "originator_id": str(PROPOSAL_ID),
        "originator_version": 1,
        "state": b"{}",
    }
    fields[field] = value
    with pytest.raises(CanonicalEncodingError):
        encode_entry(**fields)
    with pytest.raises(CanonicalEncodingError):
        encode_canonical_entry(**{**fields, "state": {}, "event_id": str(EVENT_ID)})


def test_decode_entry_refuses_anything_but_an_entry() -> None:
    with pytest.raises(CanonicalEncodingError):
        decode_entry(b'{"position":1}')
    with pytest.raises(CanonicalEncodingError):
        decode_entry(b'{"position":1}\n{}')
    with pytest.raises(CanonicalEncodingError):
        decode_entry(b"not json")
    with pytest.raises(CanonicalEncodingError):
        decode_entry(b"not json\n{}")


@given(
    st.integers(min_value=1, max_value=2**63),
    st.text(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.binary(max_size=64),
)
def test_an_entry_object_gives_its_entry_back_byte_for_byte(
    position: int, topic: str, version: int, state: bytes
) -> None:
    entry = encode_entry(
        position=position,
        topic=topic,
        originator_id=str(PROPOSAL_ID),
        originator_version=version,
        state=state,
    )
    # Through real JSON, as a bundle carries it.
    assert entry_bytes(orjson.loads(orjson.dumps(decode_entry(entry)))) == entry


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_re_encoding_parsed_canonical_bytes_gives_the_same_bytes(value: Any) -> None:
    # A bundle carries entries as JSON objects: the verifier must get the signed bytes back.
    encoded = canonical_json(value)
    assert canonical_json(orjson.loads(encoded)) == encoded
