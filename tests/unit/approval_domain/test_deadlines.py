"""Deadlines: the case keeps its running clocks; the scheduler notes and escalates them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

from services.approval import commands as c
from services.approval.domain.errors import Conflict, Invalid, NotAllowed
from shared.contracts.vocabulary import CaseState, DeadlineName
from shared.kernel.calendar import local_date
from tests.unit.approval_domain.journey import (
    AGENCY,
    DOHA,
    HEAD,
    at,
    day,
    drive_to,
    head,
    open_case,
    refuse,
    refuse_input,
    system,
)

ESCALATE = {"target": "SUPERIOR_UNIT", "unit_id": "ubnd-tp"}


def test_open_deadlines_say_who_answers_for_each() -> None:
    case = drive_to(CaseState.IN_CONSULTATION)
    deadlines = case.open_deadlines()
    assert set(deadlines) == {DeadlineName.APPROVAL, DeadlineName.CONSULTATION}
    approval = deadlines[DeadlineName.APPROVAL]
    assert (approval.responsible_user_id, approval.responsible_unit_id) == (HEAD, AGENCY)
    assert approval.due == day(10)


def test_deadline_approaching_is_noted_once() -> None:
    case = open_case()
    assert case.note_deadline_approaching(system(), at(2), deadline="intake") is True
    version = case.version
    assert case.note_deadline_approaching(system(), at(2), deadline="intake") is False
    assert case.version == version
    assert case.open_deadlines()[DeadlineName.INTAKE].approaching_noted


def test_approaching_after_the_due_date_is_a_breach_instead() -> None:
    case = open_case()
    refuse(
        case, Conflict, partial(case.note_deadline_approaching, system(), at(4), deadline="intake")
    )


def test_breach_before_the_due_date_is_refused() -> None:
    case = open_case()
    refuse(case, Conflict, partial(case.record_deadline_breach, system(), at(3), deadline="intake"))


def test_art8_overdue_approval_is_escalated_not_deemed_approved() -> None:
    case = drive_to(CaseState.UNDER_REVIEW)
    due = case.open_deadlines()[DeadlineName.APPROVAL].due
    late = at(11)
    assert local_date(late) > due
    refusal = refuse(
        case, Invalid, partial(case.record_deadline_breach, system(), late, deadline="approval")
    )
    assert [p.field for p in refusal.problems] == ["escalate_to"]
    assert case.record_deadline_breach(system(), late, deadline="approval", escalate_to=ESCALATE)
    assert case.state is CaseState.UNDER_REVIEW
    (breached,) = case.pending_events[-1:]
    assert breached.escalated_to == ESCALATE  # type: ignore[attr-defined]
    assert breached.responsible_user_id == HEAD  # type: ignore[attr-defined]
    assert breached.stamp["legal_basis"] == "ND73 Art 8 §1"  # type: ignore[attr-defined]
    assert case.open_deadlines()[DeadlineName.APPROVAL].breached


def test_breach_recorded_twice_is_a_no_op() -> None:
    case = open_case()
    assert case.record_deadline_breach(system(), at(5), deadline="intake") is True
    version = case.version
    assert case.record_deadline_breach(system(), at(6), deadline="intake") is False
    assert case.version == version


def test_breach_of_a_closed_or_unknown_deadline() -> None:
    case = open_case()
    refuse(
        case, Conflict, partial(case.record_deadline_breach, system(), at(30), deadline="approval")
    )
    refuse_input(c.RecordDeadlineBreach, deadline="soon")
    refuse_input(
        c.RecordDeadlineBreach,
        deadline="intake",
        escalate_to={"target": "MINISTRY", "unit_id": DOHA},
    )


def test_only_the_scheduler_or_home_affairs_records_deadline_notices() -> None:
    case = open_case()
    refuse(
        case, NotAllowed, partial(case.record_deadline_breach, head(), at(30), deadline="intake")
    )


def test_overdue_is_judged_by_the_calendar_day_in_vietnam() -> None:
    case = open_case()
    due = case.open_deadlines()[DeadlineName.INTAKE].due
    # 23:30 in Cần Thơ on the due day is 16:30 UTC that day: not yet overdue.
    last_minute = datetime.combine(due, datetime.min.time(), UTC) + timedelta(hours=16, minutes=30)
    refuse(
        case,
        Conflict,
        partial(case.record_deadline_breach, system(), last_minute, deadline="intake"),
    )
    # 00:30 the next day in Cần Thơ is still the due day in UTC, but it is overdue.
    assert case.record_deadline_breach(
        system(), last_minute + timedelta(hours=1), deadline="intake"
    )


def test_decisions_close_their_clocks() -> None:
    assert drive_to(CaseState.APPROVED).open_deadlines() == {}
    assert set(drive_to(CaseState.COMPLETION_REPORTED).open_deadlines()) == {
        DeadlineName.EVALUATION
    }
    assert set(drive_to(CaseState.EVALUATED).open_deadlines()) == {DeadlineName.CONCLUSION}
    assert drive_to(CaseState.CONCLUDED).open_deadlines() == {}
    assert drive_to(CaseState.WITHDRAWN).open_deadlines() == {}
