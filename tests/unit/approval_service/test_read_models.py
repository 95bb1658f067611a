"""Approval's read models: open deadlines mirror the cases, the inbox shows who must act, and
both rebuild from the store to the same digests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from services.approval.application import ApprovalApplication
from services.approval.domain.case import Case
from services.approval.rebuild import read_models, rebuild, rebuild_read_models
from shared.contracts.vocabulary import CaseState
from shared.platform.settings import Settings
from tests.support.infra import store_settings
from tests.unit.approval_service.builders import (
    Clock,
    Upstream,
    agency_case_authority,
    city_case_authority,
    drive,
    every_kind_of_event,
    make_app,
    open_case,
    person,
)


def assert_mirrors(app: ApprovalApplication, case: Case) -> None:
    model = {
        c.name: (
            c.due,
            c.responsible_user_id,
            c.responsible_unit_id,
            c.approaching_noted,
            c.breached,
        )
        for c in app.open_deadlines.of_case(case.id)
    }
    truth = {
        name: (d.due, d.responsible_user_id, d.responsible_unit_id, d.approaching_noted, d.breached)
        for name, d in case.open_deadlines().items()
    }
    assert model == truth, (case.state, model, truth)


def test_open_deadlines_mirror_each_case_after_every_command(
    app: ApprovalApplication,
    upstream: Upstream,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checked: list[CaseState] = []
    original = app.record

    def record_and_compare(*aggregates: Any, tracking: Any = None) -> Any:
        recordings = original(*aggregates, tracking=tracking)
        for aggregate in aggregates:
            if isinstance(aggregate, Case):
                assert_mirrors(app, aggregate)
                checked.append(aggregate.state)
        return recordings

    monkeypatch.setattr(app, "record", record_and_compare)
    every_kind_of_event(app, upstream, clock)
    assert len(checked) == 49  # every command of the four histories
    assert {CaseState.CLOSED, CaseState.REJECTED, CaseState.WITHDRAWN} <= set(checked)


def capacities(app: ApprovalApplication, who: Any) -> dict[str, tuple[str, ...]]:
    return {item.title: item.capacities for item in app.inbox(who)}


def test_inbox_shows_each_person_the_cases_waiting_for_them(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = city_case_authority()
    case = open_case(app, upstream, a, clock)
    title = case.title
    # IN_INTAKE waits on the office: Sở Nội vụ's leaders and the chairman
    assert capacities(app, a.office) == {title: ("OFFICE",)}
    assert capacities(app, a.head) == {title: ("HEAD",)}
    assert capacities(app, a.deputies[0]) == {}
    assert capacities(app, a.proposer) == {}
    app.request_supplement(a.office, case.id, items=["x"], reason="y")
    assert capacities(app, a.proposer) == {title: ("PROPOSER",)}
    assert capacities(app, a.office) == {}


def test_under_review_waits_on_the_collective_and_approval_on_the_implementers(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = city_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.UNDER_REVIEW)
    assert capacities(app, a.deputies[1]) == {case.title: ("DEPUTY",)}
    (item,) = app.inbox(a.head)
    assert item.next_due is not None
    assert item.next_due.due == date(2024, 6, 12)
    drive(app, case, a, clock, CaseState.APPROVED)
    assert capacities(app, a.proposer) == {case.title: ("IMPLEMENTER",)}
    assert capacities(app, a.deputies[1]) == {}
    drive(app, case, a, clock, CaseState.CLOSED)
    assert app.inbox(a.head) == []
    assert app.inbox(a.proposer) == []


def test_inbox_lists_the_oldest_due_date_first(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = city_case_authority()
    opened = {}
    for day in (date(2024, 6, 5), date(2024, 6, 3), date(2024, 6, 4)):
        clock.set(day)
        opened[day] = open_case(app, upstream, a, clock).id
    clock.set(date(2024, 6, 5), hour=10)
    items = app.inbox(a.office)
    assert [i.case_id for i in items] == [opened[d] for d in sorted(opened)]
    assert [i.next_due.due for i in items if i.next_due] == [
        date(2024, 6, 6),
        date(2024, 6, 7),
        date(2024, 6, 10),
    ]


def test_an_inbox_asked_again_before_anything_changed_is_not_worked_out_again(
    app: ApprovalApplication, upstream: Upstream, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A director's inbox spans the city's open cases and is read far more often than they
    change: it is kept until a new event, or a new day, could change it."""
    a = city_case_authority()
    clock.set(date(2024, 6, 3))
    case = open_case(app, upstream, a, clock)
    worked_out: list[Any] = []
    work_out = app._work_out_inbox

    def counted(*args: Any) -> Any:
        worked_out.append(args)
        return work_out(*args)

    monkeypatch.setattr(app, "_work_out_inbox", counted)
    (first,) = app.inbox(a.office)
    assert app.inbox(a.office) == [first]
    assert len(worked_out) == 1
    assert first.overdue is False
    clock.set(date(2024, 6, 20))  # the intake clock (due 4/6) has run out since
    (late,) = app.inbox(a.office)
    assert late.overdue is True
    assert len(worked_out) == 2
    app.request_supplement(a.office, case.id, items=["Dự toán"], reason="Thiếu dự toán")
    assert app.inbox(a.office) == []  # a new event: worked out again
    assert len(worked_out) == 3


def test_home_affairs_sees_every_overdue_case_and_only_those(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    b = agency_case_authority()
    late = open_case(app, upstream, b, clock)  # intake due Thu 6 June
    clock.set(date(2024, 6, 6))
    open_case(app, upstream, b, clock)  # due Tue 11 June
    clock.set(date(2024, 6, 7))
    specialist = person("ct.snv.cv01", "ct.so-noi-vu", "specialist", "home_affairs")
    (item,) = app.inbox(specialist)
    assert (item.case_id, item.capacities, item.overdue) == (late.id, ("HOME_AFFAIRS",), True)
    assert app.inbox(person("ct.snv.cv02", "ct.so-noi-vu", "specialist")) == []


def test_rebuilt_read_models_give_the_same_digests(
    app: ApprovalApplication, upstream: Upstream, clock: Clock, tmp_path: Path
) -> None:
    every_kind_of_event(app, upstream, clock)
    a = city_case_authority()
    drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.IN_IMPLEMENTATION)
    calls: list[tuple[int, int]] = []
    report = rebuild_read_models(app, lambda done, total: calls.append((done, total)))
    total = app.recorder.max_notification_id()
    assert report.events == total
    named = {name for model in read_models(app) for name in model.digests()}
    assert set(report.digests_after) == named == {"open_deadlines", "case_parties"}
    assert report.unchanged
    assert calls[-1] == (total, total)
    # a fresh process (the `d73 rebuild` command) reads the same store to the same models
    offline = rebuild(Settings(data_dir=tmp_path), lambda done, total: None)
    assert offline.digests_after == report.digests_after
    (implementing,) = app.inbox(a.proposer)
    assert app.parties.cases_by_id([implementing.case_id])[implementing.case_id]["state"] == (
        "IN_IMPLEMENTATION"
    )


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with store_settings(request, tmp_path, "approval") as settings:
        yield settings


def test_the_open_cases_are_kept_in_the_side_tables_not_in_memory(
    store: Settings, upstream: Upstream, clock: Clock, tmp_path: Path
) -> None:
    """A restart resumes from the position the tables hold and reads only what came since;
    a closed case leaves no row behind (issue #19: memory does not grow with open cases)."""
    app = make_app(tmp_path, clock, settings=store)
    again = None
    try:
        a = city_case_authority()
        kept = open_case(app, upstream, a, clock)
        (item,) = app.inbox(a.head)
        assert item.case_id == kept.id
        folded = (app.parties.position, app.open_deadlines.position)
        assert folded[0] == folded[1] == app.recorder.max_notification_id()

        again = make_app(tmp_path, clock, settings=store)
        assert (again.parties.position, again.open_deadlines.position) == folded
        assert [i.case_id for i in again.inbox(a.head)] == [kept.id]
        assert again.open_deadlines.of_case(kept.id) == app.open_deadlines.of_case(kept.id)

        drive(app, kept, a, clock, CaseState.CLOSED)
        assert app.inbox(a.head) == []
        assert app.parties.cases_by_id([kept.id]) == {}
        assert app.open_deadlines.of_case(kept.id) == []
        for table in ("approval_party_cases", "approval_case_persons", "approval_open_clocks"):
            assert app.tables.query(f"SELECT count(*) FROM {table}") == [(0,)]
        assert again.inbox(a.head) == []  # another process folds what this one stored
    finally:
        app.close()
        if again is not None:
            again.close()
