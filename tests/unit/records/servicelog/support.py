"""A small service store for the audit log tests: memos with Vietnamese text, drafts included."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from eventsourcing.domain import Aggregate, event

from shared.platform.eventstore import ServiceApplication, store_env
from shared.platform.settings import Settings
from shared.records.merkle.tree import MerkleTree
from shared.records.servicelog.entries import EntryEncoder
from shared.records.servicelog.log import ServiceLog

SERVICE = "registration"


class Memo(Aggregate):
    """Stands in for a proposal: filed (published), scribbled on (a private draft change)."""

    @event("Filed")
    def __init__(self, title: str, budget: Decimal, due: date) -> None:
        self.title, self.budget, self.due = title, budget, due

    @event("Scribbled")
    def scribble(self, text: str) -> None:
        self.text = text


class MemoApp(ServiceApplication):
    name = SERVICE


def memo_app(data_dir: Path, **settings: Any) -> MemoApp:
    return MemoApp(store_env(SERVICE, Settings(data_dir=data_dir, **settings)))


def file_memos(app: ServiceApplication, count: int, *, drafts: bool = True) -> list[Memo]:
    """`count` memos, each followed by a private scribble when `drafts`: 2 events a memo."""
    memos = []
    for number in range(count):
        memo = Memo(f"Sáng kiến số {number}", Decimal("150000000.00") + number, date(2026, 12, 1))
        if drafts:
            memo.scribble(f"bản nháp {number}")
        app.record(memo)
        memos.append(memo)
    return memos


def service_log(
    app: ServiceApplication,
    key_dir: Path,
    *,
    every_events: int = 1000,
    chunk_bits: int = 2,
    full_rebuild: bool = False,
) -> ServiceLog:
    """A log with tiny chunks (4 leaves), so that small stores cross many chunk boundaries;
    `full_rebuild`: read the whole store on start even where kept chunk roots would do."""
    audit = ServiceLog(
        SERVICE,
        app,
        key_dir=key_dir,
        every_events=every_events,
        every_seconds=3600,
        chunk_bits=chunk_bits,
        full_rebuild=full_rebuild,
    )
    audit.open()
    return audit


def last_id(app: ServiceApplication) -> int:
    return app.recorder.max_notification_id() or 0


def all_notifications(app: ServiceApplication) -> list[Any]:
    recorder: Any = app.recorder
    return list(recorder.select_notifications(start=1, limit=1_000_000))


def reference_tree(app: ServiceApplication) -> tuple[MerkleTree, list[bytes]]:
    """The full in-memory tree of the store, from the audit library alone."""
    encoder = EntryEncoder.for_app(SERVICE, app)
    entries = [
        encoder.entry(position, n) for position, n in enumerate(all_notifications(app), start=1)
    ]
    return MerkleTree.from_entries(entries), entries
