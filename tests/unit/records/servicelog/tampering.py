"""Editing a service's event table behind its back, as anyone with database access could."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from shared.platform.eventstore import database_name
from shared.platform.settings import Persistence, Settings


class StoreSurgery:
    """Raw SQL on the events table of one service's store (SQLite file or PostgreSQL)."""

    def __init__(self, settings: Settings, service: str) -> None:
        self.settings = settings
        self.service = service
        self.sqlite = settings.persistence is Persistence.SQLITE
        self.table = "stored_events" if self.sqlite else f"{service}_events"
        self.id = "rowid" if self.sqlite else "notification_id"
        self.mark = "?" if self.sqlite else "%s"

    @contextmanager
    def _sql(self) -> Iterator[Any]:
        connection: Any
        if self.sqlite:
            connection = sqlite3.connect(self.settings.data_dir / f"{self.service}.sqlite")
            try:
                yield connection
                connection.commit()
            finally:
                connection.close()
        else:
            import psycopg

            with psycopg.connect(
                host=self.settings.postgres_host,
                port=self.settings.postgres_port,
                user=self.settings.postgres_user,
                password=self.settings.postgres_password,
                dbname=database_name(self.settings, self.service),
                autocommit=True,
            ) as connection:
                yield connection

    def backup(self) -> list[tuple[Any, ...]]:
        """Every row with its notification id, to `restore` after a tampering."""
        columns = f"{self.id}, originator_id, originator_version, topic, state"
        with self._sql() as sql:
            return list(
                sql.execute(f"SELECT {columns} FROM {self.table} ORDER BY {self.id}").fetchall()
            )

    def restore(self, rows: list[tuple[Any, ...]]) -> None:
        m = self.mark
        with self._sql() as sql:
            sql.execute(f"DELETE FROM {self.table}")
            for row in rows:
                sql.execute(
                    f"INSERT INTO {self.table} ({self.id}, originator_id, originator_version, "
                    f"topic, state) VALUES ({m}, {m}, {m}, {m}, {m})",
                    row,
                )

    def ids(self) -> list[int]:
        with self._sql() as sql:
            rows = sql.execute(f"SELECT {self.id} FROM {self.table} ORDER BY {self.id}").fetchall()
        return [int(row[0]) for row in rows]

    def edit(self, notification_id: int, change: Callable[[dict[str, Any]], None]) -> None:
        """Change the stored payload of one event."""
        m = self.mark
        with self._sql() as sql:
            (state,) = sql.execute(
                f"SELECT state FROM {self.table} WHERE {self.id} = {m}", (notification_id,)
            ).fetchone()
            payload = orjson.loads(bytes(state))
            change(payload)
            sql.execute(
                f"UPDATE {self.table} SET state = {m} WHERE {self.id} = {m}",
                (orjson.dumps(payload), notification_id),
            )

    def set_null(self, notification_id: int, column: str) -> None:
        """A row left with no `column` (the events table allows a NULL topic or state)."""
        with self._sql() as sql:
            sql.execute(
                f"UPDATE {self.table} SET {column} = NULL WHERE {self.id} = {self.mark}",
                (notification_id,),
            )

    def delete(self, notification_id: int) -> None:
        with self._sql() as sql:
            sql.execute(
                f"DELETE FROM {self.table} WHERE {self.id} = {self.mark}", (notification_id,)
            )

    def swap(self, first: int, second: int) -> None:
        """Reorder: the two events exchange their places in the notification log."""
        m, column = self.mark, self.id
        with self._sql() as sql:
            for old, new in ((first, -1), (second, first), (-1, second)):
                sql.execute(
                    f"UPDATE {self.table} SET {column} = {m} WHERE {column} = {m}", (new, old)
                )

    def forge(self, notification_id: int, like: int) -> None:
        """Insert a made-up event at `notification_id`, copied from event `like` with a new
        aggregate and title (a plausible record that was never decided); the events from
        there on move up one place first if the id is taken."""
        m, column = self.mark, self.id
        with self._sql() as sql:
            topic, state = sql.execute(
                f"SELECT topic, state FROM {self.table} WHERE {column} = {m}", (like,)
            ).fetchone()
            taken = [
                row[0]
                for row in sql.execute(
                    f"SELECT {column} FROM {self.table} WHERE {column} >= {m} "
                    f"ORDER BY {column} DESC",
                    (notification_id,),
                ).fetchall()
            ]
            if notification_id in taken:
                for moved in taken:
                    sql.execute(
                        f"UPDATE {self.table} SET {column} = {m} WHERE {column} = {m}",
                        (moved + 1, moved),
                    )
            payload = orjson.loads(bytes(state))
            payload["title"] = "Đề xuất chưa từng được phê duyệt"
            originator = uuid.uuid4()
            sql.execute(
                f"INSERT INTO {self.table} ({column}, originator_id, originator_version, topic, "
                f"state) VALUES ({m}, {m}, 1, {m}, {m})",
                (
                    notification_id,
                    originator.hex if self.sqlite else originator,
                    topic,
                    orjson.dumps(payload),
                ),
            )

    def drop_checkpoints(self) -> None:
        """The owner of the database can drop the append-only table, triggers and all."""
        with self._sql() as sql:
            sql.execute("DROP TABLE audit_checkpoints")

    def rewrite_checkpoint_root(self, tree_size: int, root_hash: str) -> None:
        """Change a kept checkpoint's root, the append-only triggers dropped first."""
        m = self.mark
        with self._sql() as sql:
            for trigger in ("audit_checkpoints_no_update", "audit_checkpoints_append_only"):
                sql.execute(
                    f"DROP TRIGGER IF EXISTS {trigger}"
                    + ("" if self.sqlite else " ON audit_checkpoints")
                )
            (text,) = sql.execute(
                f"SELECT checkpoint FROM audit_checkpoints WHERE tree_size = {m}", (tree_size,)
            ).fetchone()
            data = orjson.loads(text)
            data["root_hash"] = root_hash
            sql.execute(
                f"UPDATE audit_checkpoints SET checkpoint = {m} WHERE tree_size = {m}",
                (orjson.dumps(data).decode(), tree_size),
            )
