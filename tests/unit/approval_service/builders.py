"""An approval application on SQLite with a hand-moved clock, and officials of the shipped
Cần Thơ directory, for driving cases through the application's commands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Tracking

from services.approval.application import ApprovalApplication
from services.approval.consumers import on_submitted, on_supplemented, on_withdrawn
from services.approval.domain.case import Case
from services.registration.domain.routing import route_to_competent_authority
from shared.contracts import ActorRef
from shared.contracts.registration import (
    Official as OfficialContract,
)
from shared.contracts.registration import (
    ProposalSubmitted,
    ProposalSupplemented,
    ProposalWithdrawn,
    Routing,
)
from shared.contracts.vocabulary import CaseState, DeadlineName
from shared.kernel.actor import Actor
from shared.kernel.calendar import VIETNAM_TIME, local_date
from shared.kernel.directory import load_directory
from shared.platform.eventstore import store_env
from shared.platform.identity import directory_people, resolve
from shared.platform.settings import Settings
from shared.platform.sidetables import own_tables

DIRECTORY = load_directory("can-tho", "2024.1")


class Clock:
    """The application's clock, moved by the test; instants are in Vietnam's time zone."""

    def __init__(self, day: date, hour: int = 9) -> None:
        self.now = datetime.combine(day, time(hour), VIETNAM_TIME)

    def __call__(self) -> datetime:
        return self.now

    def set(self, day: date, hour: int = 9) -> None:
        self.now = datetime.combine(day, time(hour), VIETNAM_TIME)

    def tick(self, minutes: int = 1) -> None:
        self.now += timedelta(minutes=minutes)

    @property
    def today(self) -> date:
        return self.now.date()


def make_app(
    data_dir: Path,
    clock: Clock,
    *,
    rule_sets_dir: Path | None = None,
    settings: Settings | None = None,
) -> ApprovalApplication:
    """Approval on SQLite in `data_dir`, or on the store `settings` name."""
    settings = settings or Settings(data_dir=data_dir)
    return ApprovalApplication(
        env=store_env("approval", settings),
        directory=DIRECTORY,
        tables=own_tables(settings, "approval"),
        clock=clock,
        rule_sets_dir=rule_sets_dir,
    )


def person(user_id: str, unit_id: str, position: str = "", *roles: str, name: str = "") -> Actor:
    return Actor(
        user_id=user_id,
        name=name or user_id,
        unit_id=unit_id,
        position=position,
        roles=frozenset(roles or ("proposer",)),
    )


@dataclass(frozen=True)
class Authority:
    """Who acts on a case routed to one unit."""

    proposer: Actor
    head: Actor
    deputies: tuple[Actor, ...]
    office: Actor  # a delegate where the intake unit differs, else the head


def _members(unit_id: str, role: str) -> tuple[Actor, tuple[Actor, ...]]:
    unit = DIRECTORY.unit(unit_id)
    head = person(unit.head.person_id, unit_id, unit.head.position, role, name=unit.head.name)
    deputies = tuple(
        person(d.person_id, unit_id, d.position, role, name=d.name) for d in unit.deputies
    )
    return head, deputies


def city_case_authority() -> Authority:
    """A department director (Sở Tư pháp) → the city People's Committee through Sở Nội vụ."""
    head, deputies = _members("ct.ubnd-tp", "city_committee")
    doha_director, _ = _members("ct.so-noi-vu", "home_affairs")
    return Authority(
        proposer=person("ct.p0026", "ct.so-tu-phap", "director", name="Đoàn Thanh Thắng"),
        head=head,
        deputies=deputies,
        office=doha_director,
    )


def agency_case_authority() -> Authority:
    """A division head of Sở Tài chính → the director of Sở Tài chính (Art 7 §3)."""
    head, deputies = _members("ct.so-tai-chinh", "unit_head")
    return Authority(
        proposer=person(
            "ct.p0062", "ct.so-tai-chinh.phong-qlns", "head_of_division", name="Ngô Minh Sơn"
        ),
        head=head,
        deputies=deputies,
        office=head,
    )


def plan() -> dict[str, Any]:
    return {
        "necessity": "Thủ tục chồng chéo",
        "purpose": "Rút ngắn thời gian",
        "attachments": [{"name": "ke-hoach.pdf", "sha256": "a" * 64}],
    }


def submitted(
    proposer: Actor, at: datetime, proposal_id: UUID | None = None, position: int = 1
) -> ProposalSubmitted:
    official = Actor(
        user_id=proposer.user_id,
        name=proposer.name,
        unit_id=proposer.unit_id,
        position=proposer.position,
    )
    # Registration routes with the directory version in force on the submission day.
    routing = route_to_competent_authority(official, DIRECTORY.in_force(local_date(at)))
    return ProposalSubmitted(
        id=uuid4(),
        proposal_id=proposal_id or uuid4(),
        occurred_at=at,
        position=position,
        actor=ActorRef(user_id=proposer.user_id, roles=["proposer"]),
        title="Một cửa liên thông",
        proposer=OfficialContract(**official.person()),
        protection_eligible=True,
        routing=Routing.model_validate(routing.as_dict()),
        plan=plan(),
        submitted_at=at,
    )


def supplemented_event(
    proposal_id: UUID, proposer_id: str, request_id: str, changes: dict[str, Any], position: int
) -> ProposalSupplemented:
    return ProposalSupplemented(
        id=uuid4(),
        proposal_id=proposal_id,
        occurred_at=datetime.now(VIETNAM_TIME),
        position=position,
        actor=ActorRef(user_id=proposer_id, roles=["proposer"]),
        request_id=request_id,
        changes=changes,
    )


def withdrawn_event(proposal_id: UUID, proposer_id: str, position: int) -> ProposalWithdrawn:
    return ProposalWithdrawn(
        id=uuid4(),
        proposal_id=proposal_id,
        occurred_at=datetime.now(VIETNAM_TIME),
        position=position,
        actor=ActorRef(user_id=proposer_id, roles=["proposer"]),
        reason="Rút để hoàn thiện",
    )


def supplemented(
    case: Case, request_id: str, changes: dict[str, Any], at: datetime, position: int
) -> ProposalSupplemented:
    event = supplemented_event(
        case.proposal_id, case.proposer["user_id"], request_id, changes, position
    )
    return event.model_copy(update={"occurred_at": at})


def withdrawn(case: Case, at: datetime, position: int) -> ProposalWithdrawn:
    event = withdrawn_event(case.proposal_id, case.proposer["user_id"], position)
    return event.model_copy(update={"occurred_at": at})


class Upstream:
    """Registration's stream as the consumer hands it over: positions 1, 2, 3…"""

    def __init__(self) -> None:
        self.position = 0

    def next(self) -> Tracking:
        self.position += 1
        return Tracking("D73_REGISTRATION", self.position)


def open_case(
    app: ApprovalApplication, upstream: Upstream, authority: Authority, clock: Clock
) -> Case:
    tracking = upstream.next()
    event = submitted(authority.proposer, clock(), position=tracking.notification_id)
    on_submitted(app, event, tracking)
    case: Case = app.repository.get(Case.create_id(event.proposal_id))
    return case


def stored_events(app: ApprovalApplication, case_id: UUID) -> list[DomainEventProtocol[UUID]]:
    return list(app.repository.event_store.get(case_id))


def event_names(app: ApprovalApplication, case_id: UUID) -> list[str]:
    return [type(e).__name__ for e in stored_events(app, case_id)]


def ballots_for(*members: Actor, ballot: str = "FOR") -> list[dict[str, str]]:
    return [{"member_id": m.user_id, "ballot": ballot} for m in members]


COMPLETION: dict[str, Any] = {
    "results_vs_targets": [{"target": "giảm 50% thời gian", "result": "giảm 55%"}],
    "resources_used": {"funding_vnd": Decimal("90000000")},
    "damage": {"occurred": False, "description": "", "estimate": None},
}


def drive(
    app: ApprovalApplication, case: Case, authority: Authority, clock: Clock, target: CaseState
) -> Case:
    """The case brought from where it is along the happy path to `target`, a minute a step."""
    a, cid, S = authority, case.id, CaseState
    steps: list[tuple[CaseState, CaseState, Callable[[], Case]]] = [
        (S.IN_INTAKE, S.UNDER_REVIEW, lambda: app.receive_plan(a.office, cid)),
        (S.UNDER_REVIEW, S.UNDER_REVIEW, lambda: _party_opinion(app, a, cid, "APPROVAL")),
        (
            S.UNDER_REVIEW,
            S.APPROVED,
            lambda: app.hold_approval_meeting(
                a.head,
                cid,
                held_on=clock.today,
                ballots=ballots_for(a.head, *a.deputies),
                minutes_ref="BB-01",
                decision_ref="QD-01",
            ),
        ),
        (
            S.APPROVED,
            S.IN_IMPLEMENTATION,
            lambda: app.start_implementation(a.proposer, cid, start_date=clock.today),
        ),
        (
            S.IN_IMPLEMENTATION,
            S.COMPLETION_REPORTED,
            lambda: app.report_completion(a.proposer, cid, completed_on=clock.today, **COMPLETION),
        ),
        (
            S.COMPLETION_REPORTED,
            S.COMPLETION_REPORTED,
            lambda: _party_opinion(app, a, cid, "EVALUATION"),
        ),
        (
            S.COMPLETION_REPORTED,
            S.EVALUATED,
            lambda: app.hold_evaluation_meeting(
                a.head,
                cid,
                held_on=clock.today,
                ballots=ballots_for(a.head, *a.deputies),
                minutes_ref="BB-DG-01",
                assessed_outcome="COMPLETED",
            ),
        ),
        (
            S.EVALUATED,
            S.CONCLUDED,
            lambda: app.issue_conclusion(
                a.head,
                cid,
                outcome="COMPLETED",
                caused_damage=False,
                good_faith_finding=True,
                causes_objective=[],
                causes_subjective=[],
                conclusion_ref="KL-01",
            ),
        ),
        (
            S.CONCLUDED,
            S.RECOGNIZED,
            lambda: app.recognize_result(a.head, cid, publication_ref="TB"),
        ),
        (
            S.RECOGNIZED,
            S.PROTECTION_DETERMINED,
            lambda: app.determine_protection(
                a.head,
                cid,
                art5_conditions_met=True,
                implemented_as_decided=True,
                directions_followed=True,
                decision_ref="QD-BV-01",
            ),
        ),
        (S.PROTECTION_DETERMINED, S.CLOSED, lambda: app.close_case(a.head, cid)),
    ]
    current: Case = app.repository.get(cid)
    first = next(i for i, (source, _, _) in enumerate(steps) if source is current.state)
    for _, reached, step in steps[first:]:
        if current.state is target:
            break
        clock.tick()
        current = step()
        assert current.state is reached, (current.state, reached)
    assert current.state is target, (current.state, target)
    return current


def _party_opinion(app: ApprovalApplication, a: Authority, case_id: UUID, stage: str) -> Case:
    """Art 4 §3: the office asks the same-level Party committee, which answers."""
    app.request_party_opinion(a.office, case_id, stage=stage, committee_id="dang-uy")
    return app.receive_party_opinion(
        a.office, case_id, stage=stage, opinion="Đồng ý", doc_ref=f"CV-{stage}"
    )


def every_kind_of_event(app: ApprovalApplication, upstream: Upstream, clock: Clock) -> list[UUID]:
    """Four cases whose histories hold every kind of Case event; returns their ids."""
    a = city_case_authority()
    cid = open_case(app, upstream, a, clock).id
    clock.tick()
    app.request_supplement(a.office, cid, items=["purpose"], reason="Thiếu mục đích")
    case: Case = app.repository.get(cid)
    request_id = app.open_supplement_request_id(case)
    clock.tick()
    on_supplemented(
        app,
        supplemented(case, str(request_id), {"purpose": "Rõ hơn"}, clock(), upstream.position + 1),
        upstream.next(),
    )
    clock.tick()
    received = app.receive_plan(a.office, cid)
    app.request_consultation(
        a.office,
        cid,
        consultees=[
            {"id": "ct.so-tu-phap", "kind": "AGENCY", "name": "Sở Tư pháp"},
            {"id": "chuyen-gia-1", "kind": "EXPERT"},
        ],
        questions="Có trái luật không?",
    )
    app.receive_consultation_opinion(
        a.office, cid, consultee_id="ct.so-tu-phap", opinion="Không trái luật", doc_ref="CV-TP"
    )
    app.close_consultation(a.office, cid, summary="Đủ ý kiến")
    app.request_party_opinion(a.office, cid, stage="APPROVAL", committee_id="dang-uy-tp")
    app.receive_party_opinion(a.office, cid, stage="APPROVAL", opinion="Đồng ý", doc_ref="CV-DU")
    due = received.open_deadlines()[DeadlineName.APPROVAL].due
    clock.set(app.rules_for(received).warning_date(due))
    app.attend_to_deadlines(cid)
    clock.set(due + timedelta(days=1))
    app.attend_to_deadlines(cid)
    app.hold_approval_meeting(
        a.head,
        cid,
        held_on=clock.today,
        ballots=ballots_for(a.head, *a.deputies, ballot="AGAINST"),
        minutes_ref="BB-01",
    )
    clock.tick()
    app.override_collective_rejection(
        a.head,
        cid,
        justification="Cần thiết và khả thi",
        decision_ref="QD-VT-01",
        implementer_ids=[a.proposer.user_id, "ct.p0027"],
    )
    app.allocate_resources(
        a.head, cid, source_ref="QD-KP-01", staff=["ct.p0027"], funding_vnd=Decimal("150000000")
    )
    app.start_implementation(a.proposer, cid, start_date=clock.today)
    app.report_progress(a.proposer, cid, period="2024-Q3", progress_percent=40, issues="chậm")
    app.suspend(a.head, cid, decision_ref="QD-TD-01", reasons=["Rủi ro thiệt hại"])
    app.resume(a.head, cid, decision_ref="QD-TT-01", conditions=["Giám sát hằng tuần"])
    app.stop(a.head, cid, decision_ref="QD-D-01", reasons=["Không khả thi"])
    clock.tick()
    app.report_completion(a.proposer, cid, completed_on=clock.today, **COMPLETION)
    app.request_party_opinion(a.office, cid, stage="EVALUATION", committee_id="dang-uy-tp")
    app.receive_party_opinion(a.office, cid, stage="EVALUATION", opinion="Ổn", doc_ref="CV-2")
    app.hold_evaluation_meeting(
        a.head,
        cid,
        held_on=clock.today,
        ballots=ballots_for(a.head, *a.deputies),
        minutes_ref="BB-DG-01",
        assessed_outcome="PARTIAL",
    )
    app.issue_conclusion(
        a.head,
        cid,
        outcome="PARTIAL",
        caused_damage=False,
        good_faith_finding=True,
        causes_objective=["Thiếu kinh phí"],
        causes_subjective=[],
        conclusion_ref="KL-01",
    )
    app.grant_encouragement(
        a.head,
        cid,
        form="APPOINTMENT_PRIORITY",
        beneficiary={"kind": "OFFICIAL"},
        decision_ref="QD-KK-01",
    )
    app.report_prohibited_act(
        a.proposer,
        cid,
        act="ART6_2",
        accused={"unit_id": "ct.so-xay-dung", "name": "Sở Xây dựng"},
        description="Cản trở thực hiện",
        evidence_refs=["CV-KN-01"],
    )
    app.record_prohibited_act_finding(
        a.head, cid, report_number=1, substantiated=False, finding_ref="KL-TT-01"
    )
    app.determine_protection(
        a.head,
        cid,
        art5_conditions_met=True,
        implemented_as_decided=True,
        directions_followed=True,
        decision_ref="QD-BV-01",
    )
    app.close_case(a.head, cid, summary="Lưu trữ")

    b = agency_case_authority()
    rejected = open_case(app, upstream, b, clock).id
    app.receive_plan(b.office, rejected)
    app.request_party_opinion(b.office, rejected, stage="APPROVAL", committee_id="dang-uy-stc")
    app.receive_party_opinion(b.office, rejected, stage="APPROVAL", opinion="Ý kiến", doc_ref="1")
    app.hold_approval_meeting(
        b.head,
        rejected,
        held_on=clock.today,
        ballots=ballots_for(b.head, *b.deputies, ballot="AGAINST"),
        minutes_ref="BB-02",
    )
    app.confirm_rejection(b.head, rejected, reasons=["Chưa khả thi"], decision_ref="QD-TC-01")

    gone = open_case(app, upstream, b, clock)
    on_withdrawn(app, withdrawn(gone, clock(), upstream.position + 1), upstream.next())

    recognized = drive(app, open_case(app, upstream, b, clock), b, clock, CaseState.RECOGNIZED)
    return [cid, rejected, gone.id, recognized.id]


def signed_in(person_id: str, on: date) -> Actor:
    """Who a token naming `person_id` is on `on`: the directory version in force that day
    places them and gives their roles, as the services' token verifier does."""
    directory = DIRECTORY.in_force(on)
    return resolve(directory, person_id, directory_people(directory)[person_id].roles)


def routed_authority(proposer_id: str, on: date) -> Authority:
    """The people of a plan submitted on `on`, as the version in force that day places them."""
    directory = DIRECTORY.in_force(on)
    proposer = signed_in(proposer_id, on)
    routing = route_to_competent_authority(
        Actor(
            user_id=proposer.user_id,
            name=proposer.name,
            unit_id=proposer.unit_id,
            position=proposer.position,
        ),
        directory,
    )
    head = signed_in(routing.decider_id, on)
    deputies = tuple(
        signed_in(m.person_id, on) for m in directory.deputies_of(routing.recipient_unit_id)
    )
    return Authority(proposer=proposer, head=head, deputies=deputies, office=head)
