"""Records kept loaded between commands (issue #19 §4): a proposal's archive is read from the
store once, not for each of its events, and what a command that failed changed in memory is
never seen by the next one."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate, Snapshot, event
from eventsourcing.persistence import Tracking

from services.reporting.application import ReportingApplication
from services.reporting.commands import LogObservation
from services.reporting.domain.archive import ProposalArchive
from services.reporting.kept import KeptRecords, KeptWithin, replay
from shared.records.merkle.tree import MerkleTree
from shared.records.servicelog.heads import PublishedHead
from tests.support.reporting_data import APPROVAL, REGISTRATION, Message
from tests.unit.reporting.conftest import can_tho_2025, new_app


class Counter(Aggregate):
    @event("Started")
    def __init__(self) -> None:
        self.count = 0

    @event("Counted")
    def count_one(self) -> None:
        self.count += 1


def test_kept_records_load_once_keep_the_most_recent_and_never_hand_out_unrecorded_changes() -> (
    None
):
    stored = {}
    for _ in range(3):
        counter = Counter()
        counter.collect_events()
        stored[counter.id] = counter
    first, second, third = stored
    kept = KeptRecords(size=2)
    assert kept.get(first, stored.get) is stored[first]
    assert kept.get(first, lambda _: pytest.fail("loaded again")) is stored[first]
    kept.get(second, stored.get)
    kept.get(third, stored.get)
    assert first not in kept, "the least recently used went first"
    assert len(kept) == 2
    assert kept.loads == 3

    stored[third].count_one()  # changed, never recorded
    fresh = Counter()
    assert kept.get(third, lambda _: fresh) is fresh
    kept.forget([second])
    assert second not in kept
    kept.forget()
    assert len(kept) == 0
    assert kept.get(uuid4(), lambda _: None) is None


def test_a_record_the_store_lacks_is_asked_for_once_until_it_is_kept_or_forgotten() -> None:
    absent = uuid4()
    asked: list[Any] = []

    def lacking(record_id: Any) -> None:
        asked.append(record_id)

    kept = KeptRecords(size=2)
    assert kept.get(absent, lacking) is None
    assert kept.get(absent, lambda _: pytest.fail("asked the store again")) is None
    assert asked == [absent]

    created = Counter()
    created.collect_events()  # recorded
    assert kept.get(created.id, lacking) is None  # asked before it was created
    kept.keep(created)
    assert kept.get(created.id, lambda _: pytest.fail("loaded")) is created
    kept.forget()
    assert kept.get(absent, lacking) is None
    assert asked == [absent, created.id, absent], "forgetting forgets what was absent too"
    for _ in range(3):  # the absent ones are bounded like the kept ones
        kept.get(uuid4(), lacking)
    assert kept.get(absent, lacking) is None
    assert asked[-1] == absent


def test_replay_projects_events_as_eventsourcing_does() -> None:
    counter = Counter()
    counter.count_one()
    counter.count_one()
    events = counter.collect_events()
    replayed: Any = replay(None, events)
    assert (replayed.id, replayed.version, replayed.count) == (counter.id, 3, 2)


def _one_proposal() -> tuple[Message, list[Message]]:
    submitted = next(m for m in can_tho_2025() if m.stream == REGISTRATION)
    case = [
        m
        for m in can_tho_2025()
        if m.stream == APPROVAL and m.body["proposal_id"] == submitted.body["proposal_id"]
    ]
    return submitted, case


def test_a_proposals_archive_is_loaded_from_the_store_once(
    app: ReportingApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted, case = _one_proposal()
    app.archive_body(submitted.body, Tracking(REGISTRATION, 1))

    def not_again(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the archive was loaded from the store again")

    monkeypatch.setattr(app.repository, "get", not_again)
    for seq, message in enumerate(case[:3], start=1):
        assert app.archive_body(message.body, Tracking(APPROVAL, seq))
    monkeypatch.undo()
    history = app.history(submitted.body["proposal_id"])
    assert history is not None
    assert [e["event_id"] for e in history] == [m.body["id"] for m in [submitted, *case[:3]]]


def test_what_a_failed_commit_changed_in_memory_is_forgotten_so_its_retry_archives_the_event(
    app: ReportingApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted, case = _one_proposal()
    app.archive_body(submitted.body, Tracking(REGISTRATION, 1))

    def disk_full(*args: Any, **kwargs: Any) -> Any:
        raise OSError("disk full")

    # The archive and the witness took the event in memory; the transaction then fails.
    monkeypatch.setattr(app.group_commit, "insert", disk_full)
    with pytest.raises(OSError, match="disk full"):
        app.archive_body(case[0].body, Tracking(APPROVAL, 1))
    monkeypatch.undo()

    assert app.archive_body(case[0].body, Tracking(APPROVAL, 1)), "not taken for a duplicate"
    history = app.history(submitted.body["proposal_id"])
    assert history is not None
    assert [e["event_id"] for e in history] == [submitted.body["id"], case[0].body["id"]]


def test_a_restarted_service_reads_the_archives_another_instance_kept(
    app: ReportingApplication, tmp_path: Any
) -> None:
    submitted, case = _one_proposal()
    app.archive_body(submitted.body, Tracking(REGISTRATION, 1))
    app.close()
    again: ReportingApplication = new_app(tmp_path)
    try:
        assert not again.archive_body(submitted.body, Tracking(REGISTRATION, 2))
        assert again.archive_body(case[0].body, Tracking(APPROVAL, 1))
        assert len(again.history(submitted.body["proposal_id"]) or []) == 2
    finally:
        again.close()


def test_at_most_kept_archives_stay_loaded(tmp_path: Any) -> None:
    app = new_app(tmp_path, kept_archives=2)
    try:
        submissions = [m for m in can_tho_2025() if m.stream == REGISTRATION][:5]
        for seq, message in enumerate(submissions, start=1):
            app.archive_body(message.body, Tracking(REGISTRATION, seq))
        assert len(app._archives) == 2
        assert app.history(submissions[0].body["proposal_id"]) is not None
    finally:
        app.close()


def test_snapshots_taken_from_the_kept_records_are_those_a_replay_of_the_store_makes(
    app: ReportingApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proposal's archive is snapshotted at every tenth version: from the copy kept loaded,
    equal to what replaying the store makes."""
    submitted, case = _one_proposal()
    assert len(case) >= 9
    app.archive_body(submitted.body, Tracking(REGISTRATION, 1), _observed(0))
    get = app.repository.get

    def no_replay(record_id: Any, **options: Any) -> Any:
        assert options.get("version") is None, "replayed from the store to snapshot"
        return get(record_id, **options)

    monkeypatch.setattr(app.repository, "get", no_replay)
    for seq, message in enumerate(case[:9], start=1):
        app.archive_body(message.body, Tracking(APPROVAL, seq), _observed(seq))
    monkeypatch.undo()
    archive_id = ProposalArchive.create_id(submitted.body["proposal_id"])
    assert app.snapshots is not None
    (snapshot,) = app.snapshots.get(archive_id, desc=True, limit=1)
    assert snapshot.originator_version == 10
    from_store = Snapshot.take(app.repository.get(archive_id, version=10))
    assert snapshot.state == from_store.state  # type: ignore[attr-defined]
    assert snapshot.state["event_ids"] == {m.body["id"] for m in [submitted, *case[:8]]}  # type: ignore[attr-defined]


def _observed(index: int) -> LogObservation:
    tree = MerkleTree.from_entries(f"entry {n}".encode() for n in range(index + 1))
    head = PublishedHead(index, (tree.leaf_hash(index),), tree.root())
    return LogObservation("registration", head)


def test_kept_within_a_budget_of_bytes_forgets_the_least_recently_used_first() -> None:
    kept: KeptWithin[str, str] = KeptWithin(budget=10, weigh=len)
    kept.keep("a", "aaaa")
    kept.keep("b", "bbbb")
    assert kept.get("a") == "aaaa", "a, read now, is the most recently used"
    kept.keep("c", "cccc")
    assert kept.get("b") is None, "b went first"
    assert (kept.get("a"), kept.get("c"), kept.weight) == ("aaaa", "cccc", 8)
    kept.keep("a", "aaaaaaa")  # kept again, heavier: c goes to make room
    assert ("c" in kept, kept.weight) == (False, 7)
    kept.keep("big", "x" * 11)
    assert "big" not in kept, "too heavy: kept nowhere"
    assert kept.get("a") == "aaaaaaa"
    kept.forget(["a", "never"])
    assert (len(kept), kept.weight) == (0, 0)
    with pytest.raises(ValueError, match="at least one byte"):
        KeptWithin(budget=0)


def test_a_value_that_grows_while_kept_is_forgotten_at_the_weight_it_was_kept_with() -> None:
    """A string orjson writes caches its UTF-8 inside itself and weighs more afterwards: the
    count must still come back to what is kept."""
    kept: KeptWithin[str, list[str]] = KeptWithin(budget=10, weigh=len)
    growing = ["x"] * 4
    kept.keep("a", growing)
    growing.extend(["y"] * 4)
    kept.keep("b", ["z"] * 4)
    kept.forget(["a"])
    assert kept.weight == 4
    kept.keep("c", ["w"] * 6)
    assert (sorted(k for k in ("a", "b", "c") if k in kept), kept.weight) == (["b", "c"], 10)
