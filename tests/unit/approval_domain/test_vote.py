"""Art 8 §1 vote rule, on the pure counting function.

"Đề xuất được thông qua khi đạt tỷ lệ trên 50% ý kiến biểu quyết tán thành. Trong trường hợp
biểu quyết ngang nhau thì thực hiện theo ý kiến mà người đứng đầu biểu quyết."
"""

from __future__ import annotations

import pytest

from services.approval.domain.errors import Conflict, Invalid, NotAllowed
from services.approval.domain.vote import Ballot, VoteRecord, VoteStage, count_vote
from shared.kernel.rulesets import AbstentionRule
from tests.unit.approval_domain.journey import day

HEAD = "H"


def _count(
    voters: tuple[str, ...],
    excluded: tuple[str, ...] = (),
    abstention: AbstentionRule = AbstentionRule.NOT_A_VOTE_CAST,
    votes: dict[str, str] | None = None,
    **named: str,
) -> VoteRecord:
    votes = {**(votes or {}), **named}
    return count_vote(
        stage=VoteStage.APPROVAL,
        held_on=day(),
        minutes_ref="BB-1",
        head_id=HEAD,
        voters=voters,
        excluded=excluded,
        ballots=[{"member_id": m, "ballot": b} for m, b in votes.items()],
        abstention=abstention,
    )


def test_art8_passes_with_more_than_half_of_eligible_members() -> None:
    record = _count(("H", "D1", "D2", "D3", "D4"), H="AGAINST", D1="FOR", D2="FOR", D3="FOR")
    assert record.passed
    assert record.votes_for == 3
    assert record.absent == ("D4",)


def test_art8_1_absent_and_abstaining_members_are_not_votes_cast() -> None:
    """Art 8 §1, "trên 50% ý kiến biểu quyết tán thành": the share is over the votes cast,
    so two FOR with two absent and one abstaining (the default reading) is 2 of 2."""
    record = _count(("H", "D1", "D2", "D3", "D4"), H="FOR", D1="FOR", D2="ABSTAIN")
    assert record.passed
    assert record.votes_cast == 2
    assert record.abstentions == 1
    assert record.absent == ("D3", "D4")


def test_art8_1_three_members_one_absent_head_for_deputy_against_passes() -> None:
    """Art 8 §1, "biểu quyết ngang nhau thì thực hiện theo ý kiến mà người đứng đầu biểu
    quyết": one FOR (the head) and one AGAINST is a tie among the votes cast; the head wins."""
    record = _count(("H", "D1", "D2"), H="FOR", D1="AGAINST")
    assert record.absent == ("D2",)
    assert record.is_tie
    assert record.passed
    assert record.as_dict()["outcome"] == "PASSED"


def test_art8_1_four_members_head_absent_two_for_one_against_passes() -> None:
    """Art 8 §1, "trên 50% ý kiến biểu quyết tán thành": 2 of the 3 votes cast; the absent
    head is not counted against."""
    record = _count(("H", "D1", "D2", "D3"), D1="FOR", D2="FOR", D3="AGAINST")
    assert record.head_vote is None
    assert record.votes_cast == 3
    assert not record.is_tie
    assert record.passed


def test_art8_1_less_than_half_of_the_votes_cast_fails() -> None:
    """Art 8 §1, "trên 50%": one FOR against two AGAINST fails whatever the head voted."""
    record = _count(("H", "D1", "D2", "D3"), H="FOR", D1="AGAINST", D2="AGAINST")
    assert not record.passed
    assert not record.is_tie


def test_art8_1_abstention_counts_as_the_rule_set_says() -> None:
    """The decree is silent on abstentions ("không biểu quyết"): `vote_rule.abstention` decides.

    Two FOR, one AGAINST, two abstaining: 2 of 3 votes cast by default; 2 of 5 when the
    jurisdiction counts an abstention as a vote cast that is not in favour."""
    ballots = {"H": "ABSTAIN", "D1": "FOR", "D2": "FOR", "D3": "AGAINST", "D4": "ABSTAIN"}
    voters = ("H", "D1", "D2", "D3", "D4")
    by_default = _count(voters, votes=ballots)
    counted = _count(voters, (), AbstentionRule.CAST_NOT_IN_FAVOUR, ballots)
    assert by_default.passed
    assert by_default.votes_cast == 3
    assert not counted.passed
    assert counted.votes_cast == 5
    assert counted.as_dict()["abstention_rule"] == "CAST_NOT_IN_FAVOUR"
    assert VoteRecord.from_dict(counted.as_dict()) == counted


def test_art8_1_no_vote_cast_does_not_pass() -> None:
    """Nobody in favour is never "trên 50%"; nor is a meeting where everyone abstained."""
    assert not _count(("H", "D1")).passed
    assert not _count(("H", "D1"), H="ABSTAIN", D1="ABSTAIN").passed


def test_art8_tie_goes_to_heads_side() -> None:
    voters = ("H", "D1", "D2", "D3")
    with_head = _count(voters, H="FOR", D1="FOR", D2="AGAINST", D3="AGAINST")
    against_head = _count(voters, H="AGAINST", D1="AGAINST", D2="FOR", D3="FOR")
    assert with_head.is_tie
    assert with_head.passed
    assert against_head.is_tie
    assert not against_head.passed
    assert with_head.as_dict()["tie_decided_by_head"] is True


def test_art8_tie_without_the_heads_vote_fails() -> None:
    """A tie goes to "ý kiến mà người đứng đầu biểu quyết": a head who cast no vote has no side."""
    record = _count(("H", "D1", "D2", "D3"), D1="FOR", D2="AGAINST")
    assert record.is_tie
    assert record.head_vote is None
    assert not record.passed


def test_art8_deputy_proposer_excluded_from_vote() -> None:
    with pytest.raises(NotAllowed):
        _count(("H", "D1"), ("D2",), H="FOR", D1="FOR", D2="FOR")
    record = _count(("H", "D1"), ("D2",), H="FOR", D1="FOR")
    assert record.passed
    assert record.excluded == ("D2",)
    assert record.as_dict()["eligible"] == ["H", "D1"]


def test_art8_each_member_votes_once() -> None:
    with pytest.raises(Conflict):
        count_vote(
            stage=VoteStage.APPROVAL,
            held_on=day(),
            minutes_ref="BB-1",
            head_id=HEAD,
            voters=("H", "D1", "D2"),
            excluded=(),
            ballots=[
                {"member_id": "D1", "ballot": "FOR"},
                {"member_id": "D1", "ballot": "FOR"},
            ],
        )


def test_art8_only_collective_members_vote() -> None:
    with pytest.raises(NotAllowed):
        _count(("H", "D1"), H="FOR", X="FOR")


def test_vote_rejects_unknown_ballots_and_missing_minutes() -> None:
    with pytest.raises(Invalid) as refused:
        count_vote(
            stage=VoteStage.EVALUATION,
            held_on=day(),
            minutes_ref="",
            head_id=HEAD,
            voters=("H",),
            excluded=(),
            ballots=[{"member_id": "H", "ballot": "MAYBE"}],
        )
    fields = {p.field for p in refused.value.problems}
    assert fields == {"minutes_ref", "ballots[0].ballot"}


def test_vote_record_round_trips_through_its_dict() -> None:
    record = _count(("H", "D1", "D2"), ("P",), H="AGAINST", D1="FOR")
    again = VoteRecord.from_dict(record.as_dict())
    assert again == record
    assert again.head_vote is Ballot.AGAINST
    # A tie (1–1) with the head AGAINST: the head's side wins, so it fails.
    assert again.as_dict()["outcome"] == "FAILED"
