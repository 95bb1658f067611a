"""A service's log: every stored event in order, signed at least every N events or T seconds,
rebuilt from the store when asked (or when its kept chunk roots do not verify: see
test_kept_chunks.py) and then checked against what the service signed before."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from shared.platform.ports import LogTampered
from shared.platform.settings import Settings
from shared.records.merkle.checkpoint import sign_checkpoint, verify_checkpoint
from shared.records.merkle.keys import generate_signing_key
from shared.records.merkle.tree import leaf_hash, verify_consistency, verify_inclusion
from shared.records.servicelog.log import LogNotReady, ServiceLog
from shared.records.servicelog.table import CheckpointTable
from tests.unit.records.servicelog.support import (
    SERVICE,
    all_notifications,
    file_memos,
    last_id,
    memo_app,
    reference_tree,
    service_log,
)
from tests.unit.records.servicelog.tampering import StoreSurgery


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_stored_event_drafts_included_gets_the_head_of_the_reference_tree(
    tmp_path: Path,
) -> None:
    app = memo_app(tmp_path)
    file_memos(app, 9)  # 18 events: 9 published, 9 private scribbles
    audit = service_log(app, tmp_path / "keys")
    audit.sync_to(0)
    heads = [audit.append(n) for n in all_notifications(app)]
    reference, _ = reference_tree(app)
    assert [h.leaf_index for h in heads] == list(range(18))
    assert [h.root for h in heads] == [reference.root(size) for size in range(1, 19)]
    assert heads[4].headers() == {
        "d73-log-index": "4",
        "d73-tree-size": "5",
        "d73-tree-root": reference.root(5).hex(),
        "d73-log-leaves": reference.leaf_hash(4).hex(),
    }


def test_appending_reads_nothing_back_from_the_store(tmp_path: Path) -> None:
    """The relay appends each event as it reads it: the head it gets back (leaf hash included)
    comes from what was appended, never from reloading the chunk the event completes."""
    app = memo_app(tmp_path)
    file_memos(app, 4)  # 8 events: two whole chunks of 4 leaves
    audit = service_log(app, tmp_path / "keys")
    audit.sync_to(0)
    notifications = all_notifications(app)
    reloaded: list[int] = []
    chunk_rows = audit._chunk_rows

    def counted(chunk: int) -> Any:
        reloaded.append(chunk)
        return chunk_rows(chunk)

    audit._chunk_rows = counted  # type: ignore[method-assign]
    heads = [audit.append(n) for n in notifications]
    reference, _ = reference_tree(app)
    assert [h.leaf for h in heads] == [reference.leaf_hash(i) for i in range(8)]
    assert reloaded == []


def test_a_restarted_log_rebuilds_from_the_store_and_continues_the_same_tree(
    tmp_path: Path,
) -> None:
    app = memo_app(tmp_path)
    file_memos(app, 6)
    first = service_log(app, tmp_path / "keys")
    first.sync_to(last_id(app))
    first_checkpoint = first.sign(when_due=False)
    assert first_checkpoint is not None
    file_memos(app, 5)
    notifications = all_notifications(app)
    again = service_log(app, tmp_path / "keys")
    again.sync_to(notifications[7].id)  # the stream's last position: notification 8
    assert again.tree_size == 8
    heads = [again.append(n) for n in notifications[8:]]
    reference, _ = reference_tree(app)
    assert [h.root for h in heads] == [reference.root(s) for s in range(9, 23)]
    second = again.sign(when_due=False)
    assert second is not None
    assert second.previous_size == 12
    verify_consistency(
        12, 22, first_checkpoint.checkpoint.root, second.checkpoint.root, second.consistency_path
    )


def test_going_back_to_an_earlier_notification_rereads_the_store_from_there(
    tmp_path: Path,
) -> None:
    app = memo_app(tmp_path)
    file_memos(app, 10)
    audit = service_log(app, tmp_path / "keys")
    notifications = all_notifications(app)
    audit.sync_to(notifications[-1].id)
    for back in (17, 9, 4, 0):
        audit.sync_to(notifications[back - 1].id if back else 0)
        assert audit.tree_size == back
        assert audit.last_notification_id == (notifications[back - 1].id if back else None)
    heads = [audit.append(n) for n in notifications]
    assert heads[-1].root == reference_tree(app)[0].root()


def test_a_checkpoint_at_least_every_n_events_or_t_seconds_when_the_log_grew(
    tmp_path: Path,
) -> None:
    app = memo_app(tmp_path)
    clock = Clock()
    audit = ServiceLog(
        SERVICE, app, key_dir=tmp_path / "k", every_events=4, every_seconds=60, clock=clock
    )
    audit.open()
    audit.sync_to(0)
    assert not audit.checkpoint_due()
    file_memos(app, 3)  # six events
    signed_at = []
    for notification in all_notifications(app):
        audit.append(notification)
        if audit.checkpoint_due(by_time=False):
            new = audit.sign()
            assert new is not None
            signed_at.append(new.checkpoint.tree_size)
    assert signed_at == [4]
    assert not audit.checkpoint_due()  # 2 events, 0 s
    clock.now += 60
    assert audit.checkpoint_due()
    assert not audit.checkpoint_due(by_time=False)
    timed = audit.sign()
    assert timed is not None
    assert timed.checkpoint.tree_size == 6
    clock.now += 600
    assert not audit.checkpoint_due(), "no checkpoint while the log did not grow"
    kept = audit.checkpoints()
    assert [cp.tree_size for cp in kept] == [4, 6]
    for checkpoint in kept:
        verify_checkpoint(audit.keys.public_key, checkpoint, service=SERVICE)


def test_the_kept_checkpoints_are_append_only(tmp_path: Path) -> None:
    app = memo_app(tmp_path)
    file_memos(app, 2)
    audit = service_log(app, tmp_path / "keys")
    audit.sync_to(4)
    assert audit.sign(when_due=False) is not None
    with sqlite3.connect(tmp_path / f"{SERVICE}.sqlite") as sql:
        for statement in (
            "UPDATE audit_checkpoints SET checkpoint = '{}'",
            "DELETE FROM audit_checkpoints",
        ):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                sql.execute(statement)
    assert CheckpointTable(app.recorder).latest() == audit.latest_checkpoint()


@pytest.mark.parametrize("edit", ["payload", "delete", "reorder"])
def test_a_rebuild_finds_a_store_edited_after_signing_and_signs_nothing_more(
    tmp_path: Path, edit: str
) -> None:
    app = memo_app(tmp_path)
    file_memos(app, 6)
    audit = service_log(app, tmp_path / "keys", every_events=1)
    audit.sync_to(12)
    assert audit.sign(when_due=False) is not None
    surgery = StoreSurgery(Settings(data_dir=tmp_path), SERVICE)
    if edit == "payload":
        surgery.edit(5, lambda payload: payload.update(title="Sửa sau khi ký"))
    elif edit == "delete":
        surgery.delete(5)
    else:
        surgery.swap(5, 6)
    restarted = service_log(app, tmp_path / "keys", every_events=1, full_rebuild=True)
    with pytest.raises(LogTampered, match="signed"):
        restarted.sync_to(12)
    assert restarted.tampered is not None
    assert not restarted.checkpoint_due()
    assert restarted.sign(when_due=False) is None
    with pytest.raises(LogTampered):
        restarted.sync_to(12)  # it stays stopped until someone looks
    with pytest.raises(LogTampered):
        restarted.inclusion(1)


def test_a_checkpoint_row_rewritten_without_the_key_stops_the_log_at_open(tmp_path: Path) -> None:
    app = memo_app(tmp_path)
    file_memos(app, 2)
    audit = service_log(app, tmp_path / "keys")
    audit.sync_to(4)
    assert audit.sign(when_due=False) is not None
    StoreSurgery(Settings(data_dir=tmp_path), SERVICE).rewrite_checkpoint_root(4, "ab" * 32)
    with pytest.raises(LogTampered, match="is not valid"):
        service_log(app, tmp_path / "keys")


def test_nothing_is_signed_while_a_size_signed_before_is_unchecked(tmp_path: Path) -> None:
    app = memo_app(tmp_path)
    file_memos(app, 4)
    audit = service_log(app, tmp_path / "keys", every_events=1)
    audit.sync_to(8)
    assert audit.sign(when_due=False) is not None
    restarted = service_log(app, tmp_path / "keys", every_events=1)
    restarted.sync_to(3)  # the stream is behind what was signed
    file_memos(app, 1)
    assert not restarted.checkpoint_due()
    notifications = all_notifications(app)
    for notification in notifications[3:8]:
        restarted.append(notification)
        assert restarted.sign(when_due=False) is None
    restarted.append(notifications[8])  # size 9, past the checked size 8
    assert restarted.sign(when_due=False) is not None


def test_a_checkpoint_the_table_lost_is_taken_back_only_if_genuine(tmp_path: Path) -> None:
    app = memo_app(tmp_path)
    file_memos(app, 3)
    audit = service_log(app, tmp_path / "keys")
    audit.sync_to(6)
    new = audit.sign(when_due=False)
    assert new is not None
    StoreSurgery(Settings(data_dir=tmp_path), SERVICE).drop_checkpoints()
    restored = service_log(app, tmp_path / "keys")
    assert restored.latest_checkpoint() is None
    forged = sign_checkpoint(
        generate_signing_key(), service=SERVICE, tree_size=6, root_hash=bytes(32)
    )
    assert not restored.adopt(forged)
    assert restored.adopt(new.checkpoint)
    assert restored.latest_checkpoint() == new.checkpoint
    restored.sync_to(6)
    assert restored.tampered is None


def test_proofs_from_the_log_verify_against_its_checkpoint(tmp_path: Path) -> None:
    app = memo_app(tmp_path)
    file_memos(app, 11)
    audit = service_log(app, tmp_path / "keys")
    with pytest.raises(LogNotReady):
        audit.inclusion(1)
    audit.sync_to(last_id(app))
    new = audit.sign(when_due=False)
    assert new is not None
    checkpoint = new.checkpoint
    _, entries = reference_tree(app)
    for position in (1, 2, 5, 13, 22):
        proof = audit.inclusion(position)
        assert proof.entry == entries[position - 1]
        assert proof.checkpoint == checkpoint
        verify_inclusion(
            leaf_hash(proof.entry),
            position - 1,
            checkpoint.tree_size,
            list(proof.path),
            checkpoint.root,
        )
    with pytest.raises(ValueError, match="position"):
        audit.inclusion(23)


def test_an_inclusion_proof_of_an_event_edited_since_is_refused(tmp_path: Path) -> None:
    app = memo_app(tmp_path)
    file_memos(app, 6)
    audit = service_log(app, tmp_path / "keys")
    audit.sync_to(12)
    StoreSurgery(Settings(data_dir=tmp_path), SERVICE).edit(
        2, lambda payload: payload.update(text="sửa lén")
    )
    with pytest.raises(LogTampered, match="changed"):
        audit.inclusion(2, 12)
    assert audit.tampered is not None
