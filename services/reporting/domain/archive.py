"""Hồ sơ lưu trữ — every integration event about one proposal, in arrival order.

The archive keeps what the other services published, with the upstream stream and sequence it
came from, so that auditors can rebuild a proposal's history without the other services.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class AlreadyArchived(Exception):
    """This event id is already in the proposal's archive."""


class ProposalArchive(Aggregate):
    @staticmethod
    def create_id(proposal_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"/d73/reporting/proposals/{proposal_id}")

    @event("Started")
    def __init__(self, proposal_id: UUID) -> None:
        self.proposal_id = proposal_id
        self.entries: list[dict[str, Any]] = []
        self._event_ids: set[str] = set()

    def archive(self, entry: dict[str, Any]) -> None:
        """Add one received event; the same event id twice is refused."""
        if entry["event_id"] in self._event_ids:
            raise AlreadyArchived(entry["event_id"])
        self._archived(entry)

    @event("Archived")
    def _archived(self, entry: dict[str, Any]) -> None:
        self.entries.append(entry)
        self._event_ids.add(entry["event_id"])
