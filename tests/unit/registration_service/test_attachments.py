"""Tài liệu kèm theo: files kept by SHA-256 under the data dir, their metadata entering the plan
through the domain, nothing half-written when anything fails."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from services.registration.application import AttachmentNotFound, RegistrationApplication
from services.registration.consumers import on_case_event
from services.registration.domain import (
    AttachmentTooLarge,
    InvalidTransition,
    NotAllowed,
    UnsupportedMediaType,
)
from services.registration.domain.errors import Incomplete
from services.registration.publishing import to_contract
from shared.contracts.approval import SupplementRequested
from shared.contracts.registration import ProposalSubmitted, ProposalSupplemented
from tests.unit.registration_domain.builders import complete_plan
from tests.unit.registration_service.builders import (
    AUDITOR,
    DIRECTOR,
    HOME_AFFAIRS,
    PDF,
    PNG,
    STRANGER,
    case_event,
    make_app,
    submitted,
    tracking,
    upload,
)

PDF_SHA = hashlib.sha256(PDF).hexdigest()


def _draft(app: RegistrationApplication) -> Any:
    plan = complete_plan()
    del plan["attachments"]
    return app.draft(DIRECTOR, "Một cửa liên thông", plan).id


def _stored(data_dir: Path) -> list[Path]:
    return sorted(p for p in (data_dir / "attachments" / "sha256").rglob("*") if p.is_file())


def _spools(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "attachments" / "tmp").glob("*"))


def _awaiting_supplement(app: RegistrationApplication) -> tuple[Any, str]:
    pid = submitted(app)
    request = case_event(
        SupplementRequested,
        pid,
        "NEEDS_SUPPLEMENT",
        items=["Dự toán kinh phí"],
        reason="Thiếu",
        due="2024-06-14",
        responsible_user_id=DIRECTOR.user_id,
        responsible_unit_id=DIRECTOR.unit_id,
    )
    on_case_event(app, request, tracking())
    return pid, str(request.id)


def _published(app: RegistrationApplication) -> list[Any]:
    recorder: Any = app.recorder
    contracts = []
    for notification in recorder.select_notifications(start=1, limit=1000):
        contract = to_contract(app.mapper.to_domain_event(notification), notification.id)
        if contract is not None:
            contracts.append(contract)
    return contracts


def test_a_file_is_kept_by_its_sha256_under_the_data_dir(
    app: RegistrationApplication, tmp_path: Path
) -> None:
    pid = _draft(app)
    attached = upload(app, DIRECTOR, pid)
    path = tmp_path / "attachments" / "sha256" / PDF_SHA[:2] / PDF_SHA[2:]
    assert _stored(tmp_path) == [path]
    assert path.read_bytes() == PDF
    assert attached.attachment == {
        "name": "Dự toán kinh phí.pdf",
        "media_type": "application/pdf",
        "size": len(PDF),
        "sha256": PDF_SHA,
    }
    assert app.proposal_for(DIRECTOR, pid).plan["attachments"] == [attached.attachment]
    assert _spools(tmp_path) == []


def test_identical_content_is_stored_once(app: RegistrationApplication, tmp_path: Path) -> None:
    first, second = _draft(app), _draft(app)
    upload(app, DIRECTOR, first, name="a.pdf")
    upload(app, DIRECTOR, second, name="b.pdf")
    assert len(_stored(tmp_path)) == 1
    assert app.proposal_for(DIRECTOR, second).plan["attachments"][0]["name"] == "b.pdf"


def test_the_same_file_twice_on_one_proposal_records_nothing_new(
    app: RegistrationApplication,
) -> None:
    pid = _draft(app)
    upload(app, DIRECTOR, pid)
    version = app.proposal_for(DIRECTOR, pid).version
    again = upload(app, DIRECTOR, pid, name="bản sao.pdf")
    assert again.attachment["name"] == "Dự toán kinh phí.pdf"
    assert app.proposal_for(DIRECTOR, pid).version == version


def test_a_failed_commit_leaves_no_metadata_and_no_file(
    app: RegistrationApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = _draft(app)
    version = app.proposal_for(DIRECTOR, pid).version

    def store_down(*_: Any, **__: Any) -> Any:
        raise OSError("event store unavailable")

    monkeypatch.setattr(app, "record", store_down)
    with pytest.raises(OSError, match="unavailable"):
        upload(app, DIRECTOR, pid)
    monkeypatch.undo()
    assert app.proposal_for(DIRECTOR, pid).version == version
    assert "attachments" not in app.proposal_for(DIRECTOR, pid).plan
    assert _stored(tmp_path) == []
    assert _spools(tmp_path) == []


def test_a_failed_commit_keeps_content_another_proposal_already_references(
    app: RegistrationApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _draft(app), _draft(app)
    upload(app, DIRECTOR, first)
    monkeypatch.setattr(app, "record", lambda *_, **__: (_ for _ in ()).throw(OSError("down")))
    with pytest.raises(OSError, match="down"):
        upload(app, DIRECTOR, second)
    monkeypatch.undo()
    assert len(_stored(tmp_path)) == 1


def test_only_the_proposer_adds_files(app: RegistrationApplication, tmp_path: Path) -> None:
    pid = _draft(app)
    with pytest.raises(NotAllowed):
        app.check_can_attach(STRANGER, pid)
    with pytest.raises(NotAllowed):
        upload(app, STRANGER, pid)
    assert _stored(tmp_path) == []
    assert _spools(tmp_path) == []


def test_no_files_are_added_after_submission_except_to_answer_a_supplement(
    app: RegistrationApplication, tmp_path: Path
) -> None:
    pid = submitted(app)
    with pytest.raises(InvalidTransition):
        upload(app, DIRECTOR, pid)
    assert _stored(tmp_path) == []


def test_files_outside_the_allow_list_or_unlike_their_type_are_refused(
    app: RegistrationApplication, tmp_path: Path
) -> None:
    pid = _draft(app)
    with pytest.raises(UnsupportedMediaType, match="application/pdf"):
        upload(app, DIRECTOR, pid, b"MZ\x90\x00", "setup.exe", "application/x-msdownload")
    with pytest.raises(UnsupportedMediaType, match="not PDF"):
        upload(app, DIRECTOR, pid, PNG, "scan.pdf", "application/pdf")
    with pytest.raises(UnsupportedMediaType, match="UTF-8"):
        upload(app, DIRECTOR, pid, b"\xff\xfe\x00b\x00a", "notes.txt", "text/plain")
    assert _stored(tmp_path) == []
    assert _spools(tmp_path) == []


def test_an_unlabelled_file_takes_its_type_from_the_extension(
    app: RegistrationApplication,
) -> None:
    pid = _draft(app)
    attached = upload(app, DIRECTOR, pid, PNG, "sơ đồ.PNG", "application/octet-stream")
    assert attached.attachment["media_type"] == "image/png"


def test_an_empty_or_nameless_file_is_refused(app: RegistrationApplication) -> None:
    pid = _draft(app)
    with pytest.raises(Incomplete, match="file"):
        upload(app, DIRECTOR, pid, b"", "rỗng.pdf")
    with pytest.raises(Incomplete, match="file"):
        upload(app, DIRECTOR, pid, PDF, "../")


def test_a_file_name_keeps_no_directories(app: RegistrationApplication) -> None:
    pid = _draft(app)
    attached = upload(app, DIRECTOR, pid, name="C:\\Users\\an\\..\\Dự toán.pdf")
    assert attached.attachment["name"] == "Dự toán.pdf"


def test_the_size_limit_is_enforced_while_receiving(tmp_path: Path) -> None:
    app = make_app(tmp_path, attachment_max_bytes=1024)
    try:
        spool = app.new_spool()
        spool.write(PDF[:1000])
        with pytest.raises(AttachmentTooLarge, match="1024"):
            spool.write(PDF[1000:1100])
        assert _spools(tmp_path) == []
    finally:
        app.close()


def test_attachment_metadata_reaches_the_submitted_event(app: RegistrationApplication) -> None:
    pid = _draft(app)
    attached = upload(app, DIRECTOR, pid)
    app.submit(DIRECTOR, pid)
    (event,) = [c for c in _published(app) if isinstance(c, ProposalSubmitted)]
    assert event.plan["attachments"] == [attached.attachment]


def test_a_file_for_a_supplement_waits_for_the_answer_and_travels_with_it(
    app: RegistrationApplication,
) -> None:
    pid, request_id = _awaiting_supplement(app)
    before = app.proposal_for(DIRECTOR, pid).plan["attachments"]
    attached = upload(app, DIRECTOR, pid)
    assert attached.pending
    proposal = app.proposal_for(DIRECTOR, pid)
    assert proposal.plan["attachments"] == before
    assert proposal.pending_attachments == [attached.attachment]
    app.supplement(DIRECTOR, pid, request_id, {})  # the file is the whole answer
    (answer,) = [c for c in _published(app) if isinstance(c, ProposalSupplemented)]
    assert answer.request_id == request_id
    assert answer.changed_fields == ["attachments"]
    assert answer.changes == {"attachments": [*before, attached.attachment]}
    assert [a.model_dump() for a in answer.attachments_added] == [attached.attachment]
    assert app.proposal_for(DIRECTOR, pid).pending_attachments == []


def test_reviewers_read_the_files_of_a_submitted_plan_not_of_a_draft_or_a_pending_answer(
    app: RegistrationApplication,
) -> None:
    draft = _draft(app)
    upload(app, DIRECTOR, draft)
    with pytest.raises(NotAllowed):
        app.attachment_for(HOME_AFFAIRS, draft, PDF_SHA)
    pid, _ = _awaiting_supplement(app)
    upload(app, DIRECTOR, pid, PNG, "sơ đồ.png", "image/png")
    png_sha = hashlib.sha256(PNG).hexdigest()
    _, chunks = app.attachment_for(DIRECTOR, pid, png_sha)
    assert b"".join(chunks) == PNG
    with pytest.raises(AttachmentNotFound):
        app.attachment_for(AUDITOR, pid, png_sha)
    with pytest.raises(NotAllowed):
        app.attachment_for(STRANGER, pid, png_sha)


def test_a_file_declared_in_the_plan_but_never_uploaded_is_not_found(
    app: RegistrationApplication,
) -> None:
    pid = submitted(app)  # the sample plan lists a file by hash only
    declared = complete_plan()["attachments"][0]["sha256"]
    with pytest.raises(AttachmentNotFound, match="never uploaded"):
        app.attachment_for(DIRECTOR, pid, declared)
