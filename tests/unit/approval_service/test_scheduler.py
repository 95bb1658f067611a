"""The deadline scheduler, driven by the application's injected clock."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from datetime import date
from typing import Any
from uuid import UUID

import anyio.to_thread
import pytest

from services.approval.application import ApprovalApplication
from services.approval.jobs import DeadlineScheduler, ScanReport
from shared.contracts.vocabulary import CaseState, DeadlineName
from tests.unit.approval_service.builders import (
    Clock,
    Upstream,
    agency_case_authority,
    city_case_authority,
    drive,
    event_names,
    open_case,
    person,
    stored_events,
)

# A case opened on Mon 3 June 2024: intake due Thu 6 June, reminder on Tue 4 June.
MON, TUE, WED, THU, FRI = (date(2024, 6, d) for d in (3, 4, 5, 6, 7))


def scan_on(app: ApprovalApplication, clock: Clock, day: date) -> ScanReport:
    clock.set(day)
    return DeadlineScheduler(app, every_seconds=60).scan()


def test_reminder_is_noted_on_the_warning_day_and_only_once(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    case = open_case(app, upstream, city_case_authority(), clock)
    assert scan_on(app, clock, MON).notices == []
    report = scan_on(app, clock, TUE)
    assert [(n.deadline, n.kind) for n in report.notices] == [(DeadlineName.INTAKE, "approaching")]
    assert scan_on(app, clock, TUE).notices == []
    assert scan_on(app, clock, THU).notices == []  # due today: not yet late
    assert event_names(app, case.id) == ["Opened", "DeadlineApproaching"]
    noted = stored_events(app, case.id)[-1]
    assert noted.due == THU  # type: ignore[attr-defined]
    assert noted.responsible_unit_id == "ct.so-noi-vu"  # type: ignore[attr-defined]
    assert noted.stamp["actor"]["user_id"] == "system"  # type: ignore[attr-defined]


def test_breach_is_recorded_the_day_after_the_due_date_and_only_once(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    case = open_case(app, upstream, city_case_authority(), clock)
    scan_on(app, clock, TUE)
    report = scan_on(app, clock, FRI)
    assert [(n.deadline, n.kind, n.escalated_to) for n in report.notices] == [
        (DeadlineName.INTAKE, "breached", None)
    ]
    assert scan_on(app, clock, FRI).notices == []
    assert scan_on(app, clock, date(2024, 6, 10)).notices == []
    assert event_names(app, case.id) == ["Opened", "DeadlineApproaching", "DeadlineBreached"]
    assert app.repository.get(case.id).state is CaseState.IN_INTAKE  # no deemed anything


def test_a_scheduler_that_missed_the_warning_day_records_only_the_breach(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    case = open_case(app, upstream, city_case_authority(), clock)
    scan_on(app, clock, FRI)
    assert event_names(app, case.id) == ["Opened", "DeadlineBreached"]


def approval_breach(app: ApprovalApplication, case_id: UUID) -> Any:
    (breach,) = [
        e
        for e in stored_events(app, case_id)
        if type(e).__name__ == "DeadlineBreached" and e.deadline == "approval"  # type: ignore[attr-defined]
    ]
    return breach


def test_overdue_approval_of_a_city_case_is_escalated_to_home_affairs(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = city_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.UNDER_REVIEW)
    assert case.open_deadlines()[DeadlineName.APPROVAL].due == date(2024, 6, 12)
    report = scan_on(app, clock, date(2024, 6, 13))
    assert [(n.deadline, n.kind) for n in report.notices] == [(DeadlineName.APPROVAL, "breached")]
    breach = approval_breach(app, case.id)
    assert breach.escalated_to == {"target": "HOME_AFFAIRS", "unit_id": "ct.so-noi-vu"}
    assert breach.responsible_user_id == "ct.p0001"
    assert breach.responsible_unit_id == "ct.ubnd-tp"


def test_overdue_approval_of_an_agency_case_goes_to_the_superior_agency(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = agency_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.UNDER_REVIEW)
    scan_on(app, clock, date(2024, 6, 13))
    breach = approval_breach(app, case.id)
    assert breach.escalated_to == {"target": "SUPERIOR_UNIT", "unit_id": "ct.ubnd-tp"}
    assert breach.responsible_user_id == "ct.p0012"


def test_a_round_loads_only_the_cases_with_something_due(
    app: ApprovalApplication,
    upstream: Upstream,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = city_case_authority()
    due_soon = open_case(app, upstream, a, clock)
    for day in (WED, THU, FRI, date(2024, 6, 10)):
        clock.set(day)
        open_case(app, upstream, a, clock)
    loaded: list[UUID] = []
    original = app.repository.get

    def counting_get(aggregate_id: UUID, *args: Any, **kwargs: Any) -> Any:
        loaded.append(aggregate_id)
        return original(aggregate_id, *args, **kwargs)

    monkeypatch.setattr(app.repository, "get", counting_get)
    report = scan_on(app, clock, TUE)
    assert report.cases_loaded == 1
    assert set(loaded) == {due_soon.id}
    loaded.clear()
    assert scan_on(app, clock, TUE).cases_loaded == 0
    assert loaded == []


def test_a_reminder_noted_by_home_affairs_is_not_noted_again(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    case = open_case(app, upstream, city_case_authority(), clock)
    clock.set(TUE)
    doha = person("ct.p0010", "ct.so-noi-vu", "deputy_director", "home_affairs")
    app.note_deadline_approaching(doha, case.id, deadline="intake")
    assert scan_on(app, clock, TUE).notices == []
    assert event_names(app, case.id).count("DeadlineApproaching") == 1


def test_the_background_job_scans_at_once_and_survives_a_failed_round(
    app: ApprovalApplication,
) -> None:
    rounds: list[int] = []
    second_round = threading.Event()

    class FlakyScheduler(DeadlineScheduler):
        def scan(self) -> ScanReport:
            rounds.append(len(rounds))
            if len(rounds) == 1:
                raise RuntimeError("store unreachable")
            second_round.set()
            return ScanReport()

    async def two_rounds() -> None:
        job = asyncio.create_task(FlakyScheduler(app, every_seconds=0.01).run())
        await anyio.to_thread.run_sync(second_round.wait, 5.0)
        job.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await job

    asyncio.run(asyncio.wait_for(two_rounds(), timeout=5))
    assert rounds[:2] == [0, 1]
