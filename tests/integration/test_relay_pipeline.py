"""Pipelined publishing keeps a stream in order across lost messages (issue #19 §1), against a
real nats-server: the server's side of `shared.platform.pipeline`, then the relay over it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from nats.errors import MaxPayloadError
from nats.js import JetStreamContext
from nats.js.errors import BadRequestError, NoStreamResponseError

from shared.platform.envelope import MSG_ID, POSITION
from shared.platform.outbox import OutboxRelay, event_id
from shared.platform.pipeline import PipelinedPublisher
from shared.platform.subjects import JOURNAL_OF_SERVICE, REGISTRATION_STREAM
from shared.records import journal as journal_module
from shared.records.journal import FIRST_POSITION, Journal, read_journal_message
from shared.records.servicelog.entries import event_id_text
from shared.records.servicelog.heads import read_log_headers
from shared.records.servicelog.log import ServiceLog
from tests.deploy.natsauth import SecuredNats, three_node_cluster
from tests.deploy.natsauth import eventually as cluster_eventually
from tests.integration.test_auditlog_relay import messages, translate
from tests.support.relay import running
from tests.unit.records.servicelog.support import SERVICE, file_memos, memo_app, reference_tree

pytestmark = pytest.mark.anyio

SUBJECT = "d73.registration.proposal.test"


async def eventually(condition: Callable[[], bool], within: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "never happened"
        await asyncio.sleep(0.05)


async def stored_ids(js: JetStreamContext) -> list[str]:
    info = await js.stream_info(REGISTRATION_STREAM.name)
    if not info.state.messages:
        return []
    ids = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(REGISTRATION_STREAM.name, seq=seq)
        ids.append((msg.headers or {})[MSG_ID])
    return ids


async def test_a_message_after_one_lost_is_refused_not_stored_out_of_order(
    js: JetStreamContext,
) -> None:
    publisher = PipelinedPublisher(js, REGISTRATION_STREAM.name, timeout=5)
    ids = [str(uuid4()) for _ in range(4)]
    await publisher.begin()
    first = await publisher.send(SUBJECT, b"0", {MSG_ID: ids[0]})
    # The second is lost on the way (sent, never read by the server): the chain names it.
    lost = await publisher.send("d73.nowhere.lost", b"1", {MSG_ID: ids[1]})
    third = await publisher.send(SUBJECT, b"2", {MSG_ID: ids[2]})
    fourth = await publisher.send(SUBJECT, b"3", {MSG_ID: ids[3]})
    assert (await publisher.acknowledged(first)).seq == 1
    with pytest.raises(NoStreamResponseError):
        await publisher.acknowledged(lost)
    for refused in (third, fourth):
        with pytest.raises(BadRequestError, match="wrong last sequence: 1"):
            await publisher.acknowledged(refused)
    assert await stored_ids(js) == [ids[0]], "nothing stored past the lost message"
    await publisher.close()


async def test_acks_taken_failed_sends_and_abandoned_runs_leave_no_reply_waiting(
    js: JetStreamContext,
) -> None:
    """Without a done-callback per ack (issue #19), its reply, a failed send or the run's end
    still forget every ack: nothing waits for a reply that will not come."""
    publisher = PipelinedPublisher(js, REGISTRATION_STREAM.name, timeout=5)
    await publisher.begin()
    sent = [await publisher.send(SUBJECT, b"x", {MSG_ID: str(uuid4())}) for _ in range(3)]
    for ack in sent:
        await publisher.acknowledged(ack)
    assert publisher._waiting == {}
    with pytest.raises(MaxPayloadError):
        await publisher.send(SUBJECT, b"x" * (js._nc.max_payload + 1), {MSG_ID: str(uuid4())})
    assert publisher._waiting == {}
    await publisher.send(SUBJECT, b"y", {MSG_ID: str(uuid4())})
    publisher.abandon()
    assert publisher._waiting == {}
    await publisher.close()


async def test_a_resent_message_is_never_stored_twice_and_the_count_starts_again(
    js: JetStreamContext,
) -> None:
    """A message resent after a lost ack is acknowledged as a duplicate when it expects the
    stream's end; the stream did not grow, so the messages sent after it expect too much and
    are refused, a duplicate among them too (a single server checks the expectation first).
    The next run reads the stream's end again and goes on from there."""
    publisher = PipelinedPublisher(js, REGISTRATION_STREAM.name, timeout=5)
    ids = [str(uuid4()) for _ in range(5)]
    await publisher.begin()
    for ack in [await publisher.send(SUBJECT, b"", {MSG_ID: i}) for i in ids[:3]]:
        await publisher.acknowledged(ack)
    await publisher.begin()
    resent = [await publisher.send(SUBJECT, b"", {MSG_ID: i}) for i in ids[1:]]
    duplicate = await publisher.acknowledged(resent[0])
    assert (duplicate.seq, duplicate.duplicate) == (2, True)
    for refused in resent[1:]:
        with pytest.raises(BadRequestError, match="wrong last sequence: 3"):
            await publisher.acknowledged(refused)
    assert await stored_ids(js) == ids[:3]
    await publisher.begin()
    for ack in [await publisher.send(SUBJECT, b"", {MSG_ID: i}) for i in ids[3:]]:
        assert not (await publisher.acknowledged(ack)).duplicate
    assert await stored_ids(js) == ids
    await publisher.close()


async def test_a_caller_cancelled_while_taking_an_ack_is_cancelled(js: JetStreamContext) -> None:
    """A relay is stopped by cancelling it while it takes acks, most of them already come:
    `asyncio.wait_for` on Python 3.11 returns such an ack and drops the cancellation, and the
    relay went on for ever."""
    publisher = PipelinedPublisher(js, REGISTRATION_STREAM.name, timeout=5)
    await publisher.begin()
    ack = await publisher.send(SUBJECT, b"", {MSG_ID: str(uuid4())})
    await eventually(ack.done)
    taking = asyncio.create_task(publisher.acknowledged(ack))
    await asyncio.sleep(0)  # it starts
    if taking.cancel():
        with pytest.raises(asyncio.CancelledError):
            await taking
    assert taking.cancelled() or taking.result().seq == 1
    await publisher.close()


def losing_once(
    monkeypatch: pytest.MonkeyPatch, js: JetStreamContext, message_id: str
) -> list[str]:
    """The connection loses the first message named `message_id` on its way to the server (it
    left the client, the server never read it) and carries the others: what a break between
    two pipelined messages does when nats-py resends its buffer on the new connection. Returns
    the subjects it lost."""
    connection = js._nc
    send = connection.publish
    lost: list[str] = []

    async def publish(
        subject: str, payload: bytes = b"", reply: str = "", headers: dict[str, str] | None = None
    ) -> None:
        if not lost and (headers or {}).get(MSG_ID) == message_id:
            lost.append(subject)
            return
        await send(subject, payload, reply=reply, headers=headers)

    monkeypatch.setattr(connection, "publish", publish)
    return lost


async def test_an_event_lost_mid_batch_is_published_again_before_the_ones_after_it(
    js: JetStreamContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the chain of expected ids the events after the lost one are stored, the relay
    resumes after the last of them, and the lost one is never published: a gap."""
    app = memo_app(tmp_path)
    memos = file_memos(app, 6)  # one batch: memos at odd positions, private drafts between
    audit = ServiceLog(
        SERVICE, app, key_dir=tmp_path / "keys", every_events=1000, every_seconds=3600
    )
    relay = OutboxRelay(
        app, SERVICE, REGISTRATION_STREAM, translate, audit=audit, publish_timeout=0.5
    )
    filed = [next(iter(app.repository.event_store.get(memo.id))) for memo in memos]
    ids = [str(event_id(SERVICE, event)) for event in filed]
    lost = losing_once(monkeypatch, js, ids[2])
    async with running(relay, js):
        await eventually(lambda: relay.position == 12)
    events = await messages(js, REGISTRATION_STREAM.name)
    assert lost == [events[2].subject], "the third event was lost once"
    assert [m.headers[MSG_ID] for m in events] == ids, "in order, no gap, no duplicate"
    assert [m.headers[POSITION] for m in events] == ["1", "3", "5", "7", "9", "11"]
    assert relay.published == 6, "each event acknowledged once as stored"
    # The heads a witness follows are those of an unbroken run.
    reference, _ = reference_tree(app)
    heads = [head for m in events if (head := read_log_headers(m.headers)) is not None]
    assert [head.tree_size for head in heads] == [1, 3, 5, 7, 9, 11]
    assert [head.root for head in heads] == [reference.root(size) for size in (1, 3, 5, 7, 9, 11)]
    assert [head.leaves for head in heads] == [
        (reference.leaf_hash(0),),
        *((reference.leaf_hash(i - 1), reference.leaf_hash(i)) for i in (2, 4, 6, 8, 10)),
    ]


async def test_a_journal_message_lost_mid_batch_leaves_the_journal_in_order(
    js: JetStreamContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The journal is read in notification order (a restored store searches it): a lost
    message is journaled again before the ones after it, which the server refused. One event
    per message here, so that the lost one is the event at position 3."""
    monkeypatch.setattr(journal_module, "JOURNAL_EVENTS", 1)
    app = memo_app(tmp_path)
    file_memos(app, 4)
    relay = OutboxRelay(
        app,
        SERVICE,
        REGISTRATION_STREAM,
        translate,
        journal=Journal(SERVICE, app),
        publish_timeout=0.5,
    )
    third = app.recorder.select_notifications(start=3, limit=1)[0]
    journal_id = event_id_text(SERVICE, UUID(str(third.originator_id)), third.originator_version)
    lost = losing_once(monkeypatch, js, f"journal-{journal_id}-3-3")
    async with running(relay, js):
        await eventually(lambda: relay.position == 8)
    journal = await messages(js, JOURNAL_OF_SERVICE[SERVICE].name)
    assert lost, "the journal message of position 3 was lost once"
    assert [int(m.headers[POSITION]) for m in journal] == list(range(1, 9))
    events = await messages(js, REGISTRATION_STREAM.name)
    assert [m.headers[POSITION] for m in events] == ["1", "3", "5", "7"]


async def test_a_relay_batch_is_journaled_as_runs_of_events_in_order(
    js: JetStreamContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A journal message carries a run of stored events (one disk write on the server for the
    run, not one per event): 8 events in runs of at most 3, read back in order, each message
    naming its first and last position."""
    monkeypatch.setattr(journal_module, "JOURNAL_EVENTS", 3)
    app = memo_app(tmp_path)
    file_memos(app, 4)
    relay = OutboxRelay(app, SERVICE, REGISTRATION_STREAM, translate, journal=Journal(SERVICE, app))
    async with running(relay, js):
        await eventually(lambda: relay.position == 8)
    journal = await messages(js, JOURNAL_OF_SERVICE[SERVICE].name)
    runs = [[entry.notification_id for entry in read_journal_message(m)] for m in journal]
    assert [p for run in runs for p in run] == list(range(1, 9))
    assert len(journal) == 3, runs
    assert all(len(run) <= 3 for run in runs)
    for message, run in zip(journal, runs, strict=True):
        assert (int(message.headers[FIRST_POSITION]), int(message.headers[POSITION])) == (
            run[0],
            run[-1],
        )


def test_on_a_three_node_cluster_a_lost_message_stops_the_run_and_a_resend_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replicated streams (compose's R3): the leader checks each expected sequence before it
    proposes the message, counting what it proposed and has not applied yet, and duplicates
    before that. Logged in as registration, whose acks come to its private inbox."""
    with three_node_cluster(tmp_path) as cluster:
        asyncio.run(_lost_and_resent(cluster, monkeypatch))


async def _lost_and_resent(cluster: SecuredNats, monkeypatch: pytest.MonkeyPatch) -> None:
    async with cluster.login("registration") as registration:
        js = registration.js(timeout=5)
        await cluster_eventually(
            lambda: js.add_stream(REGISTRATION_STREAM.config(replicas=3)), within=60
        )
        publisher = PipelinedPublisher(js, REGISTRATION_STREAM.name, timeout=10)
        await cluster_eventually(  # a new R3 stream answers once its replicas elected a leader
            lambda: js.publish(SUBJECT, b"", headers={MSG_ID: "leader-elected"}), within=30
        )
        ids = [str(uuid4()) for _ in range(4)]
        await publisher.begin()
        first = await publisher.send(SUBJECT, b"", {MSG_ID: ids[0]})
        lost = losing_once(monkeypatch, js, ids[1])
        second = await publisher.send(SUBJECT, b"", {MSG_ID: ids[1]})
        after = [await publisher.send(SUBJECT, b"", {MSG_ID: i}) for i in ids[2:]]
        assert (await publisher.acknowledged(first)).seq == 2
        for refused in after:
            with pytest.raises(BadRequestError, match="wrong last sequence: 2"):
                await publisher.acknowledged(refused)
        assert lost
        assert not second.done(), "lost: no answer will come"
        assert (await js.stream_info(REGISTRATION_STREAM.name)).state.last_seq == 2
        await publisher.begin()  # the resend, from the message after the stream's last
        acks = [await publisher.send(SUBJECT, b"", {MSG_ID: i}) for i in ids[1:]]
        outcomes = [await publisher.acknowledged(ack) for ack in acks]
        assert [(ack.seq, bool(ack.duplicate)) for ack in outcomes] == [
            (3, False),
            (4, False),
            (5, False),
        ]
        assert (await stored_ids(js))[1:] == ids
        await publisher.close()
