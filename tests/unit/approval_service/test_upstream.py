"""Registration's events as approval handles them: supplemented and withdrawn."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from services.approval.application import ApprovalApplication
from services.approval.consumers import on_supplemented, on_withdrawn
from services.approval.domain.case import Case
from shared.contracts.registration import Attachment
from shared.contracts.vocabulary import CaseState, DeadlineName
from shared.platform.consumer import Rejected
from tests.unit.approval_service.builders import (
    Clock,
    Upstream,
    city_case_authority,
    drive,
    event_names,
    open_case,
    supplemented,
    withdrawn,
)


def awaiting_supplement(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> tuple[Case, str]:
    a = city_case_authority()
    case = open_case(app, upstream, a, clock)
    case = app.request_supplement(a.office, case.id, items=["purpose"], reason="Chưa rõ")
    request_id = app.open_supplement_request_id(case)
    assert request_id is not None
    return case, str(request_id)


def test_a_supplement_answering_the_open_request_brings_the_plan_back_to_intake(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    case, request_id = awaiting_supplement(app, upstream, clock)
    clock.set(date(2024, 6, 5))
    changes = {
        "title": "Tên mới",
        "purpose": "Mục đích rõ ràng",
        "necessity": None,
        "attachments": [
            {"name": "ke-hoach.pdf", "sha256": "a" * 64},
            {"name": "so-lieu.xlsx", "sha256": "b" * 64},
        ],
    }
    tracking = upstream.next()
    event = supplemented(case, request_id, changes, clock(), tracking.notification_id)
    on_supplemented(app, event, tracking)
    case = app.repository.get(case.id)
    assert case.state is CaseState.IN_INTAKE
    # the intake clock restarts: 3 working days from Wed 5 June
    assert case.open_deadlines()[DeadlineName.INTAKE].due == date(2024, 6, 10)
    assert DeadlineName.SUPPLEMENT not in case.open_deadlines()
    assert case.plan["purpose"] == "Mục đích rõ ràng"
    assert "necessity" not in case.plan
    assert case.title == "Một cửa liên thông"
    stored = list(app.repository.event_store.get(case.id))[-1]
    assert stored.changed_fields == ["attachments", "necessity", "purpose", "title"]
    assert stored.attachments == ["b" * 64]
    assert stored.stamp["actor"]["user_id"] == "ct.p0026"
    assert app.has_processed("D73_REGISTRATION", tracking.notification_id)


def test_a_supplement_carrying_the_resulting_plan_is_taken_as_it_is(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    """Registration's answer carries the whole plan after it: approval records that plan and
    never re-applies `changes` (the fallback above is for answers recorded before)."""
    case, request_id = awaiting_supplement(app, upstream, clock)
    clock.set(date(2024, 6, 5))
    carried = {**case.plan, "purpose": "Mục đích theo bản của đăng ký"}
    tracking = upstream.next()
    event = supplemented(
        case, request_id, {"purpose": "Mục đích rõ ràng"}, clock(), tracking.notification_id
    ).model_copy(update={"plan": carried})
    on_supplemented(app, event, tracking)
    case = app.repository.get(case.id)
    assert case.state is CaseState.IN_INTAKE
    assert case.plan == carried
    stored: Any = list(app.repository.event_store.get(case.id))[-1]
    assert stored.plan == carried


def test_a_supplement_to_another_request_is_dead_lettered_and_changes_nothing(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    case, _ = awaiting_supplement(app, upstream, clock)
    before = app.recorder.max_notification_id()
    tracking = upstream.next()
    event = supplemented(case, str(uuid4()), {"purpose": "x"}, clock(), tracking.notification_id)
    with pytest.raises(Rejected, match="answers no open request"):
        on_supplemented(app, event, tracking)
    assert app.recorder.max_notification_id() == before
    assert not app.has_processed("D73_REGISTRATION", tracking.notification_id)


def test_a_supplement_nobody_asked_for_is_dead_lettered(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    case = open_case(app, upstream, city_case_authority(), clock)
    tracking = upstream.next()
    event = supplemented(case, str(uuid4()), {"purpose": "x"}, clock(), tracking.notification_id)
    with pytest.raises(Rejected, match="IN_INTAKE"):
        on_supplemented(app, event, tracking)


def test_withdrawal_before_the_decision_closes_the_case(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = city_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.UNDER_REVIEW)
    tracking = upstream.next()
    on_withdrawn(app, withdrawn(case, clock(), tracking.notification_id), tracking)
    case = app.repository.get(case.id)
    assert case.state is CaseState.WITHDRAWN
    assert case.open_deadlines() == {}
    assert app.has_processed("D73_REGISTRATION", tracking.notification_id)


def test_withdrawal_after_the_decision_is_refused_with_the_domains_reason(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = city_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.APPROVED)
    tracking = upstream.next()
    with pytest.raises(Rejected, match="withdraw is not allowed while the case is APPROVED"):
        on_withdrawn(app, withdrawn(case, clock(), tracking.notification_id), tracking)
    assert event_names(app, case.id)[-1] == "ApprovalMeetingHeld"


def test_withdrawal_of_an_unknown_proposal_is_dead_lettered(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    case = open_case(app, upstream, city_case_authority(), clock)
    stranger = withdrawn(case, clock(), 9).model_copy(update={"proposal_id": uuid4()})
    with pytest.raises(Rejected, match="CaseNotFound"):
        on_withdrawn(app, stranger, upstream.next())


def test_attachments_registration_names_as_added_are_recorded_by_their_hash(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    case, request_id = awaiting_supplement(app, upstream, clock)
    upload = Attachment(name="du-toan.pdf", media_type="application/pdf", size=10, sha256="c" * 64)
    tracking = upstream.next()
    event = supplemented(
        case, request_id, {"attachments": [upload.model_dump()]}, clock(), tracking.notification_id
    ).model_copy(update={"attachments_added": [upload], "changed_fields": ["attachments"]})
    on_supplemented(app, event, tracking)
    stored: Any = list(app.repository.event_store.get(case.id))[-1]
    assert stored.attachments == ["c" * 64]
    assert stored.changed_fields == ["attachments"]
