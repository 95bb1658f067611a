"""Builds cases for the tests by driving them along the happy path of domain.md §12."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from services.approval.commands import CaseCommand
from services.approval.domain.case import Case
from services.approval.domain.errors import DomainError, Invalid
from shared.contracts.vocabulary import CaseState
from shared.kernel.actor import Actor
from shared.kernel.calendar import VIETNAM_TIME

E = TypeVar("E", bound=DomainError)

PROPOSAL_ID = UUID("0b8c6d2e-7a51-4c1e-9d0a-3f4e5a6b7c8d")
AGENCY = "so-tnmt"  # Sở Tài nguyên và Môi trường, the routed unit
DOHA = "so-noi-vu"
HEAD = "giam-doc"
DEPUTIES = ("pho-gd-1", "pho-gd-2", "pho-gd-3")
CLERK = "van-thu"  # the head's delegate for intake and office steps
PROPOSER = "truong-phong-1"
CO_IMPLEMENTER = "chuyen-vien-2"

T0 = datetime(2024, 6, 3, 9, 0, tzinfo=VIETNAM_TIME)  # a Monday


def at(days: int = 0) -> datetime:
    """An instant `days` after T0."""
    return T0 + timedelta(days=days)


def day(days: int = 0) -> date:
    """The Vietnamese calendar date `days` after T0."""
    return at(days).date()


def actor(user_id: str, *roles: str, unit_id: str = AGENCY) -> Actor:
    return Actor(user_id=user_id, name="", unit_id=unit_id, position="", roles=frozenset(roles))


def head() -> Actor:
    return actor(HEAD, "unit_head")


def deputy(n: int = 0) -> Actor:
    return actor(DEPUTIES[n], "unit_head")


def clerk() -> Actor:
    return actor(CLERK, "proposer")


def proposer() -> Actor:
    return actor(PROPOSER, "proposer")


def system() -> Actor:
    return actor("system", "system", unit_id="")


def home_affairs() -> Actor:
    return actor("chuyen-vien-snv", "home_affairs", unit_id=DOHA)


def auditor() -> Actor:
    return actor("thanh-tra-1", "auditor", unit_id="thanh-tra")


def ballots(**votes: str) -> list[dict[str, str]]:
    """ballots(giam_doc="FOR") → [{"member_id": "giam-doc", "ballot": "FOR"}]."""
    return [{"member_id": k.replace("_", "-"), "ballot": v} for k, v in votes.items()]


def unanimous(*members: str, ballot: str = "FOR") -> list[dict[str, str]]:
    return [{"member_id": m, "ballot": ballot} for m in members]


ALL_FOR = unanimous(HEAD, *DEPUTIES)
ALL_AGAINST = unanimous(HEAD, *DEPUTIES, ballot="AGAINST")


def open_case(
    *,
    proposer_id: str = PROPOSER,
    deputy_ids: tuple[str, ...] = DEPUTIES,
    protection_eligible: bool = True,
    **overrides: Any,
) -> Case:
    arguments: dict[str, Any] = {
        "proposal_id": PROPOSAL_ID,
        "proposer": {
            "user_id": proposer_id,
            "name": "Nguyễn Văn A",
            "unit_id": AGENCY,
            "position": "Trưởng phòng",
        },
        "title": "Một cửa liên thông cấp phép xả thải",
        "protection_eligible": protection_eligible,
        "routing": {
            "target": "AGENCY_HEAD",
            "recipient_unit_id": AGENCY,
            "intake_unit_id": AGENCY,
            "decider_id": HEAD,
            "legal_basis": "ND73 Art 7 §3",
            "directory_version": "dir-2024-06",
        },
        "authority": {
            "head_id": HEAD,
            "deputy_ids": list(deputy_ids),
            "delegate_ids": [CLERK],
        },
        "plan": {"necessity": "thủ tục chồng chéo", "implementers": [proposer_id]},
        "submitted_at": at(0) - timedelta(hours=1),
        "opened_at": at(0),
        "rule_set_version": "can-tho/2024.1",
        "intake_due": day(3),
    }
    arguments.update(overrides)
    return Case.open(**arguments)


def receive_party_opinion(case: Case, stage: str, days: int, by: Actor | None = None) -> None:
    """Art 4 §3: the same-level Party committee is asked and answers."""
    office = clerk() if by is None else by
    case.request_party_opinion(office, at(days), stage=stage, committee_id="dang-uy-so")
    case.receive_party_opinion(
        office, at(days), stage=stage, opinion="Đồng ý", doc_ref=f"CV-{stage}"
    )


def report_completion(case: Case, days: int, *, damage: bool = False) -> None:
    case.report_completion(
        clerk(),
        at(days),
        completed_on=day(days),
        results_vs_targets=[{"target": "giảm 50% thời gian", "result": "giảm 40%"}],
        resources_used={"funding_vnd": Decimal("120000000")},
        damage={
            "occurred": damage,
            "description": "chậm trả hồ sơ" if damage else "",
            "estimate": Decimal("5000000") if damage else None,
        },
        report_due=day(days + 7),
        evaluation_due=day(days + 9),
    )


def conclude(
    case: Case,
    days: int,
    *,
    outcome: str = "COMPLETED",
    good_faith: bool = True,
    damage: bool = False,
) -> None:
    causes = [] if outcome == "COMPLETED" else ["thiếu kinh phí"]
    case.issue_conclusion(
        head(),
        at(days),
        outcome=outcome,
        caused_damage=damage,
        good_faith_finding=good_faith,
        causes_objective=causes,
        causes_subjective=[],
        conclusion_ref="KL-01",
    )


_PATH: dict[CaseState, tuple[CaseState, ...]] = {
    CaseState.IN_INTAKE: (),
    CaseState.NEEDS_SUPPLEMENT: (CaseState.IN_INTAKE,),
    CaseState.UNDER_REVIEW: (CaseState.IN_INTAKE,),
    CaseState.IN_CONSULTATION: (CaseState.UNDER_REVIEW,),
    CaseState.COLLECTIVE_REJECTED: (CaseState.UNDER_REVIEW,),
    CaseState.REJECTED: (CaseState.COLLECTIVE_REJECTED,),
    CaseState.WITHDRAWN: (CaseState.IN_INTAKE,),
    CaseState.APPROVED: (CaseState.UNDER_REVIEW,),
    CaseState.IN_IMPLEMENTATION: (CaseState.APPROVED,),
    CaseState.SUSPENDED: (CaseState.IN_IMPLEMENTATION,),
    CaseState.STOPPED: (CaseState.IN_IMPLEMENTATION,),
    CaseState.COMPLETION_REPORTED: (CaseState.IN_IMPLEMENTATION,),
    CaseState.EVALUATED: (CaseState.COMPLETION_REPORTED,),
    CaseState.CONCLUDED: (CaseState.EVALUATED,),
    CaseState.RECOGNIZED: (CaseState.CONCLUDED,),
    CaseState.PROTECTION_DETERMINED: (CaseState.CONCLUDED,),
    CaseState.CLOSED: (CaseState.PROTECTION_DETERMINED,),
}


def drive_to(
    target: CaseState,
    *,
    outcome: str = "COMPLETED",
    good_faith: bool = True,
    damage: bool = False,
    case: Case | None = None,
    **open_overrides: Any,
) -> Case:
    """A case brought to `target` along the happy path; each step happens one day later."""
    if target is CaseState.IN_INTAKE:
        return case if case is not None else open_case(**open_overrides)
    (previous,) = _PATH[target]
    case = drive_to(
        previous,
        outcome=outcome,
        good_faith=good_faith,
        damage=damage,
        case=case,
        **open_overrides,
    )
    step = case.version  # one day per recorded event keeps instants increasing
    _STEPS[target](case, step, outcome, good_faith, damage)
    assert case.state is target, (case.state, target)
    return case


def _to_needs_supplement(case: Case, d: int, *_: Any) -> None:
    case.request_supplement(
        clerk(), at(d), items=["bottleneck description"], reason="thiếu nội dung", due=day(d + 5)
    )


def _to_under_review(case: Case, d: int, *_: Any) -> None:
    case.receive_plan(clerk(), at(d), approval_due=day(d + 9))


def _to_in_consultation(case: Case, d: int, *_: Any) -> None:
    case.request_consultation(
        clerk(),
        at(d),
        consultees=[{"id": "so-tu-phap", "kind": "AGENCY", "name": "Sở Tư pháp"}],
        questions="Có trái luật không?",
        due=day(d + 5),
    )


def _to_collective_rejected(case: Case, d: int, *_: Any) -> None:
    receive_party_opinion(case, "APPROVAL", d)
    case.hold_approval_meeting(
        head(),
        at(d + 1),
        held_on=day(d + 1),
        ballots=unanimous(*case.competent_authority.voters, ballot="AGAINST"),
        minutes_ref="BB-01",
    )


def _to_rejected(case: Case, d: int, *_: Any) -> None:
    case.confirm_rejection(head(), at(d), reasons=["chưa khả thi"], decision_ref="QD-TC-01")


def _as_proposer(case: Case) -> Actor:
    return actor(case.proposer["user_id"], "proposer")


def _to_withdrawn(case: Case, d: int, *_: Any) -> None:
    case.withdraw(_as_proposer(case), at(d), reason="rút để hoàn thiện")


def _to_approved(case: Case, d: int, *_: Any) -> None:
    receive_party_opinion(case, "APPROVAL", d)
    case.hold_approval_meeting(
        head(),
        at(d + 1),
        held_on=day(d + 1),
        ballots=unanimous(*case.competent_authority.voters),
        minutes_ref="BB-01",
        implementers=implementers(case),
        decision_ref="QD-01",
    )


def implementers(case: Case) -> list[dict[str, Any]]:
    """The proposer and a co-implementer, a deputy head of division within Art 2."""
    proposer = case.proposer
    return [
        {
            "user_id": proposer["user_id"],
            "name": proposer["name"],
            "unit_id": proposer["unit_id"],
            "position": proposer["position"],
            "within_art2": case.protection_eligible,
        },
        {
            "user_id": CO_IMPLEMENTER,
            "name": "Lê Văn Hai",
            "unit_id": "so-tnmt",
            "position": "deputy_head_of_division",
            "within_art2": True,
        },
    ]


def _to_in_implementation(case: Case, d: int, *_: Any) -> None:
    case.start_implementation(_as_proposer(case), at(d), start_date=day(d))


def _to_suspended(case: Case, d: int, *_: Any) -> None:
    case.suspend(head(), at(d), decision_ref="QD-TD-01", reasons=["rủi ro thiệt hại"])


def _to_stopped(case: Case, d: int, *_: Any) -> None:
    case.stop(head(), at(d), decision_ref="QD-D-01", reasons=["không khả thi"])


def _to_completion_reported(case: Case, d: int, _o: str, _g: bool, damage: bool) -> None:
    report_completion(case, d, damage=damage)


def _to_evaluated(case: Case, d: int, outcome: str, *_: Any) -> None:
    receive_party_opinion(case, "EVALUATION", d)
    case.hold_evaluation_meeting(
        head(),
        at(d + 1),
        held_on=day(d + 1),
        ballots=unanimous(*case.competent_authority.voters),
        minutes_ref="BB-DG-01",
        assessed_outcome=outcome,
        conclusion_due=day(d + 4),
    )


def _to_concluded(case: Case, d: int, outcome: str, good_faith: bool, damage: bool) -> None:
    conclude(case, d, outcome=outcome, good_faith=good_faith, damage=damage)


def _to_recognized(case: Case, d: int, *_: Any) -> None:
    case.recognize_result(head(), at(d), publication_ref="TB-01")


def _to_protection_determined(case: Case, d: int, *_: Any) -> None:
    case.determine_protection(
        head(),
        at(d),
        art5_conditions_met=True,
        implemented_as_decided=True,
        directions_followed=True,
        decision_ref="QD-BV-01",
    )


def _to_closed(case: Case, d: int, *_: Any) -> None:
    case.close(system(), at(d))


_STEPS: Mapping[CaseState, Callable[[Case, int, str, bool, bool], None]] = {
    CaseState.NEEDS_SUPPLEMENT: _to_needs_supplement,
    CaseState.UNDER_REVIEW: _to_under_review,
    CaseState.IN_CONSULTATION: _to_in_consultation,
    CaseState.COLLECTIVE_REJECTED: _to_collective_rejected,
    CaseState.REJECTED: _to_rejected,
    CaseState.WITHDRAWN: _to_withdrawn,
    CaseState.APPROVED: _to_approved,
    CaseState.IN_IMPLEMENTATION: _to_in_implementation,
    CaseState.SUSPENDED: _to_suspended,
    CaseState.STOPPED: _to_stopped,
    CaseState.COMPLETION_REPORTED: _to_completion_reported,
    CaseState.EVALUATED: _to_evaluated,
    CaseState.CONCLUDED: _to_concluded,
    CaseState.RECOGNIZED: _to_recognized,
    CaseState.PROTECTION_DETERMINED: _to_protection_determined,
    CaseState.CLOSED: _to_closed,
}


def state_of(case: Case) -> CaseState:
    """The current state, read afresh (a plain `case.state` stays narrowed for mypy)."""
    return case.state


def fingerprint(case: Case) -> tuple[int, int, dict[str, Any]]:
    """Version, pending events and every attribute: what a refusal must leave untouched."""
    state = {k: copy.deepcopy(v) for k, v in vars(case).items() if k != "_pending_events"}
    return case.version, len(case.pending_events), state


def refuse_input(kind: type[CaseCommand], **fields: Any) -> Invalid:
    """Builds the command `kind` with `fields`, expecting it to refuse its own input (`Invalid`)
    before any case sees it: the case checks only authority, state and its record."""
    try:
        kind(case_id=Case.create_id(PROPOSAL_ID), **fields)
    except Invalid as refusal:
        return refusal
    raise AssertionError(f"expected Invalid; {kind.__name__} accepted its input")


def refuse(case: Case, error: type[E], command: Callable[[], object]) -> E:
    """Runs `command`, expects `error`, and checks the case recorded nothing."""
    before = fingerprint(case)
    try:
        command()
    except error as refusal:
        assert fingerprint(case) == before
        return refusal
    raise AssertionError(f"expected {error.__name__}; the command was accepted")
