"""Hồ sơ chờ xử lý — who a case waits for in each state, from the domain's authority rules.

Each state waits on the parties who may give its next commands (domain `authority.Step`):
the office (the head or a listed delegate), the collective (the head and the deputies who may
vote), the head alone, the implementers, or the proposer (who answers through registration).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID

from services.approval.domain.states import CaseState
from services.approval.read_models import DueClock


class Party(StrEnum):
    OFFICE = "OFFICE"
    COLLECTIVE = "COLLECTIVE"
    HEAD = "HEAD"
    IMPLEMENTERS = "IMPLEMENTERS"
    PROPOSER = "PROPOSER"


S = CaseState
WAITING_ON: Mapping[CaseState, frozenset[Party]] = {
    S.IN_INTAKE: frozenset({Party.OFFICE}),  # receive, or ask for a supplement
    S.NEEDS_SUPPLEMENT: frozenset({Party.PROPOSER}),
    S.UNDER_REVIEW: frozenset({Party.OFFICE, Party.COLLECTIVE}),  # Party opinion, meeting
    S.IN_CONSULTATION: frozenset({Party.OFFICE}),
    S.COLLECTIVE_REJECTED: frozenset({Party.HEAD}),  # override or confirm the rejection
    S.APPROVED: frozenset({Party.HEAD, Party.IMPLEMENTERS}),  # resources, start
    S.IN_IMPLEMENTATION: frozenset({Party.IMPLEMENTERS}),
    S.SUSPENDED: frozenset({Party.HEAD}),  # resume or stop
    S.STOPPED: frozenset({Party.IMPLEMENTERS}),  # the final report
    S.COMPLETION_REPORTED: frozenset({Party.OFFICE, Party.COLLECTIVE}),
    S.EVALUATED: frozenset({Party.HEAD}),  # the written conclusion
    S.CONCLUDED: frozenset({Party.HEAD}),  # recognition, protection
    S.RECOGNIZED: frozenset({Party.HEAD}),
    S.PROTECTION_DETERMINED: frozenset({Party.OFFICE}),  # close the file
}


def capacities_of(person_id: str, case: Mapping[str, Any]) -> tuple[str, ...]:
    """In which capacities the case, in its current state, waits for `person_id`."""
    waiting = WAITING_ON.get(CaseState(case["state"]), frozenset())
    proposer = case["proposer_id"]
    found = []
    if person_id == case["head_id"] and waiting & {Party.HEAD, Party.OFFICE, Party.COLLECTIVE}:
        found.append("HEAD")
    if (
        Party.COLLECTIVE in waiting
        and person_id in case["deputy_ids"]
        and person_id != proposer  # Art 8 §1: a deputy who proposed does not vote
    ):
        found.append("DEPUTY")
    if Party.OFFICE in waiting and person_id in case["delegate_ids"]:
        found.append("OFFICE")
    if Party.IMPLEMENTERS in waiting and person_id in case["implementer_ids"]:
        found.append("IMPLEMENTER")
    if Party.PROPOSER in waiting and person_id == proposer:
        found.append("PROPOSER")
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
