"""Read models rebuilt from the archive only: the same results whatever the arrival order of the
two upstream streams, after a rebuild, after a restart, with a small cache; failures are
dead-lettered."""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from eventsourcing.persistence import Tracking

from services.reporting.application import ReportingApplication
from services.reporting.read_models import ProposalSearch
from shared.platform.halt import NoticeKind, ServiceNotices
from tests.support.reporting_data import APPROVAL, REGISTRATION, Message, arrivals, load
from tests.unit.reporting.conftest import can_tho_2025, new_app


def _loaded(folder: Path, order: str, **options: Any) -> ReportingApplication:
    app = new_app(folder, **options)
    load(app, arrivals(can_tho_2025(), order))
    app.projections.catch_up()
    return app


def test_digests_and_statistics_do_not_depend_on_how_the_two_streams_interleaved(
    tmp_path: Path, loaded: ReportingApplication
) -> None:
    expected = loaded.projections.digests()
    stats = loaded.projections.metrics_by_scope(year=2025)
    for order in ("registration-first", "approval-first", "random"):
        other = _loaded(tmp_path / order, order)
        assert other.projections.digests() == expected, order
        assert other.projections.metrics_by_scope(year=2025) == stats, order
        other.close()


def test_rebuild_from_the_archive_gives_exactly_the_same_digests(tmp_path: Path) -> None:
    app = _loaded(tmp_path, "random")
    before = app.projections.digests()
    seen: list[tuple[int, int]] = []
    app.projections.rebuild(lambda done, total: seen.append((done, total)))
    assert app.projections.digests() == before
    assert seen[-1][0] == app.projections.position
    assert app.projections.events == len(can_tho_2025())


def test_a_restart_loads_the_saved_read_models_instead_of_rereading_the_archive(
    tmp_path: Path,
) -> None:
    app = _loaded(tmp_path, "time")
    app.projections.checkpoint()
    digests, position = app.projections.digests(), app.projections.position
    counts = app.projections.state_counts()
    app.close()
    again = new_app(tmp_path)
    recorder: Any = again.recorder
    read: list[int] = []
    select = recorder.select_notifications

    def counting(*args: Any, **kwargs: Any) -> Any:
        rows = select(*args, **kwargs)
        read.append(len(rows))
        return rows

    recorder.select_notifications = counting
    assert again.projections.position == position
    assert again.projections.state_counts() == counts, "loaded, not recomputed"
    again.projections.catch_up()
    assert sum(read) == 0, "nothing before the saved position is read again"
    assert again.projections.digests() == digests
    again.close()


def test_read_models_saved_before_the_title_search_gain_its_words_on_start(
    tmp_path: Path,
) -> None:
    app = _loaded(tmp_path, "time")
    app.projections.checkpoint()
    expected = app.projections.search_total(ProposalSearch(title_words="lien thong"))
    assert expected > 5
    app.close()
    (database,) = [p for p in tmp_path.rglob("*") if p.is_file() and _is_sqlite(p)]
    with sqlite3.connect(database) as old:  # the table as the earlier version made it
        old.execute("ALTER TABLE reporting_proj_proposals DROP COLUMN title_words")
    again = new_app(tmp_path)
    assert again.projections.search_total(ProposalSearch(title_words="lien thong")) == expected
    assert [
        f["title"][:10] for f in again.projections.search(ProposalSearch(title_words="A1"))
    ] == ["Đề xuất A1"]
    again.close()


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(16) == b"SQLite format 3\x00"


def test_the_facts_cache_bound_changes_nothing_but_memory(
    tmp_path: Path, loaded: ReportingApplication
) -> None:
    small = _loaded(tmp_path, "time", cache_size=4)
    assert len(small.projections._facts) <= 4 + small.projections.batch
    assert small.projections.digests() == loaded.projections.digests()
    small.projections.rebuild()
    assert small.projections.digests() == loaded.projections.digests()
    small.close()


def test_facts_are_read_from_their_table_only_for_a_proposal_archived_before(
    tmp_path: Path, loaded: ReportingApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proposal archive's first event cannot have facts saved before it: nothing is read for
    it; a later event of a proposal whose facts left memory reads them back, to the same
    results as a cache that kept them all."""
    app = new_app(tmp_path, cache_size=4)
    projections = app.projections
    real_read, real_apply = projections._read_facts, projections._apply
    read: list[str] = []
    folded: set[str] = set()

    def counted(proposal_id: str) -> Any:
        assert proposal_id in folded, "read for a proposal never archived before"
        read.append(proposal_id)
        return real_read(proposal_id)

    def apply(position: int, stored: Any, *, first: bool = False) -> None:
        real_apply(position, stored, first=first)
        folded.add(orjson.loads(stored)["entry"]["body"]["proposal_id"])

    monkeypatch.setattr(projections, "_read_facts", counted)
    monkeypatch.setattr(projections, "_apply", apply)
    monkeypatch.setattr(projections, "batch", 5)  # evicted after every page of 5
    messages = arrivals(can_tho_2025(), "time")
    proposals = {m.body["proposal_id"] for m in messages}
    load(app, messages)
    projections.catch_up()
    assert projections.digests() == loaded.projections.digests()
    assert 0 < len(read) < len(messages)  # the evicted ones, read back: never a new proposal
    assert set(read) <= proposals
    read.clear()
    folded.clear()
    projections.rebuild()
    assert projections.digests() == loaded.projections.digests()
    app.close()


def test_case_events_before_the_unit_is_known_are_counted_once_it_is(tmp_path: Path) -> None:
    """An old-style `case.opened` (no proposer) arriving before registration's submission."""
    messages = [copy.deepcopy(m) for m in can_tho_2025()]
    for message in messages:
        if message.body["type"] == "d73.case.opened.v1":
            for field in ("proposer", "routing", "submitted_at"):
                message.body.pop(field, None)
    stripped = _from(messages, tmp_path / "stripped", "approval-first")
    reference = _from(messages, tmp_path / "reference", "registration-first")
    assert stripped.projections.metrics_by_scope(
        year=2025
    ) == reference.projections.metrics_by_scope(year=2025)
    assert stripped.projections.state_counts() == reference.projections.state_counts()


def _from(messages: list[Message], folder: Path, order: str) -> ReportingApplication:
    app = new_app(folder)
    load(app, arrivals(messages, order))
    app.projections.catch_up()
    return app


def test_a_projection_failure_is_dead_lettered_with_its_reason_and_the_rest_goes_on(
    app: ReportingApplication,
) -> None:
    registration = [m for m in can_tho_2025() if m.stream == REGISTRATION][:3]
    load(app, registration)
    broken = {
        "type": "d73.case.plan-received.v1",
        "id": "0f0f0f0f-0000-4000-8000-00000000dead",
        "proposal_id": registration[0].body["proposal_id"],
        "occurred_at": "2025-02-01T09:00:00+07:00",
        "position": 9,
        # no `state`: the statistics cannot fold it
    }
    app.archive_body(broken, Tracking(APPROVAL, 1))
    later = [m for m in can_tho_2025() if m.stream == REGISTRATION][3]
    assert later.body["type"] == "d73.proposal.withdrawn.v1"
    app.archive_body(later.body, Tracking(REGISTRATION, 4))
    app.projections.notices = ServiceNotices("reporting")
    app.projections.catch_up()
    (alarm,) = app.projections.notices.due(now=0.0)
    assert (alarm.kind, alarm.source) == (NoticeKind.PROJECTION_DEAD_LETTERED, "statistics")
    assert broken["id"] in alarm.detail
    assert "KeyError" in alarm.detail
    (letter,) = app.projections.dead_letters()
    assert letter["projection"] == "statistics"
    assert letter["event_id"] == broken["id"]
    assert letter["type"] == "d73.case.plan-received.v1"
    assert "KeyError" in letter["reason"]
    assert "state" in letter["reason"]
    facts = app.projections.facts(later.body["proposal_id"])
    assert facts is not None
    assert facts.state == "WITHDRAWN", "the next event was folded"
    assert app.projections.events == 5, "the other projections still saw the broken event"
    exported = b"".join(app.export_events(*_days("2025-02-01")))
    assert broken["id"].encode() in exported


def _days(day: str) -> tuple[Any, Any]:
    from datetime import date

    return date.fromisoformat(day), date.fromisoformat(day)


@pytest.mark.parametrize("quarter", [1, 2, 3, 4])
def test_a_year_is_the_sum_of_its_quarters(loaded: ReportingApplication, quarter: int) -> None:
    year = loaded.projections.metrics(year=2025)
    quarters = [loaded.projections.metrics(year=2025, quarters=[q]) for q in (1, 2, 3, 4)]
    assert sum(quarters, start=type(year)()) == year
    assert loaded.projections.metrics(year=2025, quarters=[quarter]) == quarters[quarter - 1]


def test_an_impossible_amount_is_dead_lettered_and_the_snapshot_still_saves(
    app: ReportingApplication,
) -> None:
    """Issue #11: `funding_vnd: 1e308` once made every save fail ("Integer exceeds 64-bit
    range") and reporting answer 500 for good; now that one event is dead-lettered."""
    registration = [m for m in can_tho_2025() if m.stream == REGISTRATION][:3]
    load(app, registration)
    huge = {
        "type": "d73.case.resources-allocated.v1",
        "id": "0f0f0f0f-0000-4000-8000-0000000f00d5",
        "proposal_id": registration[0].body["proposal_id"],
        "case_id": registration[0].body["proposal_id"],
        "state": "APPROVED",
        "occurred_at": "2025-02-01T09:00:00+07:00",
        "position": 9,
        "equipment": [],
        "staff": [],
        "funding_vnd": "1e308",
        "source_ref": "NS",
    }
    app.archive_body(huge, Tracking(APPROVAL, 1))
    app.projections.catch_up()
    app.projections.checkpoint()
    (letter,) = app.projections.dead_letters()
    assert letter["event_id"] == huge["id"]
    assert "outside" in letter["reason"]
    assert app.projections.state_counts()
