"""The proposer's read model: persisted with its position, equal to the aggregates, and rebuilt
by `d73 rebuild registration` with the same digest."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from services.cli.main import cli
from services.registration.application import RegistrationApplication
from services.registration.consumers import on_case_event
from services.registration.read_models import _PROPOSAL_TOPIC, as_folded, fold
from services.registration.rebuild import rebuild
from shared.contracts.approval import (
    ApprovalMeetingHeld,
    ImplementationSuspended,
    PlanReceived,
)
from tests.unit.registration_domain.builders import complete_plan
from tests.unit.registration_service.builders import (
    DIRECTOR,
    STRANGER,
    case_event,
    make_app,
    settings_for,
    submitted,
    supplement_requested,
    tracking,
    upload,
    vote,
)


def _live(app: RegistrationApplication) -> list[Any]:
    """Proposals in every status the proposer can see."""
    draft = app.draft(DIRECTOR, "Bản nháp", None).id
    upload(app, DIRECTOR, draft)
    app.edit(DIRECTOR, draft, {"title": "Bản nháp đã sửa", "purpose": "Rõ hơn"})
    waiting = submitted(app)
    request = supplement_requested(waiting)
    on_case_event(app, request, tracking())
    answered = submitted(app)
    request = supplement_requested(answered)
    on_case_event(app, request, tracking())
    app.supplement(DIRECTOR, answered, None, {"title": "Đã bổ sung", "feasibility": "Khả thi"})
    decided = submitted(app)
    for event in (
        case_event(
            PlanReceived,
            decided,
            "UNDER_REVIEW",
            approval_due=date(2024, 6, 12),
            head_id="ct.p0001",
            recipient_unit_id="ct.ubnd-tp",
        ),
        case_event(
            ApprovalMeetingHeld,
            decided,
            "APPROVED",
            vote=vote(),
            decision_ref="15/QĐ",
            implementer_ids=[],
        ),
        case_event(
            ImplementationSuspended, decided, "SUSPENDED", decision_ref="TD", reasons=["Rủi ro"]
        ),
    ):
        on_case_event(app, event, tracking())
    withdrawn = submitted(app)
    app.withdraw(DIRECTOR, withdrawn, "Đổi hướng")
    theirs = app.draft(STRANGER, "Của người khác", complete_plan()).id
    return [draft, waiting, answered, decided, withdrawn, theirs]


def test_each_summary_agrees_with_its_proposal(app: RegistrationApplication) -> None:
    for pid in _live(app):
        proposal = app._get(pid)
        row = app.summaries.get(pid)
        assert row is not None
        assert (row["title"], row["status"], row["decision"], row["implementation"]) == (
            proposal.title,
            str(proposal.status),
            proposal.decision,
            proposal.implementation,
        )
        assert row["version"] == proposal.version
        assert row["attachments"] == len(proposal.plan.get("attachments", []))
        request = proposal.supplement_request
        assert (row["supplement_request"] or {}).get("request_id") == (request or {}).get(
            "request_id"
        )


def test_each_row_is_folded_from_the_events_as_eventsourcing_reads_them(
    app: RegistrationApplication,
) -> None:
    """`catch_up` leaves the plans parsed (`UNREAD_FIELDS`): the rows are the same."""
    _live(app)
    rows: dict[str, Any] = {}
    for notification in app.recorder.select_notifications(start=1, limit=1000):
        if notification.topic.startswith(_PROPOSAL_TOPIC):
            event = app.mapper.to_domain_event(notification)
            key = str(event.originator_id)
            rows[key] = fold(rows.get(key), event)
    app.summaries.catch_up()
    assert app.summaries.snapshot() == rows


def test_my_proposals_are_only_mine_oldest_first(app: RegistrationApplication) -> None:
    ids = _live(app)
    assert [row["id"] for row in app.proposals_of(DIRECTOR)] == [str(i) for i in ids[:5]]
    assert [row["title"] for row in app.proposals_of(STRANGER)] == ["Của người khác"]


def test_a_restart_reads_only_the_events_recorded_since(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(tmp_path)
    _live(app)
    app.summaries.catch_up()
    end = app.recorder.max_notification_id()
    app.close()
    app = make_app(tmp_path)
    try:
        assert app.summaries.position == end
        folded: list[int] = []
        apply = app.summaries.apply

        def counting(event: Any, position: int) -> None:
            folded.append(position)
            apply(event, position)

        monkeypatch.setattr(app.summaries, "apply", counting)
        assert len(app.proposals_of(DIRECTOR)) == 5
        assert folded == []
        app.draft(DIRECTOR, "Mới", None)
        assert len(app.proposals_of(DIRECTOR)) == 6
        assert folded == [end + 1]
    finally:
        app.close()


def test_rows_folded_from_another_store_are_dropped(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    _live(app)
    app.summaries.catch_up()
    app.close()
    for leftover in tmp_path.glob("registration.sqlite*"):
        leftover.unlink()  # a new event store beside the old read model
    app = make_app(tmp_path)
    try:
        assert app.summaries.position == 0
        assert app.proposals_of(DIRECTOR) == []
    finally:
        app.close()


def test_d73_rebuild_registration_gives_the_same_digest(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    _live(app)
    end = app.recorder.max_notification_id()
    app.close()
    seen: list[tuple[int, int]] = []
    report = rebuild(settings_for(tmp_path), lambda done, total: seen.append((done, total)))
    assert report.service == "registration"
    assert report.events == end
    assert set(report.digests_after) == {"proposal_summaries"}
    assert report.unchanged
    assert seen[-1] == (end, end)
    app = make_app(tmp_path)
    try:
        assert len(app.proposals_of(DIRECTOR)) == 5
    finally:
        app.close()


def test_a_hand_edited_row_shows_as_a_changed_digest_and_is_repaired(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    _live(app)
    app.summaries.catch_up()
    with app.tables.transaction(write=True) as tx:
        tx.execute("UPDATE registration_proposal_summaries SET body = '{}'")
    app.close()
    report = rebuild(settings_for(tmp_path), lambda done, total: None)
    assert not report.unchanged
    app = make_app(tmp_path)
    try:
        assert {row["status"] for row in app.proposals_of(DIRECTOR)} >= {"DRAFT", "DECIDED"}
    finally:
        app.close()


def test_the_rebuild_command_reports_each_read_model(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    _live(app)
    app.close()
    result = CliRunner().invoke(
        cli, ["rebuild", "registration"], env={"D73_DATA_DIR": str(tmp_path)}
    )
    assert result.exit_code == 0, result.output
    assert "proposal_summaries" in result.output
    assert "same as before" in result.output


def test_what_this_process_committed_is_folded_without_decoding_it_again(
    app: RegistrationApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The events of this process's commits are kept as `fold` reads them (`as_folded`): the
    rows are the ones a rebuild folds from the store, and none was decoded."""
    _live(app)
    decoded: list[int] = []
    mapper = app.summaries._mapper
    to_domain_event = mapper.to_domain_event

    def decoding(notification: Any) -> Any:
        decoded.append(notification.id)
        return to_domain_event(notification)

    monkeypatch.setattr(mapper, "to_domain_event", decoding)
    app.summaries.catch_up()
    assert decoded == []
    from_memory = app.summaries.snapshot()
    app.summaries.rebuild()
    assert decoded  # nothing is kept twice: the rebuild decodes every event
    assert app.summaries.snapshot() == from_memory


def test_a_kept_event_holds_only_the_files_of_its_plan(app: RegistrationApplication) -> None:
    plan = complete_plan()
    assert plan["attachments"]
    pid = app.draft(DIRECTOR, "Có tệp", plan, submit=True).id
    events = list(app.events.get(pid))
    assert [type(e).__name__ for e in events] == ["Drafted", "Submitted"]
    for event in events:
        light = as_folded(event)
        kept = light.__dict__["plan"]
        assert set(kept) <= {"attachments"}
        assert kept.get("attachments") == event.__dict__["plan"].get("attachments")
        assert len(kept.get("attachments") or []) == len(plan.get("attachments") or [])
        assert type(light) is type(event)
    row = None
    for event in events:
        row = fold(row, event)
    light_row = None
    for event in events:
        light_row = fold(light_row, as_folded(event))
    assert light_row == row
