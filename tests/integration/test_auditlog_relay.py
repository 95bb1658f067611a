"""The relay keeps the verifiable log on a real nats-server: headers, checkpoints, restarts."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.domain import DomainEventProtocol
from fastapi import FastAPI
from fastapi.testclient import TestClient
from nats.js import JetStreamContext

from shared.contracts.audit import Checkpoint as CheckpointMessage
from shared.contracts.registration import ProposalWithdrawn
from shared.platform.envelope import CE_ID, LOG_INDEX, MSG_ID, POSITION, TREE_ROOT, TREE_SIZE
from shared.platform.halt import HaltKind, ServiceHalt
from shared.platform.identity import TokenVerifier
from shared.platform.outbox import OutboxRelay, event_id
from shared.platform.runtime import ensure_streams, public_view
from shared.platform.settings import Settings
from shared.platform.subjects import AUDIT_STREAM, PUBLIC_REGISTRATION_STREAM, REGISTRATION_STREAM
from shared.platform.web import install_problem_handlers
from shared.records.merkle.bundle import proof_from_hex
from shared.records.merkle.canonical import entry_bytes
from shared.records.merkle.checkpoint import verify_checkpoint
from shared.records.merkle.keys import public_key_from_b64
from shared.records.merkle.tree import CompactRange, leaf_hash, verify_consistency, verify_inclusion
from shared.records.servicelog.api import audit_router
from shared.records.servicelog.entries import event_id_text
from shared.records.servicelog.heads import read_log_headers
from shared.records.servicelog.log import ServiceLog
from shared.records.servicelog.publishing import (
    NewCheckpoint,
    checkpoint_event_id,
    read_checkpoint_message,
    signed_checkpoint,
)
from tests.support.infra import TEST_JWT_SECRET, auth, token_for
from tests.support.relay import running
from tests.support.samples import AUDITOR_ID
from tests.unit.records.servicelog.support import (
    SERVICE,
    Memo,
    MemoApp,
    file_memos,
    memo_app,
    reference_tree,
)
from tests.unit.records.servicelog.tampering import StoreSurgery

pytestmark = pytest.mark.anyio
AUDITOR = auth(token_for(AUDITOR_ID, roles=["auditor"]))


def translate(domain_event: DomainEventProtocol[UUID], position: int) -> ProposalWithdrawn | None:
    """Filed memos are published; scribbles stay private drafts."""
    if not isinstance(domain_event, Memo.Filed):  # type: ignore[attr-defined]
        return None
    return ProposalWithdrawn(
        id=event_id(SERVICE, domain_event),
        proposal_id=domain_event.originator_id,
        occurred_at=domain_event.timestamp,
        position=position,
        reason=domain_event.title,
    )


def audit_log(
    app: MemoApp, tmp_path: Path, every_events: int = 4, *, full_rebuild: bool = False
) -> ServiceLog:
    return ServiceLog(
        SERVICE,
        app,
        key_dir=tmp_path / "keys",
        every_events=every_events,
        every_seconds=3600,
        chunk_bits=2,
        full_rebuild=full_rebuild,
    )


def relay_for(app: MemoApp, audit: ServiceLog) -> OutboxRelay:
    return OutboxRelay(app, SERVICE, REGISTRATION_STREAM, translate, audit=audit, poll_seconds=0.1)


@dataclass
class Message:
    subject: str
    headers: dict[str, str]
    data: bytes


async def messages(js: JetStreamContext, stream: str) -> list[Message]:
    info = await js.stream_info(stream)
    if not info.state.messages:
        return []
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(stream, seq=seq)
        found.append(Message(msg.subject or "", dict(msg.headers or {}), msg.data or b""))
    return found


async def settled(js: JetStreamContext, events: int, checkpoints: int) -> None:
    """Wait until the streams hold that many events and checkpoints, and nothing more comes."""
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        counts = (
            (await js.stream_info(REGISTRATION_STREAM.name)).state.messages,
            (await js.stream_info(AUDIT_STREAM.name)).state.messages,
        )
        if counts == (events, checkpoints):
            await asyncio.sleep(0.3)
            return
        assert asyncio.get_running_loop().time() < deadline, f"stuck at {counts}"
        await asyncio.sleep(0.05)


def api(audit: ServiceLog) -> TestClient:
    app = FastAPI()
    app.state.verifier = TokenVerifier(Settings(jwt_secret=TEST_JWT_SECRET))
    install_problem_handlers(app, {})
    app.include_router(audit_router(audit))
    return TestClient(app)


def header_heads(events: list[Message]) -> list[tuple[int, int, str]]:
    return [
        (int(m.headers[LOG_INDEX]), int(m.headers[TREE_SIZE]), m.headers[TREE_ROOT]) for m in events
    ]


async def test_a_published_event_proves_its_place_against_a_published_checkpoint(
    js: JetStreamContext, tmp_path: Path
) -> None:
    app = memo_app(tmp_path)
    file_memos(app, 3)  # before the relay: 6 events, 3 of them private drafts
    audit = audit_log(app, tmp_path)
    async with running(relay_for(app, audit), js):
        await asyncio.to_thread(file_memos, app, 3)
        await settled(js, events=6, checkpoints=3)  # at 4, 8 and 12 events
    events = await messages(js, REGISTRATION_STREAM.name)
    published = await messages(js, AUDIT_STREAM.name)

    # From the stream alone: each checkpoint is signed, and proves it extends the one before.
    client = api(audit)
    public_key = public_key_from_b64(client.get("/audit/public-key").json()["public_key"])
    contracts = [read_checkpoint_message(m.headers, m.data) for m in published]
    assert [m.subject for m in published] == [CheckpointMessage.subject_of(SERVICE)] * 3
    assert [m.headers[MSG_ID] for m in published] == [
        str(checkpoint_event_id(SERVICE, n)) for n in (4, 8, 12)
    ]
    assert all(m.headers[MSG_ID] == m.headers[CE_ID] for m in published)
    for contract in contracts:
        verify_checkpoint(public_key, signed_checkpoint(contract), service=SERVICE)
        frontier = proof_from_hex(contract.frontier)
        assert CompactRange(contract.tree_size, frontier).root().hex() == contract.root_hash
    for older, newer in itertools.pairwise(contracts):
        assert newer.consistency is not None
        assert newer.consistency.first_size == older.tree_size
        verify_consistency(
            older.tree_size,
            newer.tree_size,
            bytes.fromhex(older.root_hash),
            bytes.fromhex(newer.root_hash),
            proof_from_hex(newer.consistency.path),
        )

    # Headers: the published events sit at odd positions (drafts between them) of the log.
    assert [(i, s) for i, s, _ in header_heads(events)] == [(i, i + 1) for i in (0, 2, 4, 6, 8, 10)]
    reference, _ = reference_tree(app)
    assert [root for _, _, root in header_heads(events)] == [
        reference.root(size).hex() for size in (1, 3, 5, 7, 9, 11)
    ]
    assert [m.headers[POSITION] for m in events] == ["1", "3", "5", "7", "9", "11"]
    # ...and name every leaf since the previous event, so a witness recomputes each root.
    assert [read_log_headers(m.headers).leaves for m in events] == [  # type: ignore[union-attr]
        (reference.leaf_hash(0),),
        *((reference.leaf_hash(i - 1), reference.leaf_hash(i)) for i in (2, 4, 6, 8, 10)),
    ]

    # One event, the published checkpoint after it, the proof from the service's API.
    event, checkpoint = events[4], signed_checkpoint(contracts[2])
    index, size, root = header_heads([event])[0]
    proof = client.get(
        "/audit/proof/inclusion",
        params={"position": index + 1, "tree_size": checkpoint.tree_size},
        headers=AUDITOR,
    ).json()
    assert proof["event_id"] == event.headers[CE_ID], "the entry is the published event"
    assert proof["event_id"] == event_id_text(
        SERVICE, proof["entry"]["originator_id"], proof["entry"]["originator_version"]
    )
    verify_inclusion(
        leaf_hash(entry_bytes(proof["entry"])),
        index,
        checkpoint.tree_size,
        proof_from_hex(proof["inclusion_path"]),
        checkpoint.root,
    )
    # ...and the head in its headers is a prefix of the signed log.
    link = client.get(
        "/audit/proof/consistency", params={"first": size, "second": checkpoint.tree_size}
    ).json()
    verify_consistency(
        size,
        checkpoint.tree_size,
        bytes.fromhex(root),
        checkpoint.root,
        proof_from_hex(link["path"]),
    )


async def test_a_checkpoint_signed_outside_the_relay_is_published_with_its_proof(
    js: JetStreamContext, tmp_path: Path
) -> None:
    app = memo_app(tmp_path)
    audit = audit_log(app, tmp_path, every_events=4)
    async with running(relay_for(app, audit), js):
        await asyncio.to_thread(file_memos, app, 3)
        await settled(js, events=3, checkpoints=1)  # at 4 of 6 entries
        asked = await asyncio.to_thread(audit.sign, when_due=False)  # as a certificate asks
        assert asked is not None
        await settled(js, events=3, checkpoints=2)
    contract = read_checkpoint_message(*_last(await messages(js, AUDIT_STREAM.name)))
    assert contract.tree_size == 6
    assert contract.consistency is not None
    assert len(contract.frontier) == 2, "6 leaves: subtrees of 4 and 2"
    reference, _ = reference_tree(app)
    verify_consistency(
        4, 6, reference.root(4), reference.root(6), proof_from_hex(contract.consistency.path)
    )


def _last(found: list[Message]) -> tuple[dict[str, str], bytes]:
    return found[-1].headers, found[-1].data


async def test_a_restarted_relay_rebuilds_the_log_and_continues_it(
    js: JetStreamContext, tmp_path: Path
) -> None:
    app = memo_app(tmp_path)
    async with running(relay_for(app, audit_log(app, tmp_path)), js):
        await asyncio.to_thread(file_memos, app, 5)
        await settled(js, events=5, checkpoints=2)
    await asyncio.to_thread(file_memos, app, 4)  # committed while no relay ran
    again = audit_log(app, tmp_path)  # a new process: nothing in memory
    async with running(relay_for(app, again), js):
        await settled(js, events=9, checkpoints=4)
    events = await messages(js, REGISTRATION_STREAM.name)
    reference, _ = reference_tree(app)
    assert header_heads(events) == [
        (i, i + 1, reference.root(i + 1).hex()) for i in range(0, 18, 2)
    ]
    assert [cp.tree_size for cp in again.checkpoints()] == [4, 8, 12, 16]
    assert again.tampered is None


async def test_messages_the_stream_lost_are_republished_with_the_same_heads(
    js: JetStreamContext, tmp_path: Path
) -> None:
    app = memo_app(tmp_path)
    audit = audit_log(app, tmp_path)
    async with running(relay_for(app, audit), js):
        await asyncio.to_thread(file_memos, app, 5)
        await settled(js, events=5, checkpoints=2)
    before = [m.headers for m in await messages(js, REGISTRATION_STREAM.name)]
    for lost in (REGISTRATION_STREAM, AUDIT_STREAM):  # a broker restored from nothing
        await js.delete_stream(lost.name)
    await ensure_streams(js, SERVICE, [REGISTRATION_STREAM, AUDIT_STREAM])
    relay = relay_for(app, audit)  # the same log, ahead of the stream: it goes back
    async with running(relay, js):
        await settled(js, events=5, checkpoints=2)
    heads = [read_log_headers(h) for h in before]
    assert [read_log_headers(m.headers) for m in await messages(js, REGISTRATION_STREAM.name)] == (
        heads
    ), "the same indexes, roots and leaf hashes"
    kept = [cp.to_dict() for cp in audit.checkpoints()]
    again = [
        signed_checkpoint(read_checkpoint_message(m.headers, m.data)).to_dict()
        for m in await messages(js, AUDIT_STREAM.name)
    ]
    assert again == kept, "the kept checkpoints, republished as they were signed"
    await relay._publish_checkpoint(js, NewCheckpoint(audit.checkpoints()[0], None, ()))
    assert (await js.stream_info(AUDIT_STREAM.name)).state.messages == 2, "dropped by msg id"


async def test_a_store_edited_while_the_service_was_down_stops_the_relay(
    js: JetStreamContext, tmp_path: Path
) -> None:
    app = memo_app(tmp_path)
    async with running(relay_for(app, audit_log(app, tmp_path)), js):
        await asyncio.to_thread(file_memos, app, 4)
        await settled(js, events=4, checkpoints=2)
    StoreSurgery(Settings(data_dir=tmp_path), SERVICE).edit(
        3, lambda payload: payload.update(title="Sửa khi dịch vụ dừng")
    )
    await asyncio.to_thread(file_memos, app, 4)
    # A full rebuild (`d73 rebuild-log`): a start that resumes from the kept chunk roots reads
    # none of the events they cover, and finds this edit when a proof reloads the chunk.
    again = audit_log(app, tmp_path, full_rebuild=True)
    async with running(relay_for(app, again), js):
        await asyncio.sleep(1.0)
    assert again.tampered is not None
    assert "not those registration signed" in again.tampered
    assert (await js.stream_info(REGISTRATION_STREAM.name)).state.messages == 4
    assert (await js.stream_info(AUDIT_STREAM.name)).state.messages == 2
    head = api(again).get("/audit/head").json()
    assert head["status"] == "tampered"


async def test_the_heartbeat_counts_what_the_log_owes_even_when_the_relay_stands_still(
    js: JetStreamContext, tmp_path: Path
) -> None:
    """What a service's heartbeat tells the witness (issue #12 §3): the entries its log must
    reach, stored events the relay never read included, and the checkpoint on the stream."""
    app = memo_app(tmp_path)
    relay = relay_for(app, audit_log(app, tmp_path))
    async with running(relay, js):
        await asyncio.to_thread(file_memos, app, 4)  # eight events: memos and drafts
        await settled(js, events=4, checkpoints=2)
        assert (relay.log_due(), relay.checkpoint_size) == (8, 8)
    await asyncio.to_thread(file_memos, app, 3)  # taken while the relay stands still
    assert (relay.log_due(), relay.checkpoint_size) == (14, 8)


async def test_the_public_relay_stops_while_its_service_is_halted(
    js: JetStreamContext, tmp_path: Path
) -> None:
    """Agencies' public stream gets nothing from a store found tampered (issue #12 §3): the
    public relay, wired as the runtime wires it, obeys the service's halt."""
    await ensure_streams(js, SERVICE, [PUBLIC_REGISTRATION_STREAM])
    app = memo_app(tmp_path)

    def relays(audit: ServiceLog) -> tuple[ServiceHalt, OutboxRelay, OutboxRelay]:
        halt = ServiceHalt(SERVICE)
        halt.halt(HaltKind.STARTING, "the relay has not checked the store yet")
        main = OutboxRelay(
            app, SERVICE, REGISTRATION_STREAM, translate, audit=audit, halt=halt, poll_seconds=0.1
        )
        public = OutboxRelay(
            app,
            SERVICE,
            PUBLIC_REGISTRATION_STREAM,
            public_view(translate),
            poll_seconds=0.1,
            gate=halt,
        )
        return halt, main, public

    async def public_messages() -> int:
        return (await js.stream_info(PUBLIC_REGISTRATION_STREAM.name)).state.messages

    halt, main, public = relays(audit_log(app, tmp_path))
    async with running(main, js), running(public, js):
        await asyncio.to_thread(file_memos, app, 4)
        await settled(js, events=4, checkpoints=2)
        for _ in range(200):
            if await public_messages() == 4:
                break
            await asyncio.sleep(0.05)
    assert await public_messages() == 4, "the public view of each filed memo"
    assert not halt.halted

    await asyncio.to_thread(file_memos, app, 4)  # committed; both relays down (a crash)
    StoreSurgery(Settings(data_dir=tmp_path), SERVICE).edit(
        3, lambda payload: payload.update(title="Sửa khi dịch vụ dừng")
    )
    # A full rebuild finds the edit on start (a resumed log would at the first proof of it).
    halt, main, public = relays(audit_log(app, tmp_path, full_rebuild=True))
    async with running(main, js), running(public, js):
        await asyncio.sleep(1.0)
        assert halt.holds(HaltKind.LOG_TAMPERED)
    assert (await js.stream_info(REGISTRATION_STREAM.name)).state.messages == 4
    assert await public_messages() == 4, "nothing of the tampered store went public"


async def test_a_checkpoint_the_store_lost_is_taken_back_from_the_stream(
    js: JetStreamContext, tmp_path: Path
) -> None:
    app = memo_app(tmp_path)
    async with running(relay_for(app, audit_log(app, tmp_path)), js):
        await asyncio.to_thread(file_memos, app, 4)
        await settled(js, events=4, checkpoints=2)
    surgery = StoreSurgery(Settings(data_dir=tmp_path), SERVICE)
    surgery.drop_checkpoints()  # a database restored from before the checkpoint table
    again = audit_log(app, tmp_path)
    async with running(relay_for(app, again), js):
        await settled(js, events=4, checkpoints=2)
    assert [cp.tree_size for cp in again.checkpoints()] == [8]
    assert again.tampered is None
