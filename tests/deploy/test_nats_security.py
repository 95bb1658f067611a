"""The NATS security model on a real nats-server: services publish only their own subjects;
other agencies read the public events (live and from the beginning) but write nothing and never
see dead letters (design.md §2, §6); only an agency with an inspection mandate reads the fuller
tier (the events as the services exchange them)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js.api import ConsumerConfig, StreamConfig

from services.cli.natsconfig import (
    ADMIN_USER,
    AGENCIES_ADMIN_USER,
    DELIVER_PREFIX,
    IMPORTED_API_PREFIX,
    agencies_inspection_stream,
    agencies_public_stream,
)
from services.cli.natsserver import NatsServer
from shared.platform.runtime import provision_streams
from shared.platform.subjects import (
    AGENCIES_STREAM,
    APPROVAL_STREAM,
    AUDIT_STREAM,
    DEADLETTER_STREAM,
    INSPECTION_STREAM,
    JOURNAL_OF_SERVICE,
    PUBLIC_REGISTRATION_STREAM,
    REGISTRATION_STREAM,
    STREAMS,
    StreamSpec,
    consumer_name,
    deadletter_subject,
    inbox_prefix,
)
from tests.deploy.natsauth import (
    AGENCY,
    INSPECTOR,
    SecuredNats,
    Session,
    eventually,
    secured_nats_server,
    varz,
)

SUBMITTED = "d73.registration.proposal.submitted"
PUBLIC_SUBMITTED = "d73.public.registration.proposal.submitted"
DENIED = 0.25
"""Seconds to wait for the reply a refused request never gets."""


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[tuple[NatsServer, SecuredNats]]:
    with secured_nats_server(tmp_path) as pair:
        yield pair


async def _d73_with_history(nats_: SecuredNats) -> None:
    """Each owner creates its stream; registration publishes three events and a dead letter."""
    async with nats_.login("registration") as reg, nats_.login("reporting") as rep:
        await reg.js().add_stream(REGISTRATION_STREAM.config())
        await reg.js().add_stream(PUBLIC_REGISTRATION_STREAM.config())
        await rep.js().add_stream(AUDIT_STREAM.config())
        await rep.js().add_stream(DEADLETTER_STREAM.config())
        async with nats_.login("approval") as appr:
            await appr.js().add_stream(APPROVAL_STREAM.config())
        for n in range(3):
            await reg.js().publish(SUBMITTED, f"proposal-{n}".encode())
            await reg.js().publish(PUBLIC_SUBMITTED, f"public-{n}".encode())
        await reg.js().publish(deadletter_subject("registration"), b"poison: secret draft")


async def _create_public_stream(nats_: SecuredNats) -> None:
    async with nats_.login(AGENCIES_ADMIN_USER) as admin:
        await admin.js(timeout=5).add_stream(agencies_public_stream())
        await admin.js(timeout=5).add_stream(agencies_inspection_stream())


def test_only_an_agency_with_an_inspection_mandate_reads_the_fuller_tier(
    secured: tuple[NatsServer, SecuredNats],
) -> None:
    _, nats_ = secured

    async def scenario() -> None:
        await _d73_with_history(nats_)
        await _create_public_stream(nats_)
        async with nats_.login(INSPECTOR) as inspector:
            js = inspector.js(timeout=5)
            full = await js.pull_subscribe(
                "d73.registration.>", durable=INSPECTOR, stream=INSPECTION_STREAM
            )
            got: list[Any] = []

            async def three() -> list[Any] | None:
                got.extend(await full.fetch(3 - len(got), timeout=1))
                return got if len(got) == 3 else None

            assert [m.data for m in await eventually(three)] == [
                b"proposal-0",
                b"proposal-1",
                b"proposal-2",
            ]
            assert inspector.errors == []
        async with nats_.login(AGENCY) as agency:
            with pytest.raises(nats.errors.TimeoutError):
                await agency.js(timeout=DENIED).pull_subscribe(
                    "d73.registration.>", durable="peek", stream=INSPECTION_STREAM
                )
            await agency.violation(f"$JS.API.CONSUMER.INFO.{INSPECTION_STREAM}")
            with pytest.raises(nats.errors.TimeoutError):
                await agency.js(timeout=DENIED).add_consumer(
                    INSPECTION_STREAM, ConsumerConfig(name="peek2")
                )
            await agency.violation(f"$JS.API.CONSUMER.CREATE.{INSPECTION_STREAM}")
            with pytest.raises(nats.errors.TimeoutError):
                await agency.js(timeout=DENIED).stream_info(INSPECTION_STREAM)
            await agency.violation(f"$JS.API.STREAM.INFO.{INSPECTION_STREAM}")
            await agency.nc.subscribe("d73.approval.>")
            await agency.nc.flush()
            await agency.violation("d73.approval.>")

    asyncio.run(scenario())


def test_agency_replays_registration_history_published_before_it_subscribed(
    secured: tuple[NatsServer, SecuredNats],
) -> None:
    _, nats_ = secured

    async def scenario() -> None:
        await _d73_with_history(nats_)
        await _create_public_stream(nats_)
        async with nats_.login(AGENCY) as agency:
            js = agency.js(timeout=5)
            history = await js.pull_subscribe(
                "d73.public.registration.>", durable=AGENCY, stream=AGENCIES_STREAM
            )

            got: list[Any] = []

            async def three() -> list[Any] | None:
                # Keep what each fetch returned: a message fetched while the source is still
                # catching up is delivered once and would only come back after ack_wait.
                got.extend(await history.fetch(3 - len(got), timeout=1))
                return got if len(got) == 3 else None

            messages = await eventually(three)
            assert [m.data for m in messages] == [b"public-0", b"public-1", b"public-2"]
            assert {m.subject for m in messages} == {PUBLIC_SUBMITTED}
            for m in messages:
                await m.ack()
            # Live: the same consumer delivers what is published afterwards.
            async with nats_.login("registration") as reg:
                await reg.js().publish(PUBLIC_SUBMITTED, b"public-3")
            [live] = await eventually(lambda: history.fetch(1, timeout=1))
            assert live.data == b"public-3"
            assert agency.errors == []

    asyncio.run(scenario())


def test_agency_public_stream_holds_no_dead_letters(
    secured: tuple[NatsServer, SecuredNats],
) -> None:
    _, nats_ = secured

    async def scenario() -> None:
        await _d73_with_history(nats_)
        await _create_public_stream(nats_)
        async with nats_.login(AGENCY) as agency:
            js = agency.js(timeout=5)

            async def sourced() -> object:
                info = await js.stream_info(AGENCIES_STREAM, subjects_filter=">")
                return info if info.state.messages == 3 else None

            info = await eventually(sourced)
            assert set(info.state.subjects) == {PUBLIC_SUBMITTED}, "nor the inspection tier"

    asyncio.run(scenario())


def test_agency_cannot_publish_into_d73(secured: tuple[NatsServer, SecuredNats]) -> None:
    _, nats_ = secured

    async def scenario() -> None:
        await _d73_with_history(nats_)
        async with nats_.login(AGENCY) as agency:
            await agency.nc.publish(SUBMITTED, b"forged proposal")
            await agency.nc.flush()
            await agency.violation(SUBMITTED)
            # Nor into the subjects that carry the sourced history to the AGENCIES account.
            await agency.nc.publish(f"{DELIVER_PREFIX}.S.forged", b"forged")
            await agency.violation(f"{DELIVER_PREFIX}.S.forged")
        async with nats_.login(ADMIN_USER) as admin:
            info = await admin.js().stream_info(REGISTRATION_STREAM.name)
            assert info.state.messages == 3

    asyncio.run(scenario())


def test_agency_cannot_read_dead_letters(secured: tuple[NatsServer, SecuredNats]) -> None:
    _, nats_ = secured

    async def scenario() -> None:
        await _d73_with_history(nats_)
        async with nats_.login(AGENCY) as agency:
            await agency.nc.subscribe("d73.deadletter.>")
            await agency.nc.flush()
            await agency.violation("d73.deadletter.>")
            # Neither in its own account…
            with pytest.raises(nats.errors.TimeoutError):
                await agency.js(timeout=DENIED).pull_subscribe(
                    "d73.deadletter.>", durable=AGENCY, stream=DEADLETTER_STREAM.name
                )
            await agency.violation(f"$JS.API.CONSUMER.INFO.{DEADLETTER_STREAM.name}")
            # …nor through the JetStream API imported from D73.
            with pytest.raises(nats.errors.TimeoutError):
                await agency.js(prefix=IMPORTED_API_PREFIX, timeout=DENIED).add_consumer(
                    DEADLETTER_STREAM.name,
                    ConsumerConfig(name="peek", filter_subject="d73.deadletter.>"),
                )
            await agency.violation(f"{IMPORTED_API_PREFIX}.CONSUMER.CREATE.D73_DEADLETTER")

    asyncio.run(scenario())


def test_dead_letter_stream_is_not_exported_even_to_the_agencies_admin(
    secured: tuple[NatsServer, SecuredNats],
) -> None:
    _, nats_ = secured

    async def scenario() -> None:
        await _d73_with_history(nats_)
        peek = agencies_public_stream()
        peek.name = "PEEK"
        for source in peek.sources or []:
            source.name, source.filter_subject = DEADLETTER_STREAM.name, "d73.deadletter.>"
        peek.sources = (peek.sources or [])[:1]
        async with nats_.login(AGENCIES_ADMIN_USER) as admin:
            js = admin.js(timeout=5)
            await js.add_stream(peek)
            await js.add_stream(agencies_public_stream())
            # The public sources deliver within a moment; the dead-letter source never does.
            await eventually(lambda: _messages(js, AGENCIES_STREAM, expected=3), within=10)
            info = await js.stream_info("PEEK")
            assert info.state.messages == 0

    asyncio.run(scenario())


async def _messages(js: object, stream: str, *, expected: int) -> bool:
    info = await js.stream_info(stream)  # type: ignore[attr-defined]
    return bool(info.state.messages == expected)


def test_agency_cannot_create_streams_in_the_d73_account(
    secured: tuple[NatsServer, SecuredNats],
) -> None:
    _, nats_ = secured

    async def scenario() -> None:
        await _d73_with_history(nats_)
        grab = StreamConfig(name="GRAB", subjects=["d73.approval.case.forged"])
        async with nats_.login(AGENCY) as agency:
            with pytest.raises(nats.errors.TimeoutError):
                await agency.js(prefix=IMPORTED_API_PREFIX, timeout=DENIED).add_stream(grab)
            await agency.violation(f"{IMPORTED_API_PREFIX}.STREAM.CREATE.GRAB")
            with pytest.raises(nats.errors.TimeoutError):
                await agency.js(timeout=DENIED).add_stream(grab)
            await agency.violation("$JS.API.STREAM.CREATE.GRAB")
        async with nats_.login(AGENCIES_ADMIN_USER) as admin:
            # The agencies' own admin cannot reach D73's API either (only sourcing can).
            with pytest.raises(nats.errors.TimeoutError):
                await admin.js(prefix=IMPORTED_API_PREFIX, timeout=DENIED).add_consumer(
                    REGISTRATION_STREAM.name, ConsumerConfig(name="x", deliver_subject="d73.x")
                )
            await admin.violation(f"{IMPORTED_API_PREFIX}.CONSUMER.CREATE")
        async with nats_.login(ADMIN_USER) as admin:
            names = await admin.js().streams_info()
            assert {s.config.name for s in names} == {
                REGISTRATION_STREAM.name,
                PUBLIC_REGISTRATION_STREAM.name,
                APPROVAL_STREAM.name,
                AUDIT_STREAM.name,
                DEADLETTER_STREAM.name,
            }

    asyncio.run(scenario())


def test_registration_publishes_its_own_subjects_only(
    secured: tuple[NatsServer, SecuredNats],
) -> None:
    _, nats_ = secured

    async def scenario() -> None:
        await _d73_with_history(nats_)
        async with nats_.login("registration") as reg:
            js = reg.js()
            ack = await js.publish(SUBMITTED, b"own", headers={"Nats-Msg-Id": "e-1"})
            assert ack.stream == REGISTRATION_STREAM.name
            ack = await js.publish(deadletter_subject("registration"), b"own poison")
            assert ack.stream == DEADLETTER_STREAM.name
            ack = await js.publish("d73.audit.checkpoint.registration", b"signed checkpoint")
            assert ack.stream == AUDIT_STREAM.name
            for foreign in (
                "d73.approval.case.approved",
                deadletter_subject("approval"),
                "d73.audit.checkpoint.approval",
            ):
                await reg.nc.publish(foreign, b"forged")
                await reg.nc.flush()
                await reg.violation(foreign)
        async with nats_.login(ADMIN_USER) as admin:
            assert (await admin.js().stream_info(APPROVAL_STREAM.name)).state.messages == 0

    asyncio.run(scenario())


def test_registration_uses_its_stream_and_consumers(
    secured: tuple[NatsServer, SecuredNats],
) -> None:
    _, nats_ = secured

    async def scenario() -> None:
        async with nats_.login("registration") as reg:
            js = reg.js(timeout=3)
            await js.add_stream(REGISTRATION_STREAM.config())
            await js.add_stream(REGISTRATION_STREAM.config())  # the same again: no change
            await js.publish(SUBMITTED, b"p-1", headers={"d73-position": "1"})
            # The outbox relay reads its position from the stream's last message.
            last = await js.get_last_msg(REGISTRATION_STREAM.name, SUBMITTED)
            assert last.headers["d73-position"] == "1"
            own = consumer_name("registration", REGISTRATION_STREAM)
            sub = await js.pull_subscribe(
                "d73.registration.>", durable=own, stream=REGISTRATION_STREAM.name
            )
            [msg] = await sub.fetch(1, timeout=3)
            await msg.ack_sync()
            info = await js.consumer_info(REGISTRATION_STREAM.name, own)
            assert info.ack_floor.stream_seq == 1
            assert reg.errors == []

    asyncio.run(scenario())


def test_approval_consumes_the_registration_stream(
    secured: tuple[NatsServer, SecuredNats],
) -> None:
    _, nats_ = secured

    async def scenario() -> None:
        await _d73_with_history(nats_)
        async with nats_.login("approval") as appr:
            js = appr.js(timeout=3)
            sub = await js.pull_subscribe(
                "d73.registration.>",
                durable="approval-d73_registration",
                stream=REGISTRATION_STREAM.name,
            )
            messages = await sub.fetch(3, timeout=3)
            assert [m.data for m in messages] == [b"proposal-0", b"proposal-1", b"proposal-2"]
            for m in messages:
                await m.ack_sync()
            info = await js.consumer_info(REGISTRATION_STREAM.name, "approval-d73_registration")
            assert info.num_ack_pending == 0
            assert appr.errors == []

    asyncio.run(scenario())


def test_no_service_can_erase_history(secured: tuple[NatsServer, SecuredNats]) -> None:
    _, nats_ = secured

    async def scenario() -> None:
        await _d73_with_history(nats_)
        stream = REGISTRATION_STREAM.name
        async with nats_.login("registration") as reg:
            for api in (
                f"$JS.API.STREAM.PURGE.{stream}",
                f"$JS.API.STREAM.MSG.DELETE.{stream}",
                f"$JS.API.STREAM.DELETE.{stream}",
            ):
                with pytest.raises(nats.errors.TimeoutError):
                    await reg.nc.request(api, b'{"seq": 1}', timeout=DENIED)
                await reg.violation(api)
        async with nats_.login(ADMIN_USER) as admin:
            assert (await admin.js().stream_info(REGISTRATION_STREAM.name)).state.messages == 3

    asyncio.run(scenario())


def test_rendered_config_fsyncs_every_write(secured: tuple[NatsServer, SecuredNats]) -> None:
    server, _ = secured
    assert server.monitor_port is not None
    assert varz(server.monitor_port)["jetstream"]["config"]["sync_always"] is True


# --- issue #11.3: the permission probe --------------------------------------------------------

SERVICES = ("registration", "approval", "reporting")


def _config_json(spec: StreamSpec, **changes: object) -> bytes:
    return json.dumps({**spec.config().as_dict(), **changes}).encode()


def forbidden_calls(service: str) -> list[tuple[str, bytes]]:
    """Every JetStream API call that could change another's stream or consumer, or erase
    history, as `service` would send it."""
    other = next(s for s in SERVICES if s != service)
    calls: list[tuple[str, bytes]] = [
        ("$JS.API.STREAM.CREATE.GRAB", json.dumps({"name": "GRAB", "subjects": ["x.>"]}).encode()),
        ("$JS.API.ACCOUNT.PURGE.D73", b""),
        ("$JS.API.META.LEADER.STEPDOWN", b""),
    ]
    for spec in STREAMS:
        s = spec.name
        calls += [
            (f"$JS.API.STREAM.UPDATE.{s}", _config_json(spec, max_msgs=1)),
            (f"$JS.API.STREAM.UPDATE.{s}", _config_json(spec, subjects=["d73.x.>"])),
            (f"$JS.API.STREAM.PURGE.{s}", b""),
            (f"$JS.API.STREAM.PURGE.{s}", b'{"keep": 1}'),
            (f"$JS.API.STREAM.DELETE.{s}", b""),
            (f"$JS.API.STREAM.MSG.DELETE.{s}", b'{"seq": 1}'),
            (f"$JS.API.STREAM.SNAPSHOT.{s}", b""),
            (f"$JS.API.STREAM.RESTORE.{s}", b""),
            (f"$JS.API.STREAM.PEER.REMOVE.{s}", b""),
            (f"$JS.API.STREAM.LEADER.STEPDOWN.{s}", b""),
            (f"$JS.API.CONSUMER.CREATE.{s}", b"{}"),
            (f"$JS.API.CONSUMER.LIST.{s}", b""),
        ]
        if spec.owner != service:
            calls.append((f"$JS.API.STREAM.CREATE.{s}", _config_json(spec, max_msgs=1)))
        if spec in JOURNAL_OF_SERVICE.values() and spec.owner != service:
            mine = consumer_name(service, spec)  # another's journal is private, even to read
            calls += [
                (f"$JS.API.CONSUMER.CREATE.{s}.{mine}", b"{}"),
                (f"$JS.API.CONSUMER.MSG.NEXT.{s}.{mine}", b'{"batch": 1}'),
                (f"$JS.API.STREAM.MSG.GET.{s}", b'{"seq": 1}'),
            ]
        theirs = consumer_name(other, spec)
        body = json.dumps({"stream_name": s, "config": {"durable_name": theirs}}).encode()
        calls += [
            (f"$JS.API.CONSUMER.CREATE.{s}.{theirs}", body),
            (f"$JS.API.CONSUMER.CREATE.{s}.{theirs}.{spec.subjects[0]}", body),
            (f"$JS.API.CONSUMER.DURABLE.CREATE.{s}.{theirs}", body),
            (f"$JS.API.CONSUMER.DELETE.{s}.{theirs}", b""),
            (f"$JS.API.CONSUMER.MSG.NEXT.{s}.{theirs}", b'{"batch": 1}'),
            (f"$JS.API.CONSUMER.PAUSE.{s}.{theirs}", b""),
            (f"$JS.ACK.{s}.{theirs}.1.1.1.0.0", b"+ACK"),
        ]
    return calls


async def _refused(session: Session, subject: str, what: str = "publish") -> None:
    """The server's permissions violation naming exactly `subject`."""
    wanted = f'{what} to "{subject}"'.lower()
    for _ in range(150):
        if any(wanted in str(e).lower() for e in session.errors):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{subject!r} was not refused; errors: {session.errors[-3:]!r}")


async def _state(nats_: SecuredNats) -> dict[str, Any]:
    async with nats_.login(ADMIN_USER) as admin:
        js = admin.js(timeout=3)
        state: dict[str, Any] = {}
        for info in await js.streams_info():
            consumers = sorted(c.name for c in await js.consumers_info(info.config.name))
            state[info.config.name] = (
                info.state.messages,
                info.config.max_msgs,
                info.config.subjects,
                consumers,
            )
        return state


@pytest.mark.parametrize("service", SERVICES)
def test_every_forbidden_jetstream_call_is_refused_to_each_service(
    secured: tuple[NatsServer, SecuredNats], service: str
) -> None:
    _, nats_ = secured

    async def scenario() -> None:
        await _d73_with_history(nats_)
        async with nats_.login(ADMIN_USER) as admin:
            await provision_streams(admin.js(timeout=3))
            for owner in SERVICES:  # a consumer of each service on every stream: targets
                for spec in STREAMS:
                    await admin.js(timeout=3).add_consumer(
                        spec.name, ConsumerConfig(durable_name=consumer_name(owner, spec))
                    )
        before = await _state(nats_)
        calls = forbidden_calls(service)
        async with nats_.login(service) as session:
            for subject, body in calls:
                await session.nc.publish(subject, body, reply=session.nc.new_inbox())
            await session.nc.flush()
            for subject, _body in calls:
                await _refused(session, subject)
            for foreign in ("_INBOX.>", f"{inbox_prefix(other_than(service))}.>", "d73.>"):
                await session.nc.subscribe(foreign)
                await session.nc.flush()
                await _refused(session, foreign, "subscription")
        assert await _state(nats_) == before
        assert len(calls) >= 90  # every stream, every verb: not a token probe

    asyncio.run(scenario())


def other_than(service: str) -> str:
    return next(s for s in SERVICES if s != service)


def test_d73_streams_is_the_admins_step_that_creates_and_mends_every_stream(
    secured: tuple[NatsServer, SecuredNats],
) -> None:
    server, nats_ = secured

    async def shrink_as_admin() -> None:
        async with nats_.login(ADMIN_USER) as admin:
            config = REGISTRATION_STREAM.config()
            config.max_msgs = 5
            await admin.js(timeout=3).update_stream(config)

    def streams() -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("D73_")}
        env.update(D73_NATS_URL=server.url, D73_NATS_USER=ADMIN_USER, D73_NATS_PASSWORD="pw-admin")
        done = subprocess.run(
            [sys.executable, "-m", "services.cli.main", "streams"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout

    assert streams().splitlines() == [f"created {spec.name}" for spec in STREAMS]
    asyncio.run(shrink_as_admin())
    assert f"updated {REGISTRATION_STREAM.name} (max_msgs)" in streams()
    assert f"{REGISTRATION_STREAM.name} as specified" in streams()
