"""Bổ sung hồ sơ: the proposer answers approval's supplement request; the answer carries only
what changed, and approval's next case event finds the proposal back in intake."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.registration.application import RegistrationApplication
from services.registration.consumers import on_case_event
from services.registration.domain import Conflict, InvalidTransition, NotAllowed, ProposalStatus
from services.registration.domain.errors import Incomplete, InvalidChange
from services.registration.publishing import to_contract
from shared.contracts.approval import PlanReceived, SupplementProvided, SupplementRequested
from shared.contracts.registration import ProposalSupplemented
from tests.unit.registration_domain.builders import complete_plan
from tests.unit.registration_service.builders import (
    DIRECTOR,
    STRANGER,
    case_event,
    submitted,
    tracking,
)


def _request(app: RegistrationApplication, pid: Any) -> str:
    event = case_event(
        SupplementRequested,
        pid,
        "NEEDS_SUPPLEMENT",
        items=["Dự toán kinh phí", "Phạm vi"],
        reason="Chưa đủ nội dung theo Điều 7 khoản 2",
        due=date(2024, 6, 14),
        responsible_user_id=DIRECTOR.user_id,
        responsible_unit_id=DIRECTOR.unit_id,
    )
    on_case_event(app, event, tracking())
    return str(event.id)


def _last_published(app: RegistrationApplication) -> Any:
    end = int(app.recorder.max_notification_id() or 0)
    (notification,) = app.recorder.select_notifications(start=end, limit=1)
    return to_contract(app.mapper.to_domain_event(notification), notification.id)


def test_the_answer_carries_only_what_changed(app: RegistrationApplication) -> None:
    pid = submitted(app)
    request_id = _request(app, pid)
    resources = {**complete_plan()["resources"], "budget_vnd": "420000000"}
    app.supplement(
        DIRECTOR,
        pid,
        request_id,
        {"resources": resources, "purpose": complete_plan()["purpose"], "title": "Một cửa"},
    )
    answer = _last_published(app)
    assert isinstance(answer, ProposalSupplemented)
    assert answer.request_id == request_id
    assert answer.changes == {"resources": resources, "title": "Một cửa"}
    assert answer.changed_fields == ["resources", "title"]
    assert answer.attachments_added == []
    assert answer.actor is not None
    assert answer.actor.user_id == DIRECTOR.user_id
    # One actor shape on every event: the name and unit, as on the submission.
    assert (answer.actor.name, answer.actor.unit_id) == (DIRECTOR.name, DIRECTOR.unit_id)
    assert answer.actor.name


def test_the_answer_carries_the_whole_plan_after_it(app: RegistrationApplication) -> None:
    """So the competent authority takes the plan as registration holds it and never re-applies
    the changes (issue #13 point 1)."""
    pid = submitted(app)
    request_id = _request(app, pid)
    resources = {**complete_plan()["resources"], "budget_vnd": "420000000"}
    app.supplement(DIRECTOR, pid, request_id, {"resources": resources, "title": "Một cửa"})
    answer = _last_published(app)
    assert isinstance(answer, ProposalSupplemented)
    assert answer.plan == app.repository.get(pid).plan
    assert answer.plan is not None
    assert answer.plan["resources"] == resources
    assert "title" not in answer.plan  # the title is registration's own field, not the plan's


def test_a_withdrawal_names_its_actor_and_unit(app: RegistrationApplication) -> None:
    pid = submitted(app)
    app.withdraw(DIRECTOR, pid, reason="Rút để hoàn thiện")
    withdrawn = _last_published(app)
    assert withdrawn.actor.user_id == DIRECTOR.user_id
    assert (withdrawn.actor.name, withdrawn.actor.unit_id) == (DIRECTOR.name, DIRECTOR.unit_id)


def test_without_a_request_id_the_open_request_is_answered(app: RegistrationApplication) -> None:
    pid = submitted(app)
    request_id = _request(app, pid)
    proposal = app.supplement(DIRECTOR, pid, None, {"feasibility": "Đã khảo sát"})
    assert proposal.answered_supplements == [request_id]
    assert proposal.status is ProposalStatus.SUBMITTED
    assert app.status_for(DIRECTOR, pid)["supplement_request"] is None


def test_approval_taking_the_answer_back_to_intake_changes_nothing_here(
    app: RegistrationApplication,
) -> None:
    pid = submitted(app)
    _request(app, pid)
    app.supplement(DIRECTOR, pid, None, {"feasibility": "Đã khảo sát"})
    version = app._get(pid).version
    on_case_event(
        app,
        case_event(
            SupplementProvided,
            pid,
            "IN_INTAKE",
            changed_fields=["feasibility"],
            attachments=[],
            plan=None,
            intake_due=date(2024, 6, 20),
        ),
        tracking(),
    )
    assert app._get(pid).version == version
    on_case_event(
        app,
        case_event(
            PlanReceived,
            pid,
            "UNDER_REVIEW",
            approval_due=date(2024, 6, 28),
            head_id="ct.p0001",
            recipient_unit_id="ct.ubnd-tp",
        ),
        tracking(),
    )
    assert app._get(pid).status is ProposalStatus.UNDER_REVIEW


def test_only_the_proposer_answers(app: RegistrationApplication) -> None:
    pid = submitted(app)
    request_id = _request(app, pid)
    with pytest.raises(NotAllowed):
        app.supplement(STRANGER, pid, request_id, {"feasibility": "x"})


def test_no_answer_without_an_open_request(app: RegistrationApplication) -> None:
    pid = submitted(app)
    with pytest.raises(InvalidTransition):
        app.supplement(DIRECTOR, pid, None, {"feasibility": "x"})


def test_a_request_is_answered_once(app: RegistrationApplication) -> None:
    pid = submitted(app)
    request_id = _request(app, pid)
    app.supplement(DIRECTOR, pid, request_id, {"feasibility": "x"})
    with pytest.raises(Conflict, match="already answered"):
        app.supplement(DIRECTOR, pid, request_id, {"feasibility": "y"})


def test_an_answer_must_change_something_and_leave_the_plan_complete(
    app: RegistrationApplication,
) -> None:
    pid = submitted(app)
    request_id = _request(app, pid)
    with pytest.raises(InvalidChange, match="changes"):
        app.supplement(DIRECTOR, pid, request_id, {})
    with pytest.raises(Incomplete, match=r"plan\.necessity"):
        app.supplement(DIRECTOR, pid, request_id, {"necessity": None})
    assert app._get(pid).status is ProposalStatus.NEEDS_SUPPLEMENT
