"""One proposal's facts folded from fixed event sequences (domain.facts)."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from services.reporting.domain.archive import ArchivedEvent
from services.reporting.domain.facts import Folding, Item, Lateness, ProposalFacts, fold
from services.reporting.workdays import WorkingDays
from shared.kernel.rulesets import rule_set

DAYS = WorkingDays("can-tho")
PROPOSAL = "9b2f9d0e-0000-4000-8000-000000000001"
PROPOSER = {
    "user_id": "ct.p0026",
    "name": "Đoàn Thanh Thắng",
    "unit_id": "ct.so-tu-phap",
    "position": "director",
    "unit_name": "Sở Tư pháp",
}
CITY = {
    "target": "CITY_PC_VIA_DOHA",
    "recipient_unit_id": "ct.ubnd-tp",
    "intake_unit_id": "ct.so-noi-vu",
}


def entry(kind: str, at: str, **body: Any) -> dict[str, Any]:
    event_type = f"d73.case.{kind}.v1" if "." not in kind else kind
    return {
        "event_id": f"{kind}-{at}",
        "type": event_type,
        "occurred_at": at,
        "rule_set_version": body.pop("rule_set_version", "2024.1"),
        "body": {"proposal_id": PROPOSAL, "case_id": "c-1", **body},
    }


def submitted(at: str = "2025-01-20T08:00:00+07:00", **proposer: Any) -> dict[str, Any]:
    return entry(
        "d73.proposal.submitted.v1",
        at,
        title="Một cửa liên thông",
        proposer={**PROPOSER, **proposer},
        routing=CITY,
        protection_eligible=True,
        submitted_at=at,
        rule_set_version=None,
    )


def opened(at: str = "2025-01-20T08:02:00+07:00", **proposer: Any) -> dict[str, Any]:
    return entry(
        "opened",
        at,
        state="IN_INTAKE",
        title="Một cửa liên thông",
        proposer={**PROPOSER, **proposer},
        routing=CITY,
        protection_eligible=True,
        submitted_at="2025-01-20T08:00:00+07:00",
        intake_due="2025-01-23",
        recipient_unit_id="ct.ubnd-tp",
        intake_unit_id="ct.so-noi-vu",
        authority={"head_id": "ct.p0001", "deputy_ids": [], "delegate_ids": []},
    )


def received(at: str, due: str) -> dict[str, Any]:
    return entry(
        "plan-received",
        at,
        state="UNDER_REVIEW",
        approval_due=due,
        head_id="ct.p0001",
        recipient_unit_id="ct.ubnd-tp",
    )


def approved(at: str) -> dict[str, Any]:
    return entry(
        "approval-meeting-held",
        at,
        state="APPROVED",
        vote={"outcome": "PASSED", "minutes_ref": "BB-1"},
        decision_ref="QD-1",
        implementer_ids=["ct.p0026"],
    )


def run(*entries: dict[str, Any]) -> tuple[ProposalFacts, list[Item], list[Lateness]]:
    facts = ProposalFacts(PROPOSAL)
    items: list[Item] = []
    lateness: list[Lateness] = []
    for e in entries:
        fold(Folding(facts, DAYS, items, lateness), ArchivedEvent.of(e))
    return facts, items, lateness


def test_registration_withdrawal_wins_over_a_case_that_never_heard_of_it() -> None:
    withdrawn = entry("d73.proposal.withdrawn.v1", "2025-01-21T10:00:00+07:00", reason="rút")
    facts, items, _ = run(submitted(), opened(), withdrawn)
    assert facts.case_state == "IN_INTAKE"
    assert facts.state == "WITHDRAWN"
    assert ("2025-01-21", "withdrawn", 1) in items
    assert facts.overdue() == []


def test_attribution_comes_from_the_first_stream_that_names_it() -> None:
    case_first, _, _ = run(opened(), submitted())
    registration_first, _, _ = run(submitted(), opened())
    for facts in (case_first, registration_first):
        assert (facts.unit_id, facts.level, facts.leader) == ("ct.so-tu-phap", "city", True)
        assert facts.submitted_on == "2025-01-20"
        assert not facts.conflict
    assert case_first.digest_view() == registration_first.digest_view()


def test_a_stream_that_disagrees_about_the_unit_is_flagged_not_obeyed() -> None:
    facts, _, _ = run(opened(), submitted(unit_id="ct.so-y-te"))
    assert facts.unit_id == "ct.so-tu-phap"
    assert facts.conflict


def test_art8_review_days_are_working_days_of_the_case_rule_set_across_tet() -> None:
    # Tết Ất Tỵ 2025: offices close Sat 25 Jan – Sun 2 Feb; only 3–5 Feb count after the 24th.
    facts, items, _ = run(
        submitted(),
        opened(),
        received("2025-01-24T09:00:00+07:00", "2025-02-12"),
        approved("2025-02-05T09:00:00+07:00"),
    )
    assert ("2025-02-05", "days:review:3", 1) in items
    calendar = rule_set("can-tho", "2024.1").calendar()
    assert calendar.working_days_between(date(2025, 1, 24), date(2025, 2, 5)) == 3
    assert ("2025-01-24", "days:intake:4", 1) in items  # 20 Jan → 24 Jan
    assert facts.decision == "APPROVED"
    assert facts.state == "APPROVED"


def approval_breached(escalated: bool = True) -> dict[str, Any]:
    """The scheduler's record that the Art 8 §1 clock (due Tue 4 Feb 2025) ran out."""
    return entry(
        "deadline-breached",
        "2025-02-05T07:30:00+07:00",
        state="UNDER_REVIEW",
        deadline="approval",
        due="2025-02-04",
        responsible_user_id="ct.p0001",
        responsible_unit_id="ct.ubnd-tp",
        **(
            {
                "escalated_to": {"target": "HOME_AFFAIRS", "unit_id": "ct.so-noi-vu"},
                "legal_basis": "ND73 Art 8 §1",
            }
            if escalated
            else {}
        ),
    )


def reviewed() -> tuple[dict[str, Any], ...]:
    """Submitted on 20 Jan, received on 22 Jan with the approval due on 4 Feb."""
    return submitted(), opened(), received("2025-01-22T09:00:00+07:00", "2025-02-04")


def test_a_breached_approval_deadline_is_overdue_until_decided_then_counts_how_late() -> None:
    facts, items, lateness = run(*reviewed(), approval_breached())
    (row,) = facts.overdue()
    assert row["deadline"] == "approval"
    assert row["due"] == "2025-02-04"
    assert row["breached_on"] == "2025-02-05"
    assert row["responsible_user_id"] == "ct.p0001"
    assert row["escalated_to"] == {"target": "HOME_AFFAIRS", "unit_id": "ct.so-noi-vu"}
    assert ("2025-02-05", "escalated:HOME_AFFAIRS", 1) in items
    assert lateness == [
        ("2025-02-05", "ct.ubnd-tp", "breach:approval", 1),
        ("2025-02-05", "ct.ubnd-tp", "late_by:ct.p0001", 1),
    ]
    fold(
        Folding(facts, DAYS, items, lateness),
        ArchivedEvent.of(approved("2025-02-07T09:00:00+07:00")),
    )
    assert facts.overdue() == []
    assert ("2025-02-07", "days_late:approval:3", 1) in items  # Wed 5, Thu 6, Fri 7


@pytest.mark.parametrize(
    ("held_on", "entered", "escalated", "breaches", "withdrawn", "days_late", "late_people"),
    [
        # Held on the due day, entered on Fri 7: the head complied; the breach, its escalation
        # and the person's lateness are taken back.
        ("2025-02-04", "2025-02-07", 1, 0, 1, None, {0}),
        # Held on Thu 6, entered on Wed 12: late by Wed 5 and Thu 6, counted to the legal date.
        ("2025-02-06", "2025-02-12", 1, 1, 0, 2, {1}),
        # The same late meeting after a breach the scheduler did not escalate.
        ("2025-02-06", "2025-02-12", 0, 1, 0, 2, {1}),
    ],
)
def test_art8_1_a_meeting_entered_late_is_judged_by_its_legal_date(
    held_on: str,
    entered: str,
    escalated: int,
    breaches: int,
    withdrawn: int,
    days_late: int | None,
    late_people: set[int],
) -> None:
    """Khoản 1 Điều 8, "trong thời hạn 07 ngày làm việc": the scheduler recorded a breach
    because the meeting was not yet entered. Entered later, the meeting is judged by its legal
    date: held within the due date, the head complied (the breach, its escalation and the
    person's lateness are taken back); held after it, the days late count to the legal date,
    not to the entry. Either way the late entry is counted and the review ends on the
    meeting's legal date."""
    meeting = approved(f"{entered}T09:00:00+07:00")
    meeting["body"].update(held_in_time=days_late is None, entered_late=True)
    meeting["body"]["vote"]["held_on"] = held_on
    facts, items, lateness = run(*reviewed(), approval_breached(bool(escalated)), meeting)
    assert facts.overdue() == []
    assert ("2025-02-05", "breach:approval", 1) in items
    totals: dict[str, int] = {}
    for _day, metric, delta in items:
        totals[metric] = totals.get(metric, 0) + delta
    assert totals["breach:approval"] == breaches
    assert totals.get("escalated:HOME_AFFAIRS", 0) == escalated * breaches
    assert totals.get("breach_withdrawn:approval", 0) == withdrawn
    assert totals["entered_late:approval-meeting-held"] == 1
    late_metrics = [k for k in totals if k.startswith("days_late:")]
    if days_late is None:
        assert late_metrics == []
    else:
        assert (entered, f"days_late:approval:{days_late}", 1) in items
    by_person: dict[tuple[str, str], int] = {}
    for _day, unit, metric, delta in lateness:
        by_person[unit, metric] = by_person.get((unit, metric), 0) + delta
    assert set(by_person.values()) == late_people
    assert facts.decided_on == held_on


def test_a_final_decision_closes_every_open_deadline() -> None:
    rejected = entry(
        "proposal-rejected",
        "2025-02-10T09:00:00+07:00",
        state="REJECTED",
        reasons=["chưa khả thi"],
        decision_ref="QD-2",
    )
    facts, items, _ = run(*reviewed(), rejected)
    assert facts.deadlines == {}
    assert facts.state == "REJECTED"
    assert ("2025-02-10", "rejected", 1) in items


def test_an_event_that_fails_to_parse_changes_nothing() -> None:
    facts, _, _ = run(*reviewed())
    before = copy.deepcopy(facts.as_dict())
    broken = entry(
        "completion-reported",
        "2025-03-01T09:00:00+07:00",
        state="COMPLETION_REPORTED",
        completed_on="not a date",
        reported_on="2025-03-01",
        late=False,
        after_stop=False,
        damage={"occurred": False},
        evaluation_due="2025-03-12",
    )
    with pytest.raises(ValueError, match="not a date"):
        fold(Folding(facts, DAYS), ArchivedEvent.of(broken))
    assert facts.as_dict() == before


def test_events_of_unknown_kinds_only_move_the_state() -> None:
    future = entry("case-audited", "2025-03-01T09:00:00+07:00", state="UNDER_REVIEW", note="x")
    facts, items, _ = run(submitted(), opened(), future)
    assert facts.case_state == "UNDER_REVIEW"
    assert items == [("2025-01-20", "submitted", 1), ("2025-01-20", "opened", 1)]


def test_a_step_entered_after_its_legal_date_is_flagged_in_the_timeline() -> None:
    """Legal dates: a meeting held on 3 June but entered on 10 June is shown as entered late,
    with its legal date; a step entered on its own day is not."""
    from services.reporting.timeline import timeline_of

    def entry(at: str, body: dict[str, object], seq: int) -> dict[str, object]:
        return {
            "occurred_at": at,
            "type": "d73.case.approval-meeting-held.v1",
            "body": body,
            "event_id": f"e{seq}",
            "upstream_stream": "D73_APPROVAL",
            "upstream_seq": seq,
        }

    late, timely, report, conclusion = timeline_of(
        [
            entry("2024-06-10T03:00:00+00:00", {"vote": {"held_on": "2024-06-03"}}, 1),
            entry("2024-06-11T03:00:00+00:00", {"start_date": "2024-06-11"}, 2),
            # A report received the day it is entered is on time, whenever the work ended.
            entry(
                "2024-06-20T03:00:00+00:00",
                {"completed_on": "2024-06-14", "reported_on": "2024-06-20"},
                3,
            ),
            entry(
                "2024-06-25T03:00:00+00:00",
                {"issued_on": "2024-06-21", "entered_late": True},
                4,
            ),
        ]
    )
    assert (late["legal_date"], late["entered_late"]) == ("2024-06-03", True)
    assert (timely["legal_date"], timely["entered_late"]) == ("2024-06-11", False)
    assert (report["legal_date"], report["entered_late"]) == ("2024-06-20", False)
    assert (conclusion["legal_date"], conclusion["entered_late"]) == ("2024-06-21", True)
