"""Alarms that do not halt (issue #11 §2): a service that sets a message or an event aside says
so on `d73.audit.alarm.<service>`, once per poison, but a flood does not flood the stream."""

from __future__ import annotations

from shared.platform.halt import NoticeKind, ServiceNotices

DEAD = NoticeKind.DEAD_LETTERED


def test_one_dead_letter_is_one_alarm_with_its_reason() -> None:
    notices = ServiceNotices("reporting")
    assert notices.due(now=0.0) == []
    notices.notice(DEAD, "reporting-d73_registration", "D73_REGISTRATION seq 2: bad JSON")
    (notice,) = notices.due(now=0.0)
    assert notice.kind is DEAD
    assert notice.source == "reporting-d73_registration"
    assert notice.detail == "D73_REGISTRATION seq 2: bad JSON"
    assert notice.count == 1
    assert "dead letter" in notice.title
    assert "D73_DEADLETTER" in notice.action
    assert notices.due(now=0.0) == [], "published once"


def test_a_flood_is_one_alarm_a_minute_per_source_saying_how_many() -> None:
    notices = ServiceNotices("reporting", every_seconds=60.0)
    notices.notice(DEAD, "a", "seq 1")
    assert len(notices.due(now=0.0)) == 1
    for seq in range(2, 1002):
        notices.notice(DEAD, "a", f"seq {seq}")
    notices.notice(NoticeKind.PROJECTION_DEAD_LETTERED, "statistics", "position 7")
    (other,) = notices.due(now=30.0)
    assert other.source == "statistics", "another source is not held back"
    (later,) = notices.due(now=61.0)
    assert later.count == 1000
    assert later.detail.startswith("seq 2 (và 999 lần nữa; lần cuối: seq 1001)")


def test_an_alarm_nats_did_not_take_is_kept_for_the_next_round() -> None:
    notices = ServiceNotices("approval")
    notices.notice(DEAD, "a", "seq 1")
    (first,) = notices.due(now=0.0)
    notices.notice(DEAD, "a", "seq 2")
    notices.put_back(first)
    (again,) = notices.due(now=0.5)
    assert again.since == first.since
    assert again.count == 2
