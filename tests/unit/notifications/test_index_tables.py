"""The notification index lives in tables of the store's own datastore (issue #19): memory no
longer grows with the notifications, its answers are each notification's record as the store
holds it, and it survives a restart without folding the store again — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from services.reporting.commands import (
    NoteCaseEvent,
    RecordDigest,
    RecordEmailFailed,
    RecordEmailSent,
)
from services.reporting.notifications.component import notifications_env
from services.reporting.notifications.domain import Delivery
from services.reporting.notifications.index import STATE, NotificationIndex
from services.reporting.notifications.kinds import Kind, Mode
from services.reporting.notifications.store import NotificationsApplication
from shared.kernel.actor import SYSTEM
from shared.platform.settings import Settings
from tests.support.infra import (
    throwaway_postgres,
)
from tests.unit.notifications.test_kept_case_files import APPROVAL, opening, told, waits

PEOPLE = ("ct.p0026", "ct.p0100", "ct.p0101")
AT = "2024-06-03T10:00:00+00:00"


@pytest.fixture(params=["sqlite", "postgres"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The notification store's environment, as reporting's process builds it."""
    if request.param == "sqlite":
        yield notifications_env(Settings(data_dir=tmp_path))
        return
    request.getfixturevalue("postgres_ready")
    with throwaway_postgres(data_dir=tmp_path) as settings:
        yield notifications_env(settings)


def open_store(env: dict[str, str]) -> NotificationsApplication:
    return NotificationsApplication(dict(env))


@pytest.fixture
def store(env: dict[str, str]) -> Iterator[NotificationsApplication]:
    app = open_store(env)
    try:
        yield app
    finally:
        app.close()


def tell(store: NotificationsApplication, position: int, *, cases: int = 2) -> list[UUID]:
    """`cases` case events, each telling the three people, then e-mails sent, failed, retried,
    read, chosen and digested; the notifications' ids."""
    ids: list[UUID] = []
    for n in range(cases):
        case_id, source = uuid4(), uuid4()
        told_each = tuple(told(source, person, case_id, f"Hồ sơ {n}") for person in PEOPLE)
        note = NoteCaseEvent(case_id, opening(case_id), waits("submitted"), told_each)
        store.handle(note, SYSTEM, Tracking(APPROVAL, position + n))
        ids += [t.id for t in told_each]
    store.handle(RecordEmailSent(ids[0], AT, "<m0@d73>", 1), SYSTEM)
    store.handle(
        RecordEmailFailed(ids[1], AT, 1, "OSError: down", "2024-06-03T10:01:00+00:00"), SYSTEM
    )
    store.handle(RecordEmailFailed(ids[2], AT, 3, "OSError: down", None), SYSTEM)
    store.retry_failed(ids[2], "ct.admin")
    store.handle(RecordEmailFailed(ids[2], AT, 4, "OSError: still down", None), SYSTEM)
    store.mark_read(ids[3], PEOPLE[0])
    store.choose(PEOPLE[1], {Kind.PLAN_ARRIVED: Mode.DIGEST, Kind.ROUTED: Mode.OFF})
    digest = told(uuid4(), PEOPLE[1], uuid4(), "Tóm tắt ngày")
    store.handle(RecordDigest(digest, (ids[4],)), SYSTEM)
    return [*ids, digest.id]


def test_each_view_is_its_notifications_record_as_the_store_holds_it(
    store: NotificationsApplication,
) -> None:
    ids = tell(store, 1)
    for person in PEOPLE:
        views = store.of_person(person)
        assert [v.person_id for v in views] == [person] * len(views)
        for view in views:
            record: Any = store.notification(view.id)
            assert (view.kind, view.subject, view.email, view.delivery) == (
                record.kind,
                record.subject,
                record.email,
                record.delivery,
            )
            assert (view.read_at, view.attempts) == (record.read_at, record.attempts)
    assert [v.id for v in store.in_state(Delivery.FAILED)] == [ids[2]]
    assert store.count_in_state(Delivery.PENDING) == len(store.in_state(Delivery.PENDING))
    assert store.view(ids[2]).last_error == "OSError: still down"  # type: ignore[union-attr]
    assert store.view(ids[4]).delivery == Delivery.DIGESTED  # type: ignore[union-attr]
    assert [v.id for v in store.due_sends(datetime.fromisoformat("2024-06-03T10:00:30+00:00"))] == [
        i for i in ids if i not in {ids[0], ids[1], ids[2], ids[4]}
    ]
    assert ids[1] in {
        v.id for v in store.due_sends(datetime.fromisoformat("2024-06-03T10:01:00+00:00"))
    }
    assert store.mode_of(PEOPLE[1], Kind.PLAN_ARRIVED) is Mode.DIGEST
    assert store.mode_of(PEOPLE[0], Kind.PLAN_ARRIVED) is not Mode.DIGEST


def test_a_persons_list_pages_newest_first_and_counts_the_unread(
    store: NotificationsApplication,
) -> None:
    ids = tell(store, 1, cases=3)
    mine = [i for i in ids if store.view(i).person_id == PEOPLE[0]]  # type: ignore[union-attr]
    assert [v.id for v in store.of_person(PEOPLE[0])] == mine[::-1]
    assert [v.id for v in store.of_person(PEOPLE[0], limit=2)] == mine[::-1][:2]
    unread = [i for i in mine[::-1] if i != ids[3]]
    assert [v.id for v in store.of_person(PEOPLE[0], unread_only=True)] == unread
    assert store.counts_of(PEOPLE[0]) == (len(mine), len(unread))
    assert store.counts_of("ct.nobody") == (0, 0)


def test_the_cases_that_wait_are_the_digests_and_a_case_that_waits_no_more_leaves_them(
    store: NotificationsApplication,
) -> None:
    first, second = uuid4(), uuid4()
    store.handle(NoteCaseEvent(first, opening(first), waits("submitted")), SYSTEM)
    store.handle(NoteCaseEvent(second, opening(second), waits("received")), SYSTEM)
    waiting = list(store.waiting_cases())
    assert [(c.case_id, c.waiting) for c in waiting] == [
        (str(first), waits("submitted")),
        (str(second), waits("received")),
    ]
    assert waiting[0].parties["delegate_ids"] == ("ct.p0100",)
    store.handle(NoteCaseEvent(first, None, None), SYSTEM)
    assert [c.case_id for c in store.waiting_cases()] == [str(second)]


def test_after_a_restart_the_index_is_read_not_folded_again(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = open_store(env)
    try:
        tell(first, 1)
        held = first.index.contents()
        answers = [first.of_person(p) for p in PEOPLE]
        origin = first.origin
    finally:
        first.close()
    folded: list[int] = []
    fold = NotificationIndex.fold

    def counted(index: NotificationIndex, events: Any) -> Any:
        events = list(events)
        folded.extend(position for position, _ in events)
        return fold(index, events)

    monkeypatch.setattr(NotificationIndex, "fold", counted)
    again = open_store(env)
    try:
        assert folded == [], "nothing stored since the index's position: nothing folded"
        assert again.index.contents() == held
        assert [again.of_person(p) for p in PEOPLE] == answers
        assert again.origin == origin
        tell(again, 10)  # it goes on from its position
        assert again.index.state()[0] == again.recorder.max_notification_id()
    finally:
        again.close()


def test_an_index_behind_its_store_catches_up_on_start(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = open_store(env)
    try:
        tell(first, 1)
        case_id, source = uuid4(), uuid4()
        late = told(source, PEOPLE[0], case_id)
        monkeypatch.setattr(NotificationIndex, "fold", _stopped)  # the process dies here
        with pytest.raises(RuntimeError):
            first.handle(NoteCaseEvent(case_id, opening(case_id), None, (late,)), SYSTEM)
        monkeypatch.undo()
        assert first.index.view(late.id) is None, "committed, not folded"
    finally:
        first.close()
    again = open_store(env)
    try:
        assert again.view(late.id) is not None
        assert again.index.state()[0] == again.recorder.max_notification_id()
    finally:
        again.close()


def _stopped(index: NotificationIndex, events: Any) -> Any:
    raise RuntimeError("stopped between the commit and its fold")


def test_an_index_folded_by_another_shape_is_folded_again_from_the_first_event(
    env: dict[str, str],
) -> None:
    first = open_store(env)
    try:
        tell(first, 1)
        held = first.index.contents()
        with first.index.tables.transaction(write=True) as sql:
            sql.execute(
                f"UPDATE {first.index.tables.dialect.table(STATE)} SET fold = 'older', position = 3"
            )
            sql.execute(
                f"DELETE FROM {first.index.tables.dialect.table('notification_index_views')}"
            )
    finally:
        first.close()
    again = open_store(env)
    try:
        assert again.index.contents() == held
    finally:
        again.close()


def failing_step(batch: Any, store: NotificationsApplication, note: NoteCaseEvent) -> None:
    """A message whose note is recorded (and folded), and then fails."""
    with batch.step():
        store.handle(note, SYSTEM, Tracking(APPROVAL, 2))
        assert store.view(note.notifications[0].id) is not None, "folded in the batch"
        raise RuntimeError("the message failed after its write")


def test_a_batch_step_that_fails_leaves_neither_its_events_nor_its_rows(
    store: NotificationsApplication,
) -> None:
    """A consumer batch writes the index in its own transaction: a message that fails rolls
    back its rows with its events, and the next message folds from the right position."""
    assert store.batches is not None
    notes = []
    for _ in range(3):
        case_id = uuid4()
        notes.append(
            NoteCaseEvent(case_id, opening(case_id), None, (told(uuid4(), PEOPLE[0], case_id),))
        )
    with store.consumer_lock, store.batches.batch() as batch:
        with batch.step():
            store.handle(notes[0], SYSTEM, Tracking(APPROVAL, 1))
        with pytest.raises(RuntimeError):
            failing_step(batch, store, notes[1])
        store.forget_uncommitted()  # as the consumer does
        with batch.step():
            store.handle(notes[2], SYSTEM, Tracking(APPROVAL, 3))
    listed = {v.id for v in store.of_person(PEOPLE[0])}
    assert listed == {notes[0].notifications[0].id, notes[2].notifications[0].id}
    assert store.index.state()[0] == store.recorder.max_notification_id()
    held = store.index.contents()
    store.rebuild_index()
    assert store.index.contents() == held


def test_a_case_event_replayed_from_another_position_makes_no_notification_twice(
    store: NotificationsApplication,
) -> None:
    """Its notifications are presumed new, without a question to the index: the store refuses
    them, and the event is applied again, asking, with its new position."""
    case_id, source = uuid4(), uuid4()
    note = NoteCaseEvent(
        case_id,
        opening(case_id),
        waits("submitted"),
        tuple(told(source, person, case_id) for person in PEOPLE),
    )
    store.handle(note, SYSTEM, Tracking(APPROVAL, 1))
    held = store.index.contents()
    assert store.handle(note, SYSTEM, Tracking(APPROVAL, 7)) == []
    assert store.recorded_position(APPROVAL) == 7
    assert [len(store.of_person(person)) for person in PEOPLE] == [1, 1, 1]
    assert {t: rows for t, rows in store.index.contents().items() if t != STATE} == {
        t: rows for t, rows in held.items() if t != STATE
    }
