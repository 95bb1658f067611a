"""A store restored from a backup recovers what it lost from its journal (issue #12 §2), on a
real nats-server: the store becomes what it was (same notification ids, private events
included), the log rebuilt from it verifies against every checkpoint signed, the relay resumes
where the stream ends and the next event takes the next position — no halt, nothing skipped,
nothing doubled. A journal that does not match the store is not applied. Messages put into the
journal or the stream by hand (no position) are passed over, not read as the store's."""

from __future__ import annotations

import asyncio
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from nats.js import JetStreamContext

from shared.platform.envelope import POSITION
from shared.platform.halt import HaltKind
from shared.platform.outbox import OutboxRelay
from shared.platform.subjects import JOURNAL_OF_SERVICE, REGISTRATION_STREAM
from shared.records.journal import Journal, read_journal_message
from tests.integration.test_auditlog_relay import audit_log, messages, translate
from tests.integration.test_outbox_relay import eventually_count, stream_messages
from tests.support.relay import running
from tests.unit.records.servicelog.support import SERVICE, Memo, MemoApp, memo_app

pytestmark = pytest.mark.anyio


def memo(title: str) -> Memo:
    return Memo(title, Decimal("1000000"), date(2026, 12, 1))


def journaled_relay(app: MemoApp, data_dir: Path) -> OutboxRelay:
    return OutboxRelay(
        app,
        SERVICE,
        REGISTRATION_STREAM,
        translate,
        audit=audit_log(app, data_dir, every_events=2),
        poll_seconds=0.1,
        diverged_recheck_seconds=0.2,
        journal=Journal(SERVICE, app),
    )


def stored(app: MemoApp) -> list[tuple[int, str, int, bytes]]:
    notifications = app.recorder.select_notifications(start=None, limit=1000)
    return [
        (n.id, str(n.originator_id), n.originator_version, bytes(n.state)) for n in notifications
    ]


async def backed_up_after_a(js: JetStreamContext, tmp_path: Path) -> tuple[Path, Path]:
    """A live store that recorded and published memo A, and its backup taken then."""
    live, backup = tmp_path / "live", tmp_path / "backup"
    app = memo_app(live)
    async with running(journaled_relay(app, live), js):
        app.record(memo("A"))
        await eventually_count(js, 1)
    app.close()
    shutil.copytree(live, backup)
    return live, backup


async def eventually_recovered(restored: MemoApp, events: int, within: float = 10.0) -> None:
    """Wait until the restored store holds `events` events again (taken back from its journal)."""
    deadline = asyncio.get_running_loop().time() + within
    while len(stored(restored)) < events:
        assert asyncio.get_running_loop().time() < deadline, "never recovered"
        await asyncio.sleep(0.05)


async def test_a_restored_store_takes_back_what_it_lost_and_goes_on(
    js: JetStreamContext, tmp_path: Path
) -> None:
    live, backup = await backed_up_after_a(js, tmp_path)

    app = memo_app(live)
    async with running(journaled_relay(app, live), js):
        draft = memo("B")
        app.record(draft)
        draft.scribble("a private change")  # in the journal, on the stream only as a leaf hash
        app.record(draft)
        app.record(memo("B2"))
        await eventually_count(js, 3)
        await asyncio.sleep(0.3)
    before = stored(app)
    app.close()
    shutil.rmtree(live)
    shutil.copytree(backup, live)  # restored

    restored = memo_app(live)
    relay = journaled_relay(restored, live)
    async with running(relay, js):
        await eventually_recovered(restored, len(before))
        assert stored(restored) == before, "the same events at the same notification ids"
        restored.record(memo("C"))
        await eventually_count(js, 4)
        await asyncio.sleep(0.3)
        assert not relay.halt.reasons
        assert relay.audit is not None
        assert relay.audit.tampered is None
        assert relay.audit.tree_size == len(before) + 1
    positions = [int(h[POSITION]) for h in await stream_messages(js)]
    assert positions == sorted(set(positions)), "no position taken twice"
    assert len(positions) == 4


async def put_by_hand(js: JetStreamContext) -> None:
    """What an operator with the streams' rights might publish: no position header."""
    for subject in (JOURNAL_OF_SERVICE[SERVICE].subjects[0], "d73.registration.memo"):
        await js.publish(subject, b"\x00" * 10)
        await js.publish(subject, b'{"events": 1e308}', headers={POSITION: "x"})


async def test_messages_put_in_the_journal_by_hand_are_passed_over_in_a_recovery(
    js: JetStreamContext, tmp_path: Path
) -> None:
    live, backup = await backed_up_after_a(js, tmp_path)
    await put_by_hand(js)  # between the journal's runs: its search must step over them

    app = memo_app(live)
    relay = journaled_relay(app, live)
    async with running(relay, js):
        app.record(memo("B"))
        app.record(memo("B2"))
        await eventually_count(js, 3 + 2)
        await asyncio.sleep(0.3)
        assert not relay.halt.reasons
    before = stored(app)
    app.close()
    await put_by_hand(js)  # at the journal's end and the stream's
    shutil.rmtree(live)
    shutil.copytree(backup, live)

    restored = memo_app(live)
    relay = journaled_relay(restored, live)
    async with running(relay, js):
        await eventually_recovered(restored, len(before))
        assert stored(restored) == before
        restored.record(memo("C"))
        await eventually_count(js, 4 + 4)
        await asyncio.sleep(0.3)
        assert not relay.halt.reasons
    positions = [h.get(POSITION) for h in await stream_messages(js)]
    assert [p for p in positions if p not in (None, "x")] == ["1", "2", "3", "4"]


async def test_a_store_restored_to_the_middle_of_a_journal_run_takes_back_the_runs_rest(
    js: JetStreamContext, tmp_path: Path
) -> None:
    """A journal message holds a run of events (issue #19 §1): a backup that ends inside a
    run is checked against the run's event at its end and takes back only the events after."""
    live, backup = tmp_path / "live", tmp_path / "backup"
    app = memo_app(live)
    app.record(memo("A1"))
    app.record(memo("A2"))
    app.close()
    shutil.copytree(live, backup)  # the backup: A1 and A2, never relayed

    app = memo_app(live)
    app.record(memo("A3"))
    app.record(memo("A4"))
    async with running(journaled_relay(app, live), js):  # one batch: one journal run of 4
        await eventually_count(js, 4)
        await asyncio.sleep(0.3)
    journal = [
        read_journal_message(m) for m in await messages(js, JOURNAL_OF_SERVICE[SERVICE].name)
    ]
    assert [[e.notification_id for e in run] for run in journal] == [[1, 2, 3, 4]]
    before = stored(app)
    app.close()
    shutil.rmtree(live)
    shutil.copytree(backup, live)

    restored = memo_app(live)
    relay = journaled_relay(restored, live)
    async with running(relay, js):
        await eventually_recovered(restored, len(before))
        await asyncio.sleep(0.3)
        assert stored(restored) == before
        assert not relay.halt.reasons


async def test_a_journal_that_is_not_the_stores_is_not_applied(
    js: JetStreamContext, tmp_path: Path
) -> None:
    first = memo_app(tmp_path / "first")
    async with running(journaled_relay(first, tmp_path / "first"), js):
        for i in range(3):
            first.record(memo(f"first {i}"))
        await eventually_count(js, 3)
    other = memo_app(tmp_path / "other")
    other.record(memo("another store"))
    relay = journaled_relay(other, tmp_path / "other")
    async with running(relay, js):
        deadline = asyncio.get_running_loop().time() + 10
        while not relay.halt.holds(HaltKind.RELAY_DIVERGED):
            assert asyncio.get_running_loop().time() < deadline, "never halted"
            await asyncio.sleep(0.05)
    assert len(stored(other)) == 1, "nothing of the first store's journal went into it"
