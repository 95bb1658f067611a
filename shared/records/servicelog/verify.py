"""`d73 verify <service>`: recompute a whole store's log and check it against what was signed.

Reads every stored event in notification order, computes its entry and the Merkle roots at every
signed size, and checks them against the checkpoints the service kept and, optionally, against
checkpoints witnesses hold (the defence against whoever can rewrite the service's database and
its checkpoint table too). Every problem is listed, none stops the check.
"""

from __future__ import annotations

import multiprocessing
import os
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from hmac import compare_digest
from itertools import pairwise
from pathlib import Path
from typing import Any, NamedTuple, cast
from uuid import UUID

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.platform.eventstore import ServiceApplication, events_table, store_env
from shared.platform.ports import BEFORE_FIRST
from shared.platform.settings import Persistence, Settings
from shared.records.merkle.checkpoint import Checkpoint, verify_checkpoint
from shared.records.merkle.errors import BadSignature, CheckpointError, MalformedCheckpoint
from shared.records.merkle.tree import (
    AlignedStretches,
    Frontiers,
    LogRoots,
    frontiers_of_pages,
    roots_of_pages,
)
from shared.records.merkle.verify import ProblemCode, VerificationReport
from shared.records.servicelog.entries import UNREADABLE_LEAF, EntryEncoder, Row
from shared.records.servicelog.table import CheckpointTable

KEPT = "kept by the service"
"""Source name of the checkpoints in the service's own table."""


@dataclass(frozen=True, slots=True)
class CheckpointSource:
    """Checkpoints from one place (the service's table, a witness's file), unparsed."""

    name: str
    items: Sequence[object]


# ------------------------------------------------------------------------- inputs


def open_store(service: str, settings: Settings) -> ServiceApplication:
    """The service's event store, read-only in intent: nothing is created if it is missing."""
    if settings.persistence is Persistence.SQLITE:
        path = settings.data_dir / f"{service}.sqlite"
        if not path.exists():
            raise FileNotFoundError(f"no store of {service} at {path}")
    store = type(f"{service.title()}Store", (ServiceApplication,), {"name": service})
    env = store_env(service, settings)
    env["CREATE_TABLE"] = "n"
    application: ServiceApplication = store(env)
    return application


class StoredRow(NamedTuple):
    """A stored event as its row holds it (what `EntryEncoder.entry` reads)."""

    id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


def stored_records(
    app: ServiceApplication,
    batch: int = 5000,
    *,
    first_id: int | None = None,
    count: int | None = None,
) -> Iterator[Any]:
    """Every stored event in notification order, those with an id of 0 or below included; or,
    given `first_id` and `count`, the `count` events from notification id `first_id` on (a
    worker's range of positions).

    On SQLite the rows are streamed from one cursor as tuples, with no eventsourcing object
    made per event (a fifth of the time of `select_notifications`); elsewhere in pages."""
    if events_table(app).mark == "?":
        for row_id, originator_id, version, topic, state in stored_rows(
            app, batch, first_id=first_id, count=count
        ):
            yield StoredRow(
                row_id, UUID(cast(str, originator_id)), version, cast(str, topic), state
            )
        return
    yield from _notifications(app, batch, first_id, count)


def stored_rows(
    app: ServiceApplication,
    batch: int = 5000,
    *,
    first_id: int | None = None,
    count: int | None = None,
) -> Iterator[Row]:
    """`stored_records` as row tuples (`stored_pages`, one at a time)."""
    for page in stored_pages(app, batch, first_id=first_id, count=count):
        yield from page


def stored_pages(
    app: ServiceApplication,
    batch: int = 5000,
    *,
    first_id: int | None = None,
    count: int | None = None,
    read_ahead: bool = True,
) -> Iterator[list[Row]]:
    """`stored_records` as pages of row tuples, the originator id as the store holds it (on
    SQLite its 32 hex digits; on PostgreSQL the uuid's own text, and the topic, as bytes): no
    object made per event where a verifier only hashes them. `read_ahead`: on PostgreSQL, read
    the next page in a thread while this one is hashed (worth it with a core to spare)."""
    events = events_table(app)
    datastore: Any = app.recorder.datastore  # type: ignore[attr-defined]
    if events.mark != "?":
        yield from _postgres_pages(datastore, events.name, batch, first_id, count, read_ahead)
        return
    with datastore.transaction(commit=False) as cursor:
        rows = cursor.sqlite_cursor
        rows.row_factory = None
        query = (
            f"SELECT {events.id_column}, originator_id, originator_version, topic, state "
            f"FROM {events.name}"
        )
        if first_id is None:
            rows.execute(f"{query} ORDER BY {events.id_column}")
        else:
            rows.execute(
                f"{query} WHERE {events.id_column} >= ? ORDER BY {events.id_column} LIMIT ?",
                (first_id, -1 if count is None else count),
            )
        while page := rows.fetchmany(batch):
            yield page


def typed_rows(app: ServiceApplication) -> bool:
    """Whether the store's column types guarantee the fields of its rows (PostgreSQL's do;
    SQLite holds whatever was written): see `EntryEncoder.leaf_hashes_of`."""
    return events_table(app).mark != "?"


def cores() -> int:
    """The cores this process may run on (a container's or taskset's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _postgres_pages(
    datastore: Any,
    table: str,
    batch: int,
    first_id: int | None,
    count: int | None,
    read_ahead: bool,
) -> Iterator[list[Row]]:
    """`stored_pages` on PostgreSQL: pages of `batch` rows by notification id, each in its own
    read (a client-side cursor would hold the whole result in memory), in binary (no bytea as
    hex), as tuples, text as its UTF-8 bytes. The originator id comes as the server spells a
    uuid (lowercase, hyphenated: what `str(UUID)` writes), which the entry takes as it is
    (`entries._spelled`; spelling the ids in Python was half the cost of an entry); reading
    that text as bytes costs the server less than converting it to bytea. With `read_ahead`,
    the next page is read in a thread while this one is hashed: the server and the driver
    (which lets go of the GIL while it waits) work on another core, if there is one free."""
    from psycopg.rows import tuple_row
    from psycopg.types.string import ByteaBinaryLoader

    query = (
        "SELECT notification_id, originator_id::text, originator_version, topic, state "
        f"FROM {table} WHERE notification_id >= %s ORDER BY notification_id LIMIT %s"
    )

    def page_from(after: int, limit: int) -> list[Row]:
        with datastore.transaction(commit=False) as cursor:
            cursor.row_factory = tuple_row
            cursor.adapters.register_loader("text", ByteaBinaryLoader)
            cursor.execute(query, (after, limit), binary=True)
            rows: list[Row] = cursor.fetchall()
        return rows

    # The first page is read before anything can be hashed: a short one keeps that wait short
    # (a worker waits so at the start of each of its stretches).
    after = BEFORE_FIRST if first_id is None else first_id
    left = count
    limit = max(1, batch // 10) if left is None else min(max(1, batch // 10), left)
    # The executor starts its thread on the first page submitted to it: none without read-ahead.
    with ThreadPoolExecutor(1, thread_name_prefix="verify-read") as reader:
        coming = reader.submit(page_from, after, limit) if read_ahead else None
        while True:
            page = page_from(after, limit) if coming is None else coming.result()
            if left is not None:
                left -= len(page)
            following = batch if left is None else min(batch, left)
            more = len(page) == limit and following > 0
            if more:
                after, limit = page[-1][0] + 1, following
                coming = reader.submit(page_from, after, limit) if read_ahead else None
            if page:
                yield page
            if not more:
                return


def _notifications(
    app: ServiceApplication, batch: int, first_id: int | None, count: int | None
) -> Iterator[Any]:
    recorder: Any = app.recorder
    last, inclusive = (BEFORE_FIRST, False) if first_id is None else (first_id, True)
    left = count
    while left is None or left > 0:
        limit = batch if left is None else min(batch, left)
        notifications = recorder.select_notifications(
            start=last, limit=limit, inclusive_of_start=inclusive
        )
        yield from notifications
        if len(notifications) < limit:
            return
        last, inclusive = notifications[-1].id, False
        if left is not None:
            left -= len(notifications)


def kept_checkpoints(app: ServiceApplication) -> CheckpointSource:
    rows = [text for _, text in CheckpointTable(app.recorder).rows()]
    return CheckpointSource(KEPT, rows)


def read_checkpoint_file(path: Path) -> CheckpointSource:
    """Witnessed checkpoints: a JSON list, an object with `checkpoints` (an API answer, a
    bundle), or JSON lines (message bodies dumped from D73_AUDIT)."""
    text = path.read_bytes()
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        items: list[object] = [orjson.loads(line) for line in text.splitlines() if line.strip()]
        return CheckpointSource(str(path), items)
    if isinstance(document, dict) and isinstance(document.get("checkpoints"), list):
        return CheckpointSource(str(path), document["checkpoints"])
    if isinstance(document, list):
        return CheckpointSource(str(path), document)
    return CheckpointSource(str(path), [document])


# ------------------------------------------------------------------------- checks


def parsed_checkpoints(report: VerificationReport, source: CheckpointSource) -> list[Checkpoint]:
    parsed: list[Checkpoint] = []
    for number, item in enumerate(source.items, start=1):
        report.checkpoints_checked += 1
        try:
            data = orjson.loads(item) if isinstance(item, str | bytes) else item
            if not isinstance(data, Mapping):
                raise MalformedCheckpoint("not an object")
            parsed.append(Checkpoint.from_dict(data))
        except (MalformedCheckpoint, orjson.JSONDecodeError) as error:
            report.add(
                ProblemCode.MALFORMED_CHECKPOINT, f"checkpoint #{number} {source.name}: {error}"
            )
    return parsed


def signed_checkpoints(
    report: VerificationReport,
    checkpoints: list[Checkpoint],
    source: str,
    service: str,
    keys: Mapping[str, Ed25519PublicKey],
) -> list[Checkpoint]:
    """The checkpoints of `service` signed by one of `keys`, each other one a problem, and a
    problem for any signed earlier than a smaller one."""
    usable = []
    for checkpoint in checkpoints:
        size = checkpoint.tree_size
        where = f"checkpoint {size} {source}"
        if checkpoint.service != service:
            report.add(
                ProblemCode.WRONG_SERVICE,
                f"{where} is a checkpoint of {checkpoint.service!r}",
                tree_size=size,
            )
            continue
        key = keys.get(checkpoint.key_id)
        if key is None:
            report.add(
                ProblemCode.WRONG_KEY,
                f"{where} is signed with key {checkpoint.key_id}, not a trusted key of {service}",
                tree_size=size,
            )
            continue
        try:
            verify_checkpoint(key, checkpoint, service=service)
        except BadSignature as error:
            report.add(ProblemCode.BAD_SIGNATURE, f"{where}: {error}", tree_size=size)
            continue
        except CheckpointError as error:
            report.add(ProblemCode.WRONG_KEY, f"{where}: {error}", tree_size=size)
            continue
        usable.append(checkpoint)
    ordered = sorted(usable, key=lambda checkpoint: checkpoint.tree_size)
    for before, after in pairwise(ordered):
        if after.instant < before.instant:
            report.add(
                ProblemCode.CHECKPOINT_OUT_OF_ORDER,
                f"size {after.tree_size} was signed at {after.time}, before size "
                f"{before.tree_size} at {before.time} ({source}): the log went back in time",
                tree_size=after.tree_size,
            )
    return usable


def _wanted(sizes: Sequence[int]) -> set[int]:
    """The positions whose notification id a report may name: 1, each signed size and the one
    after it (a mismatch names the stretch between two signed sizes)."""
    return {1, *sizes, *(size + 1 for size in sizes)}


class StoreLeaves:
    """The leaf hashes of a store's events in log order, computed in this process a page of rows
    at a time, noting the notification id at the positions a report names (and how many ids the
    store skips).

    `start` is the position of the first row and `after_id` the notification id before it (a
    worker's stretch of the store); `typed`: see `EntryEncoder.leaf_hashes_of`."""

    def __init__(
        self,
        pages: Iterable[Sequence[Row]],
        encoder: EntryEncoder,
        *,
        typed: bool = False,
        start: int = 1,
        after_id: int = 0,
    ) -> None:
        self._pages = pages
        self._encoder = encoder
        self._typed = typed
        self._start = start
        self.ids: dict[int, int] = {}
        """The notification id at each wanted position read."""
        self.gaps = 0
        self.last_id = after_id
        self.unreadable: list[Unreadable] = []
        """The rows that cannot be an event's entry, in log order."""

    @classmethod
    def of_store(
        cls,
        service: str,
        app: ServiceApplication,
        *,
        start: int = 1,
        first_id: int | None = None,
        count: int | None = None,
        read_ahead: bool = True,
    ) -> StoreLeaves:
        """The leaves of a store, or of its `count` events from notification id `first_id` on
        (at log position `start`); `read_ahead`: see `stored_pages`."""
        return cls(
            stored_pages(app, first_id=first_id, count=count, read_ahead=read_ahead),
            EntryEncoder.for_app(service, app),
            typed=typed_rows(app),
            start=start,
            after_id=0 if first_id is None else first_id - 1,
        )

    def leaf_hash_pages(self, wanted: set[int]) -> Iterator[list[bytes]]:
        """The leaf hashes, a page of rows at a time."""
        leaf_hashes_of, typed, at = self._encoder.leaf_hashes_of, self._typed, self.ids
        marks = sorted(wanted)
        position = self._start
        for page in self._pages:
            if not page:
                continue
            # Notification ids only grow: what a page skips is the distance its ids cover less
            # its rows, with no step per row.
            self.gaps += page[-1][0] - self.last_id - len(page)
            self.last_id = page[-1][0]
            end = position + len(page)
            for mark in marks[bisect_left(marks, position) : bisect_left(marks, end)]:
                at[mark] = page[mark - position][0]
            try:
                yield leaf_hashes_of(position, page, typed=typed)
            except Exception:  # a row that is no event's: found row by row, below
                yield self._row_by_row(position, page)
            position = end

    def _row_by_row(self, position: int, page: Sequence[Row]) -> list[bytes]:
        """The leaf hashes of a page holding a row that cannot be an entry: that row's leaf is
        `UNREADABLE_LEAF` and it is noted, so the check reports it instead of stopping."""
        hashes: list[bytes] = []
        for at, row in enumerate(page, start=position):
            try:
                hashes += self._encoder.leaf_hashes_of(at, [row], typed=self._typed)
            except Exception as error:
                hashes.append(UNREADABLE_LEAF)
                self.unreadable.append(Unreadable(at, row[0], f"{type(error).__name__}: {error}"))
        return hashes

    def roots(self, sizes: Sequence[int]) -> LogRoots:
        """The root at each of `sizes` (in order) the store reaches, and its number of events."""
        return roots_of_pages(self.leaf_hash_pages(_wanted(sizes)), sizes)

    def notification_at(self, position: int) -> int | None:
        return self.ids.get(position)


class Unreadable(NamedTuple):
    """A stored row that cannot be an event's entry (tampering, or a damaged store)."""

    position: int
    notification_id: int
    reason: str


class _Stretch(NamedTuple):
    """What a worker hands back of its stretch of the store: a few hashes whatever its length."""

    frontiers: Frontiers
    ids: dict[int, int]
    gaps: int
    last_id: int
    unreadable: list[Unreadable]


class ParallelStoreLeaves:
    """The same, with the store cut into stretches of a power of two positions hashed by `jobs`
    worker processes (each opens the store itself); worth it from some 100 k events on.

    A worker returns its stretch's frontiers, not its leaf hashes, so this process combines
    O(log n) hashes per stretch as the stretches come in instead of hashing the whole tree
    again after the workers are done."""

    STRETCHES_PER_JOB = 8
    """Stretches per worker: enough that one left over does not keep a core idle for long."""

    def __init__(self, service: str, settings: Settings, jobs: int) -> None:
        self._service = service
        self._settings = settings
        self._jobs = jobs
        self._at: dict[int, int] = {}
        self.gaps = 0
        self.unreadable: list[Unreadable] = []

    def roots(self, sizes: Sequence[int]) -> LogRoots:
        wanted = _wanted(sizes)
        width, stretches = _stretches(
            self._service, self._settings, self._jobs * self.STRETCHES_PER_JOB
        )
        tasks = [
            (
                first,
                first_id,
                count,
                [size - first + 1 for size in sizes if first <= size < first + count],
                [position for position in wanted if first <= position < first + count],
            )
            for first, first_id, count in stretches
        ]
        # Forked, not spawned: a worker starts in milliseconds instead of re-importing the
        # suite (~1 s of CPU each). Each worker opens its own store; none uses the parent's.
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        context = multiprocessing.get_context(method)
        joined = AlignedStretches(width)
        roots: dict[int, bytes] = {}
        last_id = 0
        workers = max(1, min(self._jobs, len(tasks)))
        # A worker reads ahead only if its server and driver get a core of their own: with a
        # worker per core, the other workers' backends already take it, and the thread only
        # adds GIL hand-offs (issue #19: 2 workers on 2 cores, 10 % of the client's CPU).
        read_ahead = 2 * workers <= cores()
        with context.Pool(
            workers,
            initializer=_open_worker_store,
            initargs=(self._service, self._settings.model_dump_json(), read_ahead),
        ) as pool:
            results = pool.imap(_hash_stretch, tasks)
            for number, ((_, first_id, count), stretch) in enumerate(
                zip(stretches, results, strict=True)
            ):
                following = stretches[number + 1][1] if number + 1 < len(stretches) else None
                if following is not None and (
                    stretch.frontiers.size < count or stretch.last_id >= following
                ):
                    # Rows went missing while the store was read: positions after them moved.
                    pool.terminate()
                    return self._in_one_process(sizes)
                self.gaps += max(0, first_id - last_id - 1) + stretch.gaps
                last_id = stretch.last_id
                self._at.update(stretch.ids)
                self.unreadable += stretch.unreadable
                roots.update(joined.add(stretch.frontiers))
        return LogRoots(roots, joined.size)

    def _in_one_process(self, sizes: Sequence[int]) -> LogRoots:
        app = open_store(self._service, self._settings)
        try:
            leaves = StoreLeaves.of_store(self._service, app)
            computed = leaves.roots(sizes)
        finally:
            app.close()
        self._at, self.gaps, self.unreadable = leaves.ids, leaves.gaps, leaves.unreadable
        return computed

    def notification_at(self, position: int) -> int | None:
        return self._at.get(position)


def _stretches(
    service: str, settings: Settings, at_least: int
) -> tuple[int, list[tuple[int, int, int]]]:
    """The width (a power of two) and each (first position, its notification id, how many) of
    some `at_least` stretches of the store, each but the last `width` positions long."""
    app = open_store(service, settings)
    try:
        events = events_table(app)
        table, column, mark = events.name, events.id_column, events.mark
        datastore: Any = app.recorder.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT COUNT(*) AS n FROM {table}")
            count = int(cursor.fetchone()["n"])
            width = 1 << max(0, (-(-count // max(1, at_least)) - 1).bit_length())
            stretches: list[tuple[int, int, int]] = []
            cursor.execute(f"SELECT {column} AS id FROM {table} ORDER BY {column} LIMIT 1")
            row = cursor.fetchone()
            cursor.execute(f"SELECT max({column}) AS id FROM {table}")
            last = cursor.fetchone()
            if row is not None and last is not None and last["id"] - row["id"] + 1 == count:
                # No id skipped (SQLite, unless rows were deleted): the stretches' first ids
                # follow from the first, without stepping over every row to find them.
                first = int(row["id"])
                return width, [
                    (offset + 1, first + offset, min(width, count - offset))
                    for offset in range(0, count, width)
                ]
            for offset in range(0, count, width):
                if row is None:  # rows deleted since they were counted
                    break
                stretches.append((offset + 1, int(row["id"]), min(width, count - offset)))
                cursor.execute(
                    f"SELECT {column} AS id FROM {table} WHERE {column} >= {mark} "
                    f"ORDER BY {column} LIMIT 1 OFFSET {mark}",
                    (stretches[-1][1], width),
                )
                row = cursor.fetchone()
        return width, stretches
    finally:
        app.close()


_worker: tuple[str, ServiceApplication, bool] | None = None
"""A worker process's service, own store (opened once for all the stretches it hashes) and
whether it reads ahead."""


def _open_worker_store(service: str, settings_json: str, read_ahead: bool) -> None:
    global _worker
    store = open_store(service, Settings.model_validate_json(settings_json))
    _worker = (service, store, read_ahead)


def _hash_stretch(
    task: tuple[int, int, int, list[int], list[int]],
) -> _Stretch:
    """Worker: the frontiers of positions first..first+count-1 at the given sizes (counted from
    the stretch's start), and the notification ids at the wanted positions in it."""
    first, first_id, count, sizes, wanted = task
    assert _worker is not None, "the pool's initializer opens the store"
    service, app, read_ahead = _worker
    leaves = StoreLeaves.of_store(
        service, app, start=first, first_id=first_id, count=count, read_ahead=read_ahead
    )
    frontiers = frontiers_of_pages(leaves.leaf_hash_pages(set(wanted)), sizes)
    return _Stretch(frontiers, leaves.ids, leaves.gaps, leaves.last_id, leaves.unreadable)


def _shown(notification_id: int | None) -> str:
    return "?" if notification_id is None else str(notification_id)


def verify_store(
    service: str,
    leaves: StoreLeaves | ParallelStoreLeaves,
    sources: Sequence[CheckpointSource],
    keys: Mapping[str, Ed25519PublicKey],
) -> VerificationReport:
    """Check the log of a store (its `leaves`) against the checkpoints of every source, each
    signature against `keys` (key id → public key)."""
    report = VerificationReport(service)
    by_source = {
        source.name: signed_checkpoints(
            report, parsed_checkpoints(report, source), source.name, service, keys
        )
        for source in sources
    }
    signers: dict[int, dict[str, list[str]]] = {}
    for name, checkpoints in by_source.items():
        for checkpoint in checkpoints:
            signers.setdefault(checkpoint.tree_size, {}).setdefault(
                checkpoint.root_hash, []
            ).append(name)
    for size, roots in sorted(signers.items()):
        if len(roots) > 1:
            report.add(
                ProblemCode.CHECKPOINT_FORK,
                f"{len(roots)} different roots signed for size {size} ("
                + "; ".join(f"{root[:16]}… {', '.join(names)}" for root, names in roots.items())
                + "): a split view",
                tree_size=size,
            )
    if KEPT in by_source:
        kept = {(cp.tree_size, cp.root_hash) for cp in by_source[KEPT]}
        for name, checkpoints in by_source.items():
            for checkpoint in checkpoints:
                if name != KEPT and (checkpoint.tree_size, checkpoint.root_hash) not in kept:
                    report.add(
                        ProblemCode.CHECKPOINT_NOT_KEPT,
                        f"checkpoint {checkpoint.tree_size} {name} is not among those the "
                        "service kept: its checkpoint table lost rows",
                        tree_size=checkpoint.tree_size,
                    )

    sizes = sorted(signers)
    computed, count = leaves.roots(sizes)
    report.entries_checked = count
    for row in leaves.unreadable:
        report.add(
            ProblemCode.MALFORMED_ENTRY,
            f"the row at position {row.position} (notification id {row.notification_id}) "
            f"cannot be an event: {row.reason}",
            position=row.position,
        )
    last_good = 0
    for size in sizes:
        root = computed.get(size)
        if root is None:
            report.add(
                ProblemCode.ENTRIES_MISSING,
                f"{size} entries were signed but the store holds {count}: {size - count} signed "
                f"event(s) were deleted after position {last_good}",
                position=last_good + 1,
                tree_size=size,
            )
            continue
        wrong = {
            signed: names
            for signed, names in signers[size].items()
            if not compare_digest(root, bytes.fromhex(signed))
        }
        first, last = last_good + 1, size
        if len(wrong) < len(signers[size]):
            last_good = size
        at = leaves.notification_at
        for names in wrong.values():
            report.add(
                ProblemCode.ROOT_MISMATCH,
                f"the first {size} stored events are not those signed ({', '.join(names)}); "
                f"the first change lies in positions {first}..{last} "
                f"(notification ids {_shown(at(first))}..{_shown(at(last))})",
                position=first,
                tree_size=size,
            )

    signed = sizes[-1] if sizes else 0
    if count and not sizes:
        report.add(
            ProblemCode.NO_CHECKPOINT,
            f"no valid checkpoint covers any of the {count} stored events: nothing is proven "
            "(the service never signed, or its checkpoints are gone; give witnessed ones)",
        )
    elif count > signed:
        report.notes.append(
            f"the last {count - signed} entries are not covered by a checkpoint yet"
        )
    if leaves.gaps:
        report.notes.append(
            f"notification ids skip {leaves.gaps} values (a rolled-back insert does this on "
            "PostgreSQL); positions count stored events in order, so only the roots tell "
            "whether anything changed"
        )
    return report
