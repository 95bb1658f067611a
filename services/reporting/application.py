"""Reporting: the archive of every integration event and the read models built from it.

Commands come from the consumers (archive one event, quarantine one poison message); queries
serve auditors and reports. Each command records the archive entry, any alarm it raised and the
upstream position in one transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any, ClassVar
from uuid import UUID

import orjson
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import JSONTranscoder, Tracking, Transcoding

from services.reporting.domain.archive import AlreadyArchived, ProposalArchive, UpstreamWatch
from services.reporting.domain.facts import ProposalFacts, fold
from services.reporting.domain.periods import local_day
from services.reporting.domain.witness import WitnessedLog
from services.reporting.projections import ARCHIVED_TOPIC, Projections
from services.reporting.timeline import timeline_of
from services.reporting.workdays import WorkingDays
from shared.contracts import IntegrationEvent
from shared.eventstore import ServiceApplication
from shared.rulesets import DEFAULT_JURISDICTION
from shared.subjects import APPROVAL_STREAM, AUDIT_STREAM, REGISTRATION_STREAM

ARCHIVED: type = getattr(ProposalArchive, "Archived")  # noqa: B009 — made by @event
WITNESSED: type = getattr(WitnessedLog, "CheckpointWitnessed")  # noqa: B009
UPSTREAMS = (REGISTRATION_STREAM.name, APPROVAL_STREAM.name, AUDIT_STREAM.name)


class SetAsList(Transcoding):
    """The archive's snapshot keeps the set of event ids it holds."""

    type = set
    name = "set_list"

    def encode(self, obj: set[Any]) -> list[Any]:
        return sorted(obj)

    def decode(self, data: list[Any]) -> set[Any]:
        return set(data)


def utc_now() -> str:
    return datetime.now(UTC).isoformat()


class ReportingApplication(ServiceApplication):
    name = "reporting"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {ProposalArchive: 10}

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        jurisdiction: str = DEFAULT_JURISDICTION,
        upstreams: tuple[str, ...] = UPSTREAMS,
        cache_size: int = 5_000,
    ) -> None:
        super().__init__(env)
        self.upstreams = upstreams
        self.working_days = WorkingDays(jurisdiction)
        self.projections = Projections(self, self.working_days, cache_size=cache_size)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(SetAsList())

    # ------------------------------------------------------------------ commands

    def archive(self, event: IntegrationEvent, tracking: Tracking) -> None:
        """Consumer handler: keep one received event with where it came from."""
        self.archive_body(event.model_dump(mode="json"), tracking)

    def archive_body(self, body: Mapping[str, Any], tracking: Tracking) -> bool:
        """Archive a contract's JSON body; False when its event id was already archived (the
        position is recorded all the same, so the redelivery is acked and never re-read)."""
        watch = self._gap_before(tracking, str(body["id"]))
        proposal_id = UUID(str(body["proposal_id"]))
        archive = self._archive_of(proposal_id)
        entry = {
            "event_id": str(body["id"]),
            "type": str(body["type"]),
            "upstream_stream": tracking.application_name,
            "upstream_seq": tracking.notification_id,
            "upstream_position": body.get("position"),
            "occurred_at": body["occurred_at"],
            "actor": body.get("actor"),
            "legal_basis": body.get("legal_basis"),
            "rule_set_version": body.get("rule_set_version"),
            "archived_at": utc_now(),
            "body": dict(body),
        }
        try:
            archive.archive(entry)
        except AlreadyArchived:
            # The same event re-published under a new stream sequence: keep the position only.
            self.record(watch, tracking=tracking)
            return False
        self.record(archive, watch, tracking=tracking)
        return True

    def witness_checkpoint(self, body: Mapping[str, Any], tracking: Tracking) -> bool:
        """Keep a service's signed checkpoint; False if that exact checkpoint is already held."""
        watch = self._gap_before(tracking, str(body.get("id")))
        service = str(body["service"])
        try:
            log: WitnessedLog = self.repository.get(WitnessedLog.create_id(service))
        except AggregateNotFoundError:
            log = WitnessedLog(service)
        entry = {
            **dict(body),
            "upstream_stream": tracking.application_name,
            "upstream_seq": tracking.notification_id,
            "witnessed_at": utc_now(),
        }
        kept = log.witness(entry)
        self.record(log if kept else None, watch, tracking=tracking)
        return kept

    def quarantine(
        self,
        *,
        stream: str,
        seq: int,
        subject: str,
        headers: Mapping[str, str],
        data: bytes,
        reason: str,
        deliveries: int,
    ) -> bool:
        """Keep a message that no contract accepts, with its reason, at its stream position —
        so the archive still accounts for every sequence number. False if already recorded."""
        tracking = Tracking(stream, seq)
        with self.consumer_lock:
            if self.has_processed(stream, seq):
                return False
            watch = self._gap_before(tracking, headers.get("ce-id")) or self._watch(stream)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            watch.quarantine(
                {
                    "seq": seq,
                    "subject": subject,
                    "reason": reason,
                    "deliveries": deliveries,
                    "headers": dict(headers),
                    "body_text": text,
                    "body_hex": None if text is not None else data.hex(),
                    "quarantined_at": utc_now(),
                }
            )
            self.record(watch, tracking=tracking)
            return True

    def _gap_before(self, tracking: Tracking, event_id: str | None) -> UpstreamWatch | None:
        """The consumer reads every sequence in order; a jump means lost messages (an alarm)."""
        recorder: Any = self.recorder
        last = recorder.max_tracking_id(tracking.application_name) or 0
        if tracking.notification_id <= last + 1:
            return None
        watch = self._watch(tracking.application_name)
        watch.note_gap(
            first_missing=last + 1,
            last_missing=tracking.notification_id - 1,
            revealed_by_seq=tracking.notification_id,
            revealed_by_event_id=event_id,
            detected_at=utc_now(),
        )
        return watch

    def _watch(self, stream: str) -> UpstreamWatch:
        try:
            watch: UpstreamWatch = self.repository.get(UpstreamWatch.create_id(stream))
        except AggregateNotFoundError:
            watch = UpstreamWatch(stream)
        return watch

    def _archive_of(self, proposal_id: UUID) -> ProposalArchive:
        try:
            archive: ProposalArchive = self.repository.get(ProposalArchive.create_id(proposal_id))
        except AggregateNotFoundError:
            archive = ProposalArchive(proposal_id)
        return archive

    # ------------------------------------------------------------------ auditor queries

    def history(self, proposal_id: UUID) -> list[dict[str, Any]] | None:
        """Every archived event about one proposal, in arrival order."""
        events = self.repository.event_store.get(ProposalArchive.create_id(proposal_id))
        entries = [e.entry for e in events if isinstance(e, ARCHIVED)]  # type: ignore[attr-defined]
        return entries or None

    def timeline(self, proposal_id: UUID) -> list[dict[str, Any]] | None:
        """The merged history across services, in the order things happened."""
        entries = self.history(proposal_id)
        return None if entries is None else timeline_of(entries)

    def state_as_of(
        self, proposal_id: UUID, *, at: datetime | None = None, event_id: str | None = None
    ) -> dict[str, Any] | None:
        """Replay the proposal's archive up to an instant or up to (and with) one event."""
        entries = self.history(proposal_id)
        if entries is None:
            return None
        if event_id is not None:
            ids = [e["event_id"] for e in entries]
            if event_id not in ids:
                raise LookupError(f"event {event_id} is not in the archive of {proposal_id}")
            chosen = entries[: ids.index(event_id) + 1]
        elif at is not None:
            chosen = [e for e in entries if datetime.fromisoformat(e["occurred_at"]) <= at]
        else:
            chosen = entries
        facts = ProposalFacts(str(proposal_id))
        for entry in chosen:
            fold(facts, entry, self.working_days, [], [])
        return {
            "proposal_id": str(proposal_id),
            "as_of": {
                "at": None if at is None else at.isoformat(),
                "event_id": event_id,
                "events_applied": len(chosen),
                "last_event": chosen[-1]["event_id"] if chosen else None,
            },
            "state": facts.state if chosen else None,
            "facts": facts.as_dict() if chosen else None,
        }

    def proposer_of(self, entries: list[dict[str, Any]]) -> str | None:
        for entry in entries:
            proposer = entry["body"].get("proposer")
            if isinstance(proposer, dict) and proposer.get("user_id"):
                return str(proposer["user_id"])
        return None

    def witnessed(self, service: str) -> dict[str, Any] | None:
        """The checkpoints of one service this witness holds, oldest first, and any conflict."""
        log_id = WitnessedLog.create_id(service)
        events = list(self.repository.event_store.get(log_id))
        if not events:
            return None
        checkpoints = [e.checkpoint for e in events if isinstance(e, WITNESSED)]  # type: ignore[attr-defined]
        log: WitnessedLog = self.repository.get(log_id)
        return {"service": service, "checkpoints": checkpoints, "conflicts": log.conflicts}

    def witness_digest(self, services: tuple[str, ...]) -> str:
        """Hash of every (service, tree size, root) held: equal after a replay from JetStream."""
        held = []
        for service in services:
            log = self.witnessed(service)
            for checkpoint in (log or {}).get("checkpoints", []):
                held.append((service, checkpoint["tree_size"], checkpoint["root_hash"]))
        return hashlib.sha256(orjson.dumps(sorted(held))).hexdigest()

    def alarms(self) -> list[dict[str, Any]]:
        """Gaps in an upstream's sequence and quarantined messages, per upstream stream."""
        out: list[dict[str, Any]] = []
        for stream in self.upstreams:
            try:
                watch: UpstreamWatch = self.repository.get(UpstreamWatch.create_id(stream))
            except AggregateNotFoundError:
                out.append({"stream": stream, "gaps": [], "quarantined": []})
                continue
            out.append(
                {"stream": stream, "gaps": list(watch.gaps), "quarantined": list(watch.quarantined)}
            )
        return out

    def export_events(
        self, first: date, last: date, *, proposals: set[str] | None = None
    ) -> Iterator[bytes]:
        """JSON Lines: every archived event whose local day is in first..last, in archive order.

        Reads only the archive positions the timeline index names for those days.
        """
        self.projections.catch_up()
        recorder: Any = self.recorder
        first_day, last_day = first.isoformat(), last.isoformat()
        for start, stop in self.projections.day_spans(first, last):
            position = start
            while position <= stop:
                page = recorder.select_notifications(
                    start=position, limit=1000, stop=stop, topics=(ARCHIVED_TOPIC,)
                )
                if not page:
                    break
                for notification in page:
                    entry = self.mapper.to_domain_event(notification).entry  # type: ignore[attr-defined]
                    day = local_day(entry["occurred_at"])
                    if first_day <= day <= last_day and (
                        proposals is None or str(entry["body"].get("proposal_id")) in proposals
                    ):
                        yield orjson.dumps(entry) + b"\n"
                position = page[-1].id + 1
