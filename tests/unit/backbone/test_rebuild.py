"""The one rebuild of `d73 rebuild <service>` (shared/platform/rebuild.py): every read model
names the digests of its parts, the report says what the service counts as read, and two models
may not report a part under one name."""

from __future__ import annotations

import pytest

from shared.platform.rebuild import Progress, rebuild_read_models


class Tables:
    """A read model of several tables (as reporting's projections): one digest per table."""

    def __init__(self, parts: dict[str, str], rebuilt: dict[str, str] | None = None) -> None:
        self.parts = parts
        self.rebuilt = rebuilt if rebuilt is not None else dict(parts)
        self.log: list[str] = []

    def catch_up(self, progress: Progress | None = None) -> int:
        self.log.append("catch_up")
        return 7

    def rebuild(self, progress: Progress | None = None) -> int:
        self.log.append("rebuild")
        self.parts = self.rebuilt
        if progress is not None:
            progress(3, 7)
        return 7

    def digests(self) -> dict[str, str]:
        return dict(self.parts)


def test_every_part_of_every_model_is_digested_before_and_after() -> None:
    one = Tables({"r.statistics": "a", "r.overdue": "b"})
    two = Tables({"other": "c"}, rebuilt={"other": "d"})
    calls: list[tuple[int, int]] = []
    report = rebuild_read_models(
        "r", 7, [one, two], lambda done, total: calls.append((done, total)), lambda: 5
    )
    assert report.digests_before == {"r.statistics": "a", "r.overdue": "b", "other": "c"}
    assert report.digests_after == {"r.statistics": "a", "r.overdue": "b", "other": "d"}
    assert not report.unchanged
    assert report.events == 5, "what the service counts, asked after the rebuild"
    assert one.log == two.log == ["catch_up", "rebuild"]
    assert calls == [(0, 7), (3, 7), (3, 7), (7, 7)]


def test_without_a_count_the_report_counts_the_stored_events() -> None:
    report = rebuild_read_models("r", 7, [Tables({"only": "x"})], lambda done, total: None)
    assert report.events == 7
    assert report.unchanged


def test_two_models_may_not_report_the_same_part() -> None:
    with pytest.raises(ValueError, match="same part twice"):
        rebuild_read_models(
            "r", 1, [Tables({"x": "1"}), Tables({"x": "1"})], lambda done, total: None
        )
