"""Hồ sơ lưu trữ — every integration event about one proposal, in arrival order.

The archive keeps what the other services published, with the upstream stream and sequence it
came from, so that auditors can rebuild a proposal's history without the other services. The
entries themselves live in the aggregate's events (one `Archived` per received event); the
aggregate only remembers which event ids it holds, so loading it stays cheap (it is snapshotted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.reporting.domain.ids import record_id
from services.reporting.domain.periods import local_day


@dataclass(frozen=True, slots=True)
class ArchivedEvent:
    """Một mục lưu trữ — one archived event as the read models fold it (issue #13 point 1).

    What was received (its type, when it happened, the rule-set version it was judged under, the
    contract's body as its JSON) and where it stands (reporting's archive position, the upstream
    stream and sequence), with its local day worked out once for every projection. The body stays
    the JSON the publisher sent, not a contract model: an archive holds every version a publisher
    ever sent, and a field one projection cannot read must fail that projection alone."""

    position: int
    event_id: str
    type: str
    occurred_at: str
    body: Mapping[str, Any]
    upstream_stream: str = ""
    upstream_seq: int | None = None
    rule_set_version: str | None = None
    day: str | None = None
    """The local day in Vietnam; None when `occurred_at` is no instant (see `local_day`)."""

    @classmethod
    def of(cls, entry: Mapping[str, Any], position: int = 0) -> ArchivedEvent:
        """The event an archive entry (`ProposalArchive.Archived`) holds, at `position`."""
        occurred: str = entry["occurred_at"]
        try:
            day: str | None = local_day(occurred)
        except Exception:
            day = None  # each projection that needs it fails on its own, with the reason
        return cls(
            position=position,
            event_id=str(entry.get("event_id", "")),
            type=entry["type"],
            occurred_at=occurred,
            body=entry["body"],
            upstream_stream=str(entry.get("upstream_stream", "")),
            upstream_seq=entry.get("upstream_seq"),
            rule_set_version=entry.get("rule_set_version"),
            day=day,
        )

    def local_day(self) -> str:
        """The local day, or the reason there is none (raised)."""
        return self.day if self.day is not None else local_day(self.occurred_at)


class ArchiveError(Exception):
    """Base of reporting's domain errors."""


class AlreadyArchived(ArchiveError):
    """This event id is already in the proposal's archive."""


class ProposalArchive(Aggregate):
    @staticmethod
    def create_id(proposal_id: UUID) -> UUID:
        return record_id(f"/d73/reporting/proposals/{proposal_id}")

    @event("Started")
    def __init__(self, proposal_id: UUID) -> None:
        self.proposal_id = proposal_id
        self.event_ids: set[str] = set()

    def archive(self, entry: dict[str, Any]) -> None:
        """Add one received event; the same event id twice is refused."""
        if entry["event_id"] in self.event_ids:
            raise AlreadyArchived(entry["event_id"])
        self._archived(entry)

    @event("Archived")
    def _archived(self, entry: dict[str, Any]) -> None:
        self.event_ids.add(entry["event_id"])


class UpstreamWatch(Aggregate):
    """Theo dõi luồng — what reporting noticed about one upstream stream: gaps and poison.

    JetStream numbers a stream's messages 1, 2, 3…; the consumer reads them in order and records
    every one (an event, a duplicate or a quarantined poison message). So a sequence number that
    jumps means messages this archive will never hold: an alarm, never a silent skip.
    """

    @staticmethod
    def create_id(stream: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/d73/reporting/upstreams/{stream}")

    @event("Started")
    def __init__(self, stream: str) -> None:
        self.stream = stream
        self.gaps: list[dict[str, Any]] = []
        self.quarantined: list[dict[str, Any]] = []

    def note_gap(
        self,
        *,
        first_missing: int,
        last_missing: int,
        revealed_by_seq: int,
        revealed_by_event_id: str | None,
        detected_at: str,
    ) -> None:
        """Báo động thiếu sự kiện: sequences first..last never reached the archive."""
        if not 0 < first_missing <= last_missing < revealed_by_seq:
            raise ArchiveError(
                f"not a gap: {first_missing}..{last_missing} before {revealed_by_seq}"
            )
        self._gap_detected(
            {
                "stream": self.stream,
                "first_missing": first_missing,
                "last_missing": last_missing,
                "missing": last_missing - first_missing + 1,
                "revealed_by_seq": revealed_by_seq,
                "revealed_by_event_id": revealed_by_event_id,
                "detected_at": detected_at,
            }
        )

    @event("GapDetected")
    def _gap_detected(self, gap: dict[str, Any]) -> None:
        self.gaps.append(gap)

    def quarantine(self, message: dict[str, Any]) -> None:
        """A message no contract accepts, kept with its reason (it also went to dead letters)."""
        if not message.get("reason"):
            raise ArchiveError("a quarantined message needs its reason")
        self._quarantined(message)

    @event("MessageQuarantined")
    def _quarantined(self, message: dict[str, Any]) -> None:
        self.quarantined.append(message)
