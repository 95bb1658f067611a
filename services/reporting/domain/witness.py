"""Nhân chứng — reporting witnesses every publishing service's log (issue #6; design.md §4).

Two records per service:

- `WitnessedLeaves` follows the log leaf by leaf. Each published event names, in its headers,
  the leaf hashes of every entry since the previous published event (private drafts included),
  so the witness recomputes the root after each event itself and compares it with the root the
  service states. A gap, a missing or malformed head, or a root that differs raises an alarm and
  stops the following: this witness no longer knows the leaves. It resumes at the next verified
  checkpoint that carries the log's frontier (the perfect-subtree roots that fold to its signed
  root) and falls inside the events it held meanwhile: from there it follows the leaves again.
- `WitnessedLog` keeps the service's signed checkpoints. Each one must be signed by a trusted
  key of that service and extend the checkpoint before it (its RFC 9162 consistency proof); its
  root must equal the root the witness computed from the leaves at that size. A checkpoint that
  passes the first two is cosigned; a second root for one size is a fork (equivocation).

`WitnessedLog` also hears the service's heartbeats (`d73.audit.heartbeat.<service>`, on the same
stream as its checkpoints, so in the order they were sent): whether it takes commands and how
many stored events its log must cover. A service that takes commands while its log owes a
checkpoint beyond the largest one the witness holds, and sends none within its own checkpoint
interval plus a grace, has a log that stopped growing (`log-stalled`): a hung relay, a blocked
publisher, or checkpoints withheld from the witness. Times are the heartbeats' own, so the same
stream replayed gives the same alarms.

Every alarm is an event (`AlarmRaised`) of these records, kept for the auditor API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.domain import Aggregate, event

from shared.platform.halt import ALARMING as HALTS
from shared.records.merkle.checkpoint import Checkpoint, verify_checkpoint
from shared.records.merkle.errors import AuditError
from shared.records.merkle.tree import CompactRange, verify_consistency
from shared.records.servicelog.heads import PublishedHead

RECENT_ROOTS = 1024
"""Roots kept for the latest leaf sizes: a checkpoint that arrives after the events it covers
(it travels on another stream) is still compared with the leaves."""
HELD_HEADS = 256
"""Heads kept while stopped, to resume from a checkpoint that falls among them."""
HELD_ANCHORS = 16
"""Verified checkpoints with a frontier kept ahead of the leaves, to resume at after a stop."""
STALL_GRACE_SECONDS = 60.0
"""How long past its own checkpoint interval a service that takes commands may leave its log
without a new checkpoint before the witness says the log stalled."""


class AlarmKind(StrEnum):
    LOG_GAP = "log-gap"
    """Leaves of the log never reached the witness (published events lost or withheld)."""
    MISSING_LOG_HEAD = "missing-log-head"
    """An event of a service that keeps a log came without its log headers."""
    MALFORMED_LOG_HEAD = "malformed-log-head"
    ROOT_MISMATCH = "root-mismatch"
    """The root an event states is not the root of the leaves the witness saw."""
    UNKNOWN_KEY = "unknown-key"
    BAD_SIGNATURE = "bad-signature"
    MALFORMED_CHECKPOINT = "malformed-checkpoint"
    INCONSISTENT_CHECKPOINT = "inconsistent-checkpoint"
    """A checkpoint's log does not extend the previous checkpoint's (history rewritten)."""
    CHECKPOINT_MISMATCH = "checkpoint-mismatch"
    """A signed root differs from the root of the leaves the witness followed."""
    FORK = "fork"
    """Two signed roots for one tree size: the service showed two histories."""
    LOG_STALLED = "log-stalled"
    """The service takes commands and its log owes a checkpoint, but none came within its
    checkpoint interval plus the witness's grace: the log stopped growing for the witness."""
    SERVICE_HALTED = "service-halted"
    """The service itself stopped taking commands (`shared.platform.halt`: relay blocked or
    diverged, its own log found tampered) and said so on `d73.audit.alarm.<service>`."""
    SERVICE_ALARM = "service-alarm"
    """The service set something aside and went on (issue #11 §2): a message dead-lettered by
    one of its consumers, an archived event a read model could not apply."""


def _alarm(kind: AlarmKind, service: str, detail: str, at: str, **where: Any) -> dict[str, Any]:
    return {"kind": str(kind), "service": service, "detail": detail, "detected_at": at, **where}


class WitnessedLeaves(Aggregate):
    """The leaves of one service's log, as its published events revealed them in order."""

    @staticmethod
    def create_id(service: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/d73/reporting/witness/{service}/leaves")

    @event("Started")
    def __init__(self, service: str) -> None:
        self.service = service
        self.size = 0
        self.frontier: list[str] = []
        self.recent: dict[str, str] = {}
        """tree size (as text) → root, for the latest `RECENT_ROOTS` sizes."""
        self.stopped: dict[str, Any] | None = None
        """The alarm after which the leaves can no longer be followed."""
        self.alarms: list[dict[str, Any]] = []
        self.held: list[dict[str, Any]] = []
        """While stopped: the heads received since, oldest first."""
        self.anchors: dict[str, list[str]] = {}
        """Tree size → frontier, of verified checkpoints the leaves have not reached."""
        self.resumptions: list[dict[str, Any]] = []

    def root_at(self, size: int) -> str | None:
        """The root this witness computed for `size`, if still among the recent ones."""
        return self.recent.get(str(size))

    def observe(
        self, head: PublishedHead | None, *, event_id: str, upstream_seq: int, at: str
    ) -> dict[int, str]:
        """Follow one published event; the roots of the sizes it added (for checkpoints)."""
        if self.stopped is not None:
            if head is None:
                return {}
            self._hold(head, event_id, upstream_seq)
            return self._resume(at)
        where = {"event_id": event_id, "upstream_seq": upstream_seq}
        if head is None:
            self._stop(AlarmKind.MISSING_LOG_HEAD, "the event carries no log headers", at, where)
            return {}
        if head.tree_size <= self.size:
            # Seen before (republished after a crash): it must state the same root again.
            known = self.root_at(head.tree_size)
            if known is not None and known != head.root.hex():
                self._stop(
                    AlarmKind.ROOT_MISMATCH,
                    f"republished with root {head.root.hex()} for size {head.tree_size}, "
                    f"witnessed {known}",
                    at,
                    {**where, "tree_size": head.tree_size},
                )
            return {}
        if head.first_index > self.size:
            self._stop(
                AlarmKind.LOG_GAP,
                f"leaves {self.size}..{head.first_index - 1} never reached the witness",
                at,
                {**where, "first_missing": self.size, "last_missing": head.first_index - 1},
            )
            self._hold(head, event_id, upstream_seq)  # the first leaves after the gap
            return {}
        grown = _Grown.of(self.size, self.frontier, head.leaves[self.size - head.first_index :])
        if grown.root != head.root.hex():
            self._stop(
                AlarmKind.ROOT_MISMATCH,
                f"the event states root {head.root.hex()} for size {head.tree_size}; its "
                f"leaves make {grown.root}",
                at,
                {**where, "tree_size": head.tree_size},
            )
            return {}
        self._grown = grown  # what the event's own application would compute again
        self._leaves_witnessed(grown.first, list(grown.leaves))
        return dict(grown.roots)

    def _hold(self, head: PublishedHead, event_id: str, upstream_seq: int) -> None:
        self._head_held(
            {
                "first_index": head.first_index,
                "leaves": [leaf.hex() for leaf in head.leaves],
                "root": head.root.hex(),
                "event_id": event_id,
                "upstream_seq": upstream_seq,
            }
        )

    def offer_anchor(self, size: int, frontier: list[str], root: str, at: str) -> dict[int, str]:
        """A verified checkpoint's frontier: where to resume if stopped, now or when the leaves
        stop before reaching it (the checkpoint may arrive first: it travels on another stream).
        The roots of the sizes the held events then add (for checkpoints), or nothing."""
        if size <= self.size or str(size) in self.anchors:
            return {}
        try:
            folded = CompactRange(size, [bytes.fromhex(node) for node in frontier]).root()
        except ValueError:
            return {}
        if folded.hex() != root:
            return {}  # not this checkpoint's log: unsigned data that does not fold to the root
        self._anchor_offered(size, list(frontier))
        return self._resume(at) if self.stopped is not None else {}

    def _resume(self, at: str) -> dict[int, str]:
        """Follow again from the earliest anchor that falls among the held heads."""
        for size in sorted(map(int, self.anchors)):
            start = next(
                (
                    i
                    for i, held in enumerate(self.held)
                    if held["first_index"] <= size <= held["first_index"] + len(held["leaves"])
                ),
                None,
            )
            if start is None:
                continue
            replay = self.held[start:]
            self._resumed(size, self.anchors[str(size)], at)
            roots: dict[int, str] = {}
            for held in replay:
                head = PublishedHead(
                    held["first_index"],
                    tuple(bytes.fromhex(leaf) for leaf in held["leaves"]),
                    bytes.fromhex(held["root"]),
                )
                roots |= self.observe(
                    head, event_id=held["event_id"], upstream_seq=held["upstream_seq"], at=at
                )
                if self.stopped is not None:
                    break
            return roots
        return {}

    def malformed(self, detail: str, *, event_id: str, upstream_seq: int, at: str) -> None:
        if self.stopped is None:
            where = {"event_id": event_id, "upstream_seq": upstream_seq}
            self._stop(AlarmKind.MALFORMED_LOG_HEAD, detail, at, where)

    def _stop(self, kind: AlarmKind, detail: str, at: str, where: dict[str, Any]) -> None:
        self._alarm_raised(_alarm(kind, self.service, detail, at, **where))

    @event("LeavesWitnessed")
    def _leaves_witnessed(self, first_index: int, leaves: list[str]) -> None:
        grown: _Grown | None = self.__dict__.pop("_grown", None)  # never kept with the record
        if first_index != self.size:
            raise ValueError(f"leaves from {first_index} cannot follow size {self.size}")
        if grown is None or grown.first != first_index or list(grown.leaves) != leaves:
            grown = _Grown.of(self.size, self.frontier, [bytes.fromhex(leaf) for leaf in leaves])
        for size, root in grown.roots:
            self.recent[str(size)] = root
        self.size = grown.size
        self.frontier = list(grown.frontier)
        for passed in [size for size in self.anchors if int(size) <= self.size]:
            del self.anchors[passed]
        while len(self.recent) > RECENT_ROOTS:
            del self.recent[next(iter(self.recent))]  # the oldest: dicts keep insertion order

    @event("HeadHeld")
    def _head_held(self, head: dict[str, Any]) -> None:
        self.held = [*self.held[-(HELD_HEADS - 1) :], head]

    @event("AnchorOffered")
    def _anchor_offered(self, tree_size: int, frontier: list[str]) -> None:
        self.anchors[str(tree_size)] = frontier
        while len(self.anchors) > HELD_ANCHORS:
            del self.anchors[min(self.anchors, key=int)]

    @event("Resumed")
    def _resumed(self, tree_size: int, frontier: list[str], at: str) -> None:
        root = CompactRange(tree_size, [bytes.fromhex(node) for node in frontier]).root()
        self.resumptions.append(
            {"tree_size": tree_size, "after": self.stopped, "resumed_at": at, "root": root.hex()}
        )
        self.size, self.frontier = tree_size, list(frontier)
        self.recent[str(tree_size)] = root.hex()
        self.stopped, self.held, self.anchors = None, [], {}

    @event("AlarmRaised")
    def _alarm_raised(self, alarm: dict[str, Any]) -> None:
        self.alarms.append(alarm)
        self.stopped = alarm


@dataclass(frozen=True, slots=True)
class _Grown:
    """A log's size and frontier grown by some leaves, with the root after each one (hex).

    `observe` checks the stated root with it and hands it to its `LeavesWitnessed` event, whose
    application would compute the same (one SHA-256 per leaf and one per frontier node, each
    done twice per event otherwise); replayed from the store, the event computes it itself."""

    first: int
    leaves: tuple[str, ...]
    roots: tuple[tuple[int, str], ...]
    """(tree size, root) after each leaf."""
    size: int
    frontier: tuple[str, ...]

    @property
    def root(self) -> str:
        return self.roots[-1][1]

    @classmethod
    def of(cls, size: int, frontier: Sequence[str], leaves: Sequence[bytes]) -> _Grown:
        log = CompactRange(size, [bytes.fromhex(node) for node in frontier])
        roots = tuple((size + n, log.append(leaf).hex()) for n, leaf in enumerate(leaves, 1))
        return cls(
            size,
            tuple(leaf.hex() for leaf in leaves),
            roots,
            log.size,
            tuple(node.hex() for node in log.frontier),
        )


class WitnessedLog(Aggregate):
    """The checkpoints one service published, as this witness received and checked them."""

    @staticmethod
    def create_id(service: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/d73/reporting/witness/{service}")

    @event("Started")
    def __init__(self, service: str) -> None:
        self.service = service
        self.roots: dict[str, str] = {}
        """tree size (as text) → root hash, of every checkpoint held."""
        self.conflicts: list[dict[str, Any]] = []
        self.pending: dict[str, str] = {}
        """Checkpoints larger than the leaves followed so far: compared when the leaves arrive."""
        self.alarms: list[dict[str, Any]] = []
        self.cosigned = 0
        self.largest = 0

    largest: int | None = None
    """The largest tree size of a checkpoint held: how far the witness knows the log grew (None
    in a record stored before it was kept: worked out from `roots` when first needed)."""
    owed: dict[str, Any] | None = None
    """Since when (the service's heartbeat time) the log owes a checkpoint beyond `largest`,
    and whether the stall alarm was raised."""

    @property
    def signed_size(self) -> int:
        """The largest tree size held (worked out once for a record stored without it)."""
        if self.largest is None:
            self.largest = max(map(int, self.roots), default=0)
        return self.largest

    def heartbeat(self, beat: Mapping[str, Any], *, grace_seconds: float, at: str) -> None:
        """A heartbeat of the service: `log-stalled` when it takes commands, its log owes a
        checkpoint beyond the largest held, and none came within its interval plus the grace
        (measured from the first heartbeat that found the log owing, or from when the service
        reached NATS again if that is later: nothing could leave before)."""
        said_at = datetime.fromisoformat(str(beat["occurred_at"]))
        held, due = self.signed_size, int(beat["log_due"])
        if not beat["accepting"] or due <= held:
            if self.owed is not None:
                self._settled(held)  # caught up, or halted (its own alarm says so)
            return
        owed = self.owed
        if owed is None or owed["held"] != held:
            self._owed(said_at.isoformat(), held, due)  # owing anew: the log grew meanwhile
            return
        bound = float(beat["checkpoint_every_seconds"]) + grace_seconds
        since = datetime.fromisoformat(owed["since"])
        if beat.get("connected_since"):  # NATS was away: the wait counts from its return
            since = max(since, datetime.fromisoformat(str(beat["connected_since"])))
        waited = (said_at - since).total_seconds()
        if waited <= bound or owed["alarmed"]:
            return
        detail = (
            f"{self.service} takes commands and its log holds at least {due} entries since "
            f"{owed['since']}, but the largest checkpoint the witness holds is of size {held}: "
            f"none came for {waited:.0f} s (its interval "
            f"{float(beat['checkpoint_every_seconds']):g} s + {grace_seconds:g} s)"
        )
        where = {"tree_size": held, "log_due": due, "since": owed["since"]}
        self._raise(AlarmKind.LOG_STALLED, detail, at, where)

    def witness(
        self,
        body: Mapping[str, Any],
        *,
        keys: Mapping[str, Ed25519PublicKey],
        leaves: WitnessedLeaves,
        at: str,
    ) -> Checkpoint | None:
        """Check and keep one checkpoint message; the checkpoint if this witness may cosign it
        (signed by a trusted key and extending the checkpoint before it), else None."""
        size, root = int(body["tree_size"]), str(body["root_hash"])
        where = {"tree_size": size, "upstream_seq": body.get("upstream_seq")}
        try:
            signed = Checkpoint.from_dict({k: v for k, v in body.items() if k in _SIGNED})
        except AuditError as error:
            self._raise(AlarmKind.MALFORMED_CHECKPOINT, str(error), at, where)
            return None
        key = keys.get(signed.key_id)
        if key is None:
            detail = f"signed with key {signed.key_id}, which is not trusted for {self.service}"
            self._raise(AlarmKind.UNKNOWN_KEY, detail, at, where)
            return None
        try:
            verify_checkpoint(key, signed, service=self.service)
        except AuditError as error:
            self._raise(AlarmKind.BAD_SIGNATURE, str(error), at, where)
            return None
        known = self.roots.get(str(size))
        if known == root:
            return None
        if known is not None:
            self._conflicting({"tree_size": size, "held_root": known, "new_root": root})
            detail = f"size {size} was signed with root {known} and now with {root}"
            self._raise(AlarmKind.FORK, detail, at, where)
            return None
        consistency = self._consistency(body.get("consistency"), size, root)
        leaf_check = self._against_leaves(size, root, leaves)
        self._witnessed(
            {**body, "verification": {"consistency": consistency, "leaves": leaf_check}}
        )
        if consistency == "failed":
            detail = f"size {size} does not extend the checkpoint before it"
            self._raise(AlarmKind.INCONSISTENT_CHECKPOINT, detail, at, where)
        if leaf_check == "mismatch":
            self._mismatch(size, root, leaves.root_at(size), at)
        return signed if consistency in ("verified", "first") else None

    def _consistency(self, proof: Mapping[str, Any] | None, size: int, root: str) -> str:
        """ "verified", "first" (nothing before it), "failed" or "unchecked" (no anchor held)."""
        first = int(proof["first_size"]) if proof is not None else 0
        if proof is None or first == 0:
            return "first" if not self.roots else "unchecked"
        anchor = self.roots.get(str(first))
        if anchor is None:
            return "unchecked"
        try:
            path = [bytes.fromhex(node) for node in proof["path"]]
            verify_consistency(first, size, bytes.fromhex(anchor), bytes.fromhex(root), path)
        except (AuditError, ValueError):
            return "failed"
        return "verified"

    def _against_leaves(self, size: int, root: str, leaves: WitnessedLeaves) -> str:
        """ "matched", "mismatch", "pending" (leaves not there yet) or "unchecked"."""
        if size > leaves.size:
            return "unchecked" if leaves.stopped is not None else "pending"
        computed = leaves.root_at(size)
        if computed is None:
            return "unchecked"
        return "matched" if computed == root else "mismatch"

    def leaves_reached(self, roots: Mapping[int, str], at: str) -> None:
        """Compare the pending checkpoints with the roots the leaves just gave."""
        for size_text, root in list(self.pending.items()):
            computed = roots.get(int(size_text))
            if computed is None:
                continue
            if computed == root:
                self._matched(int(size_text))
            else:
                self._mismatch(int(size_text), root, computed, at)

    def cosign(self, checkpoint: Checkpoint, cosignature: Mapping[str, Any]) -> None:
        """Keep this witness's cosignature of a checkpoint it verified (with the checkpoint's
        signed fields, so the cosigned statement can be published on its own)."""
        if self.roots.get(str(checkpoint.tree_size)) != checkpoint.root_hash:
            raise ValueError(f"the checkpoint of size {checkpoint.tree_size} is not held")
        signed = {k: v for k, v in checkpoint.to_dict().items() if k in _SIGNED}
        self._cosigned(checkpoint.tree_size, dict(cosignature), signed)

    def service_halted(self, alarm: Mapping[str, Any], upstream_seq: int, at: str) -> None:
        """The service's own alarm: it refuses commands until an operator acts (a halt), or
        it set something aside and went on (a dead letter: `service-alarm`)."""
        if any(kept.get("event_id") == str(alarm.get("id")) for kept in self.alarms):
            return  # the same alarm delivered again (a replay from the stream)
        kind = str(alarm.get("kind"))
        detail = f"{kind}: {alarm.get('detail')}"
        halted = kind in set(HALTS)
        where = {
            "halt" if halted else "reported": kind,
            "since": str(alarm.get("since")),
            "action": str(alarm.get("action")),
            "event_id": str(alarm.get("id")),
            "upstream_seq": upstream_seq,
        }
        self._raise(
            AlarmKind.SERVICE_HALTED if halted else AlarmKind.SERVICE_ALARM, detail, at, where
        )

    def _mismatch(self, size: int, root: str, computed: str | None, at: str) -> None:
        detail = f"size {size} was signed with root {root}; the published leaves make {computed}"
        self._raise(AlarmKind.CHECKPOINT_MISMATCH, detail, at, {"tree_size": size})

    def _raise(self, kind: AlarmKind, detail: str, at: str, where: dict[str, Any]) -> None:
        self._alarm_raised(_alarm(kind, self.service, detail, at, **where))

    @event("CheckpointWitnessed")
    def _witnessed(self, checkpoint: dict[str, Any]) -> None:
        size = str(checkpoint["tree_size"])
        self.roots[size] = str(checkpoint["root_hash"])
        self.largest = max(self.signed_size, int(size))
        if checkpoint.get("verification", {}).get("leaves") == "pending":
            self.pending[size] = self.roots[size]

    @event("CheckpointMatched")
    def _matched(self, tree_size: int) -> None:
        self.pending.pop(str(tree_size), None)

    @event("CheckpointCosigned")
    def _cosigned(
        self, tree_size: int, cosignature: dict[str, Any], checkpoint: dict[str, Any]
    ) -> None:
        self.cosigned += 1

    @event("ConflictingCheckpoint")
    def _conflicting(self, conflict: dict[str, Any]) -> None:
        self.conflicts.append(conflict)

    @event("CheckpointOwed")
    def _owed(self, since: str, held: int, due: int) -> None:
        self.owed = {"since": since, "held": held, "due": due, "alarmed": False}

    @event("CheckpointOwedSettled")
    def _settled(self, held: int) -> None:
        self.owed = None

    @event("AlarmRaised")
    def _alarm_raised(self, alarm: dict[str, Any]) -> None:
        self.alarms.append(alarm)
        if alarm["kind"] == AlarmKind.CHECKPOINT_MISMATCH:
            self.pending.pop(str(alarm["tree_size"]), None)
        if alarm["kind"] == AlarmKind.LOG_STALLED and self.owed is not None:
            self.owed = {**self.owed, "alarmed": True}


_SIGNED = frozenset({"service", "tree_size", "root_hash", "time", "key_id", "signature"})
