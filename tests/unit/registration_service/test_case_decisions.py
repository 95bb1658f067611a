"""Approval's decisions become the proposer's status (design.md §1): each case event's `state`
is read against the proposal, noted once, with the upstream position in the same commit."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from services.registration.application import RegistrationApplication
from services.registration.consumers import on_case_event, upstream_handlers
from services.registration.domain import ProposalStatus
from services.registration.main import create_app
from shared.contracts.approval import (
    APPROVAL_EVENTS,
    ApprovalMeetingHeld,
    ApprovedByOverride,
    CaseClosed,
    CaseOpened,
    CompletionReported,
    ConsultationClosed,
    DeadlineBreached,
    EvaluationConcluded,
    EvaluationMeetingHeld,
    ImplementationResumed,
    ImplementationStarted,
    ImplementationStopped,
    ImplementationSuspended,
    ProgressReported,
    ProposalRejected,
    ProtectionDetermined,
    ResourcesAllocated,
    SupplementRequested,
)
from shared.platform.consumer import Rejected, TrackedConsumer
from shared.platform.subjects import APPROVAL_STREAM
from tests.unit.registration_service.builders import (
    DIRECTOR,
    approved_at_meeting,
    case_event,
    plan_received,
    settings_for,
    submitted,
    tracking,
    vote,
)

DUE = date(2024, 6, 14)


def _note(app: RegistrationApplication, event: Any) -> None:
    on_case_event(app, event, tracking())


def _received(app: RegistrationApplication) -> Any:
    pid = submitted(app)
    _note(
        app,
        plan_received(pid),
    )
    return pid


def _approved(app: RegistrationApplication) -> Any:
    pid = _received(app)
    _note(
        app,
        approved_at_meeting(pid, DIRECTOR.user_id),
    )
    return pid


def _kinds(app: RegistrationApplication, pid: Any) -> list[str]:
    return [entry["kind"] for entry in app.proposal_for(DIRECTOR, pid).history]


def _supplement_request(pid: Any, **fields: Any) -> Any:
    return case_event(
        SupplementRequested,
        pid,
        "NEEDS_SUPPLEMENT",
        items=["Bổ sung dự toán kinh phí"],
        reason="Thiếu dự toán",
        due=DUE,
        responsible_user_id=DIRECTOR.user_id,
        responsible_unit_id=DIRECTOR.unit_id,
        **fields,
    )


def test_plan_received_puts_the_proposal_under_review_for_the_proposer(
    app: RegistrationApplication,
) -> None:
    pid = _received(app)
    assert app.proposal_for(DIRECTOR, pid).status is ProposalStatus.UNDER_REVIEW
    status = app.status_for(DIRECTOR, pid)
    assert status["status"] == "UNDER_REVIEW"
    assert status["last_decision"]["kind"] == "received"


def test_supplement_request_carries_the_event_id_items_reason_and_approvals_due_date(
    app: RegistrationApplication,
) -> None:
    pid = submitted(app)
    request = _supplement_request(pid)
    _note(app, request)
    proposal = app.proposal_for(DIRECTOR, pid)
    assert proposal.status is ProposalStatus.NEEDS_SUPPLEMENT
    assert proposal.supplement_request is not None
    assert proposal.supplement_request["request_id"] == str(request.id)
    assert proposal.supplement_request["items"] == ["Bổ sung dự toán kinh phí"]
    assert proposal.supplement_request["reason"] == "Thiếu dự toán"
    assert proposal.supplement_request["due_date"] == DUE  # the deadline is approval's
    status = app.status_for(DIRECTOR, pid)
    assert status["supplement_request"]["due_date"] == "2024-06-14"
    assert status["status"] == "NEEDS_SUPPLEMENT"


def test_a_deadline_notice_on_the_supplement_clock_is_not_a_new_request(
    app: RegistrationApplication,
) -> None:
    pid = submitted(app)
    request = _supplement_request(pid)
    _note(app, request)
    app.supplement(DIRECTOR, pid, str(request.id), {"feasibility": "Đã có dự toán chi tiết"})
    # approval has not heard the answer yet and its scheduler reports the supplement clock
    _note(
        app,
        case_event(
            DeadlineBreached,
            pid,
            "NEEDS_SUPPLEMENT",
            deadline="supplement",
            due=DUE,
            responsible_user_id=DIRECTOR.user_id,
            responsible_unit_id=DIRECTOR.unit_id,
            escalated_to=None,
        ),
    )
    assert app.proposal_for(DIRECTOR, pid).status is ProposalStatus.SUBMITTED
    assert _kinds(app, pid) == ["supplement_requested"]


def test_art8_collective_approval_or_written_override_makes_the_proposal_approved(
    app: RegistrationApplication,
) -> None:
    pid = _approved(app)
    proposal = app.proposal_for(DIRECTOR, pid)
    assert (proposal.status, proposal.decision) == (ProposalStatus.DECIDED, "approved")
    assert proposal.history[-1]["details"]["decision_ref"] == "15/QĐ-UBND"
    other = _received(app)
    _note(
        app,
        case_event(
            ApprovedByOverride,
            other,
            "APPROVED",
            justification="Cần thiết và khả thi",
            decision_ref="16/QĐ-UBND",
            failed_vote_minutes_ref="BB-02",
            implementer_ids=[],
        ),
    )
    assert app.status_for(DIRECTOR, other)["decision"] == "approved"


def test_written_rejection_makes_the_proposal_rejected(app: RegistrationApplication) -> None:
    pid = _received(app)
    _note(
        app,
        case_event(
            ProposalRejected, pid, "REJECTED", reasons=["Chưa khả thi"], decision_ref="17/QĐ"
        ),
    )
    status = app.status_for(DIRECTOR, pid)
    assert (status["status"], status["decision"]) == ("DECIDED", "rejected")


def test_art6_suspend_resume_and_stop_follow_the_implementation(
    app: RegistrationApplication,
) -> None:
    pid = _approved(app)
    _note(app, case_event(ImplementationStarted, pid, "IN_IMPLEMENTATION", start_date=DUE))
    _note(
        app,
        case_event(
            ImplementationSuspended, pid, "SUSPENDED", decision_ref="TD-1", reasons=["Rủi ro"]
        ),
    )
    assert app.status_for(DIRECTOR, pid)["implementation"] == "suspended"
    _note(
        app,
        case_event(
            ProgressReported,
            pid,
            "SUSPENDED",
            period="Q3",
            progress_percent=40,
            issues="",
            risk_of_damage=False,
        ),
    )
    _note(
        app,
        case_event(
            ImplementationResumed, pid, "IN_IMPLEMENTATION", decision_ref="TT-1", conditions=[]
        ),
    )
    assert app.status_for(DIRECTOR, pid)["implementation"] == "active"
    _note(
        app,
        case_event(ImplementationStopped, pid, "STOPPED", decision_ref="D-1", reasons=["Dừng"]),
    )
    assert app.status_for(DIRECTOR, pid)["implementation"] == "stopped"
    assert _kinds(app, pid) == ["received", "approved", "suspended", "resumed", "stopped"]


def test_evaluation_meeting_then_written_conclusion_refine_the_evaluation(
    app: RegistrationApplication,
) -> None:
    pid = _approved(app)
    _note(
        app,
        case_event(
            EvaluationMeetingHeld,
            pid,
            "EVALUATED",
            vote={**vote(), "stage": "EVALUATION"},
            assessed_outcome="PARTIAL",
            conclusion_due=DUE,
        ),
    )
    assert app.status_for(DIRECTOR, pid)["evaluation_outcome"] == "PARTIAL"
    _note(
        app,
        case_event(
            EvaluationConcluded,
            pid,
            "CONCLUDED",
            outcome="PARTIAL",
            caused_damage=False,
            good_faith_finding=True,
            causes={"objective": ["Thiếu kinh phí"], "subjective": []},
            conclusion_ref="KL-1",
            meeting_minutes_ref="BB-09",
            issued_late=False,
        ),
    )
    proposal = app.proposal_for(DIRECTOR, pid)
    assert proposal.evaluation is not None
    assert proposal.evaluation["good_faith_finding"] is True
    assert proposal.evaluation["conclusion_ref"] == "KL-1"
    assert _kinds(app, pid)[-2:] == ["evaluated", "evaluated"]


def test_art11_protection_finding_notes_its_tier_and_basis(app: RegistrationApplication) -> None:
    pid = _approved(app)
    _note(
        app,
        case_event(
            EvaluationConcluded,
            pid,
            "CONCLUDED",
            outcome="COMPLETED",
            caused_damage=False,
            good_faith_finding=True,
            causes={"objective": [], "subjective": []},
            conclusion_ref="KL-1",
            meeting_minutes_ref="BB-09",
            issued_late=False,
        ),
    )
    facts = {
        "official_is_eligible": True,
        "art5_conditions_met": True,
        "approved_under_art8": True,
        "implemented_as_decided": True,
        "directions_followed": True,
        "prohibited_act_found": False,
        "outcome": "COMPLETED",
        "good_faith": True,
        "caused_damage": False,
    }
    _note(
        app,
        case_event(
            ProtectionDetermined,
            pid,
            "PROTECTION_DETERMINED",
            legal_basis="ND73 Art 11 §1",
            official_id=DIRECTOR.user_id,
            tier="NO_LIABILITY",
            reasons=["Hoàn thành"],
            facts=facts,
            decision_ref="BV-1",
            referred_to="",
        ),
    )
    protection = app.proposal_for(DIRECTOR, pid).protection
    assert protection is not None
    assert (protection["tier"], protection["basis"]) == ("NO_LIABILITY", "ND73 Art 11 §1")
    assert app.status_for(DIRECTOR, pid)["protection_tier"] == "NO_LIABILITY"


def test_the_proposer_sees_implementation_completed_then_the_file_closed(
    app: RegistrationApplication,
) -> None:
    """After the completion report (Art 9 §1) implementation is no longer "active", and the
    archived file (lưu trữ) shows as closed."""
    pid = _approved(app)
    _note(app, case_event(ImplementationStarted, pid, "IN_IMPLEMENTATION", start_date=DUE))
    _note(
        app,
        case_event(
            CompletionReported,
            pid,
            "COMPLETION_REPORTED",
            completed_on=DUE,
            reported_on=DUE,
            report_due=DUE,
            late=False,
            after_stop=False,
            results_vs_targets=[{"target": "t", "result": "r"}],
            resources_used={},
            damage={"occurred": False},
            evaluation_due=DUE,
        ),
    )
    assert app.status_for(DIRECTOR, pid)["implementation"] == "completed"
    _note(app, case_event(CaseClosed, pid, "CLOSED", summary="Lưu trữ"))
    assert app.status_for(DIRECTOR, pid)["implementation"] == "closed"
    assert _kinds(app, pid)[-2:] == ["completion_reported", "closed"]


def test_case_events_that_decide_nothing_only_record_the_upstream_position(
    app: RegistrationApplication,
) -> None:
    pid = _approved(app)
    version = app.proposal_for(DIRECTOR, pid).version
    quiet = [
        case_event(
            CaseOpened,
            pid,
            "IN_INTAKE",
            recipient_unit_id="ct.ubnd-tp",
            intake_unit_id="ct.so-noi-vu",
            protection_eligible=True,
        ),
        case_event(
            ConsultationClosed, pid, "UNDER_REVIEW", summary="Đủ ý kiến", missing_opinions=[]
        ),
        case_event(
            ResourcesAllocated,
            pid,
            "APPROVED",
            equipment=[],
            staff=[],
            funding_vnd=None,
            source_ref="NS-1",
        ),
        case_event(ImplementationStarted, pid, "IN_IMPLEMENTATION", start_date=DUE),
    ]
    for event in quiet:
        position = tracking()
        on_case_event(app, event, position)
        assert app.has_processed(position.application_name, position.notification_id)
    assert app.proposal_for(DIRECTOR, pid).version == version


def test_a_redelivered_case_event_is_recognised_and_noted_once(
    app: RegistrationApplication,
) -> None:
    pid = submitted(app)
    consumer = TrackedConsumer(
        service="registration",
        app=app,
        upstream=APPROVAL_STREAM,
        handlers=upstream_handlers(app),
    )
    request = _supplement_request(pid)
    position = tracking()
    handler = consumer.handlers[SupplementRequested.TYPE]
    assert consumer._process(handler, request, position) == "processed"
    assert consumer._process(handler, request, position) == "duplicate"
    assert _kinds(app, pid) == ["supplement_requested"]


def test_a_case_event_about_an_unknown_proposal_is_dead_lettered_with_the_reason(
    app: RegistrationApplication,
) -> None:
    stray = uuid4()
    with pytest.raises(Rejected, match=f"registration has no proposal {stray}"):
        on_case_event(app, _supplement_request(stray), tracking())


def test_a_decision_the_proposal_cannot_take_is_dead_lettered_not_retried(
    app: RegistrationApplication,
) -> None:
    pid = submitted(app)
    app.withdraw(DIRECTOR, pid, "Đổi hướng")
    with pytest.raises(Rejected, match="cannot note approved"):
        on_case_event(
            app,
            case_event(
                ApprovalMeetingHeld,
                pid,
                "APPROVED",
                vote=vote(),
                decision_ref="15/QĐ",
                implementer_ids=[],
            ),
            tracking(),
        )
    assert app.proposal_for(DIRECTOR, pid).status is ProposalStatus.WITHDRAWN


def test_registration_consumes_every_approval_contract(tmp_path: Path) -> None:
    web = create_app(settings_for(tmp_path))
    try:
        (consumer,) = web.state.runtime.consumers
        assert consumer.upstream is APPROVAL_STREAM
        assert set(consumer.handlers) == {contract.TYPE for contract in APPROVAL_EVENTS}
    finally:
        web.state.runtime.app.close()


def test_a_supplement_request_crossing_the_withdrawal_is_moot(
    app: RegistrationApplication,
) -> None:
    pid = submitted(app)
    app.withdraw(DIRECTOR, pid, "Đổi hướng")
    version = app.proposal_for(DIRECTOR, pid).version
    _note(app, _supplement_request(pid))
    assert app.proposal_for(DIRECTOR, pid).version == version
