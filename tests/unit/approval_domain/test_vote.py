"""Art 8 §1 vote rule, on the pure counting function."""

from __future__ import annotations

import pytest

from services.approval.domain.errors import Conflict, Invalid, NotAllowed
from services.approval.domain.vote import Ballot, VoteRecord, VoteStage, count_vote
from tests.unit.approval_domain.journey import day

HEAD = "H"


def _count(voters: tuple[str, ...], excluded: tuple[str, ...] = (), **votes: str) -> VoteRecord:
    return count_vote(
        stage=VoteStage.APPROVAL,
        held_on=day(),
        minutes_ref="BB-1",
        head_id=HEAD,
        voters=voters,
        excluded=excluded,
        ballots=[{"member_id": m, "ballot": b} for m, b in votes.items()],
    )


def test_art8_passes_with_more_than_half_of_eligible_members() -> None:
    record = _count(("H", "D1", "D2", "D3", "D4"), H="AGAINST", D1="FOR", D2="FOR", D3="FOR")
    assert record.passed
    assert record.votes_for == 3
    assert record.absent == ("D4",)


def test_art8_absent_and_abstaining_members_are_not_in_favour() -> None:
    # 2 of 5 in favour, nobody against: not "trên 50%" of the collective.
    record = _count(("H", "D1", "D2", "D3", "D4"), H="FOR", D1="FOR", D2="ABSTAIN")
    assert not record.passed
    assert record.abstentions == 1
    assert record.absent == ("D3", "D4")


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
    record = _count(("H", "D1", "D2", "D3"), D1="FOR", D2="FOR", D3="AGAINST")
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
    record = _count(("H", "D1", "D2"), ("P",), H="FOR", D1="AGAINST")
    again = VoteRecord.from_dict(record.as_dict())
    assert again == record
    assert again.head_vote is Ballot.FOR
    assert again.as_dict()["outcome"] == "FAILED"
