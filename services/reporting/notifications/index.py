"""The notification index: what the portal, the outbox and the digest ask of the notification
store, as tables beside its events (issue #19).

Folded from the store's events alone, as it was in memory — where every notification cost
~0.5 KB and every case a view, kept for ever, so that reporting's memory grew with each
proposal towards the 150 MB a service may take. Its rows now live in the store's own datastore
(`StoreTables`: SQLite, or the `notifications` schema on PostgreSQL), and each question walks
one index from its first match, so it costs what it answers, not what the store holds.

The rows and the store position they reflect are written in one transaction: inside a consumer
batch that is the batch's own, with the events they fold (a message that fails rolls both
back); after any other commit it follows the commit at once. A crash in between leaves the index
behind the store, never wrong: it catches up from its position on the next start. `FOLD` names
the shape of the fold: an index written by another shape is emptied and folded again from the
store's first event (`reset`), as is one asked to rebuild.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson

from services.reporting.notifications.domain import Delivery
from services.reporting.notifications.kinds import LABELS_VI
from shared.platform.sidetables import Statements, StoreTables

FOLD = "1"
"""The fold's shape: change it whenever the tables or what a row holds change."""
STATE = "notification_index_state"
VIEWS = "notification_index_views"
CASES = "notification_index_cases"
PREFERENCES = "notification_index_preferences"
TABLES = (VIEWS, CASES, PREFERENCES)

_VIEW_COLUMNS = (
    "id, person_id, kind, case_id, proposal_id, subject, link, email, created_at, delivery, "
    "note, read_at, attempts, retry_at, last_error, sent_at"
)


@dataclass(slots=True)
class NotificationView:
    """A notification as the index holds it: all but its text (`NotificationsApplication.text`)."""

    id: UUID
    person_id: str
    kind: str
    case_id: str
    proposal_id: str
    subject: str
    link: str
    email: str
    created_at: str
    delivery: str
    note: str = ""
    read_at: str | None = None
    attempts: int = 0
    retry_at: str | None = None
    last_error: str = ""
    sent_at: str | None = None

    def public(self, text: str) -> dict[str, Any]:
        """What the person sees (the API's `Notification`), with its `text`."""
        return {
            "id": str(self.id),
            "kind": self.kind,
            "kind_label": LABELS_VI[self.kind],  # by value, no Kind(): a list builds a hundred
            "subject": self.subject,
            "text": text,
            "link": self.link,
            "case_id": self.case_id or None,
            "proposal_id": self.proposal_id or None,
            "created_at": self.created_at,
            "read": self.read_at is not None,
            "read_at": self.read_at,
            "email": self.delivery,
        }

    def for_operators(self, text: str) -> dict[str, Any]:
        return {
            **self.public(text),
            "person_id": self.person_id,
            "to": self.email,
            "attempts": self.attempts,
            "retry_at": self.retry_at,
            "last_error": self.last_error,
        }


@dataclass
class CaseView:
    case_id: str
    proposal_id: str
    title: str
    rule_set_version: str
    parties: dict[str, Any]
    waiting: dict[str, str | None] | None = None


@dataclass(frozen=True)
class Folded:
    """What a fold changed that its caller keeps beside the tables (bounded by people, not by
    proposals): the store's origin, each person's chosen modes, the newest texts."""

    origin: str | None = None
    modes: tuple[tuple[str, str, str], ...] = ()
    """(preferences id, kind, mode) chosen, in order."""
    texts: tuple[tuple[UUID, str], ...] = ()
    """(notification id, text) of the notifications created, in order."""


class NotificationIndex:
    """The index's tables in the notification store's datastore, and the questions they answer."""

    def __init__(self, datastore: Any) -> None:
        self.tables = StoreTables(datastore)
        t = self.tables.dialect.table
        self._state, self._views = t(STATE), t(VIEWS)
        self._cases, self._preferences = t(CASES), t(PREFERENCES)
        with self.tables.transaction(write=True) as sql:
            for statement in self._schema():
                sql.execute(statement)
            rows = sql.query(f"SELECT fold FROM {self._state} WHERE name = 'index'")
            if not rows:
                sql.execute(
                    f"INSERT INTO {self._state} (name, fold, position, origin) "
                    "VALUES ('index', ?, 0, NULL)",
                    (FOLD,),
                )
            elif rows[0]["fold"] != FOLD:
                self._empty(sql)

    def _schema(self) -> tuple[str, ...]:
        return (
            f"""CREATE TABLE IF NOT EXISTS {self._state} (
                name TEXT PRIMARY KEY, fold TEXT NOT NULL, position BIGINT NOT NULL,
                origin TEXT)""",
            f"""CREATE TABLE IF NOT EXISTS {self._views} (
                id TEXT PRIMARY KEY, position BIGINT NOT NULL, person_id TEXT NOT NULL,
                kind TEXT NOT NULL, case_id TEXT NOT NULL, proposal_id TEXT NOT NULL,
                subject TEXT NOT NULL, link TEXT NOT NULL, email TEXT NOT NULL,
                created_at TEXT NOT NULL, delivery TEXT NOT NULL, note TEXT NOT NULL,
                read_at TEXT, attempts INTEGER NOT NULL, retry_at TEXT,
                last_error TEXT NOT NULL, sent_at TEXT)""",
            # A person's list, newest first, and what they have read: their counts (the bell)
            # and their unread ones read the index alone (one index: each costs every insert).
            f"CREATE INDEX IF NOT EXISTS {VIEWS}_by_person "
            f"ON {self._views} (person_id, position, read_at)",
            # The outbox's due sends, the operators' failed e-mails, the digest's gathered ones.
            f"CREATE INDEX IF NOT EXISTS {VIEWS}_by_delivery ON {self._views} (delivery, position)",
            f"""CREATE TABLE IF NOT EXISTS {self._cases} (
                record_id TEXT PRIMARY KEY, position BIGINT NOT NULL, case_id TEXT NOT NULL,
                proposal_id TEXT NOT NULL, title TEXT NOT NULL, rule_set_version TEXT NOT NULL,
                parties TEXT NOT NULL, waits INTEGER NOT NULL, waiting_state TEXT,
                waiting_audience TEXT, waiting_due TEXT)""",
            # The digest reads the cases that wait on someone, not every case ever opened.
            f"CREATE INDEX IF NOT EXISTS {CASES}_waiting ON {self._cases} (position) "
            "WHERE waits = 1",
            f"""CREATE TABLE IF NOT EXISTS {self._preferences} (
                preferences_id TEXT NOT NULL, kind TEXT NOT NULL, mode TEXT NOT NULL,
                PRIMARY KEY (preferences_id, kind))""",
        )

    # ------------------------------------------------------------------ the fold

    def state(self) -> tuple[int, str | None]:
        """The store position the tables reflect, and the store's origin (None before it)."""
        (row,) = self.tables.query(
            f"SELECT position, origin FROM {self._state} WHERE name = 'index'"
        )
        return int(row["position"]), row["origin"]

    def fold(self, events: Iterable[tuple[int, Any]]) -> Folded:
        """Write what (position, event) pairs change, and the last position, in one
        transaction; events named by their class (`Notification.Created`…)."""
        origin: str | None = None
        modes: list[tuple[str, str, str]] = []
        texts: list[tuple[UUID, str]] = []
        # Rows written at once, before any other statement: the notifications created, and a case
        # opened with the step it waits on (a case event's `NoteCaseEvent` records both).
        created: list[tuple[Any, ...]] = []
        opened: list[Any] | None = None
        last = None
        with self.tables.transaction(write=True) as sql:
            for position, event in events:
                last = position
                name, e = type(event).__qualname__, event
                if name == "Notification.Created":
                    created.append(_created(position, e))
                    texts.append((e.originator_id, e.text))
                    continue
                if name == "CaseFile.Waiting" and opened and opened[0] == str(e.originator_id):
                    opened[-4:] = _waiting(e)
                    continue
                if created:
                    self._insert(sql, created)
                if opened:
                    self._open(sql, opened)
                    opened = None
                if name.startswith("Notification."):
                    self._changed(sql, name, e)
                elif name == "CaseFile.Opened":
                    opened = _opened(position, e)
                elif name == "CaseFile.Waiting":
                    sql.execute(
                        f"UPDATE {self._cases} SET waits = ?, waiting_state = ?, "
                        "waiting_audience = ?, waiting_due = ? WHERE record_id = ?",
                        (*_waiting(e), str(e.originator_id)),
                    )
                elif name == "Preferences.Chosen":
                    sql.execute(
                        f"INSERT INTO {self._preferences} (preferences_id, kind, mode) "
                        "VALUES (?, ?, ?) ON CONFLICT (preferences_id, kind) "
                        "DO UPDATE SET mode = excluded.mode",
                        (str(e.originator_id), e.kind, e.mode),
                    )
                    modes.append((str(e.originator_id), e.kind, e.mode))
                elif name == "StoreOrigin.Began":
                    origin = e.at
                    sql.execute(
                        f"UPDATE {self._state} SET origin = ? WHERE name = 'index'", (origin,)
                    )
            if created:
                self._insert(sql, created)
            if opened:
                self._open(sql, opened)
            if last is not None:
                sql.execute(f"UPDATE {self._state} SET position = ? WHERE name = 'index'", (last,))
        return Folded(origin, tuple(modes), tuple(texts))

    def _insert(self, sql: Statements, created: list[tuple[Any, ...]]) -> None:
        sql.executemany(
            f"INSERT INTO {self._views} (position, {_VIEW_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, NULL, '', NULL)",
            created,
        )
        created.clear()

    def _changed(self, sql: Statements, name: str, e: Any) -> None:
        """A notification's later event (none changes a notification the index lacks)."""
        values: tuple[Any, ...]
        if name == "Notification.Read":
            assignments, values = "read_at = ?", (e.at,)
        elif name == "Notification.EmailSent":
            assignments = "delivery = ?, sent_at = ?, attempts = ?, retry_at = NULL"
            values = (Delivery.SENT, e.at, e.attempt)
        elif name == "Notification.EmailFailed":
            assignments = "attempts = ?, last_error = ?, retry_at = ?, delivery = ?"
            delivery = Delivery.PENDING if e.retry_at is not None else Delivery.FAILED
            values = (e.attempt, e.error, e.retry_at, delivery)
        elif name == "Notification.Retried":
            assignments, values = "delivery = ?, retry_at = ?", (Delivery.PENDING, e.at)
        elif name == "Notification.Digested":
            assignments, values = "delivery = ?", (Delivery.DIGESTED,)
        else:
            return
        sql.execute(
            f"UPDATE {self._views} SET {assignments} WHERE id = ?",
            (*values, str(e.originator_id)),
        )

    def _open(self, sql: Statements, row: list[Any]) -> None:
        """A case opened (again: as the fold in memory did, it starts afresh, in its place)."""
        sql.execute(
            f"INSERT INTO {self._cases} (record_id, position, case_id, proposal_id, title, "
            "rule_set_version, parties, waits, waiting_state, waiting_audience, waiting_due) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (record_id) DO UPDATE SET case_id = excluded.case_id, "
            "proposal_id = excluded.proposal_id, title = excluded.title, "
            "rule_set_version = excluded.rule_set_version, parties = excluded.parties, "
            "waits = excluded.waits, waiting_state = excluded.waiting_state, "
            "waiting_audience = excluded.waiting_audience, waiting_due = excluded.waiting_due",
            row,
        )

    def reset(self) -> None:
        """Empty every table: the next fold starts from the store's first event."""
        with self.tables.transaction(write=True) as sql:
            self._empty(sql)

    def _empty(self, sql: Statements) -> None:
        for table in (self._views, self._cases, self._preferences):
            sql.execute(f"DELETE FROM {table}")
        sql.execute(
            f"UPDATE {self._state} SET fold = ?, position = 0, origin = NULL WHERE name = 'index'",
            (FOLD,),
        )

    # ------------------------------------------------------------------ questions

    def of_person(
        self, person_id: str, *, unread_only: bool = False, limit: int | None = None
    ) -> list[NotificationView]:
        """The person's notifications, newest first (the first `limit`)."""
        unread = " AND read_at IS NULL" if unread_only else ""
        bound = "" if limit is None else f" LIMIT {int(limit)}"
        rows = self.tables.query(
            f"SELECT {_VIEW_COLUMNS} FROM {self._views} WHERE person_id = ?{unread} "
            f"ORDER BY position DESC{bound}",
            (person_id,),
        )
        return [_view(row) for row in rows]

    def counts_of(self, person_id: str) -> tuple[int, int]:
        """How many notifications the person has, and how many of them are unread."""
        (row,) = self.tables.query(
            "SELECT COUNT(*) AS total, "
            "COALESCE(SUM(CASE WHEN read_at IS NULL THEN 1 ELSE 0 END), 0) AS unread "
            f"FROM {self._views} WHERE person_id = ?",
            (person_id,),
        )
        return int(row["total"]), int(row["unread"])

    def view(self, notification_id: UUID) -> NotificationView | None:
        rows = self.tables.query(
            f"SELECT {_VIEW_COLUMNS} FROM {self._views} WHERE id = ?", (str(notification_id),)
        )
        return _view(rows[0]) if rows else None

    def held(self, notification_ids: Sequence[UUID]) -> set[UUID]:
        """Which of the notifications the index holds."""
        if not notification_ids:
            return set()
        marks = ", ".join("?" * len(notification_ids))
        rows = self.tables.query(
            f"SELECT id FROM {self._views} WHERE id IN ({marks})",
            [str(i) for i in notification_ids],
        )
        return {UUID(row["id"]) for row in rows}

    def in_state(self, delivery: str) -> list[NotificationView]:
        """The notifications whose e-mail stands at `delivery`, oldest first."""
        rows = self.tables.query(
            f"SELECT {_VIEW_COLUMNS} FROM {self._views} WHERE delivery = ? ORDER BY position",
            (delivery,),
        )
        return [_view(row) for row in rows]

    def count(self) -> int:
        """How many notifications the store holds."""
        (row,) = self.tables.query(f"SELECT COUNT(*) AS n FROM {self._views}")
        return int(row["n"])

    def count_in_state(self, delivery: str) -> int:
        (row,) = self.tables.query(
            f"SELECT COUNT(*) AS n FROM {self._views} WHERE delivery = ?", (delivery,)
        )
        return int(row["n"])

    def due_sends(self, at: str) -> list[NotificationView]:
        """E-mails in the outbox whose (next) try is due at `at`, oldest first."""
        rows = self.tables.query(
            f"SELECT {_VIEW_COLUMNS} FROM {self._views} WHERE delivery = ? "
            "AND (retry_at IS NULL OR retry_at <= ?) ORDER BY created_at, position",
            (Delivery.PENDING, at),
        )
        return [_view(row) for row in rows]

    def waiting_cases(self) -> list[CaseView]:
        """The cases that wait on someone, in the order they were opened."""
        rows = self.tables.query(
            "SELECT case_id, proposal_id, title, rule_set_version, parties, waiting_state, "
            f"waiting_audience, waiting_due FROM {self._cases} WHERE waits = 1 ORDER BY position"
        )
        return [
            CaseView(
                case_id=row["case_id"],
                proposal_id=row["proposal_id"],
                title=row["title"],
                rule_set_version=row["rule_set_version"],
                parties=_parties(row["parties"]),
                waiting={
                    "state": row["waiting_state"],
                    "audience": row["waiting_audience"],
                    "due": row["waiting_due"],
                },
            )
            for row in rows
        ]

    def modes(self, preferences_id: str) -> dict[str, str]:
        """The modes a person chose, by kind (their `Preferences` record's id)."""
        rows = self.tables.query(
            f"SELECT kind, mode FROM {self._preferences} WHERE preferences_id = ?",
            (preferences_id,),
        )
        return {row["kind"]: row["mode"] for row in rows}

    def contents(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, in a stable order: two indexes folded from the same store
        hold the same (for tests and `d73`'s own checks)."""
        with self.tables.transaction(write=False) as sql:
            found = {
                table: [
                    tuple(row[k] for k in row.keys())  # noqa: SIM118 - sqlite3.Row has no items
                    for row in sql.query(f"SELECT * FROM {self.tables.dialect.table(table)}")
                ]
                for table in (STATE, *TABLES)
            }
        return {table: sorted(rows, key=repr) for table, rows in found.items()}


def _created(position: int, e: Any) -> tuple[Any, ...]:
    """The row of a `Notification.Created` event (its later events change it)."""
    return (
        position,
        str(e.originator_id),
        e.person_id,
        e.kind,
        e.case_id,
        e.proposal_id,
        e.subject,
        e.link,
        e.email,
        e.timestamp.isoformat(),
        e.delivery,
        e.note,
    )


def _opened(position: int, e: Any) -> list[Any]:
    """The row of a `CaseFile.Opened` event, waiting on nothing yet."""
    parties = {
        "proposer_id": e.proposer_id,
        "recipient_unit_id": e.recipient_unit_id,
        "intake_unit_id": e.intake_unit_id,
        "directory_version": e.directory_version,
        "delegate_ids": list(e.delegate_ids),
    }
    return [
        str(e.originator_id),
        position,
        str(e.case_id),
        e.proposal_id,
        e.title,
        e.rule_set_version,
        orjson.dumps(parties).decode(),
        0,
        None,
        None,
        None,
    ]


def _waiting(e: Any) -> tuple[int, str | None, str | None, str | None]:
    """waits, waiting_state, waiting_audience, waiting_due of a `CaseFile.Waiting` event."""
    if e.state is None:
        return 0, None, None, None
    return 1, e.state, e.audience, e.due


def _view(row: Any) -> NotificationView:
    return NotificationView(
        id=UUID(row["id"]),
        person_id=row["person_id"],
        kind=row["kind"],
        case_id=row["case_id"],
        proposal_id=row["proposal_id"],
        subject=row["subject"],
        link=row["link"],
        email=row["email"],
        created_at=row["created_at"],
        delivery=row["delivery"],
        note=row["note"],
        read_at=row["read_at"],
        attempts=int(row["attempts"]),
        retry_at=row["retry_at"],
        last_error=row["last_error"],
        sent_at=row["sent_at"],
    )


def _parties(stored: str) -> dict[str, Any]:
    parties: dict[str, Any] = orjson.loads(stored)
    parties["delegate_ids"] = tuple(parties["delegate_ids"])
    return parties
