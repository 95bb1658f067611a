"""What the notification store keeps in memory is bounded (issue #19): its index keeps texts up to
a budget of bytes (the newest and the recently read; the others are read again from their
records, word for word), and no commit's trace, since no relay reads this store."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from eventsourcing.persistence import Tracking
from opentelemetry.sdk.trace import TracerProvider

from services.reporting.commands import NoteCaseEvent
from services.reporting.notifications.store import STORE, NotificationsApplication
from shared.kernel.actor import SYSTEM
from shared.platform.eventstore import store_env
from shared.platform.settings import Settings
from shared.platform.tracing import CommitTraces
from tests.unit.notifications.test_kept_case_files import APPROVAL, opening, told, waits

PERSON = "ct.p0026"
TEXTS = [f"Kính gửi ông/bà,\n\nHồ sơ số {n} đã được tiếp nhận.\n" * (n + 1) for n in range(6)]
"""Six texts of different lengths: what a count could not bound."""
for _text in TEXTS:  # as the store holds them: orjson caches the UTF-8 of a text it writes
    orjson.dumps(_text)
BUDGET = sys.getsizeof(TEXTS[-1]) + sys.getsizeof(TEXTS[-2])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[NotificationsApplication]:
    app = NotificationsApplication(
        store_env(STORE, Settings(data_dir=tmp_path)), kept_text_bytes=BUDGET
    )
    try:
        yield app
    finally:
        app.close()


def tell_each(store: NotificationsApplication) -> list[UUID]:
    """One notification for each text, each case event its own commit; ids oldest first."""
    ids = []
    for position, text in enumerate(TEXTS, start=1):
        case_id = uuid4()
        new = told(uuid4(), PERSON, case_id, text)
        note = NoteCaseEvent(case_id, opening(case_id), waits("submitted"), (new,))
        store.handle(note, SYSTEM, Tracking(APPROVAL, position))
        ids.append(new.id)
    return ids


def test_the_index_keeps_the_newest_texts_within_its_budget_and_reads_the_others_again(
    store: NotificationsApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = tell_each(store)
    kept = store.kept_texts
    assert kept.weight <= BUDGET
    assert [i for i in ids if i in kept] == ids[-2:], "the newest two fill the budget"
    assert [v.id for v in store.of_person(PERSON)] == ids[::-1], "every notification listed"

    read = 0
    stored = store.notification

    def counted(notification_id: UUID) -> Any:
        nonlocal read
        read += 1
        return stored(notification_id)

    monkeypatch.setattr(store, "notification", counted)
    assert store.text(ids[-1]) == TEXTS[-1]
    assert read == 0, "a kept text is not read from the store"
    assert [store.text(i) for i in ids[:4]] == TEXTS[:4], "forgotten ones read word for word"
    assert read == 4
    assert ids[3] in kept, "the one just read is kept"
    assert ids[-1] not in kept, "the least recently used went"
    assert kept.weight <= BUDGET
    assert store.text(ids[3]) == TEXTS[3]
    assert read == 4


def test_a_rebuilt_index_lists_every_notification_with_its_text(
    store: NotificationsApplication,
) -> None:
    ids = tell_each(store)
    store.rebuild_index()
    views = store.of_person(PERSON)
    public = [view.public(store.text(view.id)) for view in views]
    assert [p["id"] for p in public] == [str(i) for i in reversed(ids)]
    assert [p["text"] for p in public] == TEXTS[::-1]
    assert store.kept_texts.weight <= BUDGET


def test_the_store_keeps_no_commit_traces_since_no_relay_reads_it(
    store: NotificationsApplication,
) -> None:
    relayed = CommitTraces(size=10)
    with TracerProvider().get_tracer("test").start_as_current_span("consume"):
        ids = tell_each(store)
        relayed.remember([1, 2])
    assert ids
    assert len(relayed) == 2, "under a span, a store that is relayed remembers its positions"
    assert len(store.commit_traces) == 0
