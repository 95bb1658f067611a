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

from shared.records.merkle.canonical import canonical_json, decode_entry, encode_entry
from shared.records.merkle.errors import CanonicalEncodingError

EVENT_ID = uuid.UUID("1b4e28ba-2fa1-11d2-883f-0016d3cca427")
PROPOSAL_ID = uuid.UUID("9f1d6c1e-0a53-4c1e-8f0e-5d6b7f2e3a10")


def test_keys_are_sorted_without_whitespace_and_text_is_raw_utf8() -> None:
    encoded = canonical_json(
        {"tên": "Nguyễn Văn An", "b": [1, 2.5, None, True], "a": {"z": 1, "y": 2}}
    )
    assert encoded == '{"a":{"y":2,"z":1},"b":[1,2.5,null,true],"tên":"Nguyễn Văn An"}'.encode()


def test_entry_bytes_are_exactly_the_documented_fields_in_key_order() -> None:
    entry = encode_entry(
        position=7,
        event_id=EVENT_ID,
        topic="services.registration.domain.proposal:Proposal.Submitted",
        originator_id=PROPOSAL_ID,
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
    assert decode_entry(entry)["position"] == 7


def test_an_undecodable_state_is_committed_as_base64_bytes() -> None:
    entry = encode_entry(
        position=1,
        event_id=EVENT_ID,
        topic="t",
        originator_id=PROPOSAL_ID,
        originator_version=1,
        state=b"\x00\xffcipher",
    )
    assert decode_entry(entry)["state"] == {"$bytes": "AP9jaXBoZXI="}


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
        "event_id": EVENT_ID,
        "topic": "t",
        "originator_id": PROPOSAL_ID,
        "originator_version": 1,
        "state": {},
    }
    fields[field] = value
    with pytest.raises(CanonicalEncodingError):
        encode_entry(**fields)


def test_decode_entry_refuses_anything_but_an_entry_object() -> None:
    with pytest.raises(CanonicalEncodingError):
        decode_entry(b'{"position":1}')
    with pytest.raises(CanonicalEncodingError):
        decode_entry(b"not json")


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
