"""Random command sequences (hypothesis) against the case, checking its invariants.

Each rule tries one command with drawn arguments and a drawn actor (usually the right one).
Whatever happens: a refusal records nothing; a success starts from a state the table allows and
lands in one it names; terminal states accept nothing. After every step the invariants of
domain.md §12 must hold.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from services.approval import commands as c
from services.approval.commands import CaseCommand
from services.approval.domain.case import Case
from services.approval.domain.errors import DomainError, Invalid, InvalidTransition, NotAllowed
from services.approval.domain.evaluation import EvaluationOutcome
from services.approval.domain.protection import ProtectionTier
from services.approval.domain.states import APPROVED_STATES, TRANSITIONS, Command
from shared.contracts.vocabulary import TERMINAL_STATES, CaseState
from shared.kernel.actor import Actor
from tests.unit.approval_domain.journey import (
    CO_IMPLEMENTER,
    DEPUTIES,
    HEAD,
    PROPOSER,
    actor,
    at,
    auditor,
    clerk,
    deputy,
    drive_to,
    fingerprint,
    head,
    home_affairs,
    proposer,
    system,
)

ACTORS: dict[str, Callable[[], Actor]] = {
    "head": head,
    "deputy": lambda: deputy(0),
    "proposer": proposer,
    "clerk": clerk,
    "system": system,
    "home_affairs": home_affairs,
    "auditor": auditor,
    "stranger": lambda: actor("nguoi-la", "proposer"),
}
# "right" four times: most attempts come from the person the step belongs to.
WHO = st.sampled_from(["right"] * 4 + list(ACTORS))
BALLOT = st.sampled_from(["FOR", "FOR", "AGAINST", "ABSTAIN", None])
OUTCOME = st.sampled_from([o.value for o in EvaluationOutcome])
SUBSTANTIATED = st.booleans()


class CaseMachine(RuleBasedStateMachine):
    case: Case
    days: int

    @initialize(
        start=st.sampled_from(list(CaseState)),
        proposer_is_deputy=st.booleans(),
        eligible=st.booleans(),
        outcome=OUTCOME,
        good_faith=st.booleans(),
        damage=st.booleans(),
    )
    def open(
        self,
        start: CaseState,
        proposer_is_deputy: bool,
        eligible: bool,
        outcome: str,
        good_faith: bool,
        damage: bool,
    ) -> None:
        """Starts anywhere on the happy path, so deep states are explored as often as early ones."""
        if start is CaseState.RECOGNIZED:
            outcome = "COMPLETED"
        self.proposer_id = DEPUTIES[2] if proposer_is_deputy else PROPOSER
        self.case = drive_to(
            start,
            outcome=outcome,
            good_faith=good_faith,
            damage=damage,
            proposer_id=self.proposer_id,
            protection_eligible=eligible,
        )
        self.days = self.case.version + 5

    # ------------------------------------------------------------------ harness

    def _actor(self, who: str, right: Actor) -> Actor:
        if who == "right":
            return right
        if who == "proposer":
            return actor(self.proposer_id, "proposer")
        return ACTORS[who]()

    def _input_accepted(self, kind: type[CaseCommand], **fields: Any) -> bool:
        """The command's own check of its input: refused input (`Invalid`) never reaches the
        case, so it records nothing whatever the case's state."""
        try:
            kind(case_id=self.case.id, **fields)
        except Invalid:
            return False
        return True

    def _now(self) -> Any:
        self.days += 1
        return at(self.days)

    def _try(self, command: Command, action: Callable[[], object]) -> None:
        before_state = self.case.state
        before = fingerprint(self.case)
        refusal: DomainError | None = None
        try:
            action()
        except DomainError as error:
            refusal = error
        if refusal is None:
            # A rejected or withdrawn file still takes one command: archiving.
            assert before_state not in TERMINAL_STATES or command is Command.CLOSE
            assert before_state in TRANSITIONS[command].sources
            assert self.case.state in TRANSITIONS[command].targets
            return
        assert fingerprint(self.case) == before
        if isinstance(refusal, InvalidTransition):
            assert before_state not in TRANSITIONS[command].sources
            assert refusal.state == before_state.value
        elif before_state in TERMINAL_STATES:
            # Terminal states accept nothing; only authority is checked before the state.
            assert isinstance(refusal, NotAllowed)

    def _ballots(self, draws: list[str | None], include_proposer: bool) -> list[dict[str, str]]:
        members = [m for m in (HEAD, *DEPUTIES) if include_proposer or m != self.proposer_id]
        return [
            {"member_id": member, "ballot": ballot}
            for member, ballot in zip(members, draws, strict=False)
            if ballot is not None
        ]

    @rule(data=st.data())
    def advance(self, data: st.DataObject) -> None:
        """The next step of the happy path, by the right person, with drawn choices."""
        state = self.case.state
        ballots = st.lists(BALLOT, min_size=4, max_size=4)
        if state is CaseState.IN_INTAKE:
            self.receive_plan("right")
        elif state is CaseState.NEEDS_SUPPLEMENT:
            self.provide_supplement("right")
        elif state is CaseState.UNDER_REVIEW:
            self.hold_approval_meeting("right", data.draw(ballots), False, False)
        elif state is CaseState.IN_CONSULTATION:
            self.close_consultation("right")
        elif state is CaseState.COLLECTIVE_REJECTED:
            if data.draw(st.booleans()):
                self.override("right", True)
            else:
                self.confirm_rejection("right")
        elif state is CaseState.APPROVED:
            self.start_implementation("right")
        elif state is CaseState.SUSPENDED:
            self.direct("right", data.draw(st.sampled_from([Command.RESUME, Command.STOP])))
        elif state in (CaseState.IN_IMPLEMENTATION, CaseState.STOPPED):
            self.report_completion("right", data.draw(st.booleans()), data.draw(st.booleans()))
        elif state is CaseState.COMPLETION_REPORTED:
            self.hold_evaluation_meeting("right", data.draw(ballots), False, data.draw(OUTCOME))
        elif state is CaseState.EVALUATED:
            self.issue_conclusion(
                "right", True, "COMPLETED", *data.draw(st.tuples(*[st.booleans()] * 3))
            )
        elif state is CaseState.CONCLUDED and self.case.evaluated_outcome == "COMPLETED":
            self.recognize_result("right")
        elif state in (CaseState.CONCLUDED, CaseState.RECOGNIZED):
            self.determine_protection("right", *data.draw(st.tuples(*[st.booleans()] * 3)))
        elif state is CaseState.PROTECTION_DETERMINED:
            self.close("right")

    # ------------------------------------------------------------------ intake and review

    @rule(who=WHO)
    def request_supplement(self, who: str) -> None:
        now = self._now()
        self._try(
            Command.REQUEST_SUPPLEMENT,
            lambda: self.case.request_supplement(
                self._actor(who, clerk()),
                now,
                items=["scope"],
                reason="thiếu",
                due=(now + timedelta(days=5)).date(),
            ),
        )

    @rule(who=WHO)
    def provide_supplement(self, who: str) -> None:
        now = self._now()
        self._try(
            Command.PROVIDE_SUPPLEMENT,
            lambda: self.case.provide_supplement(
                self._actor(who, system()),
                now,
                changed_fields=["scope"],
                intake_due=(now + timedelta(days=3)).date(),
            ),
        )

    @rule(who=WHO)
    def receive_plan(self, who: str) -> None:
        now = self._now()
        self._try(
            Command.RECEIVE_PLAN,
            lambda: self.case.receive_plan(
                self._actor(who, clerk()), now, approval_due=(now + timedelta(days=9)).date()
            ),
        )

    @rule(who=WHO)
    def request_consultation(self, who: str) -> None:
        now = self._now()
        self._try(
            Command.REQUEST_CONSULTATION,
            lambda: self.case.request_consultation(
                self._actor(who, clerk()),
                now,
                consultees=[{"id": "so-tu-phap", "kind": "AGENCY"}],
                questions="?",
                due=(now + timedelta(days=5)).date(),
            ),
        )

    @rule(who=WHO)
    def receive_consultation_opinion(self, who: str) -> None:
        now = self._now()
        self._try(
            Command.RECEIVE_CONSULTATION_OPINION,
            lambda: self.case.receive_consultation_opinion(
                self._actor(who, clerk()),
                now,
                consultee_id="so-tu-phap",
                opinion="ok",
                doc_ref="CV",
            ),
        )

    @rule(who=WHO)
    def close_consultation(self, who: str) -> None:
        now = self._now()
        self._try(
            Command.CLOSE_CONSULTATION,
            lambda: self.case.close_consultation(self._actor(who, clerk()), now),
        )

    @rule(who=WHO, stage=st.sampled_from(["APPROVAL", "EVALUATION"]), receive=st.booleans())
    def party_opinion(self, who: str, stage: str, receive: bool) -> None:
        now = self._now()
        office = self._actor(who, clerk())
        if receive:
            command = (
                Command.RECEIVE_PARTY_OPINION_ON_APPROVAL
                if stage == "APPROVAL"
                else Command.RECEIVE_PARTY_OPINION_ON_EVALUATION
            )
            self._try(
                command,
                lambda: self.case.receive_party_opinion(
                    office, now, stage=stage, opinion="Đồng ý", doc_ref="CV"
                ),
            )
        else:
            command = (
                Command.REQUEST_PARTY_OPINION_ON_APPROVAL
                if stage == "APPROVAL"
                else Command.REQUEST_PARTY_OPINION_ON_EVALUATION
            )
            self._try(
                command,
                lambda: self.case.request_party_opinion(
                    office, now, stage=stage, committee_id="dang-uy"
                ),
            )

    # ------------------------------------------------------------------ decision

    @rule(
        who=WHO,
        draws=st.lists(BALLOT, min_size=4, max_size=4),
        include_proposer=st.booleans(),
        required=st.booleans(),
    )
    def hold_approval_meeting(
        self, who: str, draws: list[str | None], include_proposer: bool, required: bool
    ) -> None:
        now = self._now()
        self._try(
            Command.HOLD_APPROVAL_MEETING,
            lambda: self.case.hold_approval_meeting(
                self._actor(who, head()),
                now,
                held_on=now.date(),
                ballots=self._ballots(draws, include_proposer),
                minutes_ref="BB",
                implementer_ids=[self.proposer_id, CO_IMPLEMENTER],
                party_opinion_required=required,
            ),
        )

    @rule(who=WHO, written=st.booleans())
    def override(self, who: str, written: bool) -> None:
        now = self._now()
        justification = "cần thiết, khả thi" if written else ""
        if not self._input_accepted(
            c.OverrideCollectiveRejection, justification=justification, decision_ref="QD-GD"
        ):
            return
        self._try(
            Command.OVERRIDE_COLLECTIVE_REJECTION,
            lambda: self.case.override_collective_rejection(
                self._actor(who, head()),
                now,
                justification=justification,
                decision_ref="QD-GD",
                party_opinion_required=False,
            ),
        )

    @rule(who=WHO)
    def confirm_rejection(self, who: str) -> None:
        now = self._now()
        self._try(
            Command.CONFIRM_REJECTION,
            lambda: self.case.confirm_rejection(
                self._actor(who, head()), now, reasons=["không khả thi"], decision_ref="QD"
            ),
        )

    @rule(who=WHO)
    def withdraw(self, who: str) -> None:
        now = self._now()
        right = actor(self.proposer_id, "proposer")
        self._try(Command.WITHDRAW, lambda: self.case.withdraw(self._actor(who, right), now))

    # ------------------------------------------------------------------ implementation

    @rule(who=WHO)
    def allocate_resources(self, who: str) -> None:
        now = self._now()
        self._try(
            Command.ALLOCATE_RESOURCES,
            lambda: self.case.allocate_resources(
                self._actor(who, head()), now, source_ref="QD-KP", funding_vnd=Decimal("1")
            ),
        )

    @rule(who=WHO)
    def start_implementation(self, who: str) -> None:
        now = self._now()
        self._try(
            Command.START_IMPLEMENTATION,
            lambda: self.case.start_implementation(
                self._actor(who, clerk()), now, start_date=now.date()
            ),
        )

    @rule(who=WHO, percent=st.integers(min_value=-5, max_value=105))
    def report_progress(self, who: str, percent: int) -> None:
        now = self._now()
        if not self._input_accepted(c.ReportProgress, period="Q", progress_percent=percent):
            return
        self._try(
            Command.REPORT_PROGRESS,
            lambda: self.case.report_progress(
                self._actor(who, clerk()), now, period="Q", progress_percent=percent
            ),
        )

    @rule(who=WHO, direction=st.sampled_from([Command.SUSPEND, Command.RESUME, Command.STOP]))
    def direct(self, who: str, direction: Command) -> None:
        now = self._now()
        decider = self._actor(who, head())
        if direction is Command.SUSPEND:
            action: Callable[[], object] = lambda: self.case.suspend(  # noqa: E731
                decider, now, decision_ref="QD", reasons=["rủi ro"]
            )
        elif direction is Command.RESUME:
            action = lambda: self.case.resume(decider, now, decision_ref="QD")  # noqa: E731
        else:
            action = lambda: self.case.stop(  # noqa: E731
                decider, now, decision_ref="QD", reasons=["dừng"]
            )
        self._try(direction, action)

    @rule(who=WHO, damage=st.booleans(), late=st.booleans())
    def report_completion(self, who: str, damage: bool, late: bool) -> None:
        now = self._now()
        completed_on = (now - timedelta(days=10 if late else 1)).date()
        self._try(
            Command.REPORT_COMPLETION,
            lambda: self.case.report_completion(
                self._actor(who, clerk()),
                now,
                completed_on=completed_on,
                results_vs_targets=[{"target": "t", "result": "r"}],
                resources_used={},
                damage={"occurred": damage, "description": "thiệt hại" if damage else ""},
                report_due=completed_on + timedelta(days=7),
                evaluation_due=(now + timedelta(days=9)).date(),
            ),
        )

    # ------------------------------------------------------------------ evaluation

    @rule(
        who=WHO,
        draws=st.lists(BALLOT, min_size=4, max_size=4),
        include_proposer=st.booleans(),
        outcome=OUTCOME,
    )
    def hold_evaluation_meeting(
        self, who: str, draws: list[str | None], include_proposer: bool, outcome: str
    ) -> None:
        now = self._now()
        self._try(
            Command.HOLD_EVALUATION_MEETING,
            lambda: self.case.hold_evaluation_meeting(
                self._actor(who, head()),
                now,
                held_on=now.date(),
                ballots=self._ballots(draws, include_proposer),
                minutes_ref="BB-DG",
                assessed_outcome=outcome,
                conclusion_due=(now + timedelta(days=3)).date(),
                party_opinion_required=False,
            ),
        )

    @rule(
        who=WHO,
        follow_meeting=st.booleans(),
        outcome=OUTCOME,
        damage=st.booleans(),
        good_faith=st.booleans(),
        named_causes=st.booleans(),
    )
    def issue_conclusion(
        self,
        who: str,
        follow_meeting: bool,
        outcome: str,
        damage: bool,
        good_faith: bool,
        named_causes: bool,
    ) -> None:
        now = self._now()
        assessed = self.case.evaluated_outcome
        if follow_meeting and assessed is not None:
            outcome = assessed.value
        causes = ["thiếu kinh phí"] if named_causes else []
        if not self._input_accepted(
            c.IssueConclusion,
            outcome=outcome,
            caused_damage=damage,
            good_faith_finding=good_faith,
            causes_objective=causes,
            causes_subjective=[],
            conclusion_ref="KL",
        ):
            return
        self._try(
            Command.ISSUE_CONCLUSION,
            lambda: self.case.issue_conclusion(
                self._actor(who, head()),
                now,
                outcome=outcome,
                caused_damage=damage,
                good_faith_finding=good_faith,
                causes_objective=causes,
                causes_subjective=[],
                conclusion_ref="KL",
            ),
        )

    @rule(who=WHO)
    def recognize_result(self, who: str) -> None:
        now = self._now()
        self._try(
            Command.RECOGNIZE_RESULT,
            lambda: self.case.recognize_result(self._actor(who, head()), now),
        )

    @rule(
        who=WHO,
        form=st.sampled_from(
            ["PRAISE", "COMMENDATION", "APPOINTMENT_PRIORITY", "EARLY_SALARY_STEP_12M", "OTHER"]
        ),
        kind=st.sampled_from(["OFFICIAL", "IMPLEMENTER", "AGENCY", "HEAD"]),
    )
    def grant_encouragement(self, who: str, form: str, kind: str) -> None:
        now = self._now()
        beneficiary = {"kind": kind, "id": CO_IMPLEMENTER}
        if not self._input_accepted(
            c.GrantEncouragement,
            form=form,
            beneficiary=beneficiary,
            decision_ref="QD-KT",
            description="khác",
        ):
            return
        self._try(
            Command.GRANT_ENCOURAGEMENT,
            lambda: self.case.grant_encouragement(
                self._actor(who, head()),
                now,
                form=form,
                beneficiary=beneficiary,
                decision_ref="QD-KT",
                description="khác",
            ),
        )

    @rule(who=WHO, art5=st.booleans(), as_decided=st.booleans(), followed=st.booleans())
    def determine_protection(self, who: str, art5: bool, as_decided: bool, followed: bool) -> None:
        now = self._now()
        self._try(
            Command.DETERMINE_PROTECTION,
            lambda: self.case.determine_protection(
                self._actor(who, head()),
                now,
                art5_conditions_met=art5,
                implemented_as_decided=as_decided,
                directions_followed=followed,
                decision_ref="QD-BV",
            ),
        )

    # ------------------------------------------------------------------ Art 6, deadlines, closing

    @rule(
        who=WHO,
        act=st.sampled_from(["ART6_1", "ART6_2", "ART6_3", "ART6_4", "ART6_5"]),
        accused=st.sampled_from(["proposer", HEAD, DEPUTIES[0], CO_IMPLEMENTER]),
    )
    def report_prohibited_act(self, who: str, act: str, accused: str) -> None:
        now = self._now()
        accused_id = self.proposer_id if accused == "proposer" else accused
        self._try(
            Command.REPORT_PROHIBITED_ACT,
            lambda: self.case.report_prohibited_act(
                self._actor(who, home_affairs()),
                now,
                act=act,
                accused={"user_id": accused_id},
                description="x",
            ),
        )

    @rule(who=WHO, number=st.integers(min_value=1, max_value=3), substantiated=SUBSTANTIATED)
    def record_finding(self, who: str, number: int, substantiated: bool) -> None:
        now = self._now()
        self._try(
            Command.RECORD_PROHIBITED_ACT_FINDING,
            lambda: self.case.record_prohibited_act_finding(
                self._actor(who, head()),
                now,
                report_number=number,
                substantiated=substantiated,
                finding_ref="KL",
            ),
        )

    @rule(
        who=WHO,
        deadline=st.sampled_from(
            ["intake", "supplement", "consultation", "approval", "evaluation", "conclusion"]
        ),
        later=st.integers(min_value=0, max_value=20),
        breach=st.booleans(),
    )
    def deadline_notice(self, who: str, deadline: str, later: int, breach: bool) -> None:
        when = self._now() + timedelta(days=later)
        monitor = self._actor(who, system())
        if breach:
            self._try(
                Command.RECORD_DEADLINE_BREACH,
                lambda: self.case.record_deadline_breach(
                    monitor,
                    when,
                    deadline=deadline,
                    escalate_to={"target": "HOME_AFFAIRS", "unit_id": "so-noi-vu"},
                ),
            )
        else:
            self._try(
                Command.NOTE_DEADLINE_APPROACHING,
                lambda: self.case.note_deadline_approaching(monitor, when, deadline=deadline),
            )

    @rule(who=WHO)
    def close(self, who: str) -> None:
        now = self._now()
        self._try(Command.CLOSE, lambda: self.case.close(self._actor(who, system()), now))

    # ------------------------------------------------------------------ invariants

    @invariant()
    def approved_implies_passing_vote_or_override(self) -> None:
        approval = self.case.approval
        if self.case.state in APPROVED_STATES:
            assert approval is not None
        if approval is None:
            return
        # An approved file ends archived (CLOSED), as a rejected or withdrawn one may.
        assert self.case.state in APPROVED_STATES | {CaseState.CLOSED}
        passing = [v for v in self.case.vote_records() if v.stage == "APPROVAL" and v.passed]
        assert approval["by_override"] or passing
        if approval["by_override"]:
            assert approval["justification"].strip()
            assert approval["decision_ref"].strip()

    @invariant()
    def proposer_never_votes(self) -> None:
        for record in self.case.vote_records():
            assert self.proposer_id not in record.eligible
            assert all(member != self.proposer_id for member, _ in record.ballots)

    @invariant()
    def protection_tiers_rest_on_the_conclusion(self) -> None:
        tier = self.case.protection_tier
        if tier is None:
            return
        conclusion = self.case.conclusion
        assert conclusion is not None
        if tier in (
            ProtectionTier.LIABILITY_EXCLUDED,
            ProtectionTier.EXCLUSION_EXEMPTION_OR_MITIGATION,
        ):
            assert conclusion["good_faith_finding"]
        if tier is ProtectionTier.EXCLUSION_EXEMPTION_OR_MITIGATION:
            assert conclusion["caused_damage"]
            assert conclusion["outcome"] != "COMPLETED"
        if tier is ProtectionTier.LIABILITY_EXCLUDED:
            assert not conclusion["caused_damage"]
        if tier is ProtectionTier.NO_LIABILITY:
            # Art 11 §1: completed, whether or not damage was caused.
            assert conclusion["outcome"] == "COMPLETED"
        if not self.case.protection_eligible:
            assert tier is ProtectionTier.NONE

    @invariant()
    def art6_finding_against_the_official_forces_no_protection(self) -> None:
        found = any(
            r["finding"] is not None
            and r["finding"]["substantiated"]
            and r["accused"]["user_id"] == self.proposer_id
            for r in self.case.prohibited_act_reports
        )
        if found and self.case.protection_tier is not None:
            assert self.case.protection_tier is ProtectionTier.NONE

    @invariant()
    def recognition_and_forms_a_c_need_a_completed_result(self) -> None:
        if self.case.result_recognized:
            assert self.case.evaluated_outcome is EvaluationOutcome.COMPLETED
        for granted in self.case.encouragements:
            # Art 10 §1a: praise (biểu dương) needs no completed result; commendation does.
            if granted["form"] in ("COMMENDATION", "EARLY_SALARY_STEP_12M"):
                assert self.case.result_recognized

    @invariant()
    def nobody_is_encouraged_by_himself_and_career_forms_stay_within_art2(self) -> None:
        for granted in self.case.encouragements:
            assert granted["beneficiary"]["id"] != HEAD
            if granted["form"] in ("APPOINTMENT_PRIORITY", "EARLY_SALARY_STEP_12M"):
                assert self.case.within_art2(granted["beneficiary"]["id"])

    @invariant()
    def terminal_states_hold_no_clocks(self) -> None:
        if self.case.state in TERMINAL_STATES:
            assert self.case.open_deadlines() == {}


CaseMachine.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_case_state_machine = CaseMachine.TestCase
