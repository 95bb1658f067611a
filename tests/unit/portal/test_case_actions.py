"""What a person types into a step's form becomes the command body approval expects."""

from __future__ import annotations

import pytest

from services.portal.case_actions import FORMS, FormProblem, command_body


def test_each_members_vote_is_sent_as_a_ballot_and_an_absent_member_is_left_out() -> None:
    posted = {
        "held_on": "2026-12-04",
        "minutes_ref": "BB-01",
        "ballot.ct.p0001": "FOR",
        "ballot.ct.p0002": "AGAINST",
        "ballot.ct.p0003": "",
    }
    body = command_body(
        FORMS["hold_approval_meeting"], posted, ["ct.p0001", "ct.p0002", "ct.p0003"]
    )
    assert body == {
        "held_on": "2026-12-04",
        "minutes_ref": "BB-01",
        "ballots": [
            {"member_id": "ct.p0001", "ballot": "FOR"},
            {"member_id": "ct.p0002", "ballot": "AGAINST"},
        ],
    }


def test_results_nested_fields_and_unchecked_boxes() -> None:
    posted = {
        "completed_on": "2026-12-01",
        "results_vs_targets": "100% hồ sơ số | 100%\n\n Giảm thời gian | 50% ",
    }
    body = command_body(FORMS["report_completion"], posted, [])
    assert body == {
        "completed_on": "2026-12-01",
        "results_vs_targets": [
            {"target": "100% hồ sơ số", "result": "100%"},
            {"target": "Giảm thời gian", "result": "50%"},
        ],
        "damage": {"occurred": False},
    }


def test_the_party_committee_step_names_its_stage_itself() -> None:
    body = command_body(FORMS["request_party_opinion_on_evaluation"], {"committee_id": "tu"}, [])
    assert body == {"stage": "EVALUATION", "committee_id": "tu"}


def test_lines_money_and_a_list_of_records() -> None:
    body = command_body(
        FORMS["allocate_resources"],
        {"source_ref": "QĐ-1", "staff": "ct.p0027\nct.p0028\n", "funding_vnd": "1.500.000"},
        [],
    )
    assert body == {
        "source_ref": "QĐ-1",
        "staff": ["ct.p0027", "ct.p0028"],
        "funding_vnd": "1500000",
    }
    consult = command_body(
        FORMS["request_consultation"],
        {"consultees[0].id": "stp", "consultees[0].kind": "AGENCY", "questions": "?"},
        [],
    )
    assert consult == {"consultees": [{"id": "stp", "kind": "AGENCY"}], "questions": "?"}


def test_a_value_that_cannot_be_read_names_its_field() -> None:
    with pytest.raises(FormProblem) as raised:
        command_body(FORMS["report_completion"], {"results_vs_targets": "no bar here"}, [])
    assert raised.value.name == "results_vs_targets"
    with pytest.raises(FormProblem):
        command_body(FORMS["report_progress"], {"progress_percent": "ba mươi"}, [])


@pytest.mark.parametrize(("chosen", "sent"), [("", None), ("true", "true"), ("false", "false")])
def test_the_collectives_good_faith_finding_is_sent_only_when_chosen(
    chosen: str, sent: str | None
) -> None:
    """Khoản 2 Điều 11: the evaluation meeting records the collective's finding only when the
    clerk chooses one; an untouched form records none (never a silent "no")."""
    posted = {
        "held_on": "2026-12-04",
        "minutes_ref": "BB-DG-01",
        "assessed_outcome": "PARTIAL",
        "good_faith_finding": chosen,
        "ballot.ct.p0001": "FOR",
    }
    body = command_body(FORMS["hold_evaluation_meeting"], posted, ["ct.p0001"])
    assert body.get("good_faith_finding") == sent
    assert ("good_faith_finding" in body) is (sent is not None)
