"""Who is a party to a case is decided once (issue #13): the party check on reports (Art 6),
who may read the case and the inbox's index of open cases all give the same people."""

from __future__ import annotations

from uuid import UUID

from services.approval.application import ApprovalApplication, NotPartyToCase
from services.approval.domain.case import Case
from services.approval.domain.errors import NotAllowed
from shared.contracts.vocabulary import CaseState
from tests.unit.approval_service.builders import (
    DIRECTORY,
    Clock,
    Upstream,
    ballots_for,
    city_case_authority,
    drive,
    open_case,
    person,
)

OUTSIDE_IMPLEMENTER = "ct.p0027"
"""Named to implement the plan, and holding no post on the case otherwise."""


def everyone() -> list[str]:
    """Every person the directory names, and one it does not."""
    return [member.person_id for _, member in DIRECTORY.members()] + ["outsider"]


def parties_by_each_use(app: ApprovalApplication, case_id: UUID) -> dict[str, frozenset[str]]:
    """Whom each of the three uses takes for a party, asked person by person; the people ask
    as plain proposers, so that no role (Sở Nội vụ, auditor) lets them in without being one."""
    case: Case = app.repository.get(case_id)
    by_check, by_reading, by_index = set(), set(), set()
    for user_id in everyone():
        actor = person(user_id, "ct.unit", "", "proposer")
        try:
            case.competent_authority.check_party_to_case(actor, "report_prohibited_act")
            by_check.add(user_id)
        except NotAllowed:
            pass
        try:
            app.case_for(actor, case_id)
            by_reading.add(user_id)
        except NotPartyToCase:
            pass
        if case_id in app.parties.cases_of(user_id):
            by_index.add(user_id)
    return {
        "parties": case.competent_authority.parties,
        "check_party_to_case": frozenset(by_check),
        "case_for": frozenset(by_reading),
        "CaseParties": frozenset(by_index),
    }


def assert_all_give(app: ApprovalApplication, case_id: UUID, expected: set[str]) -> None:
    uses = parties_by_each_use(app, case_id)
    assert uses == dict.fromkeys(uses, frozenset(expected))


def test_party_check_reading_and_inbox_index_give_the_same_people(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = city_case_authority()
    case = open_case(app, upstream, a, clock)
    authority = case.competent_authority
    # Each kind of party counts: a delegate outside the collective, and (below) an implementer
    # who is nothing else, so that a use which forgot one kind gives fewer people.
    assert a.office.user_id in authority.delegate_ids
    assert a.office.user_id not in authority.collective
    assert OUTSIDE_IMPLEMENTER not in authority.parties
    collective = {a.head.user_id, *(d.user_id for d in a.deputies)}
    opened = {a.proposer.user_id, *collective, *authority.delegate_ids}
    assert_all_give(app, case.id, opened)

    drive(app, case, a, clock, CaseState.UNDER_REVIEW)
    app.request_party_opinion(a.office, case.id, stage="APPROVAL", committee_id="dang-uy-tp")
    app.receive_party_opinion(
        a.office, case.id, stage="APPROVAL", opinion="Đồng ý", doc_ref="CV-DU"
    )
    clock.tick()
    approved = app.hold_approval_meeting(
        a.head,
        case.id,
        held_on=clock.today,
        ballots=ballots_for(a.head, *a.deputies),
        minutes_ref="BB-01",
        decision_ref="QD-01",
        implementer_ids=[a.proposer.user_id, OUTSIDE_IMPLEMENTER],
    )
    assert approved.state is CaseState.APPROVED
    assert_all_give(app, case.id, opened | {OUTSIDE_IMPLEMENTER})
