"""Read models of reporting, rebuilt from the archive only."""

from __future__ import annotations

from collections import Counter
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from services.reporting.domain.archive import ProposalArchive
from shared.readmodel import CatchUpReadModel

ARCHIVED: type = getattr(ProposalArchive, "Archived")  # noqa: B009 — made by @event

STATE_OF_TYPE = {
    "d73.proposal.submitted.v1": "submitted",
    "d73.proposal.withdrawn.v1": "withdrawn",
}


class StateCounts(CatchUpReadModel):
    """How many proposals stand in each state, by the latest event seen for each."""

    def reset(self) -> None:
        self.state_of: dict[str, str] = {}

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.reset()

    def apply(self, event: DomainEventProtocol[UUID], position: int) -> None:
        entry: dict[str, Any] | None = getattr(event, "entry", None)
        if not isinstance(event, ARCHIVED) or entry is None:
            return
        state = STATE_OF_TYPE.get(entry["type"]) or entry["body"].get("state")
        if state:
            self.state_of[entry["body"]["proposal_id"]] = str(state)

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(self.state_of.values()).items()))

    def snapshot(self) -> Any:
        return self.state_of
