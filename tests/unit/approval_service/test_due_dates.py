"""Due dates through the application: working days (weekends, Tết), Vietnam's time zone, and
the rule-set version a case opened under."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from eventsourcing.persistence import Tracking

from services.approval.api.views import case_view
from services.approval.application import ApprovalApplication
from services.approval.consumers import on_submitted
from services.approval.domain.case import Case
from shared.contracts.vocabulary import DeadlineName
from tests.support.data import TEST_RULE_SETS
from tests.unit.approval_service.builders import (
    Clock,
    Upstream,
    city_case_authority,
    make_app,
    open_case,
    submitted,
)


def test_art8_plan_received_on_the_friday_before_tet_2025_is_due_after_tet(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    """Art 8 §1, "kể từ ngày nhận được kế hoạch": a complete plan submitted on Friday 24 January
    2025 is received that day; Tết (Sat 25 Jan – Sun 2 Feb) does not count."""
    a = city_case_authority()
    clock.set(date(2025, 1, 24))
    case = open_case(app, upstream, a, clock)
    # Intake: Mon 3, Tue 4, Wed 5 February (Tết in between)
    assert case.open_deadlines()[DeadlineName.INTAKE].due == date(2025, 2, 5)
    clock.set(date(2025, 1, 24), hour=16)
    case = app.receive_plan(a.office, case.id)
    # 7 working days: 3, 4, 5, 6, 7, 10, 11 February
    approval = case.open_deadlines()[DeadlineName.APPROVAL]
    assert approval.due == date(2025, 2, 11)
    assert app.rules_for(case).warning_date(approval.due) == date(2025, 2, 7)


def test_art8_1_the_clock_runs_from_the_complete_plan_not_the_clerks_click(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    """Art 8 §1, "kể từ ngày nhận được kế hoạch": a complete plan submitted on Monday 3 June is
    received that day, even if the office accepts it on Friday 7 June: due Wed 12 June, and the
    acceptance is recorded as entered late."""
    a = city_case_authority()
    case = open_case(app, upstream, a, clock)
    clock.set(date(2024, 6, 7))
    case = app.receive_plan(a.office, case.id)
    assert case.received_on == date(2024, 6, 3)
    assert case.open_deadlines()[DeadlineName.APPROVAL].due == date(2024, 6, 12)
    received = app.repository.event_store.get(case.id, desc=True, limit=1)
    assert next(iter(received)).entered_late is True  # type: ignore[attr-defined]


def test_days_are_counted_in_vietnam_not_in_utc(app: ApprovalApplication) -> None:
    # Sunday 18:00 UTC is Monday 01:00 in Cần Thơ: intake counts from Monday.
    at = datetime(2024, 6, 2, 18, 0, tzinfo=UTC)
    event = submitted(city_case_authority().proposer, at)
    on_submitted(app, event, Tracking("D73_REGISTRATION", 1))
    case: Case = app.repository.get(Case.create_id(event.proposal_id))
    assert case.open_deadlines()[DeadlineName.INTAKE].due == date(2024, 6, 6)


def test_a_case_keeps_the_rule_set_it_opened_under(
    tmp_path: Path, upstream: Upstream, clock: Clock
) -> None:
    """With a (test-only) version 2025.1 of 15-day supplements from 1/7/2025."""
    app = make_app(tmp_path, clock, rule_sets_dir=TEST_RULE_SETS)
    a = city_case_authority()
    clock.set(date(2025, 6, 30))  # 2024.1 in force; 2025.1 (15-day supplements) from 1 July
    old = open_case(app, upstream, a, clock)
    clock.set(date(2025, 7, 2))
    new = open_case(app, upstream, a, clock)
    old = app.request_supplement(a.office, old.id, items=["budget"], reason="Thiếu")
    new = app.request_supplement(a.office, new.id, items=["budget"], reason="Thiếu")
    assert (old.rule_set_version, new.rule_set_version) == ("2024.1", "2025.1")
    assert old.open_deadlines()[DeadlineName.SUPPLEMENT].due == date(2025, 7, 16)  # 10 days
    assert new.open_deadlines()[DeadlineName.SUPPLEMENT].due == date(2025, 7, 23)  # 15 days
    app.close()


def test_a_case_under_the_withdrawn_demo_rule_set_stays_readable_judged_by_the_adopted_one(
    tmp_path: Path, upstream: Upstream, clock: Clock
) -> None:
    """Issue #14 point 7: a store an earlier release wrote holds a case opened under the demo
    set can-tho 2025.1, which this release no longer ships. Without its file the case is read,
    flagged, and its new clocks follow the adopted 2024.1 (a 10-day supplement, not 15); its
    recorded due dates stay; it still records the version it was opened under."""
    a = city_case_authority()
    with_demo = make_app(tmp_path, clock, rule_sets_dir=TEST_RULE_SETS)
    clock.set(date(2025, 7, 2))
    case = open_case(with_demo, upstream, a, clock)
    intake_due = case.open_deadlines()[DeadlineName.INTAKE].due
    with_demo.close()
    released = make_app(tmp_path, clock)
    try:
        case = released.case_for(a.office, case.id)
        assert case.rule_set_version == "2025.1"
        assert case.open_deadlines()[DeadlineName.INTAKE].due == intake_due
        rules = released.rules_for(case)
        assert rules.version == "2024.1"
        assert rules.note is not None
        assert "2025.1" in rules.note
        assert "2024.1" in rules.note
        assert case_view(released, case).rule_set_note == rules.note
        case = released.request_supplement(a.office, case.id, items=["budget"], reason="Thiếu")
        assert case.open_deadlines()[DeadlineName.SUPPLEMENT].due == date(2025, 7, 16)  # 10 days
        assert case.rule_set_version == "2025.1"
        # A command's answer shows the case as a read does: the note with it.
        assert case_view(released, case).rule_set_note == rules.note
    finally:
        released.close()
    given_back = make_app(tmp_path, clock, rule_sets_dir=TEST_RULE_SETS)
    try:
        kept_case = given_back.case_for(a.office, case.id)
        kept = given_back.rules_for(kept_case)
        assert (kept.version, kept.note) == ("2025.1", None)
        assert case_view(given_back, kept_case).rule_set_note is None
    finally:
        given_back.close()
