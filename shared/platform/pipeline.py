"""Pipelined publishing into one JetStream stream: many messages in flight, stored in order.

Waiting for each PubAck before sending the next message costs a round trip per event (issue #19
§1). A `PipelinedPublisher` sends a run of messages without waiting and the caller then awaits
their acks in the order sent. Sending in order on one connection is not enough for the stream to
stay in order: a message can be lost while the ones after it are stored — the connection breaks
after message k left the client and before the server read it, and nats-py replays its pending
buffer (k+1, …) on the new connection — or refused while the ones after it are not. So every
message carries `Nats-Expected-Last-Sequence`: the stream sequence it must follow, counted from
the stream's last sequence at the start of the run, one more for each message sent. The server
refuses a message unless the stream ends exactly there: once k is lost or refused, k+1 and
everything after it are refused instead of being stored after a gap. The caller stops at the
first ack that fails and sends again after the stream's last message, so it does not resend what
the stream holds; a copy resent anyway (a late one) is never stored twice: refused when it does
not expect the stream's end, acknowledged as a duplicate (same `Nats-Msg-Id`) when it does.

Why the sequence and not `Nats-Expected-Last-Msg-Id` (the id of the message sent before, which
needs no counting): on a replicated stream (compose runs R3) the leader checks an expected
sequence before it proposes a message, counting the messages it has proposed and not yet
applied, but an expected message id only when the message is applied; a run whose k-th message
is refused there breaks the leader's count for k+1, and the stream stops answering for seconds
(`JetStream system temporarily unavailable`, seen with nats-server 2.15.1 on a three-node
cluster; the cluster test of tests/integration/test_relay_pipeline.py runs the sequence there).
The server also knows the last message id only inside the duplicate window, the last sequence
always.

The count starts from the stream's `last_seq` (`stream_info`), read again after any run that
did not end with every message acknowledged as stored: a failure, a duplicate (which the count
did not expect), or a run given up. The expectation is per stream, so the stream must have one
writer: a second writer's message makes the next one refused (never stored out of order), and
the caller's resend counts again from the new end. A message of a second writer (an operator
with the stream's rights publishing by hand) carries no `d73-position` header: the writer looks
past it for its own last message (`newest_positioned`), and the consumers set it aside as a dead
letter, so it stops neither the writer nor its readers. Every stream D73 pipelines into has one
writer: a service's own stream (its relay: D73_REGISTRATION, D73_APPROVAL, reporting's
D73_REPORTING), its public stream (its public relay) and its journal (its relay,
`shared.records.journal`). `D73_AUDIT`, which many write into (every service's checkpoints,
alarms and heartbeats), is not pipelined: the relay publishes a checkpoint alone, with
`JetStreamContext.publish`, once the events before it are acknowledged.

Why not nats-py's `publish_async`: in nats-py 2.16 an error reply (such as a refused expectation)
raises inside its reply handler instead of failing the future, so the refusal would only show as
a timeout; and a publish that fails on the client (`MaxPayloadError`, a full reconnect buffer)
leaves its future and a slot of its semaphore behind for good. Here each refusal fails its own
future at once, and a failed send leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import Mapping
from typing import Any

import orjson
from nats import errors as nats_errors
from nats.aio.client import _HEADER_KEY_RE, _HEADER_VALUE_NEWLINES
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import Header, PubAck, RawStreamMsg
from nats.js.errors import APIError, NoStreamResponseError, NotFoundError

from shared.platform.envelope import POSITION

_EXPECTED_STREAM = Header.EXPECTED_STREAM.value
_EXPECTED_LAST_SEQUENCE = Header.EXPECTED_LAST_SEQUENCE.value

NO_RESPONDERS = "503"
"""The status header of a reply that no stream listens on the subject."""

FOREIGN_LOOKBACK = 10_000
"""Stream sequences (messages without a position, deleted ones) that `newest_positioned` looks
back over before it gives up: a start must not take a round trip per message of a flood."""


class ForeignTail(RuntimeError):
    """The last `FOREIGN_LOOKBACK` sequences of a stream hold no message with a position."""


def position_in(msg: RawStreamMsg) -> int | None:
    """The store position a message carries, or None for one no D73 writer published (no
    `d73-position` header, or not a positive decimal integer; nats-py hands a header that is
    not ASCII over as an `email.header.Header`, never as a str)."""
    text = (msg.headers or {}).get(POSITION)
    if type(text) is not str or not text.isascii() or not text.isdecimal() or len(text) > 19:
        return None
    position = int(text)
    return position if position > 0 else None


async def newest_positioned(
    js: JetStreamContext, stream: str, subject: str, lookback: int = FOREIGN_LOOKBACK
) -> RawStreamMsg | None:
    """The newest message of `stream` that carries a position, if any (every D73 stream holds
    one subject pattern, `subject`, so every message of the stream is one of `subject`'s).

    A writer resumes after its own last message; messages after it that carry no position were
    put there by hand, and halting a service over them would let anyone with publish rights
    stop it. A forged message that does carry a position is the writer's to judge (the relay
    compares it with its store and halts on a mismatch)."""
    try:
        last = await js.get_last_msg(stream, subject)
    except NotFoundError:
        return None
    seq, looked = last.seq or 0, 0
    while position_in(last) is None:
        while True:  # the message before, past deleted sequences
            looked += 1
            seq -= 1
            if seq < 1:
                return None
            if looked > lookback:
                raise ForeignTail(
                    f"the last {lookback} sequences of {stream} hold no message with a "
                    f"{POSITION} header: none was published by D73"
                )
            try:
                last = await js.get_msg(stream, seq)
            except NotFoundError:
                continue
            break
    return last


class PipelinedPublisher:
    """Publishes into one stream without waiting for each ack; see the module's docstring.

    One per writer and stream: it keeps one reply subscription (under the connection's own inbox
    prefix, which NATS permissions reserve to the service) for as long as it lives."""

    def __init__(self, js: JetStreamContext, stream: str, timeout: float) -> None:
        self.js = js
        self.stream = stream
        self.timeout = timeout
        """How long each ack may take once the ones before it have come."""
        self._nc: NATS = js._nc
        self._inbox = ""
        self._subscription: Subscription | None = None
        self._tokens = itertools.count()
        self._waiting: dict[str, asyncio.Future[PubAck]] = {}
        """The acks to come, by reply subject."""
        self._sent: list[asyncio.Future[PubAck]] = []
        """The acks of the run, until it ends or is abandoned."""
        self._last: int | None = None
        """The stream's last sequence after the acks taken, when known."""
        self._expected = 0
        """The stream sequence the next message sent must follow."""

    async def begin(self) -> None:
        """Start a run: what was sent before is acknowledged or given up (acks still awaited
        from an earlier run are given up). The stream's end is read when not known."""
        self.abandon()
        if self._last is None:
            self._last = (await self.js.stream_info(self.stream)).state.last_seq
        self._expected = self._last

    def abandon(self) -> None:
        """Give up every ack of the run not awaited yet (after a failure, or when the caller is
        cancelled): one still to come is dropped on arrival, a refusal already come is read
        here (the first failure is the caller's to report, not the ones it caused). Unless all
        were stored, the stream's end is read again before the next run."""
        for ack in self._sent:
            if not ack.done():
                ack.cancel()
            if ack.cancelled() or ack.exception() is not None:
                self._last = None
        self._sent.clear()
        self._waiting.clear()

    async def send(
        self, subject: str, body: bytes, headers: dict[str, str]
    ) -> asyncio.Future[PubAck]:
        """Send one message (its headers must name it: `Nats-Msg-Id`) and return its ack to come.
        It is stored only right after the message sent before it in this run."""
        if self._subscription is None:
            self._inbox = self._nc.new_inbox()
            self._subscription = await self._nc.subscribe(f"{self._inbox}.*", cb=self._on_reply)
        sent = dict(headers)
        sent[_EXPECTED_STREAM] = self.stream
        sent[_EXPECTED_LAST_SEQUENCE] = str(self._expected)
        reply = f"{self._inbox}.{next(self._tokens)}"
        ack: asyncio.Future[PubAck] = asyncio.get_running_loop().create_future()
        # Forgotten when its reply comes (`_on_reply`) or the run ends (`abandon`), not by a
        # done-callback: one more event-loop turn per message (issue #19).
        self._waiting[reply] = ack
        self._sent.append(ack)
        try:
            await self._nc.publish(subject, body, reply=reply, headers=sent)
        except BaseException:
            del self._waiting[reply]
            ack.cancel()
            raise
        self._expected += 1
        return ack

    async def acknowledged(self, ack: asyncio.Future[PubAck]) -> PubAck:
        """The ack of a message sent, or the reason it was not stored (an `APIError` from the
        server, `nats.errors.TimeoutError` after `timeout`).

        Not `asyncio.wait_for`: on Python 3.11 it returns the result of a future that is done
        when its caller is cancelled, swallowing the cancellation, and with a run in flight
        most acks are done when awaited; a relay cancelled there went on relaying, and whoever
        awaited its end waited for ever."""
        try:
            if not ack.done():
                async with asyncio.timeout(self.timeout):
                    await ack
            stored = ack.result()
        except TimeoutError:
            self._last = None
            raise NatsTimeoutError from None
        except BaseException:
            self._last = None
            raise
        self._last = None if stored.duplicate else stored.seq
        return stored

    async def close(self) -> None:
        self.abandon()
        if self._subscription is not None:
            subscription, self._subscription = self._subscription, None
            await subscription.unsubscribe()

    async def _on_reply(self, msg: Msg) -> None:
        ack = self._waiting.pop(msg.subject, None)
        if ack is None or ack.done():
            return  # given up on, or a late copy
        if msg.headers and msg.headers.get(Header.STATUS.value) == NO_RESPONDERS:
            ack.set_exception(NoStreamResponseError())
            return
        try:
            reply: dict[str, Any] = orjson.loads(msg.data)
            if "error" in reply:
                APIError.from_error(reply["error"])  # raises the error's own class
            ack.set_result(pub_ack(reply))
        except Exception as error:  # whatever it is, it is this message's outcome
            ack.set_exception(error)


_PUB_ACK_FIELDS = frozenset(field.name for field in dataclasses.fields(PubAck))


def pub_ack(reply: dict[str, Any]) -> PubAck:
    """`PubAck.from_response(reply)`, the same ack: a reply holding only the ack's fields (as
    every one does) is given to it whole, without asking the dataclass for its fields, and
    read by orjson — together ~5 us of each message's ~9 (issue #19)."""
    if reply.keys() <= _PUB_ACK_FIELDS:
        return PubAck(**reply)
    return PubAck.from_response(reply)


_CHECKED_KEYS: set[str] = set()
"""Header names `hpub` found valid: the relays send the same few on every message."""


def hpub(subject: str, reply: str, headers: Mapping[str, str], payload: bytes) -> bytes:
    """The HPUB command nats-py's `Client.publish` writes for a message with headers, byte for
    byte (`_send_publish` of nats-py 2.16, which tests/unit/backbone/test_pipeline_frame.py
    compares it with), with the same `BadHeaderError`: each name and value stripped, an empty
    name skipped, CR and LF in a value made spaces. ~5 us for a relayed message's ~17 headers,
    where nats-py took ~26 us (a translation of every value, a regular expression for every
    name; issue #19)."""
    lines = ["NATS/1.0\r\n"]
    for name, value in headers.items():
        key = name.strip()
        if not key:
            continue
        if key not in _CHECKED_KEYS:
            if not _HEADER_KEY_RE.fullmatch(key):
                raise nats_errors.BadHeaderError(key)
            if len(_CHECKED_KEYS) < 1024:
                _CHECKED_KEYS.add(key)
        text = value.strip()
        if "\r" in text or "\n" in text:
            text = text.translate(_HEADER_VALUE_NEWLINES)
        lines.append(f"{key}: {text}\r\n")
    lines.append("\r\n")
    header = "".join(lines).encode()  # encoded once, and the payload copied once (issue #19)
    size = len(header)
    return b"".join(
        (
            f"HPUB {subject} {reply} {size} {size + len(payload)}\r\n".encode(),
            header,
            payload,
            b"\r\n",
        )
    )


def frame_headers_faster(nc: NATS) -> None:
    """Have `nc` spell the commands of its messages with headers by `hpub` (its `publish`
    still checks them all, as before): the relays' two or three messages a submission each
    took ~26 us to frame in nats-py (issue #19). A message without headers is written by
    nats-py as before."""
    send_publish = nc._send_publish

    async def framed(
        subject: str,
        reply: str,
        payload: bytes,
        payload_size: int,
        headers: dict[str, Any] | None,
    ) -> None:
        if headers is None or subject == "":
            await send_publish(subject, reply, payload, payload_size, headers)
            return
        command = hpub(subject, reply, headers, payload)
        nc.stats["out_msgs"] += 1
        nc.stats["out_bytes"] += payload_size
        await nc._send_command(command)
        if nc._flush_queue is not None and nc._flush_queue.empty():
            await nc._flush_pending()

    nc._send_publish = framed  # type: ignore[method-assign]
