"""Evaluation: the collective's evaluation meeting (Art 9 §2), the head's written conclusion
(form M6; Art 11 §2–4) and the recognition of a completed result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from services.approval.domain import legal_basis
from services.approval.domain.case_values import (
    Causes,
    Conclusion,
    HeldVote,
    Recognition,
)
from services.approval.domain.errors import Conflict, FieldProblems, LegalStep
from services.approval.domain.evaluation import EvaluationOutcome
from services.approval.domain.record import (
    CaseEvent,
    CaseRecord,
    MeetingHeld,
    check_legal_date,
    texts,
)
from services.approval.domain.states import Command
from services.approval.domain.vote import VoteRecord, VoteStage
from shared.contracts.vocabulary import CaseState, DeadlineName
from shared.kernel.actor import Actor
from shared.kernel.calendar import local_date
from shared.kernel.rulesets.model import AbstentionRule


class EvaluationMeetingHeld(MeetingHeld):
    # A further meeting after a failed vote has no period of its own (Art 9 §2).
    CLOCK = DeadlineName.EVALUATION
    assessed_outcome: str
    conclusion_due: date
    held_in_time: bool | None = None
    entered_late: bool = False
    good_faith_finding: bool | None = None

    def record_passed(self, case: CaseRecord, vote: HeldVote) -> None:
        case._evaluated_outcome = self.assessed_outcome
        case._evaluated_good_faith = self.good_faith_finding
        case._open_heads_deadline(
            DeadlineName.CONCLUSION, self.conclusion_due, legal_basis.CONCLUSION
        )


class EvaluationConcluded(CaseEvent):
    outcome: str
    caused_damage: bool
    good_faith_finding: bool
    causes: dict[str, list[str]]
    conclusion_ref: str
    meeting_minutes_ref: str
    issued_late: bool
    issued_on: date | None = None
    entered_late: bool = False

    def record_in(self, case: CaseRecord) -> None:
        case._conclusion = Conclusion.recorded_by(
            self,
            causes=Causes(
                objective=tuple(self.causes["objective"]),
                subjective=tuple(self.causes["subjective"]),
            ),
            issued_at=self.stamp["at"],
            issued_on=self.issued_on or local_date(self.stamp["at"]),
        )
        case._close_deadline(DeadlineName.CONCLUSION)


class ResultRecognized(CaseEvent):
    conclusion_ref: str
    publication_ref: str

    def record_in(self, case: CaseRecord) -> None:
        case._recognition = Recognition(
            conclusion_ref=self.conclusion_ref,
            publication_ref=self.publication_ref,
            recognized_at=self.stamp["at"],
        )


class Evaluation(CaseRecord):
    """The commands of evaluation."""

    def hold_evaluation_meeting(
        self,
        actor: Actor,
        at: datetime,
        *,
        held_on: date,
        ballots: Sequence[Mapping[str, str]],
        minutes_ref: str,
        assessed_outcome: EvaluationOutcome | str,
        conclusion_due: date,
        party_opinion_required: bool = True,
        abstention: AbstentionRule = AbstentionRule.NOT_A_VOTE_CAST,
        good_faith_finding: bool | None = None,
    ) -> VoteRecord:
        """The collective votes on an assessed outcome; if it fails, another meeting follows.

        `good_faith_finding` (đúng chủ trương, động cơ trong sáng, vì lợi ích chung) is the
        collective's own finding, voted with the outcome: the written conclusion of a result not
        completed must then say the same (Art 11 §2–3; domain §9.1, not the head's alone)."""
        command = Command.HOLD_EVALUATION_MEETING
        who = self._admit(command, actor, at)
        problems = FieldProblems()
        valid_held_on = check_legal_date(
            problems,
            "held_on",
            held_on,
            at,
            after=LegalStep.REPORT_RECEIVED,
            earlier=None if self._completion is None else self._completion.reported_on,
        )
        # Counted from the meeting's legal date: a meeting entered late never moves it.
        problems.require_date(
            "conclusion_due", conclusion_due, not_before=held_on if valid_held_on else None
        )
        problems.raise_if_any()
        outcome = EvaluationOutcome(assessed_outcome)
        self._require_party_opinion(VoteStage.EVALUATION, party_opinion_required)
        record = self._count_vote(
            VoteStage.EVALUATION, held_on, minutes_ref, ballots, outcome.value, abstention
        )
        target = CaseState.EVALUATED if record.passed else CaseState.COMPLETION_REPORTED
        self._record(
            EvaluationMeetingHeld,
            command,
            who,
            at,
            legal_basis.EVALUATION_MEETING,
            target,
            vote=record.as_dict(),
            assessed_outcome=outcome.value,
            conclusion_due=conclusion_due,
            held_in_time=self._held_in_time(DeadlineName.EVALUATION, held_on),
            entered_late=local_date(at) > held_on,
            good_faith_finding=good_faith_finding,
        )
        return record

    def issue_conclusion(
        self,
        actor: Actor,
        at: datetime,
        *,
        outcome: EvaluationOutcome | str,
        caused_damage: bool,
        good_faith_finding: bool,
        causes_objective: Sequence[str],
        causes_subjective: Sequence[str],
        conclusion_ref: str,
        issued_on: date | None = None,
    ) -> None:
        """Kết luận đánh giá in writing (form M6); non-completion needs its causes (Art 11 §4).

        `issued_on` is the conclusion's legal date (default: the day it is entered): it is late
        when that day is after the 3 working days counted from the evaluation meeting."""
        command = Command.ISSUE_CONCLUSION
        who = self._admit(command, actor, at)
        issued = self._written_after_meeting("issued_on", issued_on, at, VoteStage.EVALUATION)
        parsed = EvaluationOutcome(outcome)
        if parsed.value != self._evaluated_outcome:
            raise Conflict(
                f"the collective assessed {self._evaluated_outcome}; the conclusion says {parsed}"
            )
        found = getattr(self, "_evaluated_good_faith", None)  # None before it was recorded
        if (
            parsed is not EvaluationOutcome.COMPLETED
            and found is not None
            and good_faith_finding is not found
        ):
            raise Conflict(
                f"the collective found good faith {found}; the conclusion says "
                f"{good_faith_finding} (Art 11 §2-3: the finding is the collective's)"
            )
        deadline = self._deadlines.get(DeadlineName.CONCLUSION)
        self._record(
            EvaluationConcluded,
            command,
            who,
            at,
            legal_basis.CONCLUSION,
            CaseState.CONCLUDED,
            outcome=parsed.value,
            caused_damage=caused_damage,
            good_faith_finding=good_faith_finding,
            causes={
                "objective": texts(causes_objective),
                "subjective": texts(causes_subjective),
            },
            conclusion_ref=conclusion_ref,
            meeting_minutes_ref=self._last_vote(VoteStage.EVALUATION).minutes_ref,
            issued_late=deadline is not None and issued > deadline.due,
            issued_on=issued,
            entered_late=local_date(at) > issued,
        )

    def recognize_result(self, actor: Actor, at: datetime, *, publication_ref: str = "") -> None:
        """Công nhận kết quả — only a result concluded as COMPLETED."""
        who = self._admit(Command.RECOGNIZE_RESULT, actor, at)
        conclusion = self._require_conclusion()
        if conclusion.outcome != EvaluationOutcome.COMPLETED.value:
            raise Conflict(f"only a completed result is recognised; it was {conclusion.outcome}")
        self._record(
            ResultRecognized,
            Command.RECOGNIZE_RESULT,
            who,
            at,
            legal_basis.RECOGNITION,
            CaseState.RECOGNIZED,
            conclusion_ref=conclusion.conclusion_ref,
            publication_ref=publication_ref,
        )
