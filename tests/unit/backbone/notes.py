"""A small aggregate and its service application on a real store (SQLite or PostgreSQL), for
the tests of the store's write paths (group commit, consumer batches)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TypeVar

import pytest
from eventsourcing.domain import Aggregate, event

from shared.platform.eventstore import ServiceApplication, store_env
from shared.platform.settings import Settings
from tests.support.infra import store_settings


class Note(Aggregate):
    @event("Written")
    def __init__(self, text: str, due: date) -> None:
        self.text = text
        self.due = due

    @event("Amended")
    def amend(self, text: str) -> None:
        self.text = text


class NoteApp(ServiceApplication):
    name = "notes"


N = TypeVar("N", bound=NoteApp)


@contextmanager
def notes_store(
    request: pytest.FixtureRequest, tmp_path: Path, app_class: type[N]
) -> Iterator[tuple[N, Settings]]:
    """`app_class` on the store `request.param` names ("sqlite" or "postgres"), and its
    settings; the PostgreSQL database is dropped afterwards."""
    with store_settings(request, tmp_path, "notes") as settings:
        app = app_class(store_env("notes", settings))
        try:
            yield app, settings
        finally:
            app.close()
