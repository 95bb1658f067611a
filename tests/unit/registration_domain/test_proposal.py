"""The Proposal aggregate: draft, edit, submit (Art 7), supplement, withdraw, decisions noted."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from services.registration.domain.errors import (
    Conflict,
    DomainError,
    Incomplete,
    InvalidChange,
    InvalidTransition,
    NotAllowed,
    Unroutable,
)
from services.registration.domain.plan import CompletenessRules, ProblemCode
from services.registration.domain.proposal import Proposal, ProposalStatus
from shared.kernel.actor import Actor
from shared.kernel.directory import OrganisationDirectory
from tests.unit.registration_domain.builders import T0, complete_plan, official, staff

LATER = T0 + timedelta(days=1)
DUE = date(2024, 6, 14)


@pytest.fixture
def director(directory: OrganisationDirectory) -> Actor:
    return official(directory, "ct.so-tai-chinh", "director")


def _draft(proposer: Actor, plan: dict[str, Any] | None = None) -> Proposal:
    return Proposal.draft(
        proposer=proposer,
        title="Cấp phép xây dựng liên thông",
        plan=complete_plan() if plan is None else plan,
        at=T0,
    )


def _submitted(proposer: Actor, directory: OrganisationDirectory) -> Proposal:
    proposal = _draft(proposer)
    proposal.submit(actor=proposer, at=T0, directory=directory)
    return proposal


def _events(proposal: Proposal) -> list[Any]:
    return list(proposal.pending_events)


def _last(proposal: Proposal) -> Any:
    return proposal.pending_events[-1]


# --- draft and edit -------------------------------------------------------------------------


def test_art7_draft_records_proposer_title_and_plan(director: Actor) -> None:
    proposal = _draft(director)
    drafted = _last(proposal)
    assert type(drafted).__name__ == "Drafted"
    assert drafted.proposer == director.person()
    assert drafted.plan == complete_plan()
    assert drafted.drafted_at == T0
    assert proposal.status is ProposalStatus.DRAFT
    assert proposal.proposer_id == director.user_id


def test_draft_may_be_partial_but_never_malformed(director: Actor) -> None:
    partial = _draft(director, {"necessity": "cần thiết"})
    assert partial.problems()[0].path == "plan.purpose"
    with pytest.raises(InvalidChange) as caught:
        _draft(director, {"necessity": "x", "colour": "red", "timeline": {"start": "soon"}})
    assert [p.path for p in caught.value.problems] == ["plan.timeline.start", "plan.colour"]


def test_draft_refuses_a_blank_title(director: Actor) -> None:
    with pytest.raises(InvalidChange, match="title"):
        Proposal.draft(proposer=director, title="  ", plan=None, at=T0)


def test_draft_ids_are_random_uuids(director: Actor) -> None:
    assert _draft(director).id != _draft(director).id


def test_only_proposer_may_edit(director: Actor) -> None:
    proposal = _draft(director)
    with pytest.raises(NotAllowed):
        proposal.edit(actor_id="ct.someone.else", changes={"purpose": "khác"}, at=LATER)
    assert len(_events(proposal)) == 1


def test_edit_records_only_the_fields_that_change(director: Actor) -> None:
    proposal = _draft(director)
    same_purpose = complete_plan()["purpose"]
    proposal.edit(
        actor_id=director.user_id,
        changes={"purpose": same_purpose, "feasibility": "Khả thi cao", "title": "Tên mới"},
        at=LATER,
    )
    edited = _last(proposal)
    assert type(edited).__name__ == "PlanEdited"
    assert edited.changes == {"feasibility": "Khả thi cao", "title": "Tên mới"}
    assert edited.edited_by == director.user_id
    assert proposal.plan["feasibility"] == "Khả thi cao"
    assert proposal.title == "Tên mới"


def test_edit_with_nothing_new_records_nothing(director: Actor) -> None:
    proposal = _draft(director)
    proposal.edit(actor_id=director.user_id, changes={"purpose": complete_plan()["purpose"]}, at=T0)
    assert len(_events(proposal)) == 1


def test_edit_with_none_or_blank_clears_a_field(director: Actor) -> None:
    proposal = _draft(director)
    proposal.edit(
        actor_id=director.user_id, changes={"risks": None, "impact_negative": ""}, at=LATER
    )
    assert "risks" not in proposal.plan
    assert "impact_negative" not in proposal.plan
    assert _last(proposal).changes == {"risks": None, "impact_negative": None}


def test_edit_refuses_unknown_fields(director: Actor) -> None:
    proposal = _draft(director)
    with pytest.raises(InvalidChange) as caught:
        proposal.edit(actor_id=director.user_id, changes={"status": "APPROVED"}, at=LATER)
    assert caught.value.problems[0].code is ProblemCode.UNKNOWN_FIELD
    assert len(_events(proposal)) == 1


def test_edit_stores_canonical_dates_and_does_not_alias_the_callers_dict(
    director: Actor,
) -> None:
    proposal = _draft(director)
    timeline = {"start": date(2024, 8, 1), "end": date(2024, 9, 1)}
    proposal.edit(actor_id=director.user_id, changes={"timeline": timeline}, at=LATER)
    timeline["end"] = date(2020, 1, 1)
    assert proposal.plan["timeline"] == {"start": "2024-08-01", "end": "2024-09-01"}


def test_edit_after_submission_is_refused(
    director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _submitted(director, directory)
    with pytest.raises(InvalidTransition):
        proposal.edit(actor_id=director.user_id, changes={"purpose": "khác"}, at=LATER)
    assert issubclass(InvalidTransition, Conflict)


# --- submit ---------------------------------------------------------------------------------


def test_submit_names_every_missing_field(
    director: Actor, directory: OrganisationDirectory
) -> None:
    plan = complete_plan()
    del plan["necessity"], plan["timeline"]["end"]
    plan["tasks"][0]["assignee"] = ""
    plan["art5_conditions"]["c"] = {"met": True}
    proposal = _draft(director, plan)
    with pytest.raises(Incomplete) as caught:
        proposal.submit(actor=director, at=LATER, directory=directory)
    assert [problem.path for problem in caught.value.problems] == [
        "plan.necessity",
        "plan.tasks[0].assignee",
        "plan.timeline.end",
        "plan.art5_conditions.c.justification",
    ]
    assert proposal.status is ProposalStatus.DRAFT
    assert len(_events(proposal)) == 1  # nothing recorded


def test_submit_with_an_empty_plan_lists_all_required_parts(
    director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _draft(director, {})
    with pytest.raises(Incomplete) as caught:
        proposal.submit(actor=director, at=LATER, directory=directory)
    assert len(caught.value.problems) == 12
    assert "plan.art5_conditions" in str(caught.value)


def test_submit_uses_the_given_completeness_rules(
    director: Actor, directory: OrganisationDirectory
) -> None:
    plan = complete_plan()
    del plan["feasibility"]
    proposal = _draft(director, plan)
    rules = CompletenessRules(ref="test/1", required=frozenset({"necessity"}))
    proposal.submit(actor=director, at=LATER, directory=directory, rules=rules)
    assert _last(proposal).completeness_rules == "test/1"


def test_only_proposer_may_submit(director: Actor, directory: OrganisationDirectory) -> None:
    proposal = _draft(director)
    other = official(directory, "ct.so-tai-chinh", "deputy_director")
    with pytest.raises(NotAllowed):
        proposal.submit(actor=other, at=LATER, directory=directory)


def test_submit_records_full_plan_snapshot_routing_and_eligibility(
    director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _submitted(director, directory)
    submitted = _last(proposal)
    assert type(submitted).__name__ == "Submitted"
    assert submitted.title == "Cấp phép xây dựng liên thông"
    assert submitted.plan == complete_plan()
    assert submitted.protection_eligible is True
    assert submitted.routing["target"] == "CITY_PC_VIA_DOHA"
    assert submitted.routing["intake_unit_id"] == "ct.so-noi-vu"
    assert submitted.routing["directory_version"] == "2024.1"
    assert submitted.routing["legal_basis"] == "ND73 Art 7 §4; KH 88/KH-UBND II.3.a"
    assert submitted.proposer["unit_name"] == "Sở Tài chính"
    assert submitted.completeness_rules == "can-tho/2024.1"
    assert submitted.submitted_at == T0
    assert proposal.status is ProposalStatus.SUBMITTED


def test_submitted_plan_snapshot_is_not_aliased_to_the_aggregate(
    director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _submitted(director, directory)
    proposal.plan["necessity"] = "changed behind the event's back"
    assert _last(proposal).plan["necessity"] == complete_plan()["necessity"]


def test_submit_records_position_at_submission_time(directory: OrganisationDirectory) -> None:
    as_specialist = staff("ct.so-noi-vu.phong-xdcq", user_id="ct.staff.42")
    proposal = _draft(as_specialist)
    promoted = Actor(
        as_specialist.user_id, as_specialist.name, "ct.so-noi-vu.phong-xdcq", "head_of_division"
    )
    proposal.submit(actor=promoted, at=LATER, directory=directory)
    submitted = _last(proposal)
    assert submitted.proposer["position"] == "head_of_division"
    assert submitted.proposer["leader_manager"] is True
    assert submitted.protection_eligible is True
    assert submitted.routing["legal_basis"] == "ND73 Art 7 §3; KH 88/KH-UBND II.3.b"
    assert proposal.proposer["position"] == "head_of_division"
    assert _events(proposal)[0].proposer["position"] == "specialist"


def test_submit_records_unit_at_submission_time(directory: OrganisationDirectory) -> None:
    proposal = _draft(staff("ct.ninh-kieu.an-hoa", user_id="ct.staff.7"))
    moved = staff("ct.ninh-kieu.xuan-khanh", user_id="ct.staff.7")
    proposal.submit(actor=moved, at=LATER, directory=directory)
    assert _last(proposal).routing["recipient_unit_id"] == "ct.ninh-kieu.xuan-khanh"
    assert _last(proposal).proposer["unit_id"] == "ct.ninh-kieu.xuan-khanh"


def test_art2_staff_initiative_recorded_not_protection_eligible(
    directory: OrganisationDirectory,
) -> None:
    clerk = staff("ct.so-khoa-hoc-cong-nghe.phong-qlkh")
    proposal = _submitted(clerk, directory)
    submitted = _last(proposal)
    assert submitted.protection_eligible is False
    assert submitted.proposer["leader_manager"] is False
    assert submitted.routing["recipient_unit_id"] == "ct.so-khoa-hoc-cong-nghe"
    assert proposal.protection_eligible is False
    assert proposal.status is ProposalStatus.SUBMITTED


def test_art7_head_proposal_is_recorded_as_going_to_superior_head(
    directory: OrganisationDirectory,
) -> None:
    chairman = official(directory, "ct.phong-dien.nhon-ai", "chairman")
    proposal = _submitted(chairman, directory)
    assert proposal.routing is not None
    assert proposal.routing["target"] == "SUPERIOR_HEAD"
    assert proposal.routing["decider_id"] == directory.head_of("ct.phong-dien").person_id


def test_submit_twice_is_refused(director: Actor, directory: OrganisationDirectory) -> None:
    proposal = _submitted(director, directory)
    with pytest.raises(InvalidTransition):
        proposal.submit(actor=director, at=LATER, directory=directory)


def test_submit_without_competent_authority_is_refused_and_records_nothing(
    directory: OrganisationDirectory,
) -> None:
    city_chairman = official(directory, "ct.ubnd-tp", "chairman")
    proposal = _draft(city_chairman)
    with pytest.raises(Unroutable):
        proposal.submit(actor=city_chairman, at=LATER, directory=directory)
    unknown = Actor(city_chairman.user_id, "A", "ct.nowhere", "director")
    with pytest.raises(Unroutable):
        proposal.submit(actor=unknown, at=LATER, directory=directory)
    assert proposal.status is ProposalStatus.DRAFT
    assert len(_events(proposal)) == 1


# --- supplement -----------------------------------------------------------------------------


def _awaiting_supplement(proposer: Actor, directory: OrganisationDirectory) -> Proposal:
    proposal = _submitted(proposer, directory)
    proposal.note_supplement_requested(
        request_id="req-1", items=["Bổ sung dự toán kinh phí"], due_date=DUE, at=LATER
    )
    return proposal


def test_supplement_request_is_noted_for_the_proposer(
    director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _awaiting_supplement(director, directory)
    assert proposal.status is ProposalStatus.NEEDS_SUPPLEMENT
    assert proposal.supplement_request is not None
    assert proposal.supplement_request["items"] == ["Bổ sung dự toán kinh phí"]
    assert _last(proposal).due_date == DUE


def test_supplement_records_only_changes_and_the_answered_request(
    director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _awaiting_supplement(director, directory)
    resources = {**complete_plan()["resources"], "budget_vnd": 420_000_000}
    proposal.supplement(
        actor_id=director.user_id,
        request_id="req-1",
        changes={"resources": resources, "purpose": complete_plan()["purpose"]},
        at=LATER,
    )
    supplemented = _last(proposal)
    assert type(supplemented).__name__ == "Supplemented"
    assert supplemented.request_id == "req-1"
    assert supplemented.changes == {"resources": {**resources, "budget_vnd": "420000000"}}
    assert proposal.status is ProposalStatus.SUBMITTED
    assert proposal.supplement_request is None
    assert proposal.answered_supplements == ["req-1"]


def test_supplement_returns_to_review_when_requested_during_review(
    director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _submitted(director, directory)
    proposal.note_decision(kind="received", at=LATER, details={"received_by": "ct.p0010"})
    proposal.note_supplement_requested(request_id="r", items=["Thêm"], due_date=DUE, at=LATER)
    proposal.supplement(
        actor_id=director.user_id, request_id="r", changes={"feasibility": "Rõ hơn"}, at=LATER
    )
    assert proposal.status is ProposalStatus.UNDER_REVIEW


def test_supplement_requires_an_open_request(
    director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _submitted(director, directory)
    with pytest.raises(InvalidTransition):
        proposal.supplement(
            actor_id=director.user_id, request_id="req-1", changes={"purpose": "x"}, at=LATER
        )


def test_only_proposer_may_supplement(director: Actor, directory: OrganisationDirectory) -> None:
    proposal = _awaiting_supplement(director, directory)
    with pytest.raises(NotAllowed):
        proposal.supplement(
            actor_id="ct.someone", request_id="req-1", changes={"purpose": "x"}, at=LATER
        )


def test_supplement_must_answer_the_open_request(
    director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _awaiting_supplement(director, directory)
    with pytest.raises(Conflict, match="req-1"):
        proposal.supplement(
            actor_id=director.user_id, request_id="req-9", changes={"purpose": "x"}, at=LATER
        )


def test_supplement_request_is_answered_only_once(
    director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _awaiting_supplement(director, directory)
    proposal.supplement(
        actor_id=director.user_id, request_id="req-1", changes={"purpose": "x"}, at=LATER
    )
    with pytest.raises(Conflict, match="already answered"):
        proposal.supplement(
            actor_id=director.user_id, request_id="req-1", changes={"purpose": "y"}, at=LATER
        )
    with pytest.raises(Conflict, match="already answered"):
        proposal.note_supplement_requested(request_id="req-1", items=["x"], due_date=DUE, at=LATER)


def test_supplement_must_change_something(
    director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _awaiting_supplement(director, directory)
    with pytest.raises(InvalidChange, match="changes"):
        proposal.supplement(
            actor_id=director.user_id,
            request_id="req-1",
            changes={"purpose": complete_plan()["purpose"]},
            at=LATER,
        )


def test_supplement_must_leave_the_plan_complete(
    director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _awaiting_supplement(director, directory)
    with pytest.raises(Incomplete) as caught:
        proposal.supplement(
            actor_id=director.user_id, request_id="req-1", changes={"necessity": None}, at=LATER
        )
    assert [problem.path for problem in caught.value.problems] == ["plan.necessity"]
    assert proposal.status is ProposalStatus.NEEDS_SUPPLEMENT


def test_supplement_request_needs_items_and_a_due_date(
    director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _submitted(director, directory)
    with pytest.raises(InvalidChange) as caught:
        proposal.note_supplement_requested(request_id=" ", items=[], due_date=DUE, at=LATER)
    assert [problem.path for problem in caught.value.problems] == ["request_id", "items"]


def test_supplement_request_refused_on_a_draft(director: Actor) -> None:
    with pytest.raises(InvalidTransition):
        _draft(director).note_supplement_requested(
            request_id="r", items=["x"], due_date=DUE, at=LATER
        )


def test_supplement_request_may_come_through_note_decision(
    director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _submitted(director, directory)
    proposal.note_decision(
        kind="supplement_requested",
        at=LATER,
        details={"request_id": "r-7", "items": ["Bổ sung"], "due_date": "2024-06-14"},
    )
    assert type(_last(proposal)).__name__ == "SupplementRequested"
    assert _last(proposal).due_date == DUE
    with pytest.raises(InvalidChange, match="due_date"):
        _submitted(director, directory).note_decision(
            kind="supplement_requested",
            at=LATER,
            details={"request_id": "r", "items": ["x"], "due_date": "mai"},
        )


# --- decisions noted from approval ----------------------------------------------------------


def test_received_puts_the_proposal_under_review(
    director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _submitted(director, directory)
    proposal.note_decision(kind="received", at=LATER, details={"approval_due": "2024-06-12"})
    noted = _last(proposal)
    assert (type(noted).__name__, noted.kind) == ("DecisionNoted", "received")
    assert proposal.status is ProposalStatus.UNDER_REVIEW
    assert proposal.received_at == LATER


@pytest.mark.parametrize("kind", ["approved", "rejected"])
def test_art8_approval_or_rejection_makes_the_proposal_decided(
    kind: str, director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _awaiting_supplement(director, directory)
    proposal.note_decision(kind=kind, at=LATER, details={"decision_ref": "123/QĐ-UBND"})
    assert proposal.status is ProposalStatus.DECIDED
    assert proposal.decision == kind
    assert proposal.supplement_request is None


def _approved(proposer: Actor, directory: OrganisationDirectory) -> Proposal:
    proposal = _submitted(proposer, directory)
    proposal.note_decision(kind="received", at=LATER, details={})
    proposal.note_decision(kind="approved", at=LATER, details={})
    return proposal


def test_art6_suspend_resume_and_stop_follow_the_implementation(
    director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _approved(director, directory)
    assert proposal.implementation == "active"
    proposal.note_decision(kind="suspended", at=LATER, details={"reasons": "Chờ kinh phí"})
    assert proposal.implementation == "suspended"
    with pytest.raises(InvalidTransition):
        proposal.note_decision(kind="suspended", at=LATER, details={})
    proposal.note_decision(kind="resumed", at=LATER, details={})
    assert proposal.implementation == "active"
    proposal.note_decision(kind="stopped", at=LATER, details={})
    assert proposal.implementation == "stopped"
    with pytest.raises(InvalidTransition):
        proposal.note_decision(kind="resumed", at=LATER, details={})
    assert proposal.status is ProposalStatus.DECIDED


def test_implementation_decisions_need_an_approved_proposal(
    director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _submitted(director, directory)
    proposal.note_decision(kind="rejected", at=LATER, details={"reasons": "Chưa khả thi"})
    for kind in ("suspended", "resumed", "stopped", "evaluated"):
        with pytest.raises(InvalidTransition):
            proposal.note_decision(kind=kind, at=LATER, details={})


def test_art11_protection_is_decided_after_evaluation(
    director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _approved(director, directory)
    with pytest.raises(InvalidTransition):
        proposal.note_decision(kind="protection_decided", at=LATER, details={})
    proposal.note_decision(kind="evaluated", at=LATER, details={"outcome": "COMPLETED"})
    proposal.note_decision(kind="protection_decided", at=LATER, details={"tier": "NO_LIABILITY"})
    assert proposal.evaluation == {"outcome": "COMPLETED"}
    assert proposal.protection == {"tier": "NO_LIABILITY"}
    assert [entry["kind"] for entry in proposal.history] == [
        "received",
        "approved",
        "evaluated",
        "protection_decided",
    ]


def test_unknown_decision_kind_is_refused(
    director: Actor, directory: OrganisationDirectory
) -> None:
    with pytest.raises(InvalidChange, match="kind"):
        _submitted(director, directory).note_decision(kind="blessed", at=LATER, details={})


def test_decisions_are_not_noted_on_drafts(director: Actor) -> None:
    with pytest.raises(InvalidTransition):
        _draft(director).note_decision(kind="approved", at=LATER, details={})


# --- withdraw -------------------------------------------------------------------------------


def test_withdraw_while_awaiting_decision(
    director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _awaiting_supplement(director, directory)
    proposal.withdraw(actor_id=director.user_id, reason="  Đã có văn bản mới  ", at=LATER)
    withdrawn = _last(proposal)
    assert type(withdrawn).__name__ == "Withdrawn"
    assert withdrawn.reason == "Đã có văn bản mới"
    assert withdrawn.recipient_unit_id == "ct.ubnd-tp"
    assert proposal.status is ProposalStatus.WITHDRAWN
    assert proposal.supplement_request is None


def test_withdraw_refused_after_decision(director: Actor, directory: OrganisationDirectory) -> None:
    proposal = _approved(director, directory)
    with pytest.raises(Conflict):
        proposal.withdraw(actor_id=director.user_id, reason="Đổi ý", at=LATER)
    assert proposal.status is ProposalStatus.DECIDED


def test_withdraw_requires_a_reason(director: Actor, directory: OrganisationDirectory) -> None:
    proposal = _submitted(director, directory)
    with pytest.raises(Incomplete, match="reason"):
        proposal.withdraw(actor_id=director.user_id, reason=" ", at=LATER)


def test_only_proposer_may_withdraw(director: Actor, directory: OrganisationDirectory) -> None:
    proposal = _submitted(director, directory)
    with pytest.raises(NotAllowed):
        proposal.withdraw(actor_id="ct.p0001", reason="Không cần", at=LATER)


def test_withdraw_applies_only_to_submitted_proposals(
    director: Actor, directory: OrganisationDirectory
) -> None:
    with pytest.raises(InvalidTransition):
        _draft(director).withdraw(actor_id=director.user_id, reason="x", at=LATER)
    proposal = _submitted(director, directory)
    proposal.withdraw(actor_id=director.user_id, reason="x", at=LATER)
    with pytest.raises(InvalidTransition):
        proposal.withdraw(actor_id=director.user_id, reason="x", at=LATER)
    with pytest.raises(InvalidTransition):
        proposal.note_decision(kind="received", at=LATER, details={})


# --- general --------------------------------------------------------------------------------


def test_commands_require_timezone_aware_times(director: Actor) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Proposal.draft(proposer=director, title="T", plan=None, at=datetime(2024, 6, 3))


def test_every_refusal_is_a_domain_error() -> None:
    for error in (NotAllowed, Conflict, InvalidTransition, Incomplete, InvalidChange, Unroutable):
        assert issubclass(error, DomainError)


def test_note_decision_accepts_positional_kind_and_no_details(
    director: Actor, directory: OrganisationDirectory
) -> None:
    proposal = _submitted(director, directory)
    proposal.note_decision("received", LATER)
    assert _last(proposal).details == {}
    assert proposal.status is ProposalStatus.UNDER_REVIEW


def test_a_plan_drafted_and_submitted_at_once_is_recorded_alike_and_not_aliased(
    director: Actor, directory: OrganisationDirectory
) -> None:
    """Submitted in the command that drafted it, the Submitted event carries the Drafted
    event's plan (events never change); the proposal's own plan is still a copy."""
    proposal = _draft(director)
    proposal.submit(actor=director, at=T0, directory=directory, just_drafted=True)
    drafted, submitted = _events(proposal)
    assert submitted.plan == drafted.plan == complete_plan()
    proposal.plan["necessity"] = "changed behind the events' back"
    assert submitted.plan["necessity"] == complete_plan()["necessity"]
