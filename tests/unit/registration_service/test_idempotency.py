"""Idempotency-Key (design.md §5): a repeated POST by the same person with the same key and body
returns the first result and records nothing; another body with that key is refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from services.registration.application import RegistrationApplication
from shared.platform.idempotency import (
    CommandReceipt,
    Idempotency,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    ProposalReceipt,
)
from tests.unit.registration_domain.builders import complete_plan
from tests.unit.registration_service.builders import DIRECTOR, PDF, STRANGER, upload


def _key(key: str, command: str, target: str = "", body: Any = None) -> Idempotency:
    idempotency = Idempotency.of(key, command, target, body)
    assert idempotency is not None
    return idempotency


def _log_end(app: RegistrationApplication) -> int:
    return int(app.recorder.max_notification_id() or 0)


def test_a_repeated_draft_returns_the_first_proposal_and_records_nothing(
    app: RegistrationApplication,
) -> None:
    body = {"title": "Một cửa", "plan": complete_plan()}
    first = app.draft(
        DIRECTOR, "Một cửa", complete_plan(), idempotency=_key("k-1", "draft", "", body)
    )
    end = _log_end(app)
    again = app.draft(
        DIRECTOR, "Một cửa", complete_plan(), idempotency=_key("k-1", "draft", "", body)
    )
    assert again.id == first.id
    assert again.version == first.version
    assert _log_end(app) == end
    assert [row["id"] for row in app.proposals_of(DIRECTOR)] == [str(first.id)]


def test_the_same_key_with_another_body_is_refused_and_records_nothing(
    app: RegistrationApplication,
) -> None:
    app.draft(DIRECTOR, "Một cửa", None, idempotency=_key("k-1", "draft", "", {"title": "A"}))
    end = _log_end(app)
    with pytest.raises(IdempotencyKeyReused, match="k-1"):
        app.draft(DIRECTOR, "Khác", None, idempotency=_key("k-1", "draft", "", {"title": "B"}))
    assert _log_end(app) == end


def test_keys_belong_to_one_person(app: RegistrationApplication) -> None:
    mine = app.draft(DIRECTOR, "A", None, idempotency=_key("k-1", "draft", "", {"title": "A"}))
    theirs = app.draft(STRANGER, "A", None, idempotency=_key("k-1", "draft", "", {"title": "A"}))
    assert mine.id != theirs.id


def test_a_repeated_submit_answers_as_the_first_time_instead_of_409(
    app: RegistrationApplication,
) -> None:
    pid = app.draft(DIRECTOR, "Một cửa", complete_plan()).id
    first = app.submit(DIRECTOR, pid, idempotency=_key("s-1", "submit", str(pid)))
    end = _log_end(app)
    again = app.submit(DIRECTOR, pid, idempotency=_key("s-1", "submit", str(pid)))
    assert (again.status, again.version) == (first.status, first.version)
    assert _log_end(app) == end


def test_a_replay_shows_the_proposal_as_the_first_request_left_it(
    app: RegistrationApplication,
) -> None:
    pid = app.draft(DIRECTOR, "Một cửa", None).id
    body = {"changes": {"purpose": "Rút ngắn thời gian"}}
    first = app.edit(
        DIRECTOR, pid, body["changes"], idempotency=_key("e-1", "edit", str(pid), body)
    )
    app.edit(DIRECTOR, pid, {"purpose": "Sau đó đổi"})
    again = app.edit(
        DIRECTOR, pid, body["changes"], idempotency=_key("e-1", "edit", str(pid), body)
    )
    assert again.version == first.version
    assert again.plan["purpose"] == "Rút ngắn thời gian"


def test_a_repeated_upload_is_answered_without_storing_or_recording_again(
    app: RegistrationApplication,
) -> None:
    pid = app.draft(DIRECTOR, "Một cửa", None).id
    first = upload(app, DIRECTOR, pid, key="u-1")
    end = _log_end(app)
    again = upload(app, DIRECTOR, pid, key="u-1")
    assert again.attachment == first.attachment
    assert _log_end(app) == end
    with pytest.raises(IdempotencyKeyReused):
        upload(app, DIRECTOR, pid, PDF + b"%", key="u-1")


def test_a_failed_command_keeps_its_key_free(app: RegistrationApplication) -> None:
    pid = app.draft(DIRECTOR, "Một cửa", None).id
    with pytest.raises(Exception, match="incomplete"):
        app.submit(DIRECTOR, pid, idempotency=_key("s-1", "submit", str(pid)))
    app.edit(DIRECTOR, pid, complete_plan())
    assert app.submit(DIRECTOR, pid, idempotency=_key("s-1", "submit", str(pid))).submitted_at


@pytest.mark.parametrize("key", ["", "a b", "ключ", "x" * 256])
def test_an_idempotency_key_is_1_to_255_visible_ascii_characters(key: str) -> None:
    with pytest.raises(InvalidIdempotencyKey):
        Idempotency.of(key, "draft", "", {})


def test_two_requests_racing_with_one_key_commit_once(
    app: RegistrationApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"title": "Một cửa"}
    first = app.draft(DIRECTOR, "Một cửa", None, idempotency=_key("k-1", "draft", "", body))
    real = app._answered
    checks: list[bool] = []

    def racing(*args: Any) -> Any:
        checks.append(True)  # the racing request checked before the first one committed
        return None if len(checks) == 1 else real(*args)

    monkeypatch.setattr(app, "_answered", racing)
    again = app.draft(DIRECTOR, "Một cửa", None, idempotency=_key("k-1", "draft", "", body))
    assert again.id == first.id
    assert [row["id"] for row in app.proposals_of(DIRECTOR)] == [str(first.id)]
    assert len(checks) == 2  # it lost the race at commit and answered from the receipt


def test_a_retry_refused_because_the_first_copy_succeeded_gets_the_first_answer(
    app: RegistrationApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #12 §5: the retry checked for a receipt before the first copy committed, then
    loaded the proposal after it: "already submitted" (409) must not be its answer."""
    pid = app.draft(DIRECTOR, "Một cửa", complete_plan()).id
    first = app.submit(DIRECTOR, pid, idempotency=_key("s-1", "submit", str(pid)))
    end = _log_end(app)
    real = app._answered
    checks: list[bool] = []

    def late(*args: Any) -> Any:
        checks.append(True)
        return None if len(checks) == 1 else real(*args)

    monkeypatch.setattr(app, "_answered", late)
    again = app.submit(DIRECTOR, pid, idempotency=_key("s-1", "submit", str(pid)))
    assert (again.id, again.version) == (first.id, first.version)
    assert len(checks) == 2
    assert _log_end(app) == end


def test_receipts_recorded_before_they_were_shared_are_still_read(
    app: RegistrationApplication,
) -> None:
    """A receipt stored by registration's own receipt class (topic and field names of 0.2)
    answers a retry after the upgrade."""
    old_topic = "services.registration.receipts:CommandReceipt"
    proposal = app.draft(DIRECTOR, "Một cửa", None)
    key = _key("old-1", "draft", "", {"title": "Một cửa"})
    receipt = ProposalReceipt._create(
        getattr(ProposalReceipt, "Issued"),  # noqa: B009
        id=CommandReceipt.create_id("registration", DIRECTOR.user_id, key.key),
        user_id=DIRECTOR.user_id,
        key=key.key,
        digest=key.digest,
        proposal_id=proposal.id,
        proposal_version=proposal.version,
        result={},
        recorded_at=datetime.now(UTC),
    )
    (issued,) = receipt.collect_events()
    stored = app.mapper.to_stored_event(issued)
    state = bytes(stored.state).replace(
        b"shared.platform.idempotency:ProposalReceipt", old_topic.encode()
    )
    app.recorder.insert_events(
        [replace(stored, topic=f"{old_topic}.Issued", state=state)]  # as 0.2 stored it
    )
    again = app.draft(DIRECTOR, "Một cửa", None, idempotency=key)
    assert (again.id, again.version) == (proposal.id, proposal.version)
