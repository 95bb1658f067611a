"""Reporting on a real nats-server: rebuilt from JetStream alone with identical results; a message
lost from a stream is an alarm; a poison message is dead-lettered and held in the archive; as a
witness it follows each service's log and alarms on a forged event or checkpoint."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import nats
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nats.js.errors import NotFoundError

from shared.contracts import CONTRACTS
from shared.contracts.witness import CheckpointCosigned, LogAlarm
from shared.platform.envelope import CE_TYPE, MSG_ID, encode
from shared.platform.subjects import (
    APPROVAL_STREAM,
    AUDIT_STREAM,
    DEADLETTER_STREAM,
    REGISTRATION_STREAM,
    REPORTING_STREAM,
)
from shared.records.merkle.checkpoint import Checkpoint, sign_checkpoint, verify_cosignature
from shared.records.merkle.keys import public_key_from_b64, save_public_key
from shared.records.merkle.tree import MerkleTree
from shared.records.servicelog.heads import log_headers
from shared.records.servicelog.publishing import NewCheckpoint, checkpoint_message
from tests.support.flows import stream_messages
from tests.support.infra import (
    POSTGRES_HOST,
    POSTGRES_PORT,
    POSTGRES_USER,
    Suite,
    auth,
    token_for,
    wait_until,
)
from tests.support.reporting_data import CAN_THO_2025, REGISTRATION, Message, publish
from tests.support.samples import AUDITOR_ID

AUDITOR = auth(token_for(AUDITOR_ID, roles=["auditor"]))
SERVICE_OF_STREAM = {"D73_REGISTRATION": "registration", "D73_APPROVAL": "approval"}


class ServiceLogs:
    """Each stream's service log as its relay would keep it: every message one leaf."""

    def __init__(self) -> None:
        self.trees: dict[str, MerkleTree] = {}

    def head(self, stream: str, body: bytes) -> dict[str, str]:
        tree = self.trees.setdefault(stream, MerkleTree())
        index = tree.append_entry(body)
        return log_headers(index, tree.root(), [tree.leaf_hash(index)])


def _wire(message: Message, logs: ServiceLogs) -> tuple[str, bytes, dict[str, str]]:
    contract = CONTRACTS[message.body["type"]]
    event = contract.model_validate(message.body)
    body, headers = encode(event, SERVICE_OF_STREAM[message.stream])
    return event.subject(), body, {**headers, **logs.head(message.stream, body)}


async def _publish(
    url: str,
    messages: list[Message],
    raw: tuple[tuple[str, bytes, dict[str, str]], ...] = (),
    logs: ServiceLogs | None = None,
) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    logs = logs or ServiceLogs()
    for spec in (REGISTRATION_STREAM, APPROVAL_STREAM, AUDIT_STREAM):
        try:
            await js.stream_info(spec.name)
        except NotFoundError:
            await js.add_stream(spec.config())
    for message in messages:
        subject, body, headers = _wire(message, logs)
        ack = await js.publish(subject, body, headers=headers)
        assert ack.seq == message.seq, "the streams hold the data set at its own sequences"
    for subject, body, headers in raw:
        await js.publish(subject, body, headers=headers)
    await nc.close()


async def _js_call(url: str, action: str, *args: Any) -> Any:
    nc = await nats.connect(url)
    try:
        return await getattr(nc.jetstream(), action)(*args)
    finally:
        await nc.close()


def _projections(suite: Suite) -> dict[str, Any]:
    response = httpx.get(f"{suite['reporting'].url}/audit/projections", headers=AUDITOR, timeout=30)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _summary(suite: Suite) -> dict[str, Any]:
    response = httpx.get(
        f"{suite['reporting'].url}/reports/city-summary",
        params={"period": "2025", "as_of": "2025-11-10"},
        headers=AUDITOR,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def test_reporting_deleted_and_replayed_from_jetstream_gives_identical_digests(
    suite: Suite,
) -> None:
    def delete_store() -> None:
        for path in suite.data_dir.glob("reporting.sqlite*"):
            path.unlink()

    _deleted_and_replayed(suite, delete_store)


@pytest.mark.postgres
def test_reporting_on_postgresql_deleted_and_replayed_gives_identical_digests(
    pg_suite: Suite,
) -> None:
    def delete_store() -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(
            host=POSTGRES_HOST, port=POSTGRES_PORT, user=POSTGRES_USER, autocommit=True
        ) as conn:
            name = sql.Identifier(f"{pg_suite.db_prefix}reporting")
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(name))

    _deleted_and_replayed(pg_suite, delete_store)


def _deleted_and_replayed(suite: Suite, delete_store: Callable[[], None]) -> None:
    messages = [m for m in publish(CAN_THO_2025) if m.body["type"] in CONTRACTS]
    suite.start("reporting")
    asyncio.run(_publish(suite.nats_url, messages))
    wait_until(lambda: _projections(suite)["events"] == len(messages), timeout=60)
    first, first_summary = _projections(suite), _summary(suite)
    assert first["dead_lettered"] == 0
    assert first_summary["summary"]["submitted"] == 18

    suite["reporting"].stop()
    delete_store()
    for stream in (REGISTRATION_STREAM.name, APPROVAL_STREAM.name):
        durable = f"reporting-{stream.lower()}"
        assert asyncio.run(_js_call(suite.nats_url, "delete_consumer", stream, durable))
    suite.start("reporting")
    wait_until(lambda: _projections(suite)["events"] == len(messages), timeout=60)
    again = _projections(suite)
    assert again["digests"] == first["digests"]
    assert _summary(suite) == first_summary


def test_a_message_lost_from_a_stream_is_an_alarm_and_poison_is_held(suite: Suite) -> None:
    registration = [m for m in publish(CAN_THO_2025) if m.stream == REGISTRATION][:5]
    poison = (
        "d73.registration.proposal.teleported",
        b"{}",
        {CE_TYPE: "d73.proposal.teleported.v1"},
    )
    logs, key = ServiceLogs(), Ed25519PrivateKey.generate()
    asyncio.run(_publish(suite.nats_url, registration, (poison,), logs))
    asyncio.run(_js_call(suite.nats_url, "delete_msg", REGISTRATION_STREAM.name, 3))
    (suite.data_dir / "keys").mkdir(parents=True, exist_ok=True)
    save_public_key(key.public_key(), suite.data_dir / "keys" / "registration.ed25519.pub.pem")
    tree = logs.trees[REGISTRATION]
    signed = sign_checkpoint(key, service="registration", tree_size=4, root_hash=tree.root(4))
    anchor = checkpoint_message(NewCheckpoint(signed, None, (), tuple(tree.frontier(4))))
    asyncio.run(_publish(suite.nats_url, [], (anchor,)))
    suite.start("reporting")

    def alarms() -> dict[str, Any] | None:
        r = httpx.get(f"{suite['reporting'].url}/audit/alarms", headers=AUDITOR, timeout=10)
        body: dict[str, Any] = r.json()
        return body if body["quarantined"] == 1 else None

    body = wait_until(alarms, timeout=30)
    assert body["alarm"] is True
    stream = next(s for s in body["streams"] if s["stream"] == REGISTRATION_STREAM.name)
    (gap,) = stream["gaps"]
    assert (gap["first_missing"], gap["last_missing"], gap["revealed_by_seq"]) == (3, 3, 4)
    (held,) = stream["quarantined"]
    assert held["seq"] == 6
    assert "unknown event type" in held["reason"]
    assert _projections(suite)["events"] == 4
    letters = asyncio.run(_js_call(suite.nats_url, "stream_info", DEADLETTER_STREAM.name))
    assert letters.state.messages == 1, "dead-lettered as well, like everywhere else"
    (lost,) = [a for a in body["log_alarms"] if a["service"] == "registration"]
    assert lost["kind"] == "log-gap", "the witness misses the leaf of the lost message too"
    assert (lost["first_missing"], lost["last_missing"]) == (2, 2)

    def resumed() -> dict[str, Any] | None:
        r = httpx.get(f"{suite['reporting'].url}/audit/checkpoints/registration", headers=AUDITOR)
        leaves: dict[str, Any] = r.json()["leaves"] if r.status_code == 200 else {}
        return leaves if leaves.get("tree_size") == 5 else None

    leaves = wait_until(resumed, timeout=30)
    assert leaves["stopped"] is None, "it follows again from the signed checkpoint at 4"
    assert [r["tree_size"] for r in leaves["resumptions"]] == [4]
    assert leaves["root_hash"] == tree.root(5).hex()


def test_nothing_is_lost_when_reporting_restarts(suite: Suite) -> None:
    messages = [m for m in publish(CAN_THO_2025) if m.body["type"] in CONTRACTS]
    half = [m for m in messages if m.seq <= 40]
    rest = [m for m in messages if m.seq > 40]
    suite.start("reporting")
    asyncio.run(_publish(suite.nats_url, half))
    wait_until(lambda: _projections(suite)["events"] == len(half), timeout=60)
    suite["reporting"].stop()
    asyncio.run(_publish(suite.nats_url, rest))
    suite.start("reporting")
    wait_until(lambda: _projections(suite)["events"] == len(messages), timeout=60)
    assert _summary(suite)["summary"]["submitted"] == 18
    alarms = httpx.get(f"{suite['reporting'].url}/audit/alarms", headers=AUDITOR).json()
    assert alarms["gaps"] == 0


def test_the_witness_cosigns_a_true_checkpoint_and_alarms_on_forgeries(suite: Suite) -> None:
    key, stranger = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    keys = suite.data_dir / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    save_public_key(key.public_key(), keys / "registration.ed25519.pub.pem")
    registration = [m for m in publish(CAN_THO_2025) if m.stream == REGISTRATION][:4]
    logs = ServiceLogs()
    wire = [_wire(message, logs) for message in registration]
    tree = logs.trees[REGISTRATION]

    def checkpoint(
        signer: Ed25519PrivateKey, size: int, root: bytes
    ) -> tuple[str, bytes, dict[str, str]]:
        signed = sign_checkpoint(signer, service="registration", tree_size=size, root_hash=root)
        subject, body, headers = checkpoint_message(NewCheckpoint(signed, None, ()))
        headers.pop(MSG_ID)  # a forger's copies must not be dropped as duplicates
        return subject, body, headers

    forged_event = registration[0]  # the same event again, claiming another history
    subject, body, headers = _wire(forged_event, ServiceLogs())
    headers.update(log_headers(4, bytes(32), [tree.leaf_hash(0)]))
    headers.pop(MSG_ID)
    raw = (
        *wire,
        checkpoint(key, 4, tree.root()),
        checkpoint(stranger, 4, tree.root()),
        checkpoint(key, 4, bytes(32)),  # another root for the size it signed: a fork
        (subject, body, headers),
    )
    asyncio.run(_publish(suite.nats_url, [], raw))
    suite.start("reporting")
    url = suite["reporting"].url

    def alarms() -> list[dict[str, Any]] | None:
        r = httpx.get(f"{url}/audit/alarms", headers=AUDITOR, timeout=10)
        found: list[dict[str, Any]] = r.json()["log_alarms"]
        return found if len(found) == 3 else None

    found = wait_until(alarms, timeout=30)
    assert sorted(a["kind"] for a in found) == ["fork", "root-mismatch", "unknown-key"]
    body = httpx.get(f"{url}/audit/alarms", headers=AUDITOR, timeout=10).json()
    assert [(c["service"], c["tree_size"]) for c in body["checkpoint_conflicts"]] == [
        ("registration", 4)
    ]
    assert body["alarm"] is True
    held = httpx.get(f"{url}/audit/checkpoints/registration", headers=AUDITOR).json()
    (true,) = held["checkpoints"]
    assert true["verification"] == {"consistency": "first", "leaves": "matched"}
    witness = httpx.get(f"{url}/audit/witness-key").json()
    signed = Checkpoint.from_dict(true)
    (cosignature,) = signed.cosignatures
    verify_cosignature(public_key_from_b64(witness["public_key"]), signed, cosignature)
    assert held["leaves"]["tree_size"] == 4

    # Agencies learn the same from D73_REPORTING, without asking reporting.
    def published() -> list[Any] | None:
        try:
            found = stream_messages(suite.nats_url, REPORTING_STREAM.name)
        except NotFoundError:  # reporting has not created its stream yet
            return None
        return found if len(found) == 4 else None

    messages = wait_until(published, timeout=30)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for headers, body in messages:
        by_type.setdefault(headers[CE_TYPE], []).append(json.loads(body))
    assert sorted(a["kind"] for a in by_type[LogAlarm.TYPE]) == [
        "fork",
        "root-mismatch",
        "unknown-key",
    ]
    (cosigned,) = by_type[CheckpointCosigned.TYPE]
    statement = Checkpoint.from_dict(
        {**cosigned["checkpoint"], "cosignatures": [cosigned["cosignature"]]}
    )
    verify_cosignature(
        public_key_from_b64(witness["public_key"]), statement, statement.cosignatures[0]
    )
    assert statement.tree_size == 4
