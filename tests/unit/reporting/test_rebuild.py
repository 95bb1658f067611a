"""`d73 rebuild reporting` (shared/platform/rebuild.py's contract): from the archive only, same
digests."""

from __future__ import annotations

from pathlib import Path

from services.reporting.rebuild import rebuild
from shared.platform.settings import Settings
from tests.support.reporting_data import arrivals, load
from tests.unit.reporting.conftest import can_tho_2025, new_app


def test_rebuild_reads_the_whole_archive_with_progress_and_changes_nothing(
    tmp_path: Path,
) -> None:
    app = new_app(tmp_path)
    load(app, arrivals(can_tho_2025(), "random"))
    app.projections.catch_up()
    app.projections.checkpoint()
    served = app.projections.digests()
    app.close()
    calls: list[tuple[int, int]] = []
    report = rebuild(Settings(data_dir=tmp_path), lambda done, total: calls.append((done, total)))
    assert report.service == "reporting"
    assert report.events == len(can_tho_2025())
    assert report.unchanged
    assert report.digests_after == served
    assert calls
    assert calls[-1][0] == calls[-1][1], "the bar reaches the end"
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_rebuild_catches_up_events_archived_after_the_last_save(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    messages = arrivals(can_tho_2025(), "time")
    load(app, messages[:100])
    app.projections.catch_up()
    app.projections.checkpoint()
    load(app, messages[100:])  # archived while the read models were not looking
    app.close()
    report = rebuild(Settings(data_dir=tmp_path), lambda done, total: None)
    assert report.unchanged
    assert report.events == len(messages)
