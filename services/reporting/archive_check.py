"""Reporting's archive against the signed logs of registration and approval (issue #12 §6).

`d73 verify reporting` first checks reporting's own log: the archive as reporting signed it. That
alone trusts reporting's key. This check ties each archived event to its *source's* signature:

- the leaves of each upstream log, as the witness recorded them from the published events'
  heads (`WitnessedLeaves`: `LeavesWitnessed`, and `Resumed` where it took a log back up from a
  checkpoint's frontier), rebuild that log's roots;
- each checkpoint the witness kept (`WitnessedLog`: `CheckpointWitnessed`) must carry a valid
  signature of a trusted key of its service, and its root must be the root of those leaves;
- each archived event keeps its upstream leaf hash and log index (`entry["log"]`): that leaf must
  be the witnessed leaf at that index, its root the root at that size, and a verified checkpoint
  must cover it.

So an archive row whose leaf was changed, a witnessed leaf or checkpoint forged in reporting's
store, or a log that does not reach what the services signed are problems, even for someone who
holds reporting's key. What an event *says* (its body) is bound to its leaf by reporting's own
log; against the source's store, `d73 verify <source>` checks the rest of the chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.utils import get_topic

from services.reporting.domain.archive import ProposalArchive
from services.reporting.domain.witness import WitnessedLeaves, WitnessedLog
from shared.platform.subjects import STREAM_OF_SERVICE
from shared.records.merkle.stored_state import entry_state
from shared.records.merkle.tree import CompactRange
from shared.records.merkle.verify import ProblemCode, VerificationReport
from shared.records.servicelog.verify import (
    CheckpointSource,
    parsed_checkpoints,
    signed_checkpoints,
)

UPSTREAMS: tuple[str, ...] = tuple(STREAM_OF_SERVICE)
"""The services whose logs reporting witnesses and whose events it archives."""

LEAVES: type = getattr(WitnessedLeaves, "LeavesWitnessed")  # noqa: B009 — made by @event
RESUMED: type = getattr(WitnessedLeaves, "Resumed")  # noqa: B009
WITNESSED: type = getattr(WitnessedLog, "CheckpointWitnessed")  # noqa: B009
ARCHIVED: type = getattr(ProposalArchive, "Archived")  # noqa: B009
TOPICS = frozenset(get_topic(kind) for kind in (LEAVES, RESUMED, WITNESSED, ARCHIVED))
"""The stored events this check reads (the others need not be decoded)."""
_SIGNED = ("service", "tree_size", "root_hash", "time", "key_id", "signature")


@dataclass
class _Followed:
    """One upstream log as reporting's store holds it."""

    leaves: list[bytes | None] = field(default_factory=list)
    """Leaf hash by index; None where the witness took the log up from a frontier."""
    resumptions: dict[int, tuple[bytes, ...]] = field(default_factory=dict)
    checkpoints: list[Mapping[str, Any]] = field(default_factory=list)
    archived: list[Mapping[str, Any]] = field(default_factory=list)

    def take(self, first_index: int, leaves: list[str]) -> None:
        del self.leaves[first_index:]
        self.leaves.extend([None] * (first_index - len(self.leaves)))
        self.leaves.extend(bytes.fromhex(leaf) for leaf in leaves)

    def roots(self, wanted: set[int]) -> dict[int, bytes]:
        """The root at each wanted size the witnessed leaves (and frontiers) reach."""
        roots: dict[int, bytes] = {}
        log: CompactRange | None = CompactRange()
        for size in range(len(self.leaves) + 1):
            if size in self.resumptions:
                log = CompactRange(size, self.resumptions[size])
                if size in wanted:
                    roots[size] = log.root()
            if size == len(self.leaves):
                break
            leaf = self.leaves[size]
            if leaf is None or log is None:
                log = None  # not followed here: nothing until the next resumption
                continue
            root = log.append(leaf)
            if size + 1 in wanted:
                roots[size + 1] = root
        for size, frontier in self.resumptions.items():
            if size > len(self.leaves) and size in wanted:
                roots[size] = CompactRange(size, frontier).root()
        return roots


def read_followed(events: Iterable[Any]) -> dict[str, _Followed]:
    """The upstream logs and archive rows in reporting's stored events (notification order)."""
    followed = {service: _Followed() for service in UPSTREAMS}
    leaves_of = {WitnessedLeaves.create_id(service): service for service in UPSTREAMS}
    log_of = {WitnessedLog.create_id(service): service for service in UPSTREAMS}
    for event in events:
        originator: UUID = event.originator_id
        kind = type(event)
        if kind is LEAVES and originator in leaves_of:
            followed[leaves_of[originator]].take(event.first_index, event.leaves)
        elif kind is RESUMED and originator in leaves_of:
            log = followed[leaves_of[originator]]
            log.resumptions[event.tree_size] = tuple(bytes.fromhex(n) for n in event.frontier)
            del log.leaves[event.tree_size :]
            log.leaves.extend([None] * (event.tree_size - len(log.leaves)))
        elif kind is WITNESSED and originator in log_of:
            followed[log_of[originator]].checkpoints.append(event.checkpoint)
        elif kind is ARCHIVED:
            where = event.entry.get("log")
            if isinstance(where, Mapping) and where.get("service") in followed:
                followed[where["service"]].archived.append(
                    {**where, "event_id": event.entry.get("event_id")}
                )
    return followed


def check_archive(
    report: VerificationReport,
    events: Iterable[Any],
    keys: Mapping[str, Mapping[str, Ed25519PublicKey]],
) -> None:
    """Add to `report` what is wrong between the archive and the upstream logs; `keys`: the
    trusted public keys of each upstream service, by key id."""
    for service, log in read_followed(events).items():
        if not log.checkpoints and not log.archived:
            continue
        trusted = keys.get(service, {})
        if not trusted:
            report.add(
                ProblemCode.WRONG_KEY,
                f"no trusted key of {service}: the archive cannot be checked against its log",
            )
            continue
        _check_upstream(report, service, log, trusted)


def _check_upstream(
    report: VerificationReport,
    service: str,
    log: _Followed,
    keys: Mapping[str, Ed25519PublicKey],
) -> None:
    sizes = {int(c["tree_size"]) for c in log.checkpoints}
    sizes |= {int(row["position"]) for row in log.archived}
    roots = log.roots(sizes)
    witnessed = CheckpointSource(
        "witnessed by reporting",
        [{name: body.get(name) for name in _SIGNED} for body in log.checkpoints],
    )
    usable = signed_checkpoints(
        report, parsed_checkpoints(report, witnessed), witnessed.name, service, keys
    )
    anchored: list[int] = []
    for signed in usable:
        size, computed = signed.tree_size, roots.get(signed.tree_size)
        if computed is None:
            continue  # beyond the leaves followed, or where the witness was stopped
        if computed.hex() != signed.root_hash:
            report.add(
                ProblemCode.ROOT_MISMATCH,
                f"the checkpoint of {service} of size {size} reporting witnessed has root "
                f"{signed.root_hash}; the leaves reporting witnessed make {computed.hex()}: "
                f"its store does not hold what {service} published",
                tree_size=size,
            )
            continue
        anchored.append(size)
    largest = max(anchored, default=0)
    proven = unfollowed = uncovered = 0
    for row in log.archived:
        index, size = int(row["leaf_index"]), int(row["position"])
        leaf = log.leaves[index] if index < len(log.leaves) else None
        where = f"archived event {row['event_id']} ({service} leaf {index})"
        if leaf is None:
            unfollowed += 1
            continue
        computed = roots.get(size)
        if leaf.hex() != row["leaf_hash"] or (
            computed is not None and computed.hex() != row["root_hash"]
        ):
            report.add(
                ProblemCode.ARCHIVE_LEAF_MISMATCH,
                f"{where} keeps leaf {row['leaf_hash']} and root {row['root_hash']}; the log "
                f"{service} published has leaf {leaf.hex()} and root "
                f"{computed.hex() if computed is not None else '?'} there",
                position=index + 1,
                tree_size=size,
            )
        elif index < largest:
            proven += 1
        else:
            uncovered += 1
    report.proofs_checked += proven
    report.notes.append(
        f"{proven} archived event(s) of {service} are leaves of its log under a checkpoint it "
        f"signed ({len(anchored)} of {len(log.checkpoints)} witnessed checkpoints match the "
        "witnessed leaves)"
    )
    if uncovered:
        report.notes.append(
            f"{uncovered} archived event(s) of {service} are not covered by a witnessed "
            "checkpoint yet"
        )
    if unfollowed:
        report.notes.append(
            f"{unfollowed} archived event(s) of {service} arrived while the witness was not "
            "following its log (after a log alarm): their leaves are unchecked"
        )


def check_exported(report: VerificationReport, events: object, bundle: Mapping[str, Any]) -> None:
    """An export or history document (`events` next to its `proof`): each event must be, as
    it reads, an archive entry the bundle proves (`verify_bundle` checks those proofs), so an
    event edited in the document, or one the proof leaves out, is a problem."""
    proved: dict[str, Any] = {}
    archived_topic = get_topic(ARCHIVED)
    for item in bundle.get("selected") or []:
        entry = item.get("entry") if isinstance(item, Mapping) else None
        if isinstance(entry, Mapping) and entry.get("topic") == archived_topic:
            kept = entry_state(entry).get("entry")
            if isinstance(kept, Mapping):
                proved[str(kept.get("event_id"))] = kept
    if not isinstance(events, list):
        report.add(ProblemCode.MALFORMED_BUNDLE, "events must be a list")
        return
    for number, event in enumerate(events, start=1):
        event_id = event.get("event_id") if isinstance(event, Mapping) else None
        kept = proved.get(str(event_id))
        if kept is None:
            report.add(
                ProblemCode.EVENT_NOT_PROVED,
                f"event #{number} ({event_id}) is not among the archive entries the proof "
                "carries (archived after the latest checkpoint, or not from this archive)",
            )
        elif kept != event:
            changed = sorted(k for k in {*kept, *event} if kept.get(k) != event.get(k))
            report.add(
                ProblemCode.EVENT_MISMATCH,
                f"event #{number} ({event_id}) differs from the signed archive entry in "
                f"{', '.join(changed)}",
            )
    report.notes.append(f"{len(events)} event(s) compared with the archive entries proved")
