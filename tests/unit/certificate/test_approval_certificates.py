"""Approval issues certificates from its cases and its signed log (SQLite, no broker): the
events' positions, a checkpoint signed on demand, refusals, the PDF and `d73 verify-certificate`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from typer.testing import CliRunner

from services.approval.application import ApprovalApplication, CaseNotFound, NotPartyToCase
from services.approval.certificates import (
    LogBehind,
    NoProtectionDetermination,
    ProtectionCertificates,
)
from services.approval.domain.case import Case
from services.cli.verify import app as verify_cli
from shared.contracts.vocabulary import CaseState
from shared.records.certificate import Role, verify_certificate
from shared.records.certificate.printable import render_certificate_pdf
from shared.records.merkle.canonical import decode_entry
from shared.records.pdf.printing import BOTTOM, LEFT, RIGHT, TOP, PrintedDocument
from shared.records.servicelog.keys import public_key_path
from shared.records.servicelog.log import ServiceLog
from tests.support.printing import dark_pixels, ink_outside, pages_of, text_of
from tests.unit.approval_service.builders import (
    DIRECTORY,
    Clock,
    Upstream,
    ballots_for,
    city_case_authority,
    drive,
    every_kind_of_event,
    make_app,
    open_case,
    person,
)
from tests.unit.approval_service.conftest import MONDAY
from tests.unit.certificate.sample import edit_state

AUTHORITY = city_case_authority()


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY)


@pytest.fixture
def app(tmp_path: Path, clock: Clock) -> Iterator[ApprovalApplication]:
    application = make_app(tmp_path, clock)
    try:
        yield application
    finally:
        application.close()


def synced_log(app: ApprovalApplication, key_dir: Path) -> ServiceLog:
    """Approval's log with 4-leaf chunks, caught up with the store (as the relay keeps it)."""
    audit = ServiceLog("approval", app, key_dir=key_dir, chunk_bits=2)
    audit.open()
    audit.sync_to(app.recorder.max_notification_id() or 0)
    return audit


def protected_case(app: ApprovalApplication, clock: Clock, upstream: Upstream) -> Case:
    return drive(
        app,
        open_case(app, upstream, AUTHORITY, clock),
        AUTHORITY,
        clock,
        CaseState.PROTECTION_DETERMINED,
    )


def test_positions_are_the_events_places_in_the_log_across_chunks(
    app: ApprovalApplication, clock: Clock, tmp_path: Path
) -> None:
    upstream = Upstream()
    cases = [protected_case(app, clock, upstream) for _ in range(3)]
    audit = synced_log(app, tmp_path / "keys")
    for case in cases:
        versions = list(range(1, case.version + 1))
        positions = audit.positions_of(case.id, versions)
        assert sorted(positions) == versions
        for version, position in positions.items():
            entry = decode_entry(audit.entry(position))
            assert (entry["originator_id"], entry["originator_version"]) == (str(case.id), version)
    assert audit.positions_of(cases[0].id, [999]) == {}


def test_a_certificate_of_a_protected_case_verifies_with_the_service_key(
    app: ApprovalApplication, clock: Clock, tmp_path: Path
) -> None:
    case = protected_case(app, clock, Upstream())
    audit = synced_log(app, tmp_path / "keys")
    assert audit.latest_checkpoint() is None

    document = ProtectionCertificates(app, audit).issue(AUTHORITY.proposer, case.id)

    checkpoint = audit.latest_checkpoint()
    assert checkpoint is not None, "a checkpoint covering the events was signed for it"
    assert document["checkpoint"] == checkpoint.to_dict()
    assert document["plan_hash"] == case.approved_plan_hash
    assert document["official"] == case.proposer
    assert document["determination"]["tier"] == case.protection_tier
    report = verify_certificate(
        json.loads(json.dumps(document)), trusted_keys=[audit.keys.public_key]
    )
    assert report.ok, report.problems


def test_every_download_is_the_same_document_proved_against_the_first_covering_checkpoint(
    app: ApprovalApplication, clock: Clock, tmp_path: Path
) -> None:
    upstream = Upstream()
    case = protected_case(app, clock, upstream)
    audit = synced_log(app, tmp_path / "keys")
    certificates = ProtectionCertificates(app, audit)
    first = certificates.issue(AUTHORITY.proposer, case.id)

    protected_case(app, clock, upstream)  # the log grows and signs again
    audit.sync_to(app.recorder.max_notification_id() or 0)
    later = audit.sign(when_due=False)
    assert later is not None
    again = certificates.issue(AUTHORITY.head, case.id)

    assert again == first
    assert again["checkpoint"]["tree_size"] < later.checkpoint.tree_size
    assert again["issued_at"] == again["checkpoint"]["time"]


def test_an_override_and_every_direction_are_in_the_chain(
    app: ApprovalApplication, clock: Clock, tmp_path: Path
) -> None:
    case_id = every_kind_of_event(app, Upstream(), clock)[0]
    audit = synced_log(app, tmp_path / "keys")
    head = AUTHORITY.head

    document = ProtectionCertificates(app, audit).issue(head, case_id)

    roles = [
        (e["role"], e["entry"]["topic"].rsplit(".", 1)[1]) for e in document["establishing_events"]
    ]
    assert (Role.PLAN_APPROVED, "ApprovedByOverride") in roles
    assert [name for role, name in roles if role == Role.DIRECTION] == [
        "ImplementationSuspended",
        "ImplementationResumed",
        "ImplementationStopped",
    ]
    assert document["determination"]["tier"] == "LIABILITY_EXCLUDED"
    assert verify_certificate(document, trusted_keys=[audit.keys.public_key]).ok


def test_no_certificate_before_the_determination_for_a_stranger_or_an_unknown_case(
    app: ApprovalApplication, clock: Clock, tmp_path: Path
) -> None:
    upstream = Upstream()
    concluded = drive(
        app, open_case(app, upstream, AUTHORITY, clock), AUTHORITY, clock, CaseState.CONCLUDED
    )
    protected = protected_case(app, clock, upstream)
    certificates = ProtectionCertificates(app, synced_log(app, tmp_path / "keys"))

    with pytest.raises(NoProtectionDetermination, match="no protection determination yet"):
        certificates.issue(AUTHORITY.proposer, concluded.id)
    with pytest.raises(NotPartyToCase):
        certificates.issue(person("ct.p0099", "ct.so-xay-dung"), protected.id)
    with pytest.raises(CaseNotFound):
        certificates.issue(AUTHORITY.proposer, UUID(int=1))


def test_a_log_that_has_not_caught_up_is_waited_for_then_reported(
    app: ApprovalApplication, clock: Clock, tmp_path: Path
) -> None:
    audit = synced_log(app, tmp_path / "keys")  # before the case: the relay has not run since
    case = protected_case(app, clock, Upstream())
    certificates = ProtectionCertificates(app, audit, wait_seconds=0.2)
    with pytest.raises(LogBehind):
        certificates.issue(AUTHORITY.proposer, case.id)


# ------------------------------------------------------------------ paper copy and CLI


@pytest.fixture
def issued(app: ApprovalApplication, clock: Clock, tmp_path: Path) -> tuple[dict[str, Any], Path]:
    """A certificate written to a file, and the directory holding approval's key files."""
    case = protected_case(app, clock, Upstream())
    audit = synced_log(app, tmp_path / "keys")
    document = ProtectionCertificates(app, audit).issue(AUTHORITY.proposer, case.id)
    return document, tmp_path / "keys"


def test_the_printed_record_is_an_extract_of_the_authoritys_records(
    issued: tuple[dict[str, Any], Path], tmp_path: Path
) -> None:
    """Khoản 1 Điều 11: the page cites the authority's determination; it is no state document."""
    document, _ = issued
    pdf = render_certificate_pdf(document, DIRECTORY.unit_name)
    assert pdf.startswith(b"%PDF-")
    text = " ".join(text_of(pdf).split())
    authority = DIRECTORY.unit_name(document["competent_authority"]["unit_id"])
    assert "TRÍCH LỤC HỒ SƠ" in text
    assert f"Trích từ hồ sơ của {authority}" in text
    assert "không phải văn bản do cơ quan nhà nước ban hành" in text
    found = document["determination"]
    assert f"Số {found['decision_ref']}" in text
    assert f"do ông (bà) {found['determined_by']['name']} ký" in text
    assert "Điều 11 Nghị định số 73/2023/NĐ-CP" in text
    assert document["verification_code"] in text
    assert document["plan_hash"] in text.replace(" ", "")
    assert document["official"]["name"] in text
    # no national motto, no certificate title, no unit ids, no English on the page
    for absent in ("CỘNG HÒA", "Độc lập", "GIẤY CHỨNG NHẬN", "ct.", "ND73", "Art ", "§"):
        assert absent not in text, absent
    for english in ("the ", " and ", "certificate", "Checkpoint", "Protection"):
        assert english not in text, english


def test_the_printed_record_looked_at_as_an_image_keeps_its_ink_inside_the_margins(
    issued: tuple[dict[str, Any], Path], tmp_path: Path
) -> None:
    document, _ = issued
    pdf = render_certificate_pdf(document, DIRECTORY.unit_name)
    pages = pages_of(pdf, keep=tmp_path / "png")
    assert 1 <= len(pages) <= 2
    width, height = pages[0].size  # A4 at one pixel per point
    assert (abs(width - 595), abs(height - 842)) <= (1, 1)
    for page in pages:
        assert ink_outside(page, left=LEFT, top=TOP - 2, right=RIGHT, bottom=BOTTOM - 2) == 0
    assert dark_pixels(pages[0]) > 5_000, "the page has text on it"


@pytest.mark.parametrize("code", ["ABCD-EFGH-JKLM", "W" * 40, "8" * 64])
def test_the_verification_code_always_fits_its_box(code: str) -> None:
    pdf = PrintedDocument(title="thử")
    size = pdf.boxed("MÃ XÁC MINH", code, width=110)
    pdf.set_font("DejaVuSerif", "B", size)
    assert pdf.get_string_width(code) <= 110 - 8
    for page in pages_of(bytes(pdf.output())):
        assert ink_outside(page, left=LEFT, top=TOP - 2, right=RIGHT, bottom=BOTTOM - 2) == 0


def test_verify_certificate_exits_0_when_valid_1_when_tampered_2_when_unreadable(
    issued: tuple[dict[str, Any], Path], tmp_path: Path
) -> None:
    document, key_dir = issued
    good = tmp_path / "certificate.json"
    good.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    tampered = tmp_path / "tampered.json"
    tampered.write_text(
        json.dumps({**document, "plan_hash": "0" * 64}, ensure_ascii=False), encoding="utf-8"
    )
    public_key = public_key_path(key_dir, "approval")
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(verify_cli, ["verify-certificate", *args])

    ok = run(str(good), "--public-key", str(public_key), "--code", document["verification_code"])
    assert ok.exit_code == 0, ok.output
    assert "OK: no problem found" in ok.output
    assert run(str(good), "--key-dir", str(key_dir)).exit_code == 0
    # the command as the Vietnamese extract prints it
    code = document["verification_code"]
    printed = ["kiem-tra-ho-so", str(good), "--khoa", str(public_key), "--ma", code]
    assert runner.invoke(verify_cli, printed).exit_code == 0

    bad = run(str(tampered), "--public-key", str(public_key), "--json")
    assert bad.exit_code == 1
    codes = {p["code"] for p in json.loads(bad.output)["problems"]}
    assert "plan_hash_mismatch" in codes

    assert run(str(good), "--public-key", str(public_key), "--code", "AAAA").exit_code == 1
    assert run(str(tmp_path / "missing.json"), "--key-dir", str(key_dir)).exit_code == 2
    assert run(str(good), "--key-dir", str(tmp_path / "no-keys")).exit_code == 2


def test_art11_an_implementers_own_record_names_them_and_verifies(
    app: ApprovalApplication, clock: Clock, tmp_path: Path
) -> None:
    """Điều 11, "cán bộ đề xuất, thực hiện": an implementer within Art 2 downloads their own
    record, which names them (as the approval placed them), proves their determination only,
    and verifies offline; the proposer's record stays the proposer's."""
    case = drive(
        app, open_case(app, Upstream(), AUTHORITY, clock), AUTHORITY, clock, CaseState.UNDER_REVIEW
    )
    for step in ("request", "receive"):
        clock.tick()
        if step == "request":
            app.request_party_opinion(
                AUTHORITY.office, case.id, stage="APPROVAL", committee_id="dang-uy"
            )
        else:
            app.receive_party_opinion(
                AUTHORITY.office, case.id, stage="APPROVAL", opinion="Đồng ý", doc_ref="CV"
            )
    clock.tick()
    app.hold_approval_meeting(
        AUTHORITY.head,
        case.id,
        held_on=clock.today,
        ballots=ballots_for(AUTHORITY.head, *AUTHORITY.deputies),
        minutes_ref="BB-01",
        implementer_ids=[AUTHORITY.proposer.user_id, "ct.p0027"],
    )
    case = drive(
        app, app.repository.get(case.id), AUTHORITY, clock, CaseState.PROTECTION_DETERMINED
    )
    clock.tick()
    app.determine_protection(
        AUTHORITY.head,
        case.id,
        art5_conditions_met=True,
        implemented_as_decided=True,
        directions_followed=True,
        decision_ref="QD-BV-02",
        official_id="ct.p0027",
    )
    audit = synced_log(app, tmp_path / "keys")
    certificates = ProtectionCertificates(app, audit)
    implementer = person("ct.p0027", "ct.so-tu-phap")
    document = certificates.issue(implementer, case.id, "ct.p0027")
    assert document["official"]["user_id"] == "ct.p0027"
    assert document["determination"]["official_id"] == "ct.p0027"
    assert document["determination"]["decision_ref"] == "QD-BV-02"
    report = verify_certificate(
        json.loads(json.dumps(document)), trusted_keys=[audit.keys.public_key]
    )
    assert report.ok, report.problems
    proposers = certificates.issue(AUTHORITY.proposer, case.id)
    assert proposers["official"]["user_id"] == AUTHORITY.proposer.user_id
    assert proposers["certificate_id"] != document["certificate_id"]
    # Swapping the implementer's name for the proposer's is caught offline.
    forged = json.loads(json.dumps(document))
    forged["official"] = proposers["official"]
    assert not verify_certificate(forged, trusted_keys=[audit.keys.public_key]).ok
    with pytest.raises(NoProtectionDetermination):
        certificates.issue(AUTHORITY.head, case.id, "ct.nobody")
    text = " ".join(text_of(render_certificate_pdf(document, DIRECTORY.unit_name)).split())
    assert "TRÍCH LỤC HỒ SƠ" in text


def test_the_printed_record_shows_each_steps_legal_date_and_a_late_entry(
    issued: tuple[dict[str, Any], Path], tmp_path: Path
) -> None:
    """Legal dates ("ngày pháp lý"): the record dates each step by the day it happened; a step
    entered on a later day also says when it was entered, and the page keeps its margins."""
    document, _ = issued
    late = json.loads(json.dumps(document))
    started = next(e for e in late["establishing_events"] if e["role"] == "implementation_started")
    edit_state(started["entry"], start_date="2024-05-20")
    pdf = render_certificate_pdf(late, DIRECTORY.unit_name)
    text = " ".join(text_of(pdf).split())
    assert "20/05/2024 (nhập vào hồ sơ" in text
    on_time = " ".join(text_of(render_certificate_pdf(document, DIRECTORY.unit_name)).split())
    assert "nhập vào hồ sơ" not in on_time
    for page in pages_of(pdf, keep=tmp_path / "late"):
        assert ink_outside(page, left=LEFT, top=TOP - 2, right=RIGHT, bottom=BOTTOM - 2) == 0
