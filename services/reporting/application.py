"""Reporting: the archive of every integration event and the read models built from it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import Tracking

from services.reporting.domain.archive import AlreadyArchived, ProposalArchive
from services.reporting.projections import StateCounts
from shared.contracts import IntegrationEvent
from shared.eventstore import ServiceApplication


class ReportingApplication(ServiceApplication):
    name = "reporting"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self.state_counts = StateCounts(self)

    def archive(self, event: IntegrationEvent, tracking: Tracking) -> None:
        archive_id = ProposalArchive.create_id(event.proposal_id)
        try:
            archive: ProposalArchive = self.repository.get(archive_id)
        except AggregateNotFoundError:
            archive = ProposalArchive(event.proposal_id)
        body = event.model_dump(mode="json")
        try:
            archive.archive(
                {
                    "event_id": str(event.id),
                    "type": event.type,
                    "upstream_stream": tracking.application_name,
                    "upstream_seq": tracking.notification_id,
                    "upstream_position": event.position,
                    "occurred_at": body["occurred_at"],
                    "actor": body.get("actor"),
                    "legal_basis": event.legal_basis,
                    "rule_set_version": event.rule_set_version,
                    "archived_at": datetime.now(UTC).isoformat(),
                    "body": body,
                }
            )
        except AlreadyArchived:
            # Same event re-published under a new stream sequence: keep the position, add nothing.
            self.record(tracking=tracking)
            return
        self.record(archive, tracking=tracking)

    def history(self, proposal_id: UUID) -> list[dict[str, Any]] | None:
        try:
            archive: ProposalArchive = self.repository.get(ProposalArchive.create_id(proposal_id))
        except AggregateNotFoundError:
            return None
        return list(archive.entries)

    def counts(self) -> dict[str, int]:
        self.state_counts.catch_up()
        return self.state_counts.counts()
