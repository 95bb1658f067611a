"""Registration at scale: attachments and the read model in registration's own PostgreSQL
database, with the same behaviour as on SQLite."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.registration.application import RegistrationApplication
from services.registration.attachment_store import PostgresAttachmentStore
from services.registration.main import create_application
from services.registration.rebuild import rebuild
from shared.platform.settings import Settings
from tests.support.infra import (
    throwaway_postgres,
)
from tests.unit.registration_domain.builders import complete_plan
from tests.unit.registration_service.builders import DIRECTOR, PDF, Clock, upload

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_settings(postgres_ready: None, tmp_path: Path) -> Iterator[Settings]:
    with throwaway_postgres(data_dir=tmp_path) as settings:
        yield settings


def test_files_and_the_read_model_live_in_registrations_database(
    pg_settings: Settings, tmp_path: Path
) -> None:
    app: RegistrationApplication = create_application(pg_settings, Clock())
    try:
        assert isinstance(app.attachment_store, PostgresAttachmentStore)
        plan = complete_plan()
        del plan["attachments"]
        first = app.draft(DIRECTOR, "Một cửa", plan).id
        second = app.draft(DIRECTOR, "Hai cửa", plan).id
        upload(app, DIRECTOR, first)
        upload(app, DIRECTOR, second)  # identical content: one row
        app.submit(DIRECTOR, first)
        sha = hashlib.sha256(PDF).hexdigest()
        rows = app.tables.query("SELECT sha256, size FROM registration_attachments")
        assert rows == [(sha, len(PDF))]
        _, chunks = app.attachment_for(DIRECTOR, first, sha)
        assert b"".join(chunks) == PDF
        assert not list((tmp_path / "attachments").rglob("sha256/*"))
        assert [row["status"] for row in app.proposals_of(DIRECTOR)] == ["SUBMITTED", "DRAFT"]
    finally:
        app.close()
    report = rebuild(pg_settings, lambda done, total: None)
    assert report.unchanged
    assert report.events >= 5


def test_a_failed_commit_leaves_no_row(
    pg_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_application(pg_settings, Clock())
    try:
        plan = complete_plan()
        del plan["attachments"]
        pid = app.draft(DIRECTOR, "Một cửa", plan).id

        def store_down(*_: object, **__: object) -> None:
            raise OSError("event store unavailable")

        monkeypatch.setattr(app, "record", store_down)
        with pytest.raises(OSError, match="unavailable"):
            upload(app, DIRECTOR, pid)
        monkeypatch.undo()
        assert app.tables.query("SELECT sha256 FROM registration_attachments") == []
    finally:
        app.close()
