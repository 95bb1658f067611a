"""Reporting: the archive of every integration event and the read models built from it.

Commands come from the consumers (archive one event, witness a checkpoint, quarantine one
poison message: `commands.py`) and go through `handle`; queries serve auditors and reports.
Each command records the archive entry, any alarm it raised and the upstream position in one
transaction.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

import orjson
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, Tracking, Transcoding

from services.reporting.commands import (
    Archive,
    ArchiveCommand,
    LogObservation,
    Quarantine,
    WitnessCheckpoint,
    WitnessHeartbeat,
    WitnessServiceAlarm,
    utc_now,
)
from services.reporting.domain.archive import ArchivedEvent, ProposalArchive, UpstreamWatch
from services.reporting.domain.facts import Folding, ProposalFacts, fold
from services.reporting.domain.periods import local_day
from services.reporting.domain.witness import STALL_GRACE_SECONDS, WitnessedLeaves, WitnessedLog
from services.reporting.kept import KeptRecords, replay
from services.reporting.read_models import ARCHIVED_TOPIC, FACTS_CACHED, Projections
from services.reporting.timeline import timeline_of
from services.reporting.workdays import WorkingDays
from shared.contracts import IntegrationEvent
from shared.kernel.rulesets import DEFAULT_JURISDICTION
from shared.platform.eventstore import ServiceApplication
from shared.platform.subjects import APPROVAL_STREAM, AUDIT_STREAM, REGISTRATION_STREAM
from shared.records.merkle.checkpoint import Checkpoint, cosign_checkpoint
from shared.records.servicelog.keys import ServiceKeys, TrustedKeys

ARCHIVED: type = getattr(ProposalArchive, "Archived")  # noqa: B009 — made by @event
WITNESSED: type = getattr(WitnessedLog, "CheckpointWitnessed")  # noqa: B009
COSIGNED: type = getattr(WitnessedLog, "CheckpointCosigned")  # noqa: B009
MATCHED: type = getattr(WitnessedLog, "CheckpointMatched")  # noqa: B009
LOG_ALARM: type = getattr(WitnessedLog, "AlarmRaised")  # noqa: B009
UPSTREAMS = (REGISTRATION_STREAM.name, APPROVAL_STREAM.name, AUDIT_STREAM.name)
KEPT_ARCHIVES = 500
"""Proposals' archives kept loaded: a proposal's events arrive close together (its submission,
then its case's opening), and 500 (about 1 KB each, 3 KB for a finished journey's) lose no load
against 2,000 under bench.reporting_consume's 800 interleaved journeys (issue #19)."""


class SetAsList(Transcoding):
    """The archive's snapshot keeps the set of event ids it holds."""

    type = set
    name = "set_list"

    def encode(self, obj: set[Any]) -> list[Any]:
        return sorted(obj)

    def decode(self, data: list[Any]) -> set[Any]:
        return set(data)


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
    snapshotting_projectors: ClassVar[dict[type[Any], Any]] = {
        ProposalArchive: replay,
        WitnessedLeaves: replay,
        WitnessedLog: replay,
    }

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        jurisdiction: str = DEFAULT_JURISDICTION,
        upstreams: tuple[str, ...] = UPSTREAMS,
        cache_size: int = FACTS_CACHED,
        kept_archives: int = KEPT_ARCHIVES,
        witness_keys: WitnessKeys | None = None,
        rule_sets_dir: Path | None = None,
        stall_grace_seconds: float = STALL_GRACE_SECONDS,
    ) -> None:
        super().__init__(env)
        self.witness_keys = witness_keys
        self.stall_grace_seconds = stall_grace_seconds
        """How long past a service's checkpoint interval its log may owe one (`log-stalled`)."""
        self._witness_records: dict[UUID, Aggregate] = {}
        """The witness's records, kept loaded: one is touched by every received event, and
        only this application (under the consumer lock) writes them."""
        self._witness_ids: dict[tuple[Callable[[str], Any], str], UUID] = {}
        """Each witness record's id by kind and service (a uuid5 each event otherwise)."""
        self._archives = KeptRecords(kept_archives)
        """Proposals' archives kept loaded (`services.reporting.kept`): a proposal's events come
        close together, and loading its archive from the store cost more than archiving."""
        self.upstreams = upstreams
        self.working_days = WorkingDays(jurisdiction, rule_sets_dir)
        self.projections = Projections(self, self.working_days, cache_size=cache_size)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(SetAsList())

    # ------------------------------------------------------------------ commands

    def handle(self, command: ArchiveCommand, tracking: Tracking) -> bool:
        """The one way a message changes the archive: note a jump in the stream's sequence (an
        alarm), have the command apply itself to the records it names, and commit what it
        changed with the upstream position. False when it kept nothing new (the position is
        recorded all the same, so the redelivery is acked and never re-read). Refusals
        propagate unchanged, and the witness records loaded for the command are forgotten."""
        with self._witnessing():
            gap = self._gap_before(tracking, command.event_id)
            outcome = command.apply(_Context(self, tracking, gap))
            # Only what changed: collecting from a record with nothing pending costs checks.
            self.record(*(r for r in outcome.changed if r and r.pending_events), tracking=tracking)
            return outcome.kept

    # The consumers and the tests name a message by its method; each builds the command.

    def archive(
        self, event: IntegrationEvent, tracking: Tracking, observed: LogObservation | None = None
    ) -> None:
        """Consumer handler: keep one received event with where it came from."""
        self.handle(Archive(event.model_dump(mode="json"), observed), tracking)

    def archive_body(
        self,
        body: Mapping[str, Any],
        tracking: Tracking,
        observed: LogObservation | None = None,
    ) -> bool:
        """Archive a contract's JSON body; False when its event id was already archived."""
        return self.handle(Archive(body, observed), tracking)

    def witness_checkpoint(self, body: Mapping[str, Any], tracking: Tracking) -> bool:
        return self.handle(WitnessCheckpoint(body), tracking)

    def witness_service_alarm(self, body: Mapping[str, Any], tracking: Tracking) -> bool:
        return self.handle(WitnessServiceAlarm(body), tracking)

    def witness_heartbeat(self, body: Mapping[str, Any], tracking: Tracking) -> bool:
        return self.handle(WitnessHeartbeat(body), tracking)

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
        """Keep a message that no contract accepts at its stream position, once (False if
        already recorded): the dead-letter path, outside the consumer's own processing."""
        tracking = Tracking(stream, seq)
        with self.consumer_lock:
            if self.has_processed(stream, seq):
                return False
            return self.handle(Quarantine(subject, headers, data, reason, deliveries), tracking)

    def _witness_record(self, kind: Callable[[str], Any], service: str) -> Any:
        record_id = self._witness_ids.get((kind, service))
        if record_id is None:
            record_id = self._witness_ids[kind, service] = kind.create_id(service)  # type: ignore[attr-defined]
        record = self._witness_records.get(record_id)
        if record is None:
            record = self._held(record_id) or kind(service)
            self._witness_records[record_id] = record
        return record

    @contextmanager
    def _witnessing(self) -> Iterator[None]:
        """On any failure forget the records kept loaded: their unsaved changes must not be
        seen by the retry."""
        try:
            yield
        except BaseException:
            self.forget_uncommitted()
            raise

    def forget_uncommitted(self) -> None:
        """Forget every record kept loaded (the witness's, the archives): a command or the
        consumer batch around it did not commit, so they may hold changes the store lacks."""
        self._witness_records.clear()
        self._archives.forget()

    def take_snapshot(
        self, aggregate_id: UUID, version: int | None = None, projector_func: Any = replay
    ) -> None:
        """Snapshot a record at `version` from its copy kept loaded when that copy is at that
        version and holds nothing unrecorded: it is what a replay of the store would rebuild
        (only this application writes it). Otherwise from the store, as eventsourcing does."""
        kept: Any = self._archives.peek(aggregate_id) or self._witness_records.get(aggregate_id)
        if (
            kept is None
            or version is None
            or kept.version != version
            or kept.pending_events
            or self.snapshots is None
        ):
            super().take_snapshot(aggregate_id, version, projector_func)
            return
        snapshot_class: Any = getattr(type(kept), "Snapshot", type(self).snapshot_class)
        self.snapshots.put([snapshot_class.take(kept)])

    def _gap_before(self, tracking: Tracking, event_id: str | None) -> UpstreamWatch | None:
        """The consumer reads every sequence in order; a jump means lost messages (an alarm)."""
        last = self.recorded_position(tracking.application_name) or 0
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
        archive: ProposalArchive | None = self._archives.get(
            ProposalArchive.create_id(proposal_id), self._held
        )
        if archive is None:
            archive = ProposalArchive(proposal_id)
            self._archives.keep(archive)
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
            fold(Folding(facts, self.working_days), ArchivedEvent.of(entry))
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
            return self.repository.get(record_id, projector_func=replay)
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
        """JSON Lines: every archived event whose local day is in first..last, in archive order."""
        for _, _, entry in self.exported(first, last, proposals=proposals):
            yield orjson.dumps(entry) + b"\n"

    def exported(
        self, first: date, last: date, *, proposals: set[str] | None = None
    ) -> Iterator[tuple[UUID, int, dict[str, Any]]]:
        """Every archived event whose local day is in first..last, in archive order, with its
        archive record and version there (where reporting's log proves it).

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
                    archived = self.mapper.to_domain_event(notification)
                    entry = archived.entry  # type: ignore[attr-defined]
                    day = local_day(entry["occurred_at"])
                    if first_day <= day <= last_day and (
                        proposals is None or str(entry["body"].get("proposal_id")) in proposals
                    ):
                        yield archived.originator_id, archived.originator_version, entry
                position = page[-1].id + 1


@dataclass(frozen=True)
class _Context:
    """`commands.ArchiveContext` for one message."""

    app: ReportingApplication
    tracking: Tracking
    gap: UpstreamWatch | None

    @property
    def upstream_stream(self) -> str:
        return self.tracking.application_name

    @property
    def upstream_seq(self) -> int:
        return self.tracking.notification_id

    @property
    def service(self) -> str:
        return self.app.name

    @property
    def stall_grace_seconds(self) -> float:
        return self.app.stall_grace_seconds

    def watch(self, stream: str) -> UpstreamWatch:
        return self.app._watch(stream)

    def archive_of(self, proposal_id: UUID) -> ProposalArchive:
        return self.app._archive_of(proposal_id)

    def witnessed_log(self, service: str) -> WitnessedLog:
        log: WitnessedLog = self.app._witness_record(WitnessedLog, service)
        return log

    def witnessed_leaves(self, service: str) -> WitnessedLeaves:
        leaves: WitnessedLeaves = self.app._witness_record(WitnessedLeaves, service)
        return leaves

    def trusted_keys(self, service: str, key_id: str) -> Mapping[str, Any]:
        keys = self.app.witness_keys
        return keys.trusted.of(service, key_id) if keys is not None else {}

    def cosign(self, verified: Checkpoint) -> Mapping[str, Any] | None:
        keys = self.app.witness_keys
        if keys is None:
            return None
        return cosign_checkpoint(keys.own.private_key, verified, witness_id=self.app.name).to_dict()
