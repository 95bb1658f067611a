"""Reporting on a real nats-server: rebuilt from JetStream alone with identical results; a message
lost from a stream is an alarm; a poison message is dead-lettered and held in the archive."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import nats
import pytest
from nats.js.errors import NotFoundError

from shared.contracts import CONTRACTS
from shared.envelope import CE_TYPE, encode
from shared.subjects import APPROVAL_STREAM, DEADLETTER_STREAM, REGISTRATION_STREAM
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

AUDITOR = auth(token_for("ct.thanh-tra.01", roles=["auditor"]))
SERVICE_OF_STREAM = {"D73_REGISTRATION": "registration", "D73_APPROVAL": "approval"}


def _wire(message: Message) -> tuple[str, bytes, dict[str, str]]:
    contract = CONTRACTS[message.body["type"]]
    event = contract.model_validate(message.body)
    body, headers = encode(event, SERVICE_OF_STREAM[message.stream])
    return event.subject(), body, headers


async def _publish(
    url: str,
    messages: list[Message],
    raw: tuple[tuple[str, bytes, dict[str, str]], ...] = (),
) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    for spec in (REGISTRATION_STREAM, APPROVAL_STREAM):
        try:
            await js.stream_info(spec.name)
        except NotFoundError:
            await js.add_stream(spec.config())
    for message in messages:
        subject, body, headers = _wire(message)
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
    asyncio.run(_publish(suite.nats_url, registration, (poison,)))
    asyncio.run(_js_call(suite.nats_url, "delete_msg", REGISTRATION_STREAM.name, 3))
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
