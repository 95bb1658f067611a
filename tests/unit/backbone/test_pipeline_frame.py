"""The relays' messages leave as nats-py would write them (issue #19): `pipeline.hpub` spells
the HPUB command of nats-py's `Client.publish` byte for byte, and a client given
`frame_headers_faster` sends, counts and refuses what it did before."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nats import errors
from nats.aio.client import Client as NATS
from nats.js.api import PubAck

from shared.platform.pipeline import frame_headers_faster, hpub, pub_ack

pytestmark = pytest.mark.anyio

RELAYED = {
    "ce-specversion": "1.0",
    "ce-id": "4a50216e-6fea-5f2e-94a7-87dd9a97ce4c",
    "ce-source": "/d73/registration",
    "ce-type": "d73.proposal.submitted.v1",
    "ce-time": "2024-06-03T01:01:00+00:00",
    "ce-subject": "Đề xuất/c0e31873",
    "Nats-Msg-Id": "4a50216e-6fea-5f2e-94a7-87dd9a97ce4c",
    "d73-position": "1234",
    "d73-log-leaves": "ab" * 32 + "," + "cd" * 32,
    "traceparent": "00-" + "d" * 32 + "-" + "e" * 16 + "-01",
    "Nats-Expected-Stream": "D73_REGISTRATION",
    "Nats-Expected-Last-Sequence": "1233",
}


class Capturing(NATS):
    """A client that keeps the commands it would send (never connected)."""

    def __init__(self) -> None:
        super().__init__()
        self.commands: list[bytes] = []

    async def _send_command(self, cmd: bytes, priority: bool = False) -> None:
        self.commands.append(cmd)


async def nats_py_writes(headers: dict[str, str], payload: bytes = b'{"a":1}') -> bytes:
    client = Capturing()
    await client._send_publish("d73.x.y", "_INBOX.r.1", payload, len(payload), headers)
    return client.commands[0]


async def test_a_relayed_message_is_framed_as_nats_py_frames_it() -> None:
    payload = b'{"title":"\xc4\x90\xe1\xbb\x81 xu\xe1\xba\xa5t"}'
    assert hpub("d73.x.y", "_INBOX.r.1", RELAYED, payload) == await nats_py_writes(RELAYED, payload)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"  padded  ": "  value  "},
        {"": "skipped", "   ": "skipped too", "kept": "yes"},
        {"crlf": "one\r\ntwo\nthree\rfour"},
        {"x": ""},
        {"x": "\t tabbed \t"},
    ],
)
async def test_edge_cases_are_framed_as_nats_py_frames_them(headers: dict[str, str]) -> None:
    assert hpub("d73.x.y", "_INBOX.r.1", headers, b'{"a":1}') == await nats_py_writes(headers)


@pytest.mark.parametrize("name", ["bad name", "colon:", "é", "new\nline"])
async def test_a_name_nats_py_refuses_is_refused_alike(name: str) -> None:
    with pytest.raises(errors.BadHeaderError):
        await nats_py_writes({name: "v"})
    with pytest.raises(errors.BadHeaderError):
        hpub("d73.x.y", "_INBOX.r.1", {name: "v"}, b"")


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.text(alphabet="abcXYZ-_.09 ", min_size=0, max_size=8),
        st.text(max_size=20),
        max_size=6,
    )
)
async def test_any_headers_are_framed_as_nats_py_frames_them(headers: dict[str, str]) -> None:
    try:
        expected: Any = await nats_py_writes(headers)
    except (errors.BadHeaderError, UnicodeEncodeError) as error:
        with pytest.raises(type(error)):
            hpub("d73.x.y", "_INBOX.r.1", headers, b'{"a":1}')
        return
    assert hpub("d73.x.y", "_INBOX.r.1", headers, b'{"a":1}') == expected


async def test_a_client_framing_faster_sends_and_counts_what_nats_py_did() -> None:
    plain, faster = Capturing(), Capturing()
    frame_headers_faster(faster)
    for client in (plain, faster):
        client._max_pending_size = 1 << 20  # never connected: nats-py buffers for a reconnection
        await client.publish("d73.x.y", b'{"a":1}', reply="_INBOX.r.1", headers=RELAYED)
        await client.publish("d73.x.y", b"{}", headers={"Nats-Msg-Id": "m-2"})
        await client.publish("d73.x.y", b"no headers", reply="_INBOX.r.2")
    assert faster.commands == plain.commands
    assert faster.stats == plain.stats
    for client in (plain, faster):
        with pytest.raises(errors.BadSubjectError):
            await client.publish("bad subject", b"", headers=RELAYED)
        with pytest.raises(errors.BadHeaderError):
            await client.publish("d73.x.y", b"", headers={"bad name": "v"})
    assert faster.commands == plain.commands


@pytest.mark.parametrize(
    "reply",
    [
        {"stream": "D73_REGISTRATION", "seq": 12345},
        {"stream": "D73_REGISTRATION", "seq": 7, "duplicate": True},
        {"stream": "D73_REGISTRATION", "seq": 2**64 - 1, "domain": "hub"},
        {"stream": "D73_REGISTRATION", "seq": 3, "a-field-of-a-later-server": 1},
    ],
)
def test_an_ack_is_read_as_nats_py_reads_it(reply: dict[str, Any]) -> None:
    assert pub_ack(orjson.loads(json.dumps(reply))) == PubAck.from_response(reply)
