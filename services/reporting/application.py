"""Reporting: the archive of every integration event and the read models built from it.

Commands come from the consumers (archive one event, quarantine one poison message); queries
serve auditors and reports. Each command records the archive entry, any alarm it raised and the
upstream position in one transaction.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

import orjson
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, Tracking, Transcoding

from services.reporting.domain.archive import AlreadyArchived, ProposalArchive, UpstreamWatch
from services.reporting.domain.facts import ProposalFacts, fold
from services.reporting.domain.periods import local_day
from services.reporting.domain.witness import WitnessedLeaves, WitnessedLog
from services.reporting.projections import ARCHIVED_TOPIC, Projections
from services.reporting.timeline import timeline_of
from services.reporting.workdays import WorkingDays
from shared.audit.checkpoint import cosign_checkpoint
from shared.auditlog.heads import PublishedHead
from shared.auditlog.keys import ServiceKeys, TrustedKeys
from shared.contracts import IntegrationEvent
from shared.eventstore import ServiceApplication
from shared.metrics import CHECKPOINTS_WITNESSED
from shared.rulesets import DEFAULT_JURISDICTION
from shared.subjects import APPROVAL_STREAM, AUDIT_STREAM, REGISTRATION_STREAM

ARCHIVED: type = getattr(ProposalArchive, "Archived")  # noqa: B009 — made by @event
WITNESSED: type = getattr(WitnessedLog, "CheckpointWitnessed")  # noqa: B009
COSIGNED: type = getattr(WitnessedLog, "CheckpointCosigned")  # noqa: B009
MATCHED: type = getattr(WitnessedLog, "CheckpointMatched")  # noqa: B009
LOG_ALARM: type = getattr(WitnessedLog, "AlarmRaised")  # noqa: B009
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


@dataclass(frozen=True, slots=True)
class LogObservation:
    """What a received event showed of its service's log: its head, or why there is none."""

    service: str
    head: PublishedHead | None
    malformed: str | None = None


class WitnessKeys:
    """Reporting's own key, to cosign, and the keys it trusts for each service's checkpoints.

    The own key is loaded (made, on a first run) when first needed — the service does it as it
    starts — so that commands such as `d73 asyncapi` touch no key file.
    """

    def __init__(self, own: Callable[[], ServiceKeys], trusted: TrustedKeys) -> None:
        self._load_own = own
        self.trusted = trusted

    @functools.cached_property
    def own(self) -> ServiceKeys:
        return self._load_own()


class ReportingApplication(ServiceApplication):
    name = "reporting"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        ProposalArchive: 10,
        WitnessedLeaves: 1000,
        WitnessedLog: 100,
    }

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        jurisdiction: str = DEFAULT_JURISDICTION,
        upstreams: tuple[str, ...] = UPSTREAMS,
        cache_size: int = 5_000,
        witness_keys: WitnessKeys | None = None,
        rule_sets_dir: Path | None = None,
    ) -> None:
        super().__init__(env)
        self.witness_keys = witness_keys
        self._witness_records: dict[UUID, Aggregate] = {}
        """The witness's records, kept loaded: one is touched by every received event, and
        only this application (under the consumer lock) writes them."""
        self.upstreams = upstreams
        self.working_days = WorkingDays(jurisdiction, rule_sets_dir)
        self.projections = Projections(self, self.working_days, cache_size=cache_size)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(SetAsList())

    # ------------------------------------------------------------------ commands

    def archive(
        self, event: IntegrationEvent, tracking: Tracking, observed: LogObservation | None = None
    ) -> None:
        """Consumer handler: keep one received event with where it came from."""
        self.archive_body(event.model_dump(mode="json"), tracking, observed)

    def archive_body(
        self,
        body: Mapping[str, Any],
        tracking: Tracking,
        observed: LogObservation | None = None,
    ) -> bool:
        """Archive a contract's JSON body; False when its event id was already archived (the
        position is recorded all the same, so the redelivery is acked and never re-read).

        With `observed`, the witness also follows the service's log through the event."""
        with self._witnessing():
            return self._archive_and_witness(body, tracking, observed)

    def _archive_and_witness(
        self, body: Mapping[str, Any], tracking: Tracking, observed: LogObservation | None
    ) -> bool:
        watch = self._gap_before(tracking, str(body["id"]))
        witnessing = self._follow_leaves(observed, str(body["id"]), tracking)
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
        if observed is not None and observed.head is not None:
            entry["log"] = {
                "service": observed.service,
                "position": observed.head.tree_size,
                "root_hash": observed.head.root.hex(),
                "leaf_index": observed.head.leaf_index,
                "leaf_hash": observed.head.leaves[-1].hex(),
            }
        try:
            archive.archive(entry)
        except AlreadyArchived:
            # The same event re-published under a new stream sequence: keep the position only.
            self.record(watch, *witnessing, tracking=tracking)
            return False
        self.record(archive, watch, *witnessing, tracking=tracking)
        return True

    def witness_checkpoint(self, body: Mapping[str, Any], tracking: Tracking) -> bool:
        """Check and keep a service's signed checkpoint, and cosign it if it verifies; False if
        that exact checkpoint is already held."""
        with self._witnessing():
            return self._witness_checkpoint(body, tracking)

    def _witness_checkpoint(self, body: Mapping[str, Any], tracking: Tracking) -> bool:
        watch = self._gap_before(tracking, str(body.get("id")))
        service = str(body["service"])
        if service == self.name:
            # Its own archive's checkpoints: a witness does not witness itself; they stay on
            # D73_AUDIT for `d73 verify reporting --witnessed` and other witnesses.
            self.record(watch, tracking=tracking)
            return False
        log = self._witness_record(WitnessedLog, service)
        leaves = self._witness_record(WitnessedLeaves, service)
        entry = {
            **dict(body),
            "upstream_stream": tracking.application_name,
            "upstream_seq": tracking.notification_id,
            "witnessed_at": utc_now(),
        }
        keys = self.witness_keys
        trusted = keys.trusted.of(service, str(body.get("key_id"))) if keys is not None else {}
        at = entry["witnessed_at"]
        verified = log.witness(entry, keys=trusted, leaves=leaves, at=at)
        result = "verified" if verified is not None else "alarm"
        CHECKPOINTS_WITNESSED.labels(self.name, service, result).inc()
        if verified is not None and keys is not None:
            cosignature = cosign_checkpoint(keys.own.private_key, verified, witness_id=self.name)
            log.cosign(verified, cosignature.to_dict())
        if verified is not None and body.get("frontier"):
            frontier = [str(node) for node in body["frontier"]]
            roots = leaves.offer_anchor(verified.tree_size, frontier, verified.root_hash, at)
            if roots:
                log.leaves_reached(roots, at)
        kept = bool(log.pending_events)
        self.record(log, leaves, watch, tracking=tracking)
        return kept

    def witness_service_alarm(self, body: Mapping[str, Any], tracking: Tracking) -> bool:
        """Keep a service's own alarm (it halted: `shared.halt`) with its log's record, so that
        `/audit/alarms` shows it with the witness's and the relay publishes it on."""
        with self._witnessing():
            watch = self._gap_before(tracking, str(body.get("id")))
            log = self._witness_record(WitnessedLog, str(body["service"]))
            log.service_halted(body, tracking.notification_id, utc_now())
            self.record(log, watch, tracking=tracking)
            return True

    def _follow_leaves(
        self, observed: LogObservation | None, event_id: str, tracking: Tracking
    ) -> tuple[Aggregate, ...]:
        """The witness's records changed by one event's log head (checked, not yet saved)."""
        if observed is None:
            return ()
        leaves = self._witness_record(WitnessedLeaves, observed.service)
        where = {"event_id": event_id, "upstream_seq": tracking.notification_id, "at": utc_now()}
        if observed.malformed is not None:
            leaves.malformed(observed.malformed, **where)
            return (leaves,)
        roots = leaves.observe(observed.head, **where)
        log = self._witness_record(WitnessedLog, observed.service)
        if roots and log.pending:
            log.leaves_reached(roots, where["at"])
        return leaves, log

    def _witness_record(self, kind: Callable[[str], Any], service: str) -> Any:
        record_id = kind.create_id(service)  # type: ignore[attr-defined]
        record = self._witness_records.get(record_id)
        if record is None:
            record = self._held(record_id) or kind(service)
            self._witness_records[record_id] = record
        return record

    @contextmanager
    def _witnessing(self) -> Iterator[None]:
        """On any failure forget the loaded witness records: their unsaved changes must not
        be seen by the retry."""
        try:
            yield
        except BaseException:
            self._witness_records.clear()
            raise

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
        watch: UpstreamWatch = self._held(UpstreamWatch.create_id(stream)) or UpstreamWatch(stream)
        return watch

    def _archive_of(self, proposal_id: UUID) -> ProposalArchive:
        held = self._held(ProposalArchive.create_id(proposal_id))
        archive: ProposalArchive = held or ProposalArchive(proposal_id)
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
        """What this witness holds of one service's log: its checkpoints, oldest first, each
        with how it was verified and this witness's cosignature; how far the leaves were
        followed; conflicts and alarms."""
        log_id = WitnessedLog.create_id(service)
        events = list(self.repository.event_store.get(log_id))
        if not events:
            return None
        cosigned: dict[int, dict[str, Any]] = {}
        compared: dict[int, str] = {}
        """Sizes compared with the leaves after the checkpoint arrived (it was "pending")."""
        checkpoints: list[dict[str, Any]] = []
        for e in events:
            if isinstance(e, COSIGNED):
                cosigned[e.tree_size] = e.cosignature  # type: ignore[attr-defined]
            elif isinstance(e, WITNESSED):
                checkpoints.append(dict(e.checkpoint))  # type: ignore[attr-defined]
            elif isinstance(e, MATCHED):
                compared[e.tree_size] = "matched"  # type: ignore[attr-defined]
            elif isinstance(e, LOG_ALARM) and e.alarm["kind"] == "checkpoint-mismatch":  # type: ignore[attr-defined]
                compared[e.alarm["tree_size"]] = "mismatch"  # type: ignore[attr-defined]
        for checkpoint in checkpoints:
            size = checkpoint["tree_size"]
            if size in cosigned:
                checkpoint["cosignatures"] = [*checkpoint.get("cosignatures", []), cosigned[size]]
            if size in compared and checkpoint.get("verification", {}).get("leaves") == "pending":
                checkpoint["verification"] = {
                    **checkpoint["verification"],
                    "leaves": compared[size],
                }
        log: WitnessedLog = self.repository.get(log_id)
        return {
            "service": service,
            "checkpoints": checkpoints,
            "conflicts": log.conflicts,
            "alarms": log.alarms,
            "leaves": self.leaves_followed(service),
        }

    def leaves_followed(self, service: str) -> dict[str, Any]:
        """How far the witness followed a service's log leaf by leaf, and whether it stopped."""
        leaves: WitnessedLeaves | None = self._held(WitnessedLeaves.create_id(service))
        if leaves is None:
            return {
                "tree_size": 0,
                "root_hash": None,
                "stopped": None,
                "alarms": [],
                "resumptions": [],
            }
        return {
            "tree_size": leaves.size,
            "root_hash": leaves.root_at(leaves.size),
            "stopped": leaves.stopped,
            "alarms": leaves.alarms,
            "resumptions": leaves.resumptions,
        }

    def log_alarms(self, services: tuple[str, ...]) -> list[dict[str, Any]]:
        """Every alarm the witness raised about the services' logs, oldest first."""
        alarms: list[dict[str, Any]] = []
        for service in services:
            for record_id in (WitnessedLog.create_id(service), WitnessedLeaves.create_id(service)):
                record: WitnessedLog | WitnessedLeaves | None = self._held(record_id)
                alarms.extend(record.alarms if record is not None else [])
        return sorted(alarms, key=lambda alarm: str(alarm["detected_at"]))

    def checkpoint_conflicts(self, services: tuple[str, ...]) -> list[dict[str, Any]]:
        """Two roots signed for one size (forks), per service."""
        conflicts: list[dict[str, Any]] = []
        for service in services:
            log: WitnessedLog | None = self._held(WitnessedLog.create_id(service))
            conflicts.extend({"service": service, **c} for c in (log.conflicts if log else []))
        return conflicts

    def _held(self, record_id: UUID) -> Any:
        """A record as stored (its latest snapshot and the events after it), or None."""
        try:
            return self.repository.get(record_id)
        except AggregateNotFoundError:
            return None

    def witness_digest(self, services: tuple[str, ...]) -> str:
        """Hash of every (service, tree size, root) held: equal after a replay from JetStream."""
        held: list[tuple[str, int, str]] = []
        for service in services:
            log: WitnessedLog | None = self._held(WitnessedLog.create_id(service))
            roots = log.roots.items() if log is not None else ()
            held.extend((service, int(size), root) for size, root in roots)
        return hashlib.sha256(orjson.dumps(sorted(held))).hexdigest()

    def alarms(self) -> list[dict[str, Any]]:
        """Gaps in an upstream's sequence and quarantined messages, per upstream stream."""
        out: list[dict[str, Any]] = []
        for stream in self.upstreams:
            watch: UpstreamWatch | None = self._held(UpstreamWatch.create_id(stream))
            out.append(
                {
                    "stream": stream,
                    "gaps": list(watch.gaps) if watch else [],
                    "quarantined": list(watch.quarantined) if watch else [],
                }
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
