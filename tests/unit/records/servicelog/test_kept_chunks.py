"""A log resumes from the chunk roots it kept with its latest checkpoint (issue #19 §2): the same
tree as a full rebuild, without reading the events those chunks cover; kept roots that do not
verify against the signed root (damaged rows, a store changed under them) cost a full rebuild,
never a wrong tree; an old store without them is rebuilt once and then resumes."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from services.cli import verify as verify_cli
from shared.platform.ports import LogTampered
from shared.platform.settings import Settings
from shared.records.merkle.tree import leaf_hash, verify_inclusion
from shared.records.servicelog.frontier import ChunkTable
from shared.records.servicelog.log import ServiceLog
from tests.unit.records.servicelog.support import (
    SERVICE,
    MemoApp,
    all_notifications,
    file_memos,
    last_id,
    memo_app,
    reference_tree,
    service_log,
)
from tests.unit.records.servicelog.tampering import StoreSurgery


def signed_store(tmp_path: Path, memos: int = 20, unsigned: int = 3) -> MemoApp:
    """2 x `memos` events signed every 7 by a log of 4-leaf chunks, then 2 x `unsigned` more
    that no checkpoint covers yet (the relay published them, then the service stopped)."""
    app = memo_app(tmp_path)
    audit = service_log(app, tmp_path / "keys", every_events=7)
    audit.sync_to(0)
    file_memos(app, memos)
    for notification in all_notifications(app):
        audit.append(notification)
        if audit.checkpoint_due(by_time=False):
            assert audit.sign() is not None
    file_memos(app, unsigned)
    return app


def started(app: MemoApp, tmp_path: Path, *, full_rebuild: bool = False) -> ServiceLog:
    audit = service_log(app, tmp_path / "keys", full_rebuild=full_rebuild)
    audit.sync_to(last_id(app))
    return audit


def chunk_sql(tmp_path: Path, statement: str) -> None:
    with sqlite3.connect(tmp_path / f"{SERVICE}.sqlite") as sql:
        sql.execute(statement)


class CountingReads:
    """Counts the stored events the log reads through `select_notifications`."""

    def __init__(self, app: MemoApp) -> None:
        self.events = 0
        recorder: Any = app.recorder
        original = recorder.select_notifications

        def counted(*args: Any, **kwargs: Any) -> Any:
            found = original(*args, **kwargs)
            self.events += len(found)
            return found

        recorder.select_notifications = counted


def test_resuming_from_kept_chunks_gives_the_tree_a_full_rebuild_gives(tmp_path: Path) -> None:
    app = signed_store(tmp_path)
    latest = 35  # checkpoints at 7, 14, …, 35 of the 40 signed-for events; 46 stored
    reads = CountingReads(app)
    resumed = started(app, tmp_path)
    assert resumed.resumed_from == latest
    # 3 events after the 8 kept chunks up to the checkpoint, then the 11 after it.
    assert reads.events == (latest - 32) + (46 - latest)
    rebuilt = started(app, tmp_path, full_rebuild=True)
    assert rebuilt.resumed_from is None
    reference, entries = reference_tree(app)
    assert resumed.tree_size == rebuilt.tree_size == reference.size == 46
    for size in range(47):
        assert resumed.root(size) == rebuilt.root(size) == reference.root(size)
    for position in (1, 5, 17, 33, 36, 46):
        proof = resumed.inclusion(position, 46)
        assert proof.entry == entries[position - 1]
        assert proof.path == rebuilt.inclusion(position, 46).path
        leaf = leaf_hash(entries[position - 1])
        verify_inclusion(leaf, position - 1, proof.tree_size, proof.path, proof.root)
    assert resumed.consistency(9, 40).path == rebuilt.consistency(9, 40).path
    assert resumed.frontier(35) == rebuilt.frontier(35)


def test_it_goes_on_signing_the_same_log_after_resuming(tmp_path: Path) -> None:
    app = signed_store(tmp_path)
    resumed = started(app, tmp_path)
    file_memos(app, 2)
    for notification in all_notifications(app)[46:]:
        resumed.append(notification)
    signed = resumed.sign(when_due=False)
    assert signed is not None
    assert signed.checkpoint.root == reference_tree(app)[0].root()
    assert signed.previous_size == 35
    # The checkpoint's transaction kept the chunks up to it: the next start resumes there.
    assert len(ChunkTable(app.recorder).load(2, 1000)) == 50 >> 2
    assert started(app, tmp_path).resumed_from == 50


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE audit_log_chunks SET root = randomblob(32) WHERE chunk = 3",
        "UPDATE audit_log_chunks SET root = x'00' WHERE chunk = 0",
        "DELETE FROM audit_log_chunks WHERE chunk = 5",
        "UPDATE audit_log_chunks SET last_notification = last_notification - 1 WHERE chunk = 7",
        "UPDATE audit_log_chunks SET first_notification = 99 WHERE chunk = 2",
    ],
)
def test_kept_chunks_that_do_not_verify_are_rebuilt_from_the_store(
    tmp_path: Path, damage: str
) -> None:
    app = signed_store(tmp_path)
    chunk_sql(tmp_path, damage)
    rebuilt = started(app, tmp_path)
    assert rebuilt.resumed_from is None
    assert rebuilt.tampered is None
    assert rebuilt.root() == reference_tree(app)[0].root()
    again = started(app, tmp_path)  # the rebuild kept the chunks again
    assert again.resumed_from == 35
    assert again.root() == rebuilt.root()


def test_a_store_edited_after_the_kept_chunks_fails_the_check_and_the_rebuild_finds_it(
    tmp_path: Path,
) -> None:
    app = signed_store(tmp_path)
    StoreSurgery(Settings(data_dir=tmp_path), SERVICE).edit(
        34, lambda payload: payload.update(text="sửa sau khi ký")
    )
    restarted = service_log(app, tmp_path / "keys")
    with pytest.raises(LogTampered, match="signed"):
        restarted.sync_to(last_id(app))
    assert restarted.resumed_from is None


def test_an_edit_inside_a_kept_chunk_is_found_by_the_first_proof_that_reloads_it(
    tmp_path: Path,
) -> None:
    app = signed_store(tmp_path)
    StoreSurgery(Settings(data_dir=tmp_path), SERVICE).edit(
        10, lambda payload: payload.update(title="sửa sau khi ký")
    )
    resumed = started(app, tmp_path)
    assert resumed.resumed_from == 35
    resumed.inclusion(30)  # another chunk: served
    with pytest.raises(LogTampered, match="no longer hash"):
        resumed.inclusion(10)
    assert resumed.tampered is not None


def test_a_store_without_kept_chunks_is_rebuilt_once_then_resumes(tmp_path: Path) -> None:
    app = signed_store(tmp_path)
    chunk_sql(tmp_path, "DROP TABLE audit_log_chunks")  # a store from before this table
    first = started(app, tmp_path)
    assert first.resumed_from is None
    assert started(app, tmp_path).resumed_from == 35


def test_forgetting_the_kept_chunks_asks_the_next_start_for_a_full_rebuild(
    tmp_path: Path,
) -> None:
    app = signed_store(tmp_path)
    assert ChunkTable(app.recorder).forget() == 35 >> 2
    assert started(app, tmp_path).resumed_from is None


def test_a_log_going_back_below_its_kept_chunks_reads_the_same_tree_again(
    tmp_path: Path,
) -> None:
    app = signed_store(tmp_path)
    resumed = started(app, tmp_path)
    notifications = all_notifications(app)
    resumed.sync_to(notifications[9].id)  # the stream lost messages: back to 10 entries
    assert resumed.tree_size == 10
    for notification in notifications[10:]:
        resumed.append(notification)
    assert resumed.root() == reference_tree(app)[0].root()


def test_d73_rebuild_log_makes_the_next_start_read_and_check_the_whole_store(
    tmp_path: Path,
) -> None:
    app = signed_store(tmp_path)
    StoreSurgery(Settings(data_dir=tmp_path), SERVICE).edit(
        10, lambda payload: payload.update(title="sửa sau khi ký")
    )
    assert started(app, tmp_path).resumed_from == 35, "an edit a resume does not read"
    done = CliRunner().invoke(
        verify_cli.app, ["rebuild-log", SERVICE], env={"D73_DATA_DIR": str(tmp_path)}
    )
    assert done.exit_code == 0, done.stdout
    assert f"{SERVICE}: forgot {35 >> 2} kept chunk roots" in done.stdout
    restarted = service_log(app, tmp_path / "keys")
    with pytest.raises(LogTampered, match="signed"):
        restarted.sync_to(last_id(app))
