"""Read models of reporting, built from the archive only and kept incrementally.

Three projections follow reporting's own notification log (the archive, in arrival order):

- **statistics**: each proposal's facts (`domain.facts`) and buckets of counts per
  (quarter, unit, level, leader/staff) — plus, per responsible unit, who was late. A report sums
  at most (units × quarters) buckets, so its cost does not grow with the archive.
- **timeline index**: for each local day and upstream stream, the range of archive positions that
  holds its events, so an export of a period reads only that period.
- **archive digest**: an order-independent hash of every (stream, sequence, event id) archived.

Their state is saved as one snapshot (changed rows + the position it reflects) in reporting's own
database (`tables.py`); a restart loads it and catches up from there. Facts of proposals
are cached in memory up to a bound and read back from the table when needed, so memory stays
flat however long the archive grows. A projection that fails on one event dead-letters that event
with its reason and carries on; the other projections still see it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import orjson
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from services.reporting.domain import metrics as m
from services.reporting.domain.archive import ArchivedEvent, ProposalArchive
from services.reporting.domain.facts import Folding, Item, Lateness, ProposalFacts, fold
from services.reporting.domain.periods import quarter_of
from services.reporting.domain.words import indexed_title, word_patterns
from services.reporting.tables import ProjectionDatabase
from services.reporting.workdays import WorkingDays
from shared.platform.eventstore import ServiceApplication
from shared.platform.halt import NoticeKind, ServiceNotices
from shared.platform.sidetables import Statements

log = logging.getLogger("d73.reporting.projections")

ARCHIVED_TOPIC = get_topic(getattr(ProposalArchive, "Archived"))  # noqa: B009 — made by @event
FIRST_ARCHIVED = 2
"""The version of a proposal archive's first `Archived` event (after its `Started`)."""
CHECKPOINT = "reporting"
STATISTICS, TIMELINE, ARCHIVE_DIGEST = "statistics", "timeline", "archive"
STAT, LATE = "stat", "late"
BREACH_TYPE = "d73.case.deadline-breached.v1"
"""The only event that can put a proposal on the overdue list."""
DIGEST_MODULUS = 2**128

BucketKey = tuple[str, int, int, str, str, int]
"""(kind, year, quarter, unit, level, leader): `stat` buckets by the proposer's unit; `late`
buckets by the unit that answered for a breached deadline (level "" and leader 0)."""
Progress = Callable[[int, int], None]
K = TypeVar("K")


def _bucket_metrics(counts: dict[str, int]) -> bytes:
    return orjson.dumps(counts, option=orjson.OPT_SORT_KEYS)


FACTS_CACHED = 1_000
"""Proposals' facts kept in memory at most (the older half is saved and forgotten beyond it).
A cached `ProposalFacts` holds ~5.6 kB; 5,000 of them made reporting's peak RSS 22 MB higher
while it caught up with a large archive (118.5 against 96.1 MB over 320 k events), for no
measurable CPU: a proposal's events come close together, and a miss reads one row (issue #19:
< 150 MB per service at 1 M events)."""


class Projections:
    """All of reporting's read models, one position, one lock, one snapshot."""

    batch = 500
    """Archived events read at a time. A page of 2,000 raw states (~4 MB, decoded beside them)
    held reporting's peak 3 MB higher folding a 200 k-event archive (78.3 against 75.2 MB), for
    the same CPU, 28-29 µs an event (issue #19)."""

    def __init__(
        self,
        app: ServiceApplication,
        days: WorkingDays,
        *,
        cache_size: int = FACTS_CACHED,
        checkpoint_every_events: int = 20_000,
        checkpoint_every_seconds: float = 5.0,
    ) -> None:
        self.app = app
        self.days = days
        self.db = ProjectionDatabase(app.recorder)
        self.cache_size = cache_size
        self.checkpoint_every_events = checkpoint_every_events
        self.checkpoint_every_seconds = checkpoint_every_seconds
        self.notices: ServiceNotices | None = None
        """Set by the running service: an event set aside raises an alarm (issue #11 §2)."""
        self.lock = threading.RLock()
        mapper: Any = app.mapper
        recorder: Any = app.recorder
        self._fast_decode = mapper.cipher is None and mapper.compressor is None
        self._events_table: str = recorder.events_table_name
        self._items: list[Item] = []
        self._lateness: list[Lateness] = []
        self._quarters: dict[str, tuple[int, int]] = {}
        self._projections: tuple[tuple[str, Callable[[ArchivedEvent], None]], ...] = (
            (STATISTICS, self._apply_statistics),
            (TIMELINE, self._apply_timeline),
            (ARCHIVE_DIGEST, self._apply_archive_digest),
        )
        self._reset_memory()
        self._load()

    # ------------------------------------------------------------------ state

    def _reset_memory(self) -> None:
        self.position = 0
        self.events = 0
        self.dead_lettered = 0
        self._archive_sum = 0
        self._facts: dict[str, ProposalFacts] = {}
        self._persisted: SavedFacts | None = None
        """Which facts are in the table; None = unknown (look there on every cache miss)."""
        self._buckets: dict[BucketKey, dict[str, int]] = {}
        self._overdue: dict[str, list[dict[str, Any]]] = {}
        self._days: dict[tuple[str, str], list[int]] = {}
        self._dirty_facts: set[str] = set()
        self._dirty_buckets: set[BucketKey] = set()
        self._dirty_overdue: set[str] = set()
        self._dirty_days: set[tuple[str, str]] = set()
        self._new_dead_letters: list[tuple[str, int, str, str, str, str]] = []
        self._saved_position = 0
        self._saved_at = time.monotonic()

    def _load(self) -> None:
        """The last snapshot: position and every small table; facts stay in the table."""
        rows = self.db.query(
            "SELECT position, events, state FROM reporting_proj_checkpoint WHERE projection = ?",
            (CHECKPOINT,),
        )
        if not rows:
            return
        state = orjson.loads(rows[0]["state"])
        self.position = self._saved_position = int(rows[0]["position"])
        self.events = int(rows[0]["events"])
        self._archive_sum = int(state.get("archive_sum", "0"), 16)
        self.dead_lettered = int(state.get("dead_lettered", 0))
        for row in self.db.query(
            "SELECT kind, year, quarter, unit_id, level, leader, metrics "
            "FROM reporting_proj_buckets"
        ):
            key: BucketKey = (
                row["kind"],
                int(row["year"]),
                int(row["quarter"]),
                row["unit_id"],
                row["level"],
                int(row["leader"]),
            )
            self._buckets[key] = orjson.loads(row["metrics"])
        for row in self.db.query("SELECT proposal_id, rows FROM reporting_proj_overdue"):
            self._overdue[row["proposal_id"]] = orjson.loads(row["rows"])
        for row in self.db.query(
            "SELECT day, stream, first_position, last_position, events FROM reporting_proj_days"
        ):
            self._days[(row["day"], row["stream"])] = [
                int(row["first_position"]),
                int(row["last_position"]),
                int(row["events"]),
            ]

    # ------------------------------------------------------------------ catching up

    def catch_up(self, progress: Progress | None = None) -> int:
        """Fold every archived event after the current position; returns the new position."""
        recorder: Any = self.app.recorder
        with self.lock:
            total = (recorder.max_notification_id() or 0) if progress is not None else 0
            while True:
                notifications = self._page(self.position)
                if not notifications:
                    break
                for position, stored, version in notifications:
                    self._apply(position, stored, first=version == FIRST_ARCHIVED)
                if len(self._facts) > self.cache_size:
                    self._evict()
                if progress is not None:
                    progress(self.position, max(total, self.position))
                if len(notifications) < self.batch:
                    break
            return self.position

    def maybe_checkpoint(self) -> bool:
        """Save when enough has changed or enough time has passed since the last save."""
        with self.lock:
            behind = self.position - self._saved_position
            waited = time.monotonic() - self._saved_at
            if behind and (
                behind >= self.checkpoint_every_events or waited >= self.checkpoint_every_seconds
            ):
                self.checkpoint()
                return True
            return False

    def rebuild(self, progress: Progress | None = None) -> int:
        """Forget everything and fold the whole archive again (`d73 rebuild reporting`)."""
        with self.lock:
            self.db.reset()
            self._reset_memory()
            self._persisted = SavedFacts()
            self.catch_up(progress)
            self.checkpoint()
            self._persisted = None
            return self.position

    def _page(self, after: int) -> Sequence[tuple[int, bytes | Notification, int]]:
        """The next archived events: raw states (fast), or notifications when the store is
        compressed or encrypted and only the mapper can read them."""
        if self._fast_decode:
            return self.db.archived_after(self._events_table, ARCHIVED_TOPIC, after, self.batch)
        recorder: Any = self.app.recorder
        notifications: Sequence[Notification] = recorder.select_notifications(
            start=after, limit=self.batch, topics=(ARCHIVED_TOPIC,), inclusive_of_start=False
        )
        return [(n.id, n, n.originator_version) for n in notifications]

    def _apply(self, position: int, stored: bytes | Notification, *, first: bool = False) -> None:
        """Fold one archived event; `first`: its proposal archive's first, so the facts table
        holds nothing of its proposal (facts come from archived events only, saved with the
        position they reach), and none is asked for (a read per submission, ~30 % of the
        fold's CPU at a steady feed, issue #19)."""
        try:
            if isinstance(stored, bytes):
                entry = orjson.loads(stored)["entry"]
            else:
                entry = self.app.mapper.to_domain_event(stored).entry  # type: ignore[attr-defined]
            archived = ArchivedEvent.of(entry, position)
        except Exception as error:
            self._dead_letter("decode", position, error)
        else:
            proposal_id = archived.body.get("proposal_id") if first else None
            if isinstance(proposal_id, str) and proposal_id not in self._facts:
                self._facts[proposal_id] = ProposalFacts(proposal_id)
            for name, apply in self._projections:
                try:
                    apply(archived)
                except Exception as error:
                    self._dead_letter(name, position, error, archived)
        self.position = position
        self.events += 1

    def _dead_letter(
        self, projection: str, position: int, error: Exception, e: ArchivedEvent | None = None
    ) -> None:
        reason = f"{type(error).__name__}: {error}"[:2000]
        self.dead_lettered += 1
        self._new_dead_letters.append(
            (
                projection,
                position,
                "" if e is None else e.event_id,
                "" if e is None else e.type,
                reason,
                datetime.now(UTC).isoformat(),
            )
        )
        log.error("projection %s failed on archive position %d: %s", projection, position, reason)
        if self.notices is not None:
            event = "" if e is None else f" ({e.type} {e.event_id})"
            self.notices.notice(
                NoticeKind.PROJECTION_DEAD_LETTERED,
                projection,
                f"archive position {position}{event}: {reason[:1000]}",
            )

    # ------------------------------------------------------------------ statistics

    def _quarter(self, day: str) -> tuple[int, int]:
        period = self._quarters.get(day)
        if period is None:
            period = self._quarters[day] = quarter_of(day)
        return period

    def _add(self, key: BucketKey, metric: str, delta: int) -> None:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = {}
        value = bucket.get(metric, 0) + delta
        if value:
            bucket[metric] = value
        else:
            bucket.pop(metric, None)
        self._dirty_buckets.add(key)

    def _apply_statistics(self, e: ArchivedEvent) -> None:
        proposal_id = e.body["proposal_id"]
        if not isinstance(proposal_id, str):
            raise TypeError(f"proposal_id is not a string: {proposal_id!r}")
        facts = self._facts.get(proposal_id) or self._facts_for(proposal_id)
        was_attributed = facts.unit_id is not None
        had_overdue = proposal_id in self._overdue
        items, lateness = self._items, self._lateness
        items.clear()
        lateness.clear()
        fold(Folding(facts, self.days, items, lateness), e)
        self._dirty_facts.add(proposal_id)
        if facts.unit_id is None:
            if items:
                facts.pending = [*(facts.pending or []), *([d, k, v] for d, k, v in items)]
        else:
            unit, level, leader = facts.unit_id, facts.level or "", int(bool(facts.leader))
            if not was_attributed and facts.pending:
                items.extend((d, k, v) for d, k, v in facts.pending)
                facts.pending = None
            buckets, dirty, quarters = self._buckets, self._dirty_buckets, self._quarters
            for day, metric, delta in items:
                period = quarters.get(day) or self._quarter(day)
                key: BucketKey = (STAT, period[0], period[1], unit, level, leader)
                bucket = buckets.get(key)
                if bucket is None:
                    bucket = buckets[key] = {}
                value = bucket.get(metric, 0) + delta
                if value:
                    bucket[metric] = value
                else:
                    del bucket[metric]
                dirty.add(key)
            counted = facts.counted
            state = facts.state
            if counted is None or counted[5] != state:  # the attribution never changes once set
                if counted is not None:
                    old: BucketKey = (
                        STAT,
                        counted[0],
                        counted[1],
                        counted[2],
                        counted[3],
                        counted[4],
                    )
                    self._add(old, m.STATE + counted[5], -1)
                submitted_on = facts.submitted_on or e.local_day()
                year, quarter = self._quarter(submitted_on)
                self._add((STAT, year, quarter, unit, level, leader), m.STATE + state, 1)
                facts.counted = [year, quarter, unit, level, leader, state]
        for day, late_unit, metric, delta in lateness:
            year, quarter = self._quarter(day)
            self._add((LATE, year, quarter, late_unit, "", 0), metric, delta)
        if had_overdue or e.type == BREACH_TYPE:
            rows = facts.overdue()
            if rows:
                self._overdue[proposal_id] = rows
            else:
                self._overdue.pop(proposal_id, None)
            self._dirty_overdue.add(proposal_id)

    def _facts_for(self, proposal_id: str) -> ProposalFacts:
        facts = self._facts.get(proposal_id)
        if facts is None:
            if self._persisted is None or self._persisted.may_hold(proposal_id):
                facts = self._read_facts(proposal_id)
            if facts is None:
                facts = ProposalFacts(proposal_id)
            self._facts[proposal_id] = facts
        return facts

    def _read_facts(self, proposal_id: str) -> ProposalFacts | None:
        rows = self.db.query(
            "SELECT facts FROM reporting_proj_proposals WHERE proposal_id = ?", (proposal_id,)
        )
        return ProposalFacts.from_dict(orjson.loads(rows[0]["facts"])) if rows else None

    def _evict(self) -> None:
        """Save, then forget the older half of the cached facts (they are in the table now)."""
        self.checkpoint()
        keep = self.cache_size // 2
        ids = list(self._facts)
        for proposal_id in ids[: len(ids) - keep]:
            del self._facts[proposal_id]
            if self._persisted is not None:
                self._persisted.add(proposal_id)

    # ------------------------------------------------------------------ other projections

    def _apply_timeline(self, e: ArchivedEvent) -> None:
        key = (e.local_day(), e.upstream_stream)
        span = self._days.get(key)
        if span is None:
            self._days[key] = [e.position, e.position, 1]
        else:
            span[1] = e.position
            span[2] += 1
        self._dirty_days.add(key)

    def _apply_archive_digest(self, e: ArchivedEvent) -> None:
        token = f"{e.upstream_stream}|{e.upstream_seq}|{e.event_id}"
        digest = hashlib.blake2b(token.encode(), digest_size=16).digest()
        self._archive_sum = (self._archive_sum + int.from_bytes(digest, "big")) % DIGEST_MODULUS

    # ------------------------------------------------------------------ saving

    def checkpoint(self) -> None:
        """Write every changed row and the position they reflect, in one transaction."""
        with self.lock, self.db.transaction(write=True) as sql:
            self._write_facts(sql)
            self._write_buckets(sql)
            self._write_overdue(sql)
            self._write_days(sql)
            sql.executemany(
                "INSERT INTO reporting_proj_dead_letters "
                "(projection, position, event_id, type, reason, recorded_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (projection, position) DO NOTHING",
                self._new_dead_letters,
            )
            state = {
                "archive_sum": f"{self._archive_sum:032x}",
                "dead_lettered": self.dead_lettered,
            }
            sql.execute(
                "INSERT INTO reporting_proj_checkpoint "
                "(projection, position, events, state, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (projection) DO UPDATE SET position = excluded.position, "
                "events = excluded.events, state = excluded.state, "
                "updated_at = excluded.updated_at",
                (
                    CHECKPOINT,
                    self.position,
                    self.events,
                    orjson.dumps(state).decode(),
                    datetime.now(UTC).isoformat(),
                ),
            )
            self._new_dead_letters = []
            self._saved_position = self.position
            self._saved_at = time.monotonic()

    def _write_facts(self, sql: Statements) -> None:
        rows = []
        for proposal_id in self._dirty_facts:
            facts = self._facts.get(proposal_id)
            if facts is None:
                continue
            rows.append(
                (
                    proposal_id,
                    facts.proposer_id,
                    facts.unit_id or "",
                    facts.level or "",
                    facts.state,
                    facts.submitted_on or "",
                    facts.title,
                    orjson.dumps(facts.as_dict()).decode(),
                    indexed_title(facts.title),
                )
            )
        sql.executemany(
            "INSERT INTO reporting_proj_proposals "
            "(proposal_id, proposer_id, unit_id, level, state, submitted_on, title, facts, "
            "title_words) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (proposal_id) DO UPDATE SET "
            "proposer_id = excluded.proposer_id, unit_id = excluded.unit_id, "
            "level = excluded.level, state = excluded.state, "
            "submitted_on = excluded.submitted_on, title = excluded.title, "
            "facts = excluded.facts, title_words = excluded.title_words",
            rows,
        )
        self._dirty_facts.clear()

    def _write_buckets(self, sql: Statements) -> None:
        for key in self._dirty_buckets:
            if not self._buckets.get(key):
                self._buckets.pop(key, None)
        _write_changed(
            sql,
            self._dirty_buckets,
            self._buckets,
            columns=lambda key: key,
            encode=_bucket_metrics,
            upsert="INSERT INTO reporting_proj_buckets "
            "(kind, year, quarter, unit_id, level, leader, metrics) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (kind, year, quarter, unit_id, level, leader) "
            "DO UPDATE SET metrics = excluded.metrics",
            delete="DELETE FROM reporting_proj_buckets WHERE kind = ? AND year = ? "
            "AND quarter = ? AND unit_id = ? AND level = ? AND leader = ?",
        )

    def _write_overdue(self, sql: Statements) -> None:
        _write_changed(
            sql,
            self._dirty_overdue,
            self._overdue,
            columns=lambda proposal_id: (proposal_id,),
            encode=orjson.dumps,
            upsert="INSERT INTO reporting_proj_overdue (proposal_id, rows) VALUES (?, ?) "
            "ON CONFLICT (proposal_id) DO UPDATE SET rows = excluded.rows",
            delete="DELETE FROM reporting_proj_overdue WHERE proposal_id = ?",
        )

    def _write_days(self, sql: Statements) -> None:
        sql.executemany(
            "INSERT INTO reporting_proj_days (day, stream, first_position, last_position, events) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (day, stream) DO UPDATE SET "
            "first_position = excluded.first_position, last_position = excluded.last_position, "
            "events = excluded.events",
            [(*key, *self._days[key]) for key in self._dirty_days],
        )
        self._dirty_days.clear()

    # ------------------------------------------------------------------ queries

    def metrics(
        self,
        *,
        year: int,
        quarters: Iterable[int] = (1, 2, 3, 4),
        units: Iterable[str] | None = None,
        level: str | None = None,
        leader: bool | None = None,
        kind: str = STAT,
    ) -> Counter[str]:
        """Sum of the buckets in scope; the work is bounded by units × quarters."""
        wanted_quarters = set(quarters)
        wanted_units = None if units is None else set(units)
        total: Counter[str] = Counter()
        with self.lock:
            for key, counts in self._buckets.items():
                if (
                    key[0] == kind
                    and key[1] == year
                    and key[2] in wanted_quarters
                    and (wanted_units is None or key[3] in wanted_units)
                    and (level is None or key[4] == level)
                    and (leader is None or key[5] == int(leader))
                ):
                    total.update(counts)
        return total

    def metrics_by_scope(
        self, *, year: int, quarters: Iterable[int] = (1, 2, 3, 4), kind: str = STAT
    ) -> dict[tuple[int, str, str, int], dict[str, int]]:
        """(quarter, unit, level, leader) → counts, in one pass over the year's buckets; each a
        plain copy (a `Counter` per bucket cost a report more than summing them)."""
        wanted = set(quarters)
        out: dict[tuple[int, str, str, int], dict[str, int]] = {}
        with self.lock:
            for key, counts in self._buckets.items():
                if key[0] == kind and key[1] == year and key[2] in wanted:
                    out[(key[2], key[3], key[4], key[5])] = counts.copy()
        return out

    def state_counts(self) -> dict[str, int]:
        """How many proposals stand in each state now, whenever they were submitted."""
        total: Counter[str] = Counter()
        with self.lock:
            for key, counts in self._buckets.items():
                if key[0] == STAT:
                    for metric, value in counts.items():
                        if metric.startswith(m.STATE):
                            total[metric[len(m.STATE) :]] += value
        return dict(sorted((k, v) for k, v in total.items() if v))

    def facts(self, proposal_id: str) -> ProposalFacts | None:
        with self.lock:
            cached = self._facts.get(proposal_id)
            if cached is not None:
                return ProposalFacts.from_dict(orjson.loads(orjson.dumps(cached.as_dict())))
            return self._read_facts(proposal_id)

    def overdue_rows(self) -> list[dict[str, Any]]:
        with self.lock:
            return [row for rows in self._overdue.values() for row in rows]

    def day_spans(self, first: date, last: date) -> list[tuple[int, int]]:
        """Archive position ranges holding events of local days first..last (merged)."""
        with self.lock:
            spans = sorted(
                (span[0], span[1])
                for (day, _stream), span in self._days.items()
                if first.isoformat() <= day <= last.isoformat()
            )
        merged: list[tuple[int, int]] = []
        for start, stop in spans:
            if merged and start <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
            else:
                merged.append((start, stop))
        return merged

    def search(
        self, query: ProposalSearch, *, after: tuple[str, str] | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Proposals matching `query`, oldest first, paged (`after`: the last one's submission
        day and id).

        Each query walks one index from its first match and stops after `limit` rows; an agency
        of several units asks each unit for the keys of its first `limit` matches (read from the
        index), merges them and reads the facts of the page only, so the cost depends on the
        page and the number of units, never on how many proposals the archive holds."""
        with self.lock:
            if self._dirty_facts:
                self.checkpoint()
        if query.units is None:
            return self._search(query.where(None, after), limit)
        with self.db.transaction(write=False) as sql:
            keys: list[tuple[str, str]] = []
            for unit in sorted(set(query.units)):
                where, params = query.where(unit, after)
                keys.extend(
                    (row["submitted_on"], row["proposal_id"])
                    for row in sql.query(
                        "SELECT submitted_on, proposal_id FROM reporting_proj_proposals WHERE "
                        + " AND ".join(where)
                        + " ORDER BY submitted_on, proposal_id LIMIT ?",
                        [*params, limit],
                    )
                )
            page = [proposal_id for _day, proposal_id in sorted(keys)[:limit]]
            if not page:
                return []
            facts = {
                row["proposal_id"]: row["facts"]
                for row in sql.query(
                    "SELECT proposal_id, facts FROM reporting_proj_proposals "
                    f"WHERE proposal_id IN ({', '.join('?' for _ in page)})",
                    page,
                )
            }
        return [orjson.loads(facts[proposal_id]) for proposal_id in page]

    def search_total(self, query: ProposalSearch) -> int:
        """How many proposals match `query`, over every page."""
        where, params = query.where(None, None)
        if query.units is not None:
            chosen = sorted(set(query.units))
            if not chosen:
                return 0
            where.append(f"unit_id IN ({', '.join('?' for _ in chosen)})")
            params.extend(chosen)
        rows = self.db.query(
            "SELECT COUNT(*) AS n FROM reporting_proj_proposals WHERE " + " AND ".join(where),
            params,
        )
        return int(rows[0]["n"])

    def _search(self, found: tuple[list[str], list[Any]], limit: int) -> list[dict[str, Any]]:
        where, params = found
        rows = self.db.query(
            "SELECT facts FROM reporting_proj_proposals WHERE "
            + " AND ".join(where)
            + " ORDER BY submitted_on, proposal_id LIMIT ?",
            [*params, limit],
        )
        return [orjson.loads(row["facts"]) for row in rows]

    def dead_letters(self, limit: int = 200) -> list[dict[str, Any]]:
        with self.lock:
            if self._new_dead_letters:
                self.checkpoint()
            rows = self.db.query(
                "SELECT projection, position, event_id, type, reason, recorded_at "
                "FROM reporting_proj_dead_letters ORDER BY position DESC LIMIT ?",
                (limit,),
            )
        return [
            {
                "projection": row["projection"],
                "archive_position": int(row["position"]),
                "event_id": row["event_id"],
                "type": row["type"],
                "reason": row["reason"],
                "recorded_at": row["recorded_at"],
            }
            for row in rows
        ]

    # ------------------------------------------------------------------ digests

    def digests(self) -> dict[str, str]:
        """One digest per read model; equal digests mean equal content, whatever the arrival
        order of the two upstream streams was."""
        with self.lock:
            self.checkpoint()
            stat = sorted(
                (list(key), sorted(counts.items())) for key, counts in self._buckets.items()
            )
            overdue = sorted(
                (proposal_id, rows) for proposal_id, rows in self._overdue.items() if rows
            )
            proposals = hashlib.sha256()
            for facts in self._all_facts():
                proposals.update(orjson.dumps(facts.digest_view(), option=orjson.OPT_SORT_KEYS))
                proposals.update(b"\n")
            dead = sorted(
                (row["projection"], row["event_id"], row["type"], row["reason"])
                for row in self.db.query(
                    "SELECT projection, event_id, type, reason FROM reporting_proj_dead_letters"
                )
            )
            archive = f"{self.events}:{self._archive_sum:032x}"
        return {
            "reporting.statistics": _sha(stat),
            "reporting.proposals": proposals.hexdigest(),
            "reporting.overdue": _sha(overdue),
            "reporting.dead_letters": _sha(dead),
            "reporting.archive": hashlib.sha256(archive.encode()).hexdigest(),
        }

    def _all_facts(self, page: int = 2000) -> Iterator[ProposalFacts]:
        after = ""
        while True:
            rows = self.db.query(
                "SELECT proposal_id, facts FROM reporting_proj_proposals WHERE proposal_id > ? "
                "ORDER BY proposal_id LIMIT ?",
                (after, page),
            )
            for row in rows:
                yield ProposalFacts.from_dict(orjson.loads(row["facts"]))
            if len(rows) < page:
                return
            after = rows[-1]["proposal_id"]


@dataclass(frozen=True)
class ProposalSearch:
    """Tra cứu hồ sơ — proposals by official, unit, state, level, submission days and words of
    the title (`domain.words`), as `GET /audit/proposals` asks for a page and for their count."""

    proposer_id: str | None = None
    units: Sequence[str] | None = None
    state: str | None = None
    level: str | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None
    title_words: str = ""

    def where(self, unit: str | None, after: tuple[str, str] | None) -> tuple[list[str], list[Any]]:
        """The SQL conditions and their parameters, for one unit (or any) after a cursor."""
        where: list[str] = ["1 = 1"]
        params: list[Any] = []
        for column, value in (
            ("unit_id", unit),
            ("proposer_id", self.proposer_id),
            ("state", self.state),
            ("level", self.level),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if self.submitted_from is not None:
            where.append("submitted_on >= ?")
            params.append(self.submitted_from.isoformat())
        if self.submitted_to is not None:
            where.append("submitted_on <= ?")
            params.append(self.submitted_to.isoformat())
        for pattern in word_patterns(self.title_words):
            where.append("title_words LIKE ?")
            params.append(pattern)
        if after is not None:
            day, proposal_id = after
            where.append("(submitted_on > ? OR (submitted_on = ? AND proposal_id > ?))")
            params.extend([day, day, proposal_id])
        return where, params


class SavedFacts:
    """A bitmap of the proposals whose facts were saved while rebuilding: a set of a few hundred
    kilobytes however many proposals there are; a false "maybe" only costs one lookup."""

    def __init__(self, bits: int = 1 << 22) -> None:
        self.bits = bits
        self.map = bytearray(bits // 8)

    def _slot(self, proposal_id: str) -> tuple[int, int]:
        n = int.from_bytes(hashlib.blake2b(proposal_id.encode(), digest_size=8).digest(), "big")
        n %= self.bits
        return n >> 3, 1 << (n & 7)

    def add(self, proposal_id: str) -> None:
        at, bit = self._slot(proposal_id)
        self.map[at] |= bit

    def may_hold(self, proposal_id: str) -> bool:
        at, bit = self._slot(proposal_id)
        return bool(self.map[at] & bit)


def _write_changed(
    sql: Statements,
    dirty: set[K],
    current: Mapping[K, Any],
    *,
    columns: Callable[[K], tuple[Any, ...]],
    encode: Callable[[Any], bytes],
    upsert: str,
    delete: str,
) -> None:
    """Write the row of every changed key (its `columns`): upserted with its encoded value
    while it holds one, deleted once empty; then nothing is dirty."""
    upserts, deletes = [], []
    for key in dirty:
        value = current.get(key)
        if value:
            upserts.append((*columns(key), encode(value).decode()))
        else:
            deletes.append(columns(key))
    sql.executemany(upsert, upserts)
    sql.executemany(delete, deletes)
    dirty.clear()


def _sha(data: Any) -> str:
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()
