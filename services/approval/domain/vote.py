"""Biểu quyết của tập thể lãnh đạo — the leadership-collective vote of Art 8 §1.

The decree (as quoted in S2): "Đề xuất được thông qua khi đạt tỷ lệ trên 50% ý kiến biểu quyết
tán thành. Trong trường hợp biểu quyết ngang nhau thì thực hiện theo ý kiến mà người đứng đầu
biểu quyết. Tập thể lãnh đạo tham gia biểu quyết bao gồm người đứng đầu và cấp phó …, trừ cấp
phó là cán bộ có đề xuất."

Read as written [C]:
- the share is counted over the **votes cast** ("ý kiến biểu quyết"), not over all members: a
  member who is absent casts no vote and is not in the denominator;
- passed: FOR is more than half of the votes cast;
- tie ("ngang nhau"): FOR equals AGAINST among the votes cast — the side the head voted for wins,
  so it passes when the head voted FOR (a head who cast no vote has no side: it fails);
- a deputy who is the proposer does not vote.
How an abstention counts is not in the text [I]: the rule set's `vote_rule.abstention` says
whether it is a vote cast (in the denominator, not in favour) or, by default, not a vote cast.
The same rule serves the evaluation meeting, where the proposer-deputy is also excluded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from services.approval.domain.errors import Conflict, FieldProblems, NotAllowed
from shared.kernel.rulesets.model import AbstentionRule


class Ballot(StrEnum):
    FOR = "FOR"
    AGAINST = "AGAINST"
    ABSTAIN = "ABSTAIN"


class VoteStage(StrEnum):
    """Art 8 §1 approval and the evaluation of results use the same collective."""

    APPROVAL = "APPROVAL"
    EVALUATION = "EVALUATION"


@dataclass(frozen=True)
class VoteRecord:
    """Biên bản họp tập thể lãnh đạo (minutes, form M2): who could vote, how each voted, result."""

    stage: VoteStage
    held_on: date
    minutes_ref: str
    eligible: tuple[str, ...]
    excluded: tuple[str, ...]
    ballots: tuple[tuple[str, Ballot], ...]
    head_id: str
    motion: str = ""
    abstention: AbstentionRule = AbstentionRule.NOT_A_VOTE_CAST
    """The rule set's reading of an abstention, kept with the minutes it decided."""

    @property
    def votes_for(self) -> int:
        return sum(1 for _, b in self.ballots if b is Ballot.FOR)

    @property
    def votes_against(self) -> int:
        return sum(1 for _, b in self.ballots if b is Ballot.AGAINST)

    @property
    def abstentions(self) -> int:
        return sum(1 for _, b in self.ballots if b is Ballot.ABSTAIN)

    @property
    def absent(self) -> tuple[str, ...]:
        voted = {m for m, _ in self.ballots}
        return tuple(m for m in self.eligible if m not in voted)

    @property
    def head_vote(self) -> Ballot | None:
        return next((b for m, b in self.ballots if m == self.head_id), None)

    @property
    def votes_cast(self) -> int:
        """The denominator of "trên 50% ý kiến biểu quyết tán thành": absent members are not in
        it; abstentions are when the rule set counts them as cast."""
        cast = self.votes_for + self.votes_against
        if self.abstention is AbstentionRule.CAST_NOT_IN_FAVOUR:
            cast += self.abstentions
        return cast

    @property
    def is_tie(self) -> bool:
        """Biểu quyết ngang nhau (a tie): as many votes FOR as AGAINST, at least one of each."""
        return self.votes_for > 0 and self.votes_for == self.votes_against

    @property
    def passed(self) -> bool:
        if 2 * self.votes_for > self.votes_cast:
            return True
        return self.is_tie and self.head_vote is Ballot.FOR

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form carried by the meeting event and kept in the case."""
        return {
            "stage": self.stage.value,
            "held_on": self.held_on,
            "minutes_ref": self.minutes_ref,
            "motion": self.motion,
            "head_id": self.head_id,
            "eligible": list(self.eligible),
            "excluded": list(self.excluded),
            "ballots": [{"member_id": m, "ballot": b.value} for m, b in self.ballots],
            "absent": list(self.absent),
            "votes_for": self.votes_for,
            "votes_against": self.votes_against,
            "abstentions": self.abstentions,
            "abstention_rule": self.abstention.value,
            "votes_cast": self.votes_cast,
            "head_vote": None if self.head_vote is None else self.head_vote.value,
            "tie_decided_by_head": self.is_tie,
            "outcome": "PASSED" if self.passed else "FAILED",
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VoteRecord:
        return cls(
            stage=VoteStage(data["stage"]),
            held_on=data["held_on"],
            minutes_ref=data["minutes_ref"],
            motion=data.get("motion", ""),
            head_id=data["head_id"],
            eligible=tuple(data["eligible"]),
            excluded=tuple(data["excluded"]),
            ballots=tuple((b["member_id"], Ballot(b["ballot"])) for b in data["ballots"]),
            abstention=AbstentionRule(
                data.get("abstention_rule", AbstentionRule.NOT_A_VOTE_CAST.value)
            ),
        )


def count_vote(
    *,
    stage: VoteStage,
    held_on: date,
    minutes_ref: str,
    head_id: str,
    voters: Sequence[str],
    excluded: Sequence[str],
    ballots: Sequence[Mapping[str, str]],
    motion: str = "",
    abstention: AbstentionRule = AbstentionRule.NOT_A_VOTE_CAST,
) -> VoteRecord:
    """Checks each ballot against the collective and returns the minutes of the vote.

    Refuses a ballot from an excluded proposer-deputy or a non-member (NotAllowed), and a second
    ballot by the same member (Conflict): each member votes once.
    """
    problems = FieldProblems()
    problems.require_text("minutes_ref", minutes_ref)
    parsed: list[tuple[str, Ballot]] = []
    for i, entry in enumerate(ballots):
        member = entry.get("member_id")
        choice = entry.get("ballot")
        if not isinstance(member, str) or not member:
            problems.add(f"ballots[{i}].member_id", "is required")
            continue
        if not isinstance(choice, str) or choice not in Ballot.__members__:
            problems.add(f"ballots[{i}].ballot", f"must be one of {', '.join(Ballot)}")
            continue
        parsed.append((member, Ballot(choice)))
    problems.raise_if_any()

    seen: set[str] = set()
    for member, _ in parsed:
        if member in excluded:
            # Art 8 §1: a deputy who is the proposer is excluded from the vote.
            raise NotAllowed(f"{member} proposed this plan and may not vote on it")
        if member not in voters:
            raise NotAllowed(f"{member} is not a member of the leadership collective")
        if member in seen:
            raise Conflict(f"{member} has already voted in this meeting")
        seen.add(member)

    return VoteRecord(
        stage=stage,
        held_on=held_on,
        minutes_ref=minutes_ref,
        motion=motion,
        head_id=head_id,
        eligible=tuple(voters),
        excluded=tuple(excluded),
        ballots=tuple(parsed),
        abstention=AbstentionRule(abstention),
    )
