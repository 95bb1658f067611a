"""Agencies share one account but not their consumers (issue #17.1): each creates and uses only
consumers named after itself, sees no other's, receives only on its private inbox, and nothing
it creates can deliver into another agency's feed or into D73."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy

from services.cli.natsconfig import (
    ADMIN_USER,
    AGENCIES_ADMIN_USER,
    agencies_public_stream,
    agency_consumer_names,
    render_nats_config,
)
from services.cli.natsserver import NatsServer, free_port
from shared.platform.runtime import provision_streams
from shared.platform.subjects import AGENCIES_STREAM, PUBLIC_REGISTRATION_STREAM, inbox_prefix

A, B = "so-khcn-hau-giang", "thanh-tra-bo-noi-vu"
PASSWORDS = {
    "registration": "pw-r",
    ADMIN_USER: "pw-a",
    AGENCIES_ADMIN_USER: "pw-aa",
    A: "pw-A",
    B: "pw-B",
}
SUBMITTED = "d73.public.registration.proposal.submitted"
"""Agencies read the public view of the events (shared.contracts.public)."""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[NatsServer]:
    config = tmp_path / "nats.conf"
    config.write_text(
        render_nats_config(
            users={"registration": PASSWORDS["registration"]},
            agencies={A: PASSWORDS[A], B: PASSWORDS[B]},
            admin=PASSWORDS[ADMIN_USER],
            agencies_admin=PASSWORDS[AGENCIES_ADMIN_USER],
        )
    )
    nats_server = NatsServer(tmp_path / "store", free_port(), config_file=config)
    nats_server.start()
    try:
        yield nats_server
    finally:
        nats_server.stop()


class Client:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.nc: Any = None

    async def refused(self, subject: str, what: str = "publish") -> None:
        wanted = f'{what} to "{subject}"'.lower()
        for _ in range(150):
            if any(wanted in e for e in self.errors):
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"{subject!r} not refused; errors: {self.errors[-3:]!r}")


@contextlib.asynccontextmanager
async def login(server: NatsServer, user: str) -> AsyncIterator[Client]:
    client = Client()

    async def on_error(error: Exception) -> None:
        client.errors.append(str(error).lower())

    private = user in (A, B, "registration")
    client.nc = await nats.connect(
        server.url,
        user=user,
        password=PASSWORDS[user],
        error_cb=on_error,
        allow_reconnect=False,
        inbox_prefix=inbox_prefix(user) if private else "_INBOX",
    )
    try:
        yield client
    finally:
        await client.nc.close()


async def _with_public_history(server: NatsServer, count: int = 3) -> None:
    async with login(server, ADMIN_USER) as admin:
        await provision_streams(admin.nc.jetstream(timeout=5))
    async with login(server, "registration") as reg:
        for n in range(count):
            await reg.nc.jetstream().publish(SUBMITTED, f"p-{n}".encode())
    async with login(server, AGENCIES_ADMIN_USER) as admin:
        await admin.nc.jetstream(timeout=5).add_stream(agencies_public_stream())


async def _drain(js: Any, durable: str, want: int) -> list[bytes]:
    sub = await js.pull_subscribe("d73.>", durable=durable, stream=AGENCIES_STREAM)
    got: list[bytes] = []
    for _ in range(40):
        try:
            for msg in await sub.fetch(10, timeout=1.0):
                got.append(msg.data)
                await msg.ack()
        except TimeoutError:  # nats' own, or no answer at all on a loaded machine
            if len(got) >= want:
                break
    return got


def test_an_agency_cannot_see_touch_or_impersonate_another_agencys_consumer(
    server: NatsServer,
) -> None:
    async def scenario() -> None:
        await _with_public_history(server)
        async with login(server, B) as b:
            assert await _drain(b.nc.jetstream(timeout=3), B, 3) == [b"p-0", b"p-1", b"p-2"]
        theirs = json.dumps({"stream_name": AGENCIES_STREAM, "config": {"durable_name": B}})
        async with login(server, A) as a:
            s = AGENCIES_STREAM
            calls = [
                (f"$JS.API.CONSUMER.LIST.{s}", b""),
                (f"$JS.API.CONSUMER.NAMES.{s}", b""),
                (f"$JS.API.CONSUMER.INFO.{s}.{B}", b""),
                (f"$JS.API.CONSUMER.DELETE.{s}.{B}", b""),
                (f"$JS.API.CONSUMER.MSG.NEXT.{s}.{B}", b'{"batch": 1}'),
                (f"$JS.API.CONSUMER.CREATE.{s}.{B}", theirs.encode()),
                (f"$JS.API.CONSUMER.DURABLE.CREATE.{s}.{B}", theirs.encode()),
                (f"$JS.API.CONSUMER.CREATE.{s}", b"{}"),  # unnamed: any name
                (f"$JS.API.CONSUMER.CREATE.{s}.someone-else", b"{}"),
                (f"$JS.ACK.{s}.{B}.1.1.1.0.0", b"+ACK"),
                (f"$JS.API.STREAM.UPDATE.{s}", b"{}"),
                (f"$JS.API.STREAM.PURGE.{s}", b""),
                (f"$JS.API.STREAM.DELETE.{s}", b""),
            ]
            for subject, body in calls:
                await a.nc.publish(subject, body, reply=a.nc.new_inbox())
            await a.nc.flush()
            for subject, _ in calls:
                await a.refused(subject)
            for foreign in (f"{inbox_prefix(B)}.>", "_INBOX.>", "d73.>", SUBMITTED):
                await a.nc.subscribe(foreign)
                await a.nc.flush()
                await a.refused(foreign, "subscription")
        async with login(server, B) as b:
            info = await b.nc.jetstream(timeout=3).consumer_info(AGENCIES_STREAM, B)
            assert info.num_ack_pending == 0
            assert info.delivered.stream_seq == 3

    asyncio.run(scenario())


def test_an_agency_keeps_its_own_consumers_under_its_names(server: NatsServer) -> None:
    async def scenario() -> None:
        await _with_public_history(server)
        async with login(server, A) as a:
            js = a.nc.jetstream(timeout=3)
            names = agency_consumer_names(A)
            assert names[0] == A
            assert len(names) == 10
            assert await _drain(js, names[3], 3) == [b"p-0", b"p-1", b"p-2"]
            await js.delete_consumer(AGENCIES_STREAM, names[3])
            # A push consumer delivering to its own inbox works: it is a subscription of its own.
            inbox = a.nc.new_inbox()
            assert inbox.startswith(inbox_prefix(A) + ".")
            sub = await a.nc.subscribe(inbox)
            await js.add_consumer(
                AGENCIES_STREAM,
                ConsumerConfig(
                    name=names[1], deliver_subject=inbox, deliver_policy=DeliverPolicy.ALL
                ),
            )
            assert (await sub.next_msg(timeout=5)).data == b"p-0"
            assert a.errors == []

    asyncio.run(scenario())


def test_a_push_consumer_aimed_at_a_live_subject_or_another_inbox_reaches_nobody(
    server: NatsServer,
) -> None:
    """The server cannot read a consumer's deliver subject from the permissions, but nobody may
    subscribe to anything in the account except their own inbox: replays aimed at a live subject
    or another agency's inbox are received by no one, and D73 never sees them."""

    async def scenario() -> None:
        await _with_public_history(server)
        async with login(server, B) as b:
            assert len(await _drain(b.nc.jetstream(timeout=3), B, 3)) == 3
        async with login(server, A) as a:
            js = a.nc.jetstream(timeout=3)
            for n, target in enumerate((SUBMITTED, f"{inbox_prefix(B)}.guessed")):
                created = await js.add_consumer(
                    AGENCIES_STREAM,
                    ConsumerConfig(
                        name=agency_consumer_names(A)[n + 1],
                        deliver_subject=target,
                        deliver_policy=DeliverPolicy.ALL,
                    ),
                )
                assert created.config.deliver_subject == target  # accepted, delivering…
            await asyncio.sleep(1)
        async with login(server, "registration") as reg:
            await reg.nc.jetstream().publish(SUBMITTED, b"p-3")
        async with login(server, B) as b:
            # B's feed: exactly the genuine next event, nothing replayed into it.
            assert await _drain(b.nc.jetstream(timeout=3), B, 1) == [b"p-3"]
        async with login(server, ADMIN_USER) as admin:
            info = await admin.nc.jetstream().stream_info(PUBLIC_REGISTRATION_STREAM.name)
            assert info.state.messages == 4

    asyncio.run(scenario())


def test_an_agency_can_neither_publish_nor_read_dead_letters(server: NatsServer) -> None:
    async def scenario() -> None:
        await _with_public_history(server)
        async with login(server, "registration") as reg:
            await reg.nc.jetstream().publish("d73.deadletter.registration", b"poison")
        async with login(server, A) as a:
            for subject in (SUBMITTED, "d73.deadletter.registration", "agencies.deliver.x"):
                await a.nc.publish(subject, b"forged")
            await a.nc.flush()
            for subject in (SUBMITTED, "d73.deadletter.registration", "agencies.deliver.x"):
                await a.refused(subject)
            got = await _drain(a.nc.jetstream(timeout=3), A, 3)
            assert b"poison" not in got
            assert len(got) == 3
        async with login(server, ADMIN_USER) as admin:
            info = await admin.nc.jetstream().stream_info(PUBLIC_REGISTRATION_STREAM.name)
            assert info.state.messages == 3

    asyncio.run(scenario())
