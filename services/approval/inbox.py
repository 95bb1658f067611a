"""Hồ sơ chờ xử lý — who a case waits for in each state, from the domain's authority rules.

Each state waits on the parties who may give its next commands: the transition table says
which (`services.approval.domain.states.WAITING_ON`); this module finds the people.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID

from services.approval.domain.states import WAITING_ON, Party
from services.approval.read_models import DueClock
from shared.contracts.vocabulary import CaseState


class Capacity(StrEnum):
    """In which capacity a case waits for someone, as the inbox lists it (`GET /inbox`)."""

    HEAD = "HEAD"
    DEPUTY = "DEPUTY"
    OFFICE = "OFFICE"
    IMPLEMENTER = "IMPLEMENTER"
    PROPOSER = "PROPOSER"
    HOME_AFFAIRS = "HOME_AFFAIRS"
    """Sở Nội vụ, for a case with a clock past its due date (Plan 88 IV.2)."""


def capacities_of(person_id: str, case: Mapping[str, Any]) -> tuple[str, ...]:
    """In which capacities the case, in its current state, waits for `person_id`."""
    waiting = WAITING_ON.get(CaseState(case["state"]), frozenset())
    proposer = case["proposer_id"]
    found = []
    if person_id == case["head_id"] and waiting & {Party.HEAD, Party.OFFICE, Party.COLLECTIVE}:
        found.append(Capacity.HEAD)
    if (
        Party.COLLECTIVE in waiting
        and person_id in case["deputy_ids"]
        and person_id != proposer  # Art 8 §1: a deputy who proposed does not vote
    ):
        found.append(Capacity.DEPUTY)
    if Party.OFFICE in waiting and person_id in case["delegate_ids"]:
        found.append(Capacity.OFFICE)
    if Party.IMPLEMENTERS in waiting and person_id in case["implementer_ids"]:
        found.append(Capacity.IMPLEMENTER)
    if Party.PROPOSER in waiting and person_id == proposer:
        found.append(Capacity.PROPOSER)
    return tuple(found)


@dataclass(frozen=True)
class InboxItem:
    case_id: UUID
    proposal_id: UUID
    title: str
    state: CaseState
    capacities: tuple[str, ...]
    next_due: DueClock | None
    overdue: bool
    opened_at_position: int

    def sort_key(self) -> tuple[bool, date, int]:
        """Oldest due date first; cases without a running clock last, oldest case first."""
        due = self.next_due.due if self.next_due is not None else date.max
        return (self.next_due is None, due, self.opened_at_position)


class InboxMemo:
    """The inboxes last worked out, each under the read models' positions it was worked out at.

    A director's inbox spans every open case of the city and is read far more often than cases
    change: an inbox asked again before any new event (and on the same day) is the same list, so
    it is kept, at most `size` of them, the least recently asked dropped first. A new event moves
    the positions, so an answer never outlives the events it was made from.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, tuple[InboxItem, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, work_out: Callable[[], list[InboxItem]]) -> tuple[InboxItem, ...]:
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                return kept
        made = tuple(work_out())
        with self._lock:
            self._kept[key] = made
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return made
