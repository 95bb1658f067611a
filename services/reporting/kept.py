"""Aggregates kept loaded between the commands of their only writer (issue #19 §4).

Reporting's consumers touch the same few records again and again: a proposal's archive takes
each of its events, a case file every event of its case. Loading one from the store replays its
snapshot and the events after it — most of the CPU an archived event cost. Only the application
that keeps them writes these records, one command at a time (under its consumer lock), so the
copy it changed and committed is the stored one: the next command takes it as it is.

What a command changed in memory may never reach the store: the command fails, or the consumer
batch it belongs to does not commit. The application then forgets every kept record
(`forget`), and the next command loads them again. A record still holding pending events (a
change nobody recorded) is never handed out; it is loaded again instead. The number kept is
bounded (least recently used first out), so memory does not grow with the store. So is the
number of records it knows to be absent: a case event's file is asked for twice in one command
(who is told, then what it changes), and a case just opened has none yet: one read of the store
says so for both (issue #19). Only the application that keeps them creates these records, and
it keeps each one it creates, so an absent record stays absent until it is kept.

`KeptWithin` keeps values that can always be read again (a notification's text) up to a budget
of bytes rather than a count: what they weigh varies tenfold, and a count would let a few long
ones take the memory a service needs under 150 MB (issue #19).
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.domain import BaseAggregate

A = TypeVar("A", bound=BaseAggregate[UUID])
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class KeptRecords:
    """At most `size` aggregates by id, the most recently used last."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"keep at least one record, not {size}")
        self.size = size
        self._records: OrderedDict[UUID, BaseAggregate[UUID]] = OrderedDict()
        self._absent: OrderedDict[UUID, None] = OrderedDict()
        """Records the store was found not to hold, the most recently asked for last."""
        self.loads = 0
        """Records loaded from the store because none was kept (for tests and benches)."""

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._records

    def get(self, record_id: UUID, load: Callable[[UUID], A | None]) -> A | None:
        """The kept record, or else `load(record_id)` (kept if found); None without loading
        when the store was found not to hold it."""
        record: Any = self._records.get(record_id)
        if record is not None and not record.pending_events:
            self._records.move_to_end(record_id)
            found: A = record
            return found
        if record is None and record_id in self._absent:
            return None
        self.loads += 1
        loaded = load(record_id)
        if loaded is None:
            self._records.pop(record_id, None)
            self._absent[record_id] = None
            if len(self._absent) > self.size:
                self._absent.popitem(last=False)
        else:
            self.keep(loaded)
        return loaded

    def peek(self, record_id: UUID) -> BaseAggregate[UUID] | None:
        """The kept record, if any, as it is (never loaded, nor moved up)."""
        return self._records.get(record_id)

    def keep(self, record: BaseAggregate[UUID]) -> None:
        """Keep `record` (a new one too: its creation commits with the command, or the
        command's failure makes the application forget it)."""
        self._absent.pop(record.id, None)
        self._records[record.id] = record
        self._records.move_to_end(record.id)
        while len(self._records) > self.size:
            self._records.popitem(last=False)

    def forget(self, record_ids: Iterable[UUID] | None = None) -> None:
        """Forget `record_ids`, or every record."""
        if record_ids is None:
            self._records.clear()
            self._absent.clear()
            return
        for record_id in record_ids:
            self._records.pop(record_id, None)
            self._absent.pop(record_id, None)


class KeptWithin(Generic[K, V]):
    """Values by key up to `budget` bytes, as `weigh` counts them, the most recently used last.

    Each value's weight is taken once, when it is kept, and stored beside it: a value may weigh
    more later (a string orjson serializes caches its UTF-8 bytes inside itself, which
    `sys.getsizeof` then counts), and weighing it again when forgotten would let the count
    drift below what is kept. One too heavy for the whole budget is never kept. Not
    thread-safe: its owner holds a lock around each call."""

    def __init__(self, budget: int, weigh: Callable[[V], int] = sys.getsizeof) -> None:
        if budget < 1:
            raise ValueError(f"keep at least one byte, not {budget}")
        self.budget = budget
        self.weight = 0
        """The bytes kept, as weighed when each value was kept (at most `budget`)."""
        self._weigh = weigh
        self._values: OrderedDict[K, tuple[V, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def get(self, key: K) -> V | None:
        """The kept value, now the most recently used; None if it is not kept."""
        kept = self._values.get(key)
        if kept is None:
            return None
        self._values.move_to_end(key)
        return kept[0]

    def keep(self, key: K, value: V) -> None:
        """Keep `value` as the most recently used, forgetting the least recently used ones
        until the budget holds."""
        self.forget((key,))
        weight = self._weigh(value)
        if weight > self.budget:
            return
        self._values[key] = (value, weight)
        self.weight += weight
        while self.weight > self.budget:
            _, (_, dropped) = self._values.popitem(last=False)
            self.weight -= dropped

    def forget(self, keys: Iterable[K]) -> None:
        for key in keys:
            kept = self._values.pop(key, None)
            if kept is not None:
                self.weight -= kept[1]


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """eventsourcing's `project_aggregate` without its per-event `isinstance` against a runtime
    Protocol (`CanMutateProtocol`), which costs more than applying most events: every stored
    event of an `Aggregate` mutates."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate
