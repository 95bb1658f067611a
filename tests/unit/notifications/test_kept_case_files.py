"""The notification store keeps its case files loaded and its index folded from what it commits
(issue #19 §4): without reading the store again for each event, it must still record exactly
what it did when it did (a failed commit forgets what it changed in memory)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from services.reporting.commands import CaseOpening, NewNotification, NoteCaseEvent
from services.reporting.notifications.domain import CaseFile, Delivery
from services.reporting.notifications.kinds import Kind, Mode
from services.reporting.notifications.store import STORE, NotificationsApplication
from shared.kernel.actor import SYSTEM
from shared.platform.eventstore import store_env
from shared.platform.settings import Settings

APPROVAL = "D73_APPROVAL"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[NotificationsApplication]:
    app = NotificationsApplication(store_env(STORE, Settings(data_dir=tmp_path)))
    try:
        yield app
    finally:
        app.close()


def opening(case_id: UUID) -> CaseOpening:
    return CaseOpening(
        case_id=case_id,
        proposal_id=str(uuid4()),
        title="Một cửa liên thông",
        proposer_id="ct.p0026",
        recipient_unit_id="ct.ubnd",
        intake_unit_id="ct.so-noi-vu",
        directory_version="2024.1",
        delegate_ids=("ct.p0100",),
        rule_set_version="2024.1",
    )


def told(
    source_id: UUID, person_id: str, case_id: UUID, text: str = "Kính gửi …"
) -> NewNotification:
    return NewNotification(
        source_id=source_id,
        person_id=person_id,
        kind=Kind.PLAN_ARRIVED.value,
        case_id=str(case_id),
        proposal_id="",
        event_type="d73.case.opened.v1",
        happened_at="2024-06-03T09:00:00+07:00",
        subject="Hồ sơ mới",
        text=text,
        html=f"<p>{text}</p>",
        link="https://portal.example/cases",
        email=f"{person_id}@cantho.gov.vn",
        delivery=Delivery.PENDING,
        note="",
    )


def waits(state: str) -> dict[str, str | None]:
    return {"state": state, "audience": "authority", "due": "2024-06-10"}


def test_a_case_file_is_read_from_the_store_once_and_what_each_event_changes_is_recorded(
    store: NotificationsApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = uuid4()
    store.handle(
        NoteCaseEvent(case_id, opening(case_id), waits("submitted")), SYSTEM, Tracking(APPROVAL, 1)
    )

    def not_again(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the case file was loaded from the store again")

    monkeypatch.setattr(store.repository, "get", not_again)
    for seq, state in enumerate(("received", "in_review"), start=2):
        store.handle(NoteCaseEvent(case_id, None, waits(state)), SYSTEM, Tracking(APPROVAL, seq))
    monkeypatch.undo()
    stored: CaseFile = store.repository.get(CaseFile.create_id(case_id))
    assert stored.version == 4
    assert stored.waiting == waits("in_review")


def test_a_failed_commit_is_forgotten_so_that_its_retry_records_the_case_files_step(
    store: NotificationsApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = uuid4()
    store.handle(
        NoteCaseEvent(case_id, opening(case_id), waits("submitted")), SYSTEM, Tracking(APPROVAL, 1)
    )

    def disk_full(*args: Any, **kwargs: Any) -> Any:
        raise OSError("disk full")

    received = NoteCaseEvent(case_id, None, waits("received"))
    monkeypatch.setattr(store.group_commit, "insert", disk_full)
    with pytest.raises(OSError, match="disk full"):
        store.handle(received, SYSTEM, Tracking(APPROVAL, 2))
    monkeypatch.undo()

    assert store.handle(received, SYSTEM, Tracking(APPROVAL, 2)), "the step is recorded"
    stored: CaseFile = store.repository.get(CaseFile.create_id(case_id))
    assert stored.waiting == waits("received")
    assert next(iter(store.waiting_cases())).waiting == waits("received")


def test_a_notification_committed_but_not_folded_into_the_index_is_not_made_twice(
    store: NotificationsApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id, source = uuid4(), uuid4()
    store.handle(NoteCaseEvent(case_id, opening(case_id)), SYSTEM, Tracking(APPROVAL, 1))
    note = NoteCaseEvent(case_id, None, waits("received"), (told(source, "ct.p0026", case_id),))

    def fold_fails(recordings: Any) -> None:
        raise RuntimeError("after the commit")

    monkeypatch.setattr(store, "_notify", fold_fails)
    with pytest.raises(RuntimeError):
        store.handle(note, SYSTEM, Tracking(APPROVAL, 2))
    monkeypatch.undo()

    # The same event again, from a later position: the notification is in the store already.
    changed = store.handle(note, SYSTEM, Tracking(APPROVAL, 3))
    assert [type(record).__name__ for record in changed] == []
    assert [v.id for v in store.of_person("ct.p0026")] == [told(source, "ct.p0026", case_id).id]


def test_the_index_folded_from_each_commit_is_the_one_read_back_from_the_store(
    store: NotificationsApplication,
) -> None:
    case_id, source = uuid4(), uuid4()
    people = ("ct.p0026", "ct.p0100", "ct.p0101")
    store.handle(
        NoteCaseEvent(
            case_id,
            opening(case_id),
            waits("submitted"),
            tuple(told(source, person, case_id) for person in people),
        ),
        SYSTEM,
        Tracking(APPROVAL, 1),
    )
    store.choose("ct.p0100", {Kind.PLAN_ARRIVED: Mode.DIGEST})
    first = told(source, people[0], case_id).id
    store.mark_read(first, people[0])
    store.handle(NoteCaseEvent(case_id, None, None), SYSTEM, Tracking(APPROVAL, 2))
    folded = store.index.contents()
    assert store.view(first) is not None
    assert store.view(first).read_at is not None  # type: ignore[union-attr]
    store.rebuild_index()
    assert store.index.contents() == folded


def test_a_case_opening_reads_the_store_once_for_its_file_not_once_per_question(
    store: NotificationsApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = uuid4()
    assert store.case_file(case_id) is None  # who is told: the store holds no file yet

    def not_again(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the store was asked again for a file it does not hold")

    monkeypatch.setattr(store.repository, "get", not_again)
    store.handle(
        NoteCaseEvent(case_id, opening(case_id), waits("submitted")), SYSTEM, Tracking(APPROVAL, 1)
    )
    monkeypatch.undo()
    stored: CaseFile = store.repository.get(CaseFile.create_id(case_id))
    assert stored.waiting == waits("submitted")
    assert store.case_file(case_id) is not None, "kept, no longer known absent"


def test_a_failed_commit_forgets_that_a_file_was_absent_too(
    store: NotificationsApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = uuid4()
    assert store.case_file(case_id) is None
    store.forget_uncommitted()
    loads = []
    monkeypatch.setattr(store, "_stored", lambda record_id: loads.append(record_id))
    assert store.case_file(case_id) is None
    assert loads == [CaseFile.create_id(case_id)], "asked the store again"
