"""How the journal cuts stored events into messages, and reads both its own messages and an
earlier release's one-event messages (issue #19 §1, issue #12 §2)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from nats.js.api import RawStreamMsg

from shared.platform.envelope import MSG_ID, POSITION
from shared.records import journal as journal_module
from shared.records.journal import (
    FIRST_POSITION,
    JournalEntry,
    journal_message,
    journal_runs,
    read_journal_message,
)
from shared.records.servicelog.entries import event_id_text


@dataclass(frozen=True)
class Stored:
    id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


def stored(count: int, size: int = 10, start: int = 1) -> list[Stored]:
    return [
        Stored(start + i, uuid4(), 1, "memo:Memo.Filed", bytes([i % 256]) * size)
        for i in range(count)
    ]


def raw(subject: str, body: bytes, headers: dict[str, str]) -> RawStreamMsg:
    return RawStreamMsg(subject=subject, seq=1, data=body, headers=headers)


def test_runs_are_cut_by_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal_module, "JOURNAL_EVENTS", 4)
    records = stored(10)
    runs = journal_runs(records)
    assert [[r.id for r in run] for run in runs] == [
        [1, 2, 3, 4],
        [5, 6, 7, 8],
        [9, 10],
    ]


def test_runs_are_cut_by_stored_bytes_and_a_large_event_goes_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(journal_module, "JOURNAL_STATE_BYTES", 100)
    records = [*stored(3, size=40), *stored(1, size=500, start=4), *stored(2, size=40, start=5)]
    runs = journal_runs(records)
    assert [[r.id for r in run] for run in runs] == [[1, 2], [3], [4], [5, 6]]


def test_no_events_no_runs() -> None:
    assert journal_runs([]) == []


def test_a_message_reads_back_as_its_events_in_order() -> None:
    records = stored(3, start=41)
    subject, body, headers = journal_message("registration", records)
    assert subject == "d73.journal.registration"
    assert (headers[FIRST_POSITION], headers[POSITION]) == ("41", "43")
    assert headers[MSG_ID].startswith("journal-")
    assert headers[MSG_ID].endswith("-41-43")
    entries = read_journal_message(raw(subject, body, headers))
    assert entries == [
        JournalEntry(r.id, r.originator_id, r.originator_version, r.topic, r.state) for r in records
    ]


def test_the_run_names_its_message_so_a_resend_is_the_same_message() -> None:
    records = stored(3)
    assert (
        journal_message("approval", records)[2][MSG_ID]
        == (journal_message("approval", list(records))[2][MSG_ID])
    )
    assert (
        journal_message("approval", records)[2][MSG_ID]
        != (journal_message("approval", records[:2])[2][MSG_ID])
    )


def test_an_earlier_releases_one_event_message_is_read() -> None:
    originator = uuid4()
    body = orjson.dumps(
        {
            "originator_id": str(originator),
            "originator_version": 2,
            "topic": "memo:Memo.Filed",
            "state": base64.b64encode(b"{}").decode(),
        }
    )
    entries = read_journal_message(raw("d73.journal.approval", body, {POSITION: "7"}))
    assert entries == [JournalEntry(7, originator, 2, "memo:Memo.Filed", b"{}")]


def message_as_before(service: str, records: list[Any]) -> tuple[str, bytes, dict[str, str]]:
    """`journal_message` as it was written before issue #19 trimmed it."""
    first, last = records[0], records[-1]
    body = orjson.dumps(
        {
            "events": [
                {
                    "position": r.id,
                    "originator_id": str(r.originator_id),
                    "originator_version": r.originator_version,
                    "topic": r.topic,
                    "state": base64.b64encode(bytes(r.state)).decode(),
                }
                for r in records
            ]
        }
    )
    first_id = event_id_text(service, UUID(str(first.originator_id)), first.originator_version)
    headers = {
        MSG_ID: f"journal-{first_id}-{first.id}-{last.id}",
        POSITION: str(last.id),
        FIRST_POSITION: str(first.id),
    }
    return f"d73.journal.{service}", body, headers


@pytest.mark.parametrize("spelled", [lambda u: u, str, lambda u: u.hex, lambda u: str(u).upper()])
def test_a_message_is_byte_for_byte_what_it_was(spelled: Callable[[UUID], Any]) -> None:
    """Whatever spelling of the originator id a store gives, and a state as bytes or a view."""
    records: list[Any] = [
        replace(r, originator_id=spelled(r.originator_id)) for r in stored(3, size=4099, start=7)
    ]
    records.append(replace(records[0], id=11, state=memoryview(b"\x00\xff" * 2049)))
    for run in (records[:1], records):
        assert journal_message("registration", run) == message_as_before("registration", run)
