"""Realistic contract events for reporting: proposals of several Cần Thơ agencies, each driven
through the real approval domain (`Case`) and published as the contracts say.

A `Journey` names one proposal's path and how many working days each step takes (counted in the
calendar of the rule set in force, as the approval service counts). `publish` turns journeys into
the messages the two upstream streams would hold — registration's `d73.proposal.*` and approval's
`d73.case.*` — with stream sequences, and `arrivals` interleaves the two streams the way a
reporting consumer might receive them. `CAN_THO_2025` is a year of several agencies with every
outcome; tests compute what the reports must say from it by hand.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson
from eventsourcing.persistence import Tracking

from services.approval.domain.case import Case
from services.registration.domain.routing import (
    is_protection_eligible,
    route_to_competent_authority,
)
from shared.contracts import CONTRACTS, ActorRef
from shared.contracts.registration import Official as OfficialContract
from shared.contracts.registration import ProposalSubmitted, ProposalWithdrawn, Routing
from shared.kernel.actor import Actor
from shared.kernel.calendar import VIETNAM_TIME, WorkingDayCalendar
from shared.kernel.directory import OrganisationDirectory, load_directory
from shared.kernel.rulesets import DEFAULT_JURISDICTION, DeadlineName, RuleSet, rule_set_in_force
from shared.platform.outbox import event_id
from tests.support.samples import sample_plan

REGISTRATION = "D73_REGISTRATION"
APPROVAL = "D73_APPROVAL"
SYSTEM = Actor(user_id="system", name="", unit_id="", position="", roles=frozenset({"system"}))
STAFF_NAMES = ("Trần Thị Bé Ba", "Nguyễn Văn Tư", "Lê Thị Năm", "Phạm Văn Sáu", "Võ Thị Bảy")


@dataclass(frozen=True)
class Journey:
    """One proposal's path; step lengths are in working days."""

    key: str
    unit_id: str
    who: str = "head"
    """`head`, `deputy0`, `deputy1`…, or `staff0`, `staff1`… (a non-leader specialist)."""
    submitted_on: date = date(2025, 3, 3)
    decision: str = "approved"
    """approved | override | rejected | withdrawn (before receipt) | withdrawn-in-review |
    pending-intake (never received) | pending-review (received, no decision)."""
    intake_days: int = 2
    supplement: bool = False
    review_days: int = 4
    """Receipt to the final decision (an override or a confirmed rejection comes one working day
    after the failed vote). More than 7 breaches the Art 8 §1 deadline."""
    breach_intake: bool = False
    suspend: bool = False
    stop: bool = False
    implementation_days: int = 40
    report_days: int = 3
    evaluation_days: int = 5
    conclusion_days: int = 2
    outcome: str | None = "COMPLETED"
    damage: bool = False
    good_faith: bool = True
    encouragements: tuple[str, ...] = ()
    protection: bool = True
    prohibited_act: bool = False
    close: bool = False
    funding_vnd: int = 150_000_000


class Message(NamedTuple):
    """One message of an upstream stream: its stream, sequence and JSON body."""

    stream: str
    seq: int
    body: dict[str, Any]

    @property
    def tracking(self) -> Tracking:
        return Tracking(self.stream, self.seq)


def proposal_id_of(key: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"/d73/tests/proposals/{key}")


def _json(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value, default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value))


def _kebab(name: str) -> str:
    return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")


@dataclass
class _Clock:
    """Instants of the journey: 09:00 on working days, a few minutes apart within a day."""

    calendar: WorkingDayCalendar
    minutes: dict[date, int] = field(default_factory=dict)

    def at(self, day: date, hour: int = 9) -> datetime:
        step = self.minutes.get(day, 0)
        self.minutes[day] = step + 1
        return datetime.combine(day, time(hour, 0), VIETNAM_TIME) + timedelta(minutes=5 * step)

    def add(self, day: date, working_days: int) -> date:
        return self.calendar.add_working_days(day, working_days)


class _Driver:
    """Drives one journey through `Case` with the people the directory names."""

    def __init__(self, journey: Journey, directory: OrganisationDirectory, jurisdiction: str):
        self.j = journey
        self.directory = directory
        self.official = _official(journey, directory)
        self.routing = route_to_competent_authority(self.official, directory)
        self.eligible = is_protection_eligible(self.official, directory)
        self.rules: RuleSet = rule_set_in_force(jurisdiction, journey.submitted_on)
        self.clock = _Clock(self.rules.calendar())
        self.proposal_id = proposal_id_of(journey.key)
        recipient = self.routing.recipient_unit_id
        intake = self.routing.intake_unit_id
        self.head = directory.head_of(recipient)
        self.head_actor = Actor(
            self.head.person_id, self.head.name, recipient, "", frozenset({"unit_head"})
        )
        intake_head = next(
            m
            for m in directory.leadership_collective(intake)
            if m.person_id != self.official.user_id
        )
        self.office_actor = (
            self.head_actor
            if intake == recipient
            else Actor(
                intake_head.person_id, intake_head.name, intake, "", frozenset({"home_affairs"})
            )
        )
        self.delegates = (
            []
            if intake == recipient
            else [m.person_id for m in directory.leadership_collective(intake)]
        )
        self.proposer_actor = Actor(
            self.official.user_id,
            self.official.name,
            self.official.unit_id,
            "",
            frozenset({"proposer"}),
        )
        self.registration: list[tuple[datetime, dict[str, Any]]] = []

    def due(self, name: DeadlineName, start: date) -> date:
        return self.rules.due_date(name, start)

    def run(self) -> Case:
        j, c = self.j, self.clock
        submitted_at = c.at(j.submitted_on, 8)
        self._submitted(submitted_at)
        case = Case.open(
            proposal_id=self.proposal_id,
            proposer={**self.official.person()},
            title=self._title(),
            protection_eligible=self.eligible,
            routing=self.routing.as_dict(),
            authority={
                "head_id": self.head.person_id,
                "deputy_ids": [
                    m.person_id for m in self.directory.deputies_of(self.routing.recipient_unit_id)
                ],
                "delegate_ids": self.delegates,
            },
            plan=sample_plan(),
            submitted_at=submitted_at,
            opened_at=submitted_at + timedelta(minutes=2),
            rule_set_version=self.rules.version,
            intake_due=self.due(DeadlineName.INTAKE, j.submitted_on),
        )
        day = j.submitted_on
        if j.decision == "withdrawn":
            self._withdraw(case, c.add(day, 1))
            return case
        if j.decision == "pending-intake":
            if j.breach_intake:
                self._breach(case, "intake", None)
            return case
        if j.supplement:
            asked = c.add(day, 1)
            case.request_supplement(
                self.office_actor,
                c.at(asked),
                items=["Mô tả điểm nghẽn", "Dự toán kinh phí"],
                reason="Kế hoạch chưa đủ nội dung theo Điều 7 khoản 2",
                due=self.due(DeadlineName.SUPPLEMENT, asked),
            )
            day = c.add(asked, 3)
            case.provide_supplement(
                SYSTEM,
                c.at(day),
                changed_fields=["bottleneck", "resources"],
                intake_due=self.due(DeadlineName.INTAKE, day),
            )
        received = c.add(day, j.intake_days)
        case.receive_plan(
            self.office_actor,
            c.at(received),
            approval_due=self.due(DeadlineName.APPROVAL, received),
        )
        decided = c.add(received, j.review_days)
        if j.review_days > self.rules.deadline(DeadlineName.APPROVAL).working_days:
            due = self.due(DeadlineName.APPROVAL, received)
            warn = self.rules.warning_date(due)
            case.note_deadline_approaching(
                SYSTEM, datetime.combine(warn, time(7, 30), VIETNAM_TIME), deadline="approval"
            )
            self._breach(case, "approval", self._escalation())
        if j.decision == "withdrawn-in-review":
            self._withdraw(case, c.add(received, 2))
            return case
        self._party_opinion(case, "APPROVAL", c.add(received, 1))
        if j.decision == "pending-review":
            return case
        self._decide(case, decided)
        if j.decision == "rejected":
            return case
        return self._implement(case, decided)

    # ------------------------------------------------------------------ steps

    def _submitted(self, at: datetime) -> None:
        body = ProposalSubmitted(
            id=uuid5(NAMESPACE_URL, f"/d73/registration/{self.proposal_id}/submitted"),
            proposal_id=self.proposal_id,
            occurred_at=at,
            position=0,
            actor=ActorRef(
                user_id=self.official.user_id,
                name=self.official.name,
                unit_id=self.official.unit_id,
                position=self.official.position,
                roles=["proposer"],
            ),
            legal_basis=self.routing.legal_basis,
            title=self._title(),
            proposer=OfficialContract(
                **self.official.person(),
                unit_name=self.directory.unit(self.official.unit_id).name_vi,
                position_name=self.directory.position(self.official.position).name_vi,
                leader_manager=self.directory.position(self.official.position).leader_manager,
            ),
            protection_eligible=self.eligible,
            routing=Routing.model_validate(self.routing.as_dict()),
            plan=sample_plan(),
            completeness_rules="can-tho/2024.1",
            submitted_at=at,
        ).model_dump(mode="json")
        self.registration.append((at, body))

    def _withdraw(self, case: Case, day: date) -> None:
        at = self.clock.at(day)
        body = ProposalWithdrawn(
            id=uuid5(NAMESPACE_URL, f"/d73/registration/{self.proposal_id}/withdrawn"),
            proposal_id=self.proposal_id,
            occurred_at=at,
            position=0,
            actor=ActorRef(user_id=self.official.user_id, roles=["proposer"]),
            reason="Rút để hoàn thiện thêm",
        ).model_dump(mode="json")
        self.registration.append((at, body))
        case.withdraw(SYSTEM, at + timedelta(minutes=1), reason="Rút để hoàn thiện thêm")

    def _escalation(self) -> dict[str, str]:
        if self.routing.target.value == "CITY_PC_VIA_DOHA":
            return {"target": "HOME_AFFAIRS", "unit_id": self.directory.home_affairs.id}
        superior = self.directory.superior_agency_of(self.routing.recipient_unit_id)
        unit = superior.id if superior is not None else self.directory.home_affairs.id
        return {"target": "SUPERIOR_UNIT", "unit_id": unit}

    def _breach(self, case: Case, deadline: str, escalate_to: dict[str, str] | None) -> None:
        due = case.open_deadlines()[deadline].due  # type: ignore[index]
        at = datetime.combine(due + timedelta(days=1), time(7, 30), VIETNAM_TIME)
        case.record_deadline_breach(SYSTEM, at, deadline=deadline, escalate_to=escalate_to)

    def _party_opinion(self, case: Case, stage: str, day: date) -> None:
        case.request_party_opinion(
            self.office_actor, self.clock.at(day), stage=stage, committee_id="dang-uy-cung-cap"
        )
        case.receive_party_opinion(
            self.office_actor,
            self.clock.at(day),
            stage=stage,
            opinion="Thống nhất chủ trương",
            doc_ref=f"CV-DU-{self.j.key}-{stage}",
        )

    def _decide(self, case: Case, decided: date) -> None:
        j, c = self.j, self.clock
        voters = case.competent_authority.voters
        implementers = [self.official.user_id]
        if j.decision == "approved":
            case.hold_approval_meeting(
                self.head_actor,
                c.at(decided),
                held_on=decided,
                ballots=[{"member_id": m, "ballot": "FOR"} for m in voters],
                minutes_ref=f"BB-{j.key}",
                implementer_ids=implementers,
                decision_ref=f"QD-PD-{j.key}",
            )
            return
        meeting = c.calendar.add_working_days(decided, -1)
        case.hold_approval_meeting(
            self.head_actor,
            c.at(meeting),
            held_on=meeting,
            ballots=[{"member_id": m, "ballot": "AGAINST"} for m in voters],
            minutes_ref=f"BB-{j.key}",
        )
        if j.decision == "override":
            case.override_collective_rejection(
                self.head_actor,
                c.at(decided),
                justification="Cần thiết và khả thi; người đứng đầu chịu trách nhiệm",
                decision_ref=f"QD-PD-{j.key}",
                implementer_ids=implementers,
            )
        else:
            case.confirm_rejection(
                self.head_actor,
                c.at(decided),
                reasons=["Chưa bảo đảm tính khả thi"],
                decision_ref=f"QD-KPD-{j.key}",
            )

    def _implement(self, case: Case, decided: date) -> Case:
        j, c = self.j, self.clock
        case.allocate_resources(
            self.head_actor,
            c.at(c.add(decided, 1)),
            source_ref=f"QD-KP-{j.key}",
            staff=["02 chuyên viên"],
            funding_vnd=Decimal(j.funding_vnd),
        )
        start = c.add(decided, 2)
        case.start_implementation(self.proposer_actor, c.at(start), start_date=start)
        case.report_progress(
            self.proposer_actor,
            c.at(c.add(start, 10)),
            period="Tháng đầu",
            progress_percent=25,
            risk_of_damage=j.damage,
        )
        completed = c.add(start, j.implementation_days)
        if j.suspend:
            suspended = c.add(start, 12)
            case.suspend(
                self.head_actor,
                c.at(suspended),
                decision_ref=f"QD-TD-{j.key}",
                reasons=["Chờ ý kiến cơ quan chuyên môn"],
            )
            case.resume(self.head_actor, c.at(c.add(suspended, 5)), decision_ref=f"QD-TT-{j.key}")
        if j.stop:
            completed = c.add(start, 15)
            case.stop(
                self.head_actor,
                c.at(completed),
                decision_ref=f"QD-DTH-{j.key}",
                reasons=["Không còn phù hợp"],
            )
        if j.outcome is None:
            return case
        reported = c.add(completed, j.report_days)
        case.report_completion(
            self.proposer_actor,
            c.at(reported),
            completed_on=completed,
            results_vs_targets=[{"target": "Giảm 50% thời gian xử lý", "result": "Giảm 40%"}],
            resources_used={"funding_vnd": str(j.funding_vnd)},
            damage={
                "occurred": j.damage,
                "description": "Chậm trả kết quả cho người dân" if j.damage else "",
                "estimate": Decimal(20_000_000) if j.damage else None,
            },
            report_due=self.due(
                DeadlineName.FINAL_REPORT_AFTER_STOP if j.stop else DeadlineName.COMPLETION_REPORT,
                completed,
            ),
            evaluation_due=self.due(DeadlineName.EVALUATION, reported),
        )
        self._party_opinion(case, "EVALUATION", c.add(reported, 1))
        evaluated = c.add(reported, j.evaluation_days)
        case.hold_evaluation_meeting(
            self.head_actor,
            c.at(evaluated),
            held_on=evaluated,
            ballots=[{"member_id": m, "ballot": "FOR"} for m in case.competent_authority.voters],
            minutes_ref=f"BB-DG-{j.key}",
            assessed_outcome=j.outcome,
            conclusion_due=self.due(DeadlineName.CONCLUSION, evaluated),
        )
        concluded = c.add(evaluated, j.conclusion_days)
        causes = [] if j.outcome == "COMPLETED" else ["Thiếu kinh phí đối ứng"]
        case.issue_conclusion(
            self.head_actor,
            c.at(concluded),
            outcome=j.outcome,
            caused_damage=j.damage,
            good_faith_finding=j.good_faith,
            causes_objective=causes,
            causes_subjective=[],
            conclusion_ref=f"KL-{j.key}",
        )
        after = c.add(concluded, 1)
        if j.outcome == "COMPLETED":
            case.recognize_result(self.head_actor, c.at(after), publication_ref=f"TB-{j.key}")
        for form in j.encouragements:
            case.grant_encouragement(
                self.head_actor,
                c.at(c.add(after, 1)),
                form=form,
                beneficiary={"kind": "OFFICIAL", "name": self.official.name},
                decision_ref=f"QD-KT-{j.key}-{form}",
                description="Ghi nhận trong đánh giá cuối năm" if form == "OTHER" else "",
            )
        if j.prohibited_act:
            number = case.report_prohibited_act(
                replace(self.office_actor, roles=frozenset({"home_affairs"})),
                c.at(c.add(after, 1)),
                act="ART6_2",
                accused={"user_id": "ct.staff.gay-kho", "name": "Người gây khó khăn"},
                description="Gây khó khăn cho cán bộ thực hiện đề xuất",
                evidence_refs=[f"BB-XM-{j.key}"],
            )
            case.record_prohibited_act_finding(
                self.head_actor,
                c.at(c.add(after, 2)),
                report_number=number,
                substantiated=True,
                finding_ref=f"KL-XM-{j.key}",
            )
        if j.protection:
            case.determine_protection(
                self.head_actor,
                c.at(c.add(after, 3)),
                art5_conditions_met=True,
                implemented_as_decided=True,
                directions_followed=True,
                decision_ref=f"QD-BV-{j.key}",
            )
        if j.close:
            case.close(SYSTEM, c.at(c.add(after, 4)))
        return case

    def _title(self) -> str:
        return f"Đề xuất {self.j.key}: một cửa liên thông trực tuyến"


def _official(journey: Journey, directory: OrganisationDirectory) -> Actor:
    unit = directory.unit(journey.unit_id)
    if journey.who == "head":
        member = unit.head
    elif journey.who.startswith("deputy"):
        member = unit.deputies[int(journey.who[6:] or 0)]
    else:
        n = int(journey.who[5:] or 0)
        return Actor(
            f"{journey.unit_id}.staff{n}",
            STAFF_NAMES[n % len(STAFF_NAMES)],
            journey.unit_id,
            "specialist",
        )
    return Actor(member.person_id, member.name, journey.unit_id, member.position)


def case_bodies(case: Case) -> list[tuple[datetime, dict[str, Any]]]:
    """Each stored Case event as approval publishes it: stamp → envelope, attributes → fields."""
    out = []
    for domain_event in case.collect_events():
        data = dict(vars(domain_event))
        stamp = data.pop("stamp")
        for name in ("originator_id", "originator_version", "timestamp", "originator_topic"):
            data.pop(name, None)
        name = type(domain_event).__name__
        event_type = f"d73.case.{_kebab(name)}.v1"
        body: dict[str, Any] = {
            "type": event_type,
            "id": event_id("approval", domain_event),
            "proposal_id": stamp["proposal_id"],
            "case_id": domain_event.originator_id,
            "position": 0,
            "occurred_at": stamp["at"],
            "actor": stamp["actor"],
            "legal_basis": stamp["legal_basis"],
            "rule_set_version": stamp["rule_set_version"],
            "state": stamp["state"],
            **data,
        }
        if name == "Opened":
            body["recipient_unit_id"] = data["routing"]["recipient_unit_id"]
            body["intake_unit_id"] = data["routing"]["intake_unit_id"]
        contract = CONTRACTS.get(event_type)
        if contract is not None:
            out.append((stamp["at"], contract.model_validate(body).model_dump(mode="json")))
        else:
            out.append((stamp["at"], _json(body)))
    return out


def publish(
    journeys: Iterable[Journey],
    *,
    directory: OrganisationDirectory | None = None,
    jurisdiction: str = DEFAULT_JURISDICTION,
) -> list[Message]:
    """The messages both streams hold, each stream in publication (time) order."""
    directory = directory or load_directory(jurisdiction, "2024.1")
    registration: list[tuple[datetime, int, dict[str, Any]]] = []
    approval: list[tuple[datetime, int, dict[str, Any]]] = []
    for n, journey in enumerate(journeys):
        driver = _Driver(journey, directory, jurisdiction)
        case = driver.run()
        registration.extend((at, n, body) for at, body in driver.registration)
        approval.extend((at, n, body) for at, body in case_bodies(case))
    messages = []
    for stream, rows, private in ((REGISTRATION, registration, 3), (APPROVAL, approval, 0)):
        rows.sort(key=lambda r: (r[0], r[1]))
        position = 0
        for seq, (_at, _n, body) in enumerate(rows, start=1):
            # Registration's drafts and edits are private: its published positions jump.
            position += 1 + private
            body["position"] = position
            messages.append(Message(stream, seq, body))
    return messages


def arrivals(messages: Sequence[Message], how: str = "time", seed: int = 7) -> list[Message]:
    """One order in which reporting might receive both streams; each stream stays in order.

    `time`: as things happened; `registration-first` / `approval-first`: one consumer ran far
    ahead of the other; `random`: any interleaving.
    """
    streams = {
        stream: [m for m in messages if m.stream == stream] for stream in (REGISTRATION, APPROVAL)
    }
    if how == "time":
        return sorted(messages, key=lambda m: (_instant(m), m.stream == APPROVAL, m.seq))
    if how == "registration-first":
        return [*streams[REGISTRATION], *streams[APPROVAL]]
    if how == "approval-first":
        return [*streams[APPROVAL], *streams[REGISTRATION]]
    rng = random.Random(seed)
    queues = {k: list(v) for k, v in streams.items()}
    out: list[Message] = []
    while any(queues.values()):
        stream = rng.choice([k for k, v in queues.items() if v])
        out.append(queues[stream].pop(0))
    return out


def _instant(message: Message) -> datetime:
    return datetime.fromisoformat(message.body["occurred_at"])


def load(app: Any, messages: Iterable[Message]) -> None:
    """Archive messages as reporting's consumers would (one transaction each)."""
    for message in messages:
        app.archive_body(message.body, message.tracking)


# ---------------------------------------------------------------------- the 2025 data set

TU_PHAP = "ct.so-tu-phap"
NOI_VU_XDCQ = "ct.so-noi-vu.phong-xdcq"
NINH_KIEU = "ct.ninh-kieu"
BV_DA_KHOA = "ct.so-y-te.bv-da-khoa-tp"
TTTT_CNTT = "ct.so-thong-tin-truyen-thong.phong-cntt"

CAN_THO_2025: tuple[Journey, ...] = (
    # Sở Tư pháp: its director and deputies are managed by the city (Plan 88 II.3.a).
    Journey("A0", TU_PHAP, "head", date(2024, 11, 4), review_days=5),
    Journey(
        "A1",
        TU_PHAP,
        "head",
        date(2025, 2, 10),
        review_days=5,
        encouragements=("PRAISE", "EARLY_SALARY_STEP_12M"),
        close=True,
    ),
    Journey(
        "A2",
        TU_PHAP,
        "deputy0",
        date(2025, 3, 3),
        supplement=True,
        review_days=6,
        outcome="PARTIAL",
    ),
    Journey(
        "A3",
        TU_PHAP,
        "deputy1",
        date(2025, 4, 7),
        decision="override",
        review_days=7,
        encouragements=("COMMENDATION",),
    ),
    Journey("A4", TU_PHAP, "head", date(2025, 5, 12), decision="rejected", review_days=4),
    Journey("A5", TU_PHAP, "deputy0", date(2025, 6, 2), decision="withdrawn"),
    Journey("A6", TU_PHAP, "deputy1", date(2025, 9, 8), review_days=10, outcome=None),
    # Sở Nội vụ, Phòng Xây dựng chính quyền: its head is managed by the department (II.3.b).
    Journey(
        "B1",
        NOI_VU_XDCQ,
        "head",
        date(2025, 1, 13),
        review_days=3,
        outcome="NOT_COMPLETED",
        damage=True,
    ),
    Journey(
        "B2",
        NOI_VU_XDCQ,
        "head",
        date(2025, 2, 17),
        review_days=4,
        suspend=True,
        encouragements=("PRAISE",),
    ),
    Journey(
        "B3",
        NOI_VU_XDCQ,
        "head",
        date(2025, 7, 7),
        review_days=2,
        stop=True,
        outcome="NOT_COMPLETED",
        good_faith=False,
    ),
    Journey("B4", NOI_VU_XDCQ, "head", date(2025, 10, 6), decision="pending-review", review_days=9),
    # UBND quận Ninh Kiều: chairman and vice-chairmen go to the city; its staff to its head.
    Journey(
        "C1",
        NINH_KIEU,
        "head",
        date(2025, 3, 10),
        review_days=6,
        encouragements=("APPOINTMENT_PRIORITY", "OTHER"),
    ),
    Journey(
        "C2", NINH_KIEU, "staff0", date(2025, 4, 14), review_days=3, encouragements=("PRAISE",)
    ),
    Journey("C3", NINH_KIEU, "staff1", date(2025, 8, 11), decision="rejected", review_days=5),
    Journey(
        "C4",
        NINH_KIEU,
        "deputy0",
        date(2025, 11, 3),
        decision="pending-intake",
        breach_intake=True,
    ),
    # Bệnh viện Đa khoa thành phố (under Sở Y tế): a deputy to its head; the head to Sở Y tế.
    Journey(
        "D1",
        BV_DA_KHOA,
        "deputy0",
        date(2025, 5, 5),
        review_days=5,
        report_days=7,
        encouragements=("RANK_PROMOTION_MERIT",),
    ),
    Journey(
        "D2",
        BV_DA_KHOA,
        "head",
        date(2025, 6, 16),
        review_days=4,
        outcome="PARTIAL",
        prohibited_act=True,
    ),
    # Sở Thông tin và Truyền thông, Phòng Công nghệ thông tin.
    Journey("E1", TTTT_CNTT, "head", date(2025, 12, 1), review_days=4, outcome=None),
    Journey("E2", TTTT_CNTT, "staff0", date(2025, 1, 20), decision="withdrawn-in-review"),
)


def random_journeys(
    count: int, *, seed: int = 73, start: date = date(2024, 5, 2)
) -> Iterator[Journey]:
    """Many plausible journeys across the directory's units (for benchmarks)."""
    rng = random.Random(seed)
    directory = load_directory(DEFAULT_JURISDICTION, "2024.1")
    units = [u.id for u in directory.units.values() if u.id != directory.city_pc.id and u.deputies]
    decisions: list[str] = ["approved"] * 12 + ["override", "rejected", "rejected", "withdrawn"]
    outcomes: list[str | None] = [*(["COMPLETED"] * 5), "PARTIAL", "NOT_COMPLETED", None]
    for n in range(count):
        unit = rng.choice(units)
        who = rng.choice(["head", "deputy0", "staff0", "staff1"])
        submitted = start + timedelta(days=rng.randrange(0, 600))
        while submitted.weekday() >= 5:
            submitted += timedelta(days=1)
        outcome = rng.choice(outcomes)
        journey = Journey(
            f"R{seed}-{n}",
            unit,
            who,
            submitted,
            decision=rng.choice(decisions),
            supplement=rng.random() < 0.2,
            review_days=rng.choice([2, 3, 4, 5, 6, 7, 9]),
            suspend=rng.random() < 0.1,
            implementation_days=rng.randrange(20, 60),
            outcome=outcome,
            damage=rng.random() < 0.1,
            encouragements=("PRAISE",) if outcome == "COMPLETED" and rng.random() < 0.5 else (),
            close=rng.random() < 0.5,
        )
        try:
            route_to_competent_authority(_official(journey, directory), directory)
        except Exception:
            continue
        yield journey
