"""`d73 verify` finds every edit of a signed store, on SQLite and on PostgreSQL (issue #6).

Each kind of tampering (an edited payload, a deleted row, two rows reordered, a forged row) is
tried at the first, a middle and the last signed event of one store, restored in between, and
each time the check fails and names where. On PostgreSQL, notification ids have gaps after a
rolled-back insert: the log counts positions in order, so a gap is no change, and a row forged
into the gap is found like any other.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError
from typer.testing import CliRunner, Result

from services.cli import verify as verify_cli
from shared.platform.eventstore import ensure_postgres_database, store_env
from shared.platform.settings import Settings
from shared.records.servicelog.log import ServiceLog
from shared.records.servicelog.verify import stored_pages, stored_rows
from tests.support.infra import (
    throwaway_postgres,
)
from tests.unit.records.servicelog.support import (
    SERVICE,
    Memo,
    MemoApp,
    file_memos,
    last_id,
    service_log,
)
from tests.unit.records.servicelog.tampering import StoreSurgery

runner = CliRunner()


def settings_env(settings: Settings) -> dict[str, str]:
    return {
        "D73_DATA_DIR": str(settings.data_dir),
        "D73_PERSISTENCE": settings.persistence.value,
        "D73_POSTGRES_HOST": settings.postgres_host,
        "D73_POSTGRES_PORT": str(settings.postgres_port),
        "D73_POSTGRES_USER": settings.postgres_user,
        "D73_POSTGRES_DB_PREFIX": settings.postgres_db_prefix,
    }


def verify(settings: Settings, *args: str) -> Result:
    return runner.invoke(
        verify_cli.app, ["verify", SERVICE, "--json", *args], env=settings_env(settings)
    )


@contextmanager
def postgres_settings(data_dir: Path) -> Iterator[Settings]:
    """A throwaway PostgreSQL database for the service, dropped afterwards."""
    with throwaway_postgres(data_dir=data_dir, postgres_pool_size=1) as settings:
        ensure_postgres_database(settings, SERVICE)
        yield settings


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    if request.param == "sqlite":
        yield Settings(data_dir=tmp_path)
        return
    request.getfixturevalue("postgres_ready")
    with postgres_settings(tmp_path) as settings:
        yield settings


@pytest.fixture
def postgres(postgres_ready: None, tmp_path: Path) -> Iterator[Settings]:
    with postgres_settings(tmp_path) as settings:
        yield settings


def signed_store(settings: Settings, memos: int = 15) -> tuple[MemoApp, ServiceLog]:
    """2 x `memos` events (drafts included), signed at 12 events and at the end."""
    app = MemoApp(store_env(SERVICE, settings))
    file_memos(app, memos)
    audit = service_log(app, settings.data_dir / "keys", chunk_bits=3)
    audit.sync_to(12)
    assert audit.sign(when_due=False) is not None
    audit.sync_to(last_id(app))
    assert audit.sign(when_due=False) is not None
    return app, audit


def retitle(payload: dict[str, Any]) -> None:
    payload["title" if "title" in payload else "text"] = "Sửa sau khi ký"


TAMPERINGS: dict[str, Callable[[StoreSurgery, int], None]] = {
    "edit a payload": lambda surgery, at: surgery.edit(at, retitle),
    "delete a row": lambda surgery, at: surgery.delete(at),
    "reorder two rows": lambda surgery, at: surgery.swap(at, at + 1 if at < 30 else at - 1),
    # At the start with id 0 (below where the notification log is usually read from), else
    # in between, the later rows renumbered one up.
    "insert a forged row": lambda surgery, at: surgery.forge(0 if at == 1 else at, like=at),
}


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
def test_tampering_with_a_signed_store_is_found_every_time(
    settings: Settings, tampering: str
) -> None:
    app, _ = signed_store(settings)
    try:
        assert verify(settings).exit_code == 0
        surgery = StoreSurgery(settings, SERVICE)
        untouched = surgery.backup()
        for at in (1, 13, 30):
            TAMPERINGS[tampering](surgery, at)
            result = verify(settings)
            assert result.exit_code == 1, (tampering, at, result.stdout)
            problems = json.loads(result.stdout)["problems"]
            assert {p["code"] for p in problems} <= {"root_mismatch", "entries_missing"}
            first_bad = min(p["position"] or p["tree_size"] for p in problems)
            assert first_bad <= max(at, 1), (tampering, at, problems)
            if tampering == "edit a payload" and at == 13:
                in_parallel = verify(settings, "--jobs", "2")  # two processes, same findings
                assert json.loads(in_parallel.stdout)["problems"] == problems
            surgery.restore(untouched)
        assert verify(settings).exit_code == 0
    finally:
        app.close()


@pytest.mark.parametrize("column", ["state", "topic"])
def test_a_row_that_cannot_be_an_event_is_reported_not_a_crash(
    settings: Settings, column: str
) -> None:
    """A signed row whose state or topic was set to NULL: the check names the row as no event
    (malformed_entry) and the roots it breaks, in one process and in two."""
    app, _ = signed_store(settings)
    try:
        surgery = StoreSurgery(settings, SERVICE)
        surgery.set_null(surgery.ids()[12], column)
        for jobs in ("1", "2"):
            result = verify(settings, "--jobs", jobs)
            assert result.exit_code == 1, result.output
            problems = json.loads(result.stdout)["problems"]
            malformed = [p for p in problems if p["code"] == "malformed_entry"]
            assert [p["position"] for p in malformed] == [13], problems
            assert {p["code"] for p in problems} == {"malformed_entry", "root_mismatch"}
    finally:
        app.close()


@pytest.mark.postgres
def test_postgres_gaps_after_a_rollback_are_no_change_but_a_row_forged_into_one_is(
    postgres: Settings,
) -> None:
    settings = postgres
    app = MemoApp(store_env(SERVICE, settings))
    try:
        memo = file_memos(app, 2)[0]
        stale: Memo = app.repository.get(memo.id)
        memo.scribble("first writer wins")
        app.record(memo)
        stale.scribble("second writer conflicts")
        with pytest.raises(IntegrityError):
            app.record(stale)  # rolled back: its notification id is burnt
        file_memos(app, 2)
        surgery = StoreSurgery(settings, SERVICE)
        ids = surgery.ids()
        gap = next(n for n in range(1, ids[-1]) if n not in ids)
        assert (len(ids), ids[-1]) == (9, 10)
        audit = service_log(app, settings.data_dir / "keys")
        audit.sync_to(0)
        recorder: Any = app.recorder
        heads = [audit.append(n) for n in recorder.select_notifications(start=1, limit=100)]
        assert [h.tree_size for h in heads] == list(range(1, 10)), "positions have no gap"
        assert audit.sign(when_due=False) is not None
        clean = verify(settings)
        assert clean.exit_code == 0, clean.stdout
        assert any("skip 1 values" in note for note in json.loads(clean.stdout)["notes"])
        surgery.forge(gap, like=gap - 1)
        forged = verify(settings)
        assert forged.exit_code == 1
        assert {p["code"] for p in json.loads(forged.stdout)["problems"]} == {"root_mismatch"}
    finally:
        app.close()


def test_a_store_read_a_page_at_a_time_gives_every_row_once_in_order(settings: Settings) -> None:
    """Whatever the page size (the first page is shorter on PostgreSQL), from any row for any
    count, read ahead in a thread or not, the verifier reads each row once, in notification
    order."""
    app, _ = signed_store(settings)
    try:
        every = list(stored_rows(app))
        ids = [row[0] for row in every]
        assert len(every) == 30
        assert ids == sorted(ids)
        for batch, read_ahead in itertools.product((1, 3, 7, 5000), (True, False)):
            pages = list(stored_pages(app, batch, read_ahead=read_ahead))
            assert all(0 < len(page) <= batch for page in pages)
            assert [row for page in pages for row in page] == every
            for start, count in ((0, 30), (4, 9), (29, 1), (12, 0), (20, 50)):
                window = stored_pages(
                    app, batch, first_id=ids[start], count=count, read_ahead=read_ahead
                )
                assert [row for page in window for row in page] == every[start : start + count]
    finally:
        app.close()
