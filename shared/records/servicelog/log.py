"""The verifiable log of a publishing service (issue #6; design.md §4).

Every stored event, in notification order, is a leaf of an RFC 9162 Merkle tree
(`shared.records.servicelog.entries`). The outbox relay, which reads every notification in order
anyway, appends each one and stamps the published event with its leaf index and the tree head after
it. At least every `checkpoint_every_events` events, or `checkpoint_every_seconds` when the log
grew, the service signs a checkpoint with its Ed25519 key, keeps it in its own append-only
table and publishes it on `d73.audit.checkpoint.<service>` for witnesses.

On start the tree resumes from the chunk roots kept with the latest checkpoint (`.frontier`),
re-reading only the events after them, once their root is checked against that checkpoint's
signature: the start-up takes the same time whatever the history. It
is rebuilt from the whole store (and re-read from wherever the relay must go back to) when no
usable chunk roots are kept, when they do not verify, or when an operator asks
(`d73 rebuild-log`); then each checkpoint the service signed earlier is checked as the rebuilt
tree passes its size: a store edited behind the service's back is found, and the service then
refuses to sign or publish anything more (`LogTampered`) rather than launder the edit into a new
checkpoint. An edit inside chunks resumed from their roots is found when a proof reloads that
chunk, and by `d73 verify`. It never signs a size while an older signed size is still unchecked.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import logging
import threading
import time
from array import array
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any, NoReturn
from uuid import UUID

from cryptography.exceptions import InvalidSignature

from shared.platform.eventstore import ServiceApplication, events_table
from shared.platform.metrics import CHECKPOINTS_SIGNED
from shared.platform.ports import BEFORE_FIRST, LogTampered
from shared.platform.settings import Settings
from shared.records.merkle.bundle import BUNDLE_FORMAT, proof_to_hex
from shared.records.merkle.canonical import decode_entry
from shared.records.merkle.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from shared.records.merkle.errors import AuditError, CheckpointError
from shared.records.merkle.keys import key_id, public_key_b64
from shared.records.merkle.tree import HASH_SIZE
from shared.records.servicelog.entries import EntryEncoder
from shared.records.servicelog.format import FormatTable
from shared.records.servicelog.frontier import ChunkTable, KeptChunk
from shared.records.servicelog.heads import log_headers, read_log_headers
from shared.records.servicelog.keys import ServiceKeys, export_dir_of, given_key_of, key_dir_of
from shared.records.servicelog.publishing import (
    NewCheckpoint,
    read_checkpoint_message,
    signed_checkpoint,
)
from shared.records.servicelog.table import CheckpointTable
from shared.records.servicelog.tree import ChunkChanged, ChunkedMerkleTree

log = logging.getLogger("d73.audit")

MAX_BUNDLE_ENTRIES = 10_000
"""Entries one bundle from the API may carry; a whole large store is `d73 verify`'s job."""

_sha256 = hashlib.sha256


def _kept_chunks_problem(kept: Sequence[KeptChunk], chunks: int) -> str | None:
    """Why kept chunk rows cannot be a tree's chunks 0..chunks-1 (None: they can)."""
    if len(kept) != chunks:
        return f"{len(kept)} of the {chunks} chunks the latest checkpoint covers are kept"
    previous = BEFORE_FIRST
    for number, chunk in enumerate(kept):
        if chunk.chunk != number:
            return f"chunk {number} is missing"
        if len(chunk.root) != HASH_SIZE:
            return f"the root of chunk {number} is not a {HASH_SIZE}-byte hash"
        if not previous < chunk.first_notification <= chunk.last_notification:
            return f"chunk {number} covers notifications out of order"
        previous = chunk.last_notification
    return None


class LogNotReady(RuntimeError):
    """The log has not been opened or rebuilt yet (the relay does it on start)."""


@dataclass(frozen=True, slots=True)
class LogHead:
    """Where one event landed in its service's log."""

    leaf_index: int
    root: bytes
    leaf: bytes
    """The event's leaf hash (RFC 9162: SHA-256 of 0x00 and its entry)."""

    @property
    def tree_size(self) -> int:
        return self.leaf_index + 1

    def headers(self, unpublished: Sequence[bytes] = ()) -> dict[str, str]:
        """Headers of the published event, after the leaves of the entries not published."""
        return log_headers(self.leaf_index, self.root, (*unpublished, self.leaf))


@dataclass(frozen=True, slots=True)
class InclusionProof:
    position: int
    tree_size: int
    root: bytes
    entry: bytes
    path: tuple[bytes, ...]
    checkpoint: Checkpoint | None


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    first_size: int
    second_size: int
    first_root: bytes
    second_root: bytes
    path: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class _Row:
    notification_id: int
    entry: bytes


class ServiceLog:
    """The Merkle log of one service's store, its signed checkpoints and their proofs.

    Thread-safe: the relay appends from a worker thread while API requests read proofs.
    """

    READ_BATCH = 2000
    _PENDING_BATCH = 256

    def __init__(
        self,
        service: str,
        app: ServiceApplication,
        *,
        key_dir: Path,
        export_key_to: Path | None = None,
        every_events: int = 1000,
        every_seconds: float = 60.0,
        chunk_bits: int = 8,
        clock: Callable[[], float] = time.monotonic,
        given_key: bytes | None = None,
        full_rebuild: bool = False,
    ) -> None:
        self.service = service
        self.app = app
        self.key_dir = key_dir
        self.export_key_to = export_key_to
        """Where the public key is also written for witnesses (`D73_TRUSTED_KEY_DIR`)."""
        self.given_key = given_key
        """The private key's PEM when it is not kept in `key_dir` (`D73_SIGNING_KEY_FILE`)."""
        self.every_events = max(1, every_events)
        self.every_seconds = every_seconds
        self._clock = clock
        self._encoder: EntryEncoder | None = None
        """Made by `open`, in the format the log keeps (it may have to choose it first)."""
        self._table = CheckpointTable(app.recorder)
        self._chunks = ChunkTable(app.recorder)
        self._tree = ChunkedMerkleTree(load_chunk=self._chunk_leaves, chunk_bits=chunk_bits)
        self._bits = chunk_bits
        self._chunk_first = array("q")
        """Notification id of the first leaf of each chunk the tree has begun."""
        self._chunk_last = array("q")
        """Notification id of the last leaf of each chunk the tree has completed."""
        self._chunks_kept = 0
        """Chunks 0.. whose roots are kept in `audit_log_chunks` (as this tree has them)."""
        self.full_rebuild = full_rebuild
        """Rebuild from the whole store on start even if usable chunk roots are kept."""
        self.resumed_from: int | None = None
        """The tree size the start resumed at from kept chunk roots (None: rebuilt)."""
        self._last_notification = BEFORE_FIRST
        self._rows: OrderedDict[int, list[_Row]] = OrderedDict()
        self._keys: ServiceKeys | None = None
        self._latest: Checkpoint | None = None
        self._latest_at = 0.0
        self._unchecked: deque[Checkpoint] = deque()
        """Signed checkpoints above the tree's size, to check as the tree reaches them."""
        self._more_unchecked = False
        self._synced = False
        self._tampered: str | None = None
        self._lock = threading.RLock()

    @classmethod
    def for_settings(cls, service: str, app: ServiceApplication, settings: Settings) -> ServiceLog:
        return cls(
            service,
            app,
            key_dir=key_dir_of(settings),
            export_key_to=export_dir_of(settings),
            every_events=settings.checkpoint_every_events,
            every_seconds=settings.checkpoint_every_seconds,
            given_key=given_key_of(settings),
        )

    # ------------------------------------------------------------------ state

    def open(self) -> None:
        """Load (or make) the key and create the checkpoint table; idempotent."""
        with self._lock:
            if self._keys is not None:
                return
            self._keys = ServiceKeys.load_or_create(
                self.service, self.key_dir, export_to=self.export_key_to, given=self.given_key
            )
            self._table.create()
            self._chunks.create()
            # The format is chosen once, before anything is signed, and kept (format.py).
            self._encoder = EntryEncoder.for_app(
                self.service, self.app, FormatTable(self.app.recorder).create()
            )
            self._latest = self._table.latest()
            if self._latest is not None:
                self._verify_signature(self._latest)
            self._latest_at = self._clock()
            self._reload_unchecked()

    @property
    def keys(self) -> ServiceKeys:
        if self._keys is None:
            raise LogNotReady(f"the log of {self.service} is not open yet")
        return self._keys

    @property
    def _entries(self) -> EntryEncoder:
        if self._encoder is None:
            raise LogNotReady(f"the log of {self.service} is not open yet")
        return self._encoder

    @property
    def tampered(self) -> str | None:
        """Why the log stopped, if it found the store changed under it."""
        return self._tampered

    @property
    def ready(self) -> bool:
        """Open and rebuilt from the store, so proofs can be served."""
        return self._synced and self._tampered is None

    @property
    def tree_size(self) -> int:
        return self._tree.size

    @property
    def tree_bytes(self) -> int:
        return self._tree.nbytes

    @property
    def last_notification_id(self) -> int | None:
        """The notification id of the last entry (None for an empty log)."""
        return None if self._last_notification == BEFORE_FIRST else self._last_notification

    def root(self, size: int | None = None) -> bytes:
        with self._lock, self._store_checked():
            return self._tree.root(size)

    def latest_checkpoint(self) -> Checkpoint | None:
        return self._latest

    def checkpoints(self, after: int = 0, limit: int = 1000) -> list[Checkpoint]:
        """Signed checkpoints larger than `after`, smallest first."""
        return self._table.after(after, limit)

    # --------------------------------------------------------------- following

    def sync_to(self, notification_id: int) -> None:
        """Make the tree hold exactly the stored events up to `notification_id`: read the store
        forward (the rebuild on start), or go back to it (the stream lost messages)."""
        with self._lock:
            self._ensure_untampered()
            if self._keys is None:
                self.open()
            if not self._synced and self._tree.size == 0 and not self.full_rebuild:
                self._resume_from_kept_chunks()
            with self._store_checked():
                if notification_id > self._last_notification:
                    self._read_forward(notification_id)
                elif notification_id < self._last_notification:
                    self._go_back(notification_id)
            self._check_signed_entries_exist()
            self._synced = True
            self._keep_checked_chunks()

    def append(self, record: Any) -> LogHead:
        """Append the next stored event (a `Notification`); its place and the head after it."""
        with self._lock:
            self._ensure_untampered()
            if self._keys is None:
                self.open()
            if record.id <= self._last_notification:
                raise ValueError(f"notification {record.id} is not after {self._last_notification}")
            with self._store_checked():
                leaf = self._append(record.id, record)
            # The leaf hash as just computed: asked of the tree, the last leaf of a chunk would
            # reload its whole chunk from the store (issue #19), the chunk being complete.
            return LogHead(self._tree.size - 1, self._tree.root(), leaf)

    def _read_forward(self, through: int) -> None:
        recorder: Any = self.app.recorder
        while self._last_notification < through:
            batch = recorder.select_notifications(
                start=self._last_notification,
                limit=self.READ_BATCH,
                stop=through,
                inclusive_of_start=False,
            )
            if not batch:
                return
            for notification in batch:
                self._append(notification.id, notification)

    def _append(self, notification_id: int, record: Any) -> bytes:
        """Append one stored event; its leaf hash."""
        tree = self._tree
        entry = self._entries.entry(tree.size + 1, record)
        leaf = _sha256(b"\x00" + entry).digest()
        index = tree.append_leaf_hash(leaf)
        mask = (1 << self._bits) - 1
        if not index & mask:
            self._chunk_first.append(notification_id)
        if not (index + 1) & mask:
            self._chunk_last.append(notification_id)
        self._last_notification = notification_id
        if self._unchecked and self._unchecked[0].tree_size == tree.size:
            self._check_reached()
        return leaf

    def _go_back(self, notification_id: int) -> None:
        chunk = bisect.bisect_right(self._chunk_first, notification_id) - 1
        if chunk < 0:
            size, last = 0, BEFORE_FIRST
        else:
            kept = [
                row for row in self._chunk_rows(chunk) if row.notification_id <= notification_id
            ]
            size = (chunk << self._bits) + len(kept)
            last = kept[-1].notification_id if kept else BEFORE_FIRST
        size = min(size, self._tree.size)
        self._forget_rows_from(max(chunk, 0))
        self._tree.truncate(size)
        self._forget_rows_from(max(chunk, 0))
        del self._chunk_first[(size + (1 << self._bits) - 1) >> self._bits :]
        del self._chunk_last[size >> self._bits :]
        self._chunks_kept = min(self._chunks_kept, size >> self._bits)
        self._last_notification = last
        self._reload_unchecked()
        log.info("log of %s goes back to %d entries", self.service, size)

    # ------------------------------------------------------------ self-checks

    def _reload_unchecked(self) -> None:
        self._unchecked.clear()
        self._more_unchecked = True
        self._load_unchecked()

    def _load_unchecked(self) -> None:
        after = self._unchecked[-1].tree_size if self._unchecked else self._tree.size
        batch = self._table.after(after, self._PENDING_BATCH)
        for checkpoint in batch:
            self._verify_signature(checkpoint)
        self._unchecked.extend(batch)
        self._more_unchecked = len(batch) == self._PENDING_BATCH

    def _resume_from_kept_chunks(self) -> None:
        """Take the tree back from the chunk roots kept with the latest checkpoint, and the few
        events after them up to it; keep it only if its root is the signed one."""
        latest, bits = self._latest, self._bits
        if latest is None or latest.tree_size >> bits == 0:
            return
        chunks = latest.tree_size >> bits
        kept = self._chunks.load(bits, chunks)
        problem = _kept_chunks_problem(kept, chunks)
        if problem is None:
            tree = ChunkedMerkleTree(load_chunk=self._chunk_leaves, chunk_bits=bits)
            for chunk in kept:
                tree.append_chunk_root(chunk.root)
            self._tree = tree
            self._chunk_first = array("q", (chunk.first_notification for chunk in kept))
            self._chunk_last = array("q", (chunk.last_notification for chunk in kept))
            self._last_notification = kept[-1].last_notification
            self._unchecked.clear()  # the one check that matters is the latest's, below
            rest = latest.tree_size - tree.size
            recorder: Any = self.app.recorder
            for notification in recorder.select_notifications(
                start=self._last_notification, limit=rest, inclusive_of_start=False
            ):
                self._append(notification.id, notification)
            if tree.size != latest.tree_size:
                problem = f"the store holds {tree.size} of the {latest.tree_size} entries signed"
            elif tree.root() != latest.root:
                problem = f"they do not fold to the root signed for size {latest.tree_size}"
        if problem is not None:
            log.warning(
                "%s: the kept chunk roots are not usable (%s); rebuilding the log from the "
                "whole store",
                self.service,
                problem,
            )
            self._tree = ChunkedMerkleTree(load_chunk=self._chunk_leaves, chunk_bits=bits)
            self._chunk_first, self._chunk_last = array("q"), array("q")
            self._last_notification = BEFORE_FIRST
            self._rows.clear()
            self._chunks_kept = 0
            self._reload_unchecked()
            return
        self._chunks_kept = chunks
        self.resumed_from = latest.tree_size
        self._reload_unchecked()
        log.info(
            "%s: log resumed at size %d from %d kept chunk roots",
            self.service,
            latest.tree_size,
            chunks,
        )

    def _kept_chunks(self, complete: int) -> list[KeptChunk]:
        """The chunks from the first not kept up to `complete`, as this tree has them."""
        tree = self._tree
        return [
            KeptChunk(
                chunk, self._chunk_first[chunk], self._chunk_last[chunk], tree.chunk_root(chunk)
            )
            for chunk in range(self._chunks_kept, complete)
        ]

    def _keep_checked_chunks(self) -> None:
        """After a rebuild (or a resume) that reached the latest checkpoint, checking it: keep
        the chunk roots it covers, so the next start resumes from them."""
        latest = self._latest
        if latest is None or self._unchecked or self._tree.size < latest.tree_size:
            return
        complete = latest.tree_size >> self._bits
        if complete > self._chunks_kept:
            self._chunks.keep(self._bits, self._kept_chunks(complete))
            self._chunks_kept = complete

    def _check_signed_entries_exist(self) -> None:
        """A signed size the tree has not reached must still be reachable: a store that ends
        before it lost signed events (and would otherwise be checked only once new ones came)."""
        if not self._unchecked:
            return
        missing = self._unchecked[0].tree_size - self._tree.size
        recorder: Any = self.app.recorder
        ahead = recorder.select_notifications(
            start=self._last_notification, limit=missing, inclusive_of_start=False
        )
        if len(ahead) < missing:
            signed = self._unchecked[0]
            self._fail(
                f"{signed.tree_size} entries were signed at {signed.time} but the store holds "
                f"{self._tree.size + len(ahead)}: signed events were deleted"
            )

    def _check_reached(self) -> None:
        """The tree just reached the size of a checkpoint signed earlier: same root?"""
        signed = self._unchecked.popleft()
        if self._tree.root() != signed.root:
            self._fail(
                f"the first {signed.tree_size} entries of the store are not those {self.service} "
                f"signed at {signed.time}: an event at a position up to {signed.tree_size} was "
                "edited, deleted, inserted or moved"
            )
        if not self._unchecked and self._more_unchecked:
            self._load_unchecked()

    def _verify_signature(self, checkpoint: Checkpoint) -> None:
        key = self.keys.trusted.get(checkpoint.key_id)
        if key is None:
            self._fail(
                f"the checkpoint kept for size {checkpoint.tree_size} names key "
                f"{checkpoint.key_id}, which is not a key of {self.service} in {self.key_dir}"
            )
        try:
            verify_checkpoint(key, checkpoint, service=self.service)
        except CheckpointError as error:
            self._fail(f"the checkpoint kept for size {checkpoint.tree_size}: {error}")

    def _fail(self, reason: str) -> NoReturn:
        self._tampered = reason
        log.critical("audit log of %s: %s", self.service, reason)
        raise LogTampered(reason)

    def _ensure_untampered(self) -> None:
        if self._tampered is not None:
            raise LogTampered(self._tampered)

    @contextlib.contextmanager
    def _store_checked(self) -> Iterator[None]:
        """Reading the store again: leaves that no longer hash to what was kept mean tampering."""
        try:
            yield
        except ChunkChanged as error:
            self._fail(str(error))

    # ------------------------------------------------------------- checkpoints

    def checkpoint_due(self, *, by_time: bool = True) -> bool:
        """Enough new events (or, with `by_time`, enough time with some), and nothing signed
        earlier still unchecked."""
        if not self._may_sign():
            return False
        grown = self._tree.size - self.signed_size()
        if grown >= self.every_events:
            return True
        return by_time and self._clock() - self._latest_at >= self.every_seconds

    def signed_size(self) -> int:
        """The tree size of the latest checkpoint kept (0: none)."""
        return self._latest.tree_size if self._latest is not None else 0

    def _may_sign(self) -> bool:
        """The log grew past the latest checkpoint, and every size signed before is checked."""
        return (
            self._tampered is None
            and self._synced
            and not self._unchecked
            and self._tree.size > self.signed_size()
        )

    def sign(self, *, when_due: bool = True) -> NewCheckpoint | None:
        """Sign, keep and return a checkpoint of the tree as it is now, if one is due (or, with
        `when_due=False`, whenever the log grew and everything signed before is checked)."""
        with self._lock:
            if not (self.checkpoint_due() if when_due else self._may_sign()):
                return None
            previous = self._latest
            moment = datetime.now(UTC)
            if previous is not None and moment < previous.instant:
                moment = previous.instant  # a clock that stepped back must not reorder heads
            size = self._tree.size
            checkpoint = sign_checkpoint(
                self.keys.private_key,
                service=self.service,
                tree_size=size,
                root_hash=self._tree.root(),
                time=moment,
            )
            path: tuple[bytes, ...] = ()
            with self._store_checked():
                frontier = tuple(self._tree.frontier(size))
                if previous is not None:
                    path = tuple(self._tree.consistency_proof(previous.tree_size))
            complete = size >> self._bits
            chunks = self._chunks.upserts(self._bits, self._kept_chunks(complete))
            self._table.insert(checkpoint, also=chunks)  # one transaction: never ahead of it
            self._chunks_kept = complete
            self._latest, self._latest_at = checkpoint, self._clock()
            CHECKPOINTS_SIGNED.labels(self.service).inc()
            log.info(
                "%s signed checkpoint %d %s",
                self.service,
                size,
                checkpoint.root_hash[:16],
                extra={"tree_size": size, "root_hash": checkpoint.root_hash},
            )
            return NewCheckpoint(
                checkpoint, previous.tree_size if previous is not None else None, path, frontier
            )

    def adopt(self, checkpoint: Checkpoint) -> bool:
        """Take back a checkpoint found on the stream but missing from the table (a restored
        database); True if it was kept. One that fails its signature is refused."""
        with self._lock:
            key = self.keys.trusted.get(checkpoint.key_id)
            try:
                if key is None:
                    raise CheckpointError(f"unknown key {checkpoint.key_id}")
                verify_checkpoint(key, checkpoint, service=self.service)
            except (CheckpointError, InvalidSignature) as error:
                log.error("ignoring a checkpoint on the stream of %s: %s", self.service, error)
                return False
            kept = self._table.at(checkpoint.tree_size)
            if kept is not None:
                if kept.root_hash != checkpoint.root_hash:
                    self._fail(f"two roots signed for size {checkpoint.tree_size}: a fork")
                return False
            self._table.insert(checkpoint)
            log.warning(
                "%s: checkpoint %d was on the stream but not in the table; kept it again",
                self.service,
                checkpoint.tree_size,
            )
            if checkpoint.tree_size <= self._tree.size:
                with self._store_checked():
                    root = self._tree.root(checkpoint.tree_size)
                if root != checkpoint.root:
                    self._fail(
                        f"the store does not hold the {checkpoint.tree_size} entries signed "
                        f"at {checkpoint.time}"
                    )
            else:
                self._reload_unchecked()
            if self._latest is None or checkpoint.tree_size > self._latest.tree_size:
                self._latest = checkpoint
            return True

    def adopt_published(self, headers: Mapping[str, str] | None, body: bytes) -> int:
        """`adopt` the checkpoint of a message on the audit stream (its signature checked
        here); its tree size. `PoisonMessage` when the message is not a checkpoint."""
        checkpoint = signed_checkpoint(read_checkpoint_message(headers, body))
        self.adopt(checkpoint)
        return checkpoint.tree_size

    def adopt_cosigned(self, checkpoint: Mapping[str, Any]) -> None:
        """`adopt` a checkpoint the witness cosigned: what it cosigned must be what this
        service holds (issue #12 §4). `ValueError` when it is unreadable."""
        try:
            signed = Checkpoint.from_dict(dict(checkpoint))
        except AuditError as error:
            raise ValueError(str(error)) from None
        self.adopt(signed)

    def unpublished_checkpoints(self, after: int) -> list[NewCheckpoint]:
        """The kept checkpoints larger than `after` that the tree reaches, each with its
        consistency proof from the one before it, so a witness can check every one."""
        latest = self.latest_checkpoint()
        if latest is None or latest.tree_size <= after:
            return []
        found: list[NewCheckpoint] = []
        previous = after
        for missing in self.checkpoints(after):
            if missing.tree_size > self.tree_size:
                break  # signed before a restart, beyond where the log is rebuilt to: later
            proof = self.consistency(previous, missing.tree_size)
            frontier = self.frontier(missing.tree_size)
            found.append(
                NewCheckpoint(missing, previous if previous else None, proof.path, frontier)
            )
            previous = missing.tree_size
        return found

    def published_head(self, headers: Mapping[str, str] | None) -> tuple[int, bytes] | None:
        """The tree size and last leaf hash a published event carries (`d73-log-*`), None for
        an event published before the service kept a log; `MalformedLogHead` (a `ValueError`)
        for headers that do not parse."""
        head = read_log_headers(headers)
        return None if head is None else (head.tree_size, head.leaves[-1])

    # ------------------------------------------------------------------ proofs

    def inclusion(self, position: int, tree_size: int | None = None) -> InclusionProof:
        """The entry at `position` and its audit path to the root of `tree_size` (by default
        the latest checkpoint's)."""
        self._ensure_servable()  # before waiting on a rebuild that holds the lock
        with self._lock, self._store_checked():
            self._ensure_servable()
            size = tree_size if tree_size is not None else self._default_size()
            self._check_range(position, size)
            path = self._tree.inclusion_proof(position - 1, size)
            entry = self._entry_at(position)
            if _sha256(b"\x00" + entry).digest() != self._tree.leaf_hash(position - 1):
                self._fail(f"the event at position {position} changed in the store")
            return InclusionProof(
                position,
                size,
                self._tree.root(size),
                entry,
                tuple(path),
                self._table.at(size),
            )

    def consistency(self, first: int, second: int | None = None) -> ConsistencyProof:
        self._ensure_servable()  # before waiting on a rebuild that holds the lock
        with self._lock, self._store_checked():
            self._ensure_servable()
            second = second if second is not None else self._default_size()
            if not 0 <= first <= second <= self._tree.size:
                raise ValueError(
                    f"need 0 <= first <= second <= {self._tree.size}, not {first} and {second}"
                )
            path = self._tree.consistency_proof(first, second)
            return ConsistencyProof(
                first, second, self._tree.root(first), self._tree.root(second), tuple(path)
            )

    def frontier(self, size: int) -> tuple[bytes, ...]:
        """The log's frontier at `size`: published with a checkpoint of that size."""
        self._ensure_servable()
        with self._lock, self._store_checked():
            self._ensure_servable()
            return tuple(self._tree.frontier(size))

    def leaf_hash(self, position: int) -> bytes:
        """The leaf hash of the entry at `position` (1-based), as the tree holds it."""
        with self._lock, self._store_checked():
            self._ensure_servable()
            self._check_range(position, self._tree.size)
            return self._tree.leaf_hash(position - 1)

    def entry(self, position: int) -> bytes:
        with self._lock:
            self._ensure_servable()
            self._check_range(position, self._tree.size)
            return self._entry_at(position)

    def bundle(
        self,
        first: int = 1,
        last: int | None = None,
        *,
        since: int | None = None,
        full: bool = False,
    ) -> dict[str, Any]:
        """An audit bundle (`shared.records.merkle.bundle`) that `d73 verify-bundle` checks offline.

        `full`: the whole log up to the latest checkpoint as `entries`, with every checkpoint.
        Otherwise positions `first..last` as `selected` entries, each proved against the latest
        checkpoint, which consistency proofs link to every checkpoint from size `since` on.
        """
        self._ensure_servable()  # before waiting on a rebuild that holds the lock
        with self._lock, self._store_checked():
            self._ensure_servable()
            latest = self._latest
            if latest is None:
                raise LookupError(f"{self.service} has signed no checkpoint yet")
            bundle = self._bundle_head()
            if full:
                if latest.tree_size > MAX_BUNDLE_ENTRIES:
                    raise ValueError(
                        f"the log has {latest.tree_size} entries, more than a bundle carries "
                        f"({MAX_BUNDLE_ENTRIES}); ask for a range, or run `d73 verify`"
                    )
                bundle["checkpoints"] = [
                    cp.to_dict() for cp in self._table_all() if cp.tree_size <= latest.tree_size
                ]
                bundle["entries"] = [
                    decode_entry(self._entry_at(p)) for p in range(1, latest.tree_size + 1)
                ]
                bundle["consistency_proofs"] = []
                return bundle
            last = latest.tree_size if last is None else last
            if not 1 <= first <= last <= latest.tree_size:
                raise ValueError(
                    f"positions {first}..{last} are not within 1..{latest.tree_size}, "
                    "the latest checkpoint"
                )
            return self._selected_bundle(bundle, range(first, last + 1), since)

    def bundle_of(self, positions: Sequence[int]) -> dict[str, Any]:
        """An audit bundle of the entries at `positions` (any, not a range), each proved against
        the latest checkpoint: what an auditor's export of one proposal carries."""
        self._ensure_servable()
        with self._lock, self._store_checked():
            self._ensure_servable()
            latest = self._latest
            if latest is None:
                raise LookupError(f"{self.service} has signed no checkpoint yet")
            wanted = sorted({p for p in positions if 1 <= p <= latest.tree_size})
            return self._selected_bundle(self._bundle_head(), wanted, None)

    def _selected_bundle(
        self, bundle: dict[str, Any], positions: Sequence[int], since: int | None
    ) -> dict[str, Any]:
        latest = self._latest
        assert latest is not None
        if len(positions) > MAX_BUNDLE_ENTRIES:
            raise ValueError(f"at most {MAX_BUNDLE_ENTRIES} positions per bundle")
        chosen = [latest]
        if since is not None:
            chosen = [cp for cp in self._table_all() if since <= cp.tree_size] or chosen
        bundle["checkpoints"] = [cp.to_dict() for cp in chosen]
        selected = []
        for position in positions:
            path = self._tree.inclusion_proof(position - 1, latest.tree_size)
            selected.append(
                {
                    "entry": decode_entry(self._entry_at(position)),
                    "leaf_index": position - 1,
                    "tree_size": latest.tree_size,
                    "inclusion_path": proof_to_hex(path),
                }
            )
        bundle["selected"] = selected
        bundle["consistency_proofs"] = [
            {
                "first_size": older.tree_size,
                "second_size": newer.tree_size,
                "path": proof_to_hex(
                    self._tree.consistency_proof(older.tree_size, newer.tree_size)
                ),
            }
            for older, newer in pairwise(chosen)
        ]
        return bundle

    def _bundle_head(self) -> dict[str, Any]:
        return {
            "format": BUNDLE_FORMAT,
            "service": self.service,
            "public_keys": [
                {"key_id": key_id(key), "public_key": public_key_b64(key)}
                for key in self.keys.trusted.values()
            ],
            "witness_keys": [],
        }

    def _table_all(self) -> Iterator[Checkpoint]:
        size = -1
        while True:
            batch = self._table.after(size, 1000)
            yield from batch
            if len(batch) < 1000:
                return
            size = batch[-1].tree_size

    def _default_size(self) -> int:
        return self._latest.tree_size if self._latest is not None else self._tree.size

    def _check_range(self, position: int, size: int) -> None:
        if not 1 <= position <= size <= self._tree.size:
            raise ValueError(
                f"need 1 <= position <= tree_size <= {self._tree.size}, "
                f"not position {position} and tree_size {size}"
            )

    def _ensure_servable(self) -> None:
        self._ensure_untampered()
        if not self._synced:
            raise LogNotReady(f"the log of {self.service} is still being rebuilt")

    def positions_of(self, originator_id: UUID, versions: Sequence[int]) -> dict[int, int]:
        """The log position of each stored event of `originator_id` at one of `versions`, by
        version; a version missing from the answer is not stored, or not in the log yet (the
        relay appends it soon). For a protection certificate (shared/records/certificate).

        One indexed read of the events' notification ids (the store's primary key), then, per
        event, a binary search of `_chunk_first` and the rows of one chunk: a few milliseconds
        on a log of millions of events.
        """
        wanted = sorted(set(versions))
        if not wanted:
            return {}
        events = events_table(self.app)
        marks = ", ".join([events.mark] * len(wanted))
        query = (
            f"SELECT {events.id_column} AS notification_id, originator_version "
            f"FROM {events.name} "
            f"WHERE originator_id = {events.mark} AND originator_version IN ({marks})"
        )
        datastore: Any = self.app.recorder.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=False) as cursor:
            cursor.execute(query, (events.originator(originator_id), *wanted))
            stored = [
                (int(row["notification_id"]), int(row["originator_version"]))
                for row in cursor.fetchall()
            ]
        self._ensure_servable()  # before waiting on a rebuild that holds the lock
        positions: dict[int, int] = {}
        with self._lock:
            self._ensure_servable()
            for notification_id, version in sorted(stored):
                if notification_id > self._last_notification:
                    continue
                chunk = bisect.bisect_right(self._chunk_first, notification_id) - 1
                if chunk < 0:
                    continue
                rows = self._chunk_rows(chunk)
                offset = bisect.bisect_left(rows, notification_id, key=lambda r: r.notification_id)
                if offset < len(rows) and rows[offset].notification_id == notification_id:
                    positions[version] = (chunk << self._bits) + offset + 1
        return positions

    # ------------------------------------------------------------ store reads

    def _entry_at(self, position: int) -> bytes:
        index = position - 1
        rows = self._chunk_rows(index >> self._bits)
        offset = index & ((1 << self._bits) - 1)
        if offset >= len(rows):
            self._fail(f"the event at position {position} is gone from the store")
        return rows[offset].entry

    def _chunk_leaves(self, chunk: int) -> Sequence[bytes]:
        return [_sha256(b"\x00" + row.entry).digest() for row in self._chunk_rows(chunk)]

    def _chunk_rows(self, chunk: int) -> list[_Row]:
        """The stored events of chunk `chunk` as the store holds them now (those the tree has)."""
        rows = self._rows.get(chunk)
        if rows is not None:
            self._rows.move_to_end(chunk)
            return rows
        width = 1 << self._bits
        start = chunk << self._bits
        present = min(width, self._tree.size - start)
        recorder: Any = self.app.recorder
        notifications = recorder.select_notifications(
            start=self._chunk_first[chunk], limit=present, inclusive_of_start=True
        )
        rows = [
            _Row(n.id, bytes(memoryview(self._entries.entry(start + number, n))))
            for number, n in enumerate(notifications, start=1)
        ]
        if present == width:
            self._rows[chunk] = rows
            while len(self._rows) > 8:
                self._rows.popitem(last=False)
        return rows

    def _forget_rows_from(self, chunk: int) -> None:
        for cached in [number for number in self._rows if number >= chunk]:
            del self._rows[cached]
