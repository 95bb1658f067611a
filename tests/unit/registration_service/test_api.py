"""Registration over HTTP: every refusal is an RFC 9457 problem with the status its rule names
(401, 403, 404, 409, 413, 415, 422), and the happy paths of files, status and idempotency."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import FastAPI

from services.registration.application import RegistrationApplication
from services.registration.consumers import on_case_event
from services.registration.main import create_app
from shared.contracts.approval import ApprovalMeetingHeld
from shared.kernel.calendar import VIETNAM_TIME
from tests.support.infra import auth, forged_token, token_for
from tests.support.samples import AUDITOR_ID, DIRECTOR_TU_PHAP
from tests.unit.registration_domain.builders import complete_plan
from tests.unit.registration_service.builders import (
    PDF,
    PNG,
    case_event,
    settings_for,
    supplement_requested,
    tracking,
    vote,
)

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"
LIMIT = 16 * 1024
NOBODY = "00000000-0000-4000-8000-000000000000"

PROPOSER = auth(token_for(DIRECTOR_TU_PHAP["user_id"], roles=["proposer"]))
STRANGER = auth(token_for("ct.p0097", roles=["proposer"]))  # Cái Răng's chairman
REVIEWER = auth(token_for("ct.p0008", roles=["home_affairs"]))  # Giám đốc Sở Nội vụ


@pytest.fixture
def web(tmp_path: Path) -> Iterator[FastAPI]:
    application = create_app(settings_for(tmp_path, attachment_max_bytes=LIMIT))
    try:
        yield application
    finally:
        application.state.runtime.app.close()


@pytest.fixture
def client(web: FastAPI) -> TestClient:
    with warnings.catch_warnings():  # starlette would rather have httpx2, which we do not pin
        warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient
    return TestClient(web)  # no lifespan: no broker needed for the HTTP edge


def _app(web: FastAPI) -> RegistrationApplication:
    app: RegistrationApplication = web.state.runtime.app
    return app


def _problem(response: httpx.Response, status: int, type_: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    if type_ is not None:
        assert body["type"] == type_
    return body


def _draft(client: TestClient, plan: dict[str, Any] | None = None) -> str:
    r = client.post("/proposals", json={"title": "Một cửa", "plan": plan}, headers=PROPOSER)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _submitted(client: TestClient) -> str:
    pid = _draft(client, complete_plan())
    assert client.post(f"/proposals/{pid}/submit", headers=PROPOSER).status_code == 200
    return pid


def _upload(
    client: TestClient,
    pid: str,
    content: bytes = PDF,
    name: str = "Dự toán.pdf",
    media_type: str = "application/pdf",
    headers: dict[str, str] = PROPOSER,
) -> httpx.Response:
    response: httpx.Response = client.post(
        f"/proposals/{pid}/attachments",
        files={"file": (name, content, media_type)},
        headers=headers,
    )
    return response


def _commands(pid: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        ("POST", f"/proposals/{pid}/edit", {"changes": {"purpose": "x"}}),
        ("POST", f"/proposals/{pid}/submit", None),
        ("POST", f"/proposals/{pid}/supplement", {"changes": {"purpose": "x"}}),
        ("POST", f"/proposals/{pid}/withdraw", {"reason": "Đổi hướng"}),
    ]


# --- 401 ----------------------------------------------------------------------------------------


def test_401_every_route_needs_a_valid_bearer_token(client: TestClient) -> None:
    routes = [
        ("GET", "/proposals", None),
        ("POST", "/proposals", {"title": "x"}),
        ("GET", f"/proposals/{NOBODY}", None),
        ("GET", f"/proposals/{NOBODY}/status", None),
        *_commands(NOBODY),
        ("GET", f"/proposals/{NOBODY}/attachments/{'a' * 64}", None),
    ]
    for headers in ({}, {"Authorization": "Bearer not-a-jwt"}):
        for method, path, body in routes:
            r = client.request(method, path, json=body, headers=headers)
            _problem(r, 401)
            assert r.headers["www-authenticate"].startswith("Bearer")
        _problem(_upload(client, NOBODY, headers=headers), 401)


# --- 403 ----------------------------------------------------------------------------------------


def test_403_only_the_proposer_edits_submits_supplements_withdraws_or_attaches(
    client: TestClient,
) -> None:
    pid = _draft(client, complete_plan())
    for method, path, body in _commands(pid):
        _problem(
            client.request(method, path, json=body, headers=STRANGER), 403, "/problems/not-allowed"
        )
    _problem(_upload(client, pid, headers=STRANGER), 403, "/problems/not-allowed")
    mine = client.get(f"/proposals/{pid}", headers=PROPOSER).json()
    assert (mine["status"], mine["version"]) == ("DRAFT", 1)


def test_403_drafts_and_their_files_are_private(client: TestClient) -> None:
    pid = _draft(client)
    sha = _upload(client, pid).json()["sha256"]
    for path in (
        f"/proposals/{pid}",
        f"/proposals/{pid}/status",
        f"/proposals/{pid}/attachments/{sha}",
    ):
        _problem(client.get(path, headers=STRANGER), 403)
    _problem(client.get(f"/proposals/{pid}/attachments/{sha}", headers=REVIEWER), 403)


# --- 404 ----------------------------------------------------------------------------------------


def test_404_an_unknown_proposal_on_every_route(client: TestClient) -> None:
    for method, path, body in [
        ("GET", f"/proposals/{NOBODY}", None),
        ("GET", f"/proposals/{NOBODY}/status", None),
        *_commands(NOBODY),
        ("GET", f"/proposals/{NOBODY}/attachments/{'a' * 64}", None),
    ]:
        _problem(
            client.request(method, path, json=body, headers=PROPOSER),
            404,
            "/problems/proposal-not-found",
        )
    _problem(_upload(client, NOBODY), 404)


def test_404_a_file_the_proposal_does_not_list_or_never_received(client: TestClient) -> None:
    pid = _submitted(client)
    _problem(client.get(f"/proposals/{pid}/attachments/{'b' * 64}", headers=PROPOSER), 404)
    declared = complete_plan()["attachments"][0]["sha256"]
    body = _problem(client.get(f"/proposals/{pid}/attachments/{declared}", headers=PROPOSER), 404)
    assert "never uploaded" in body["detail_en"]


# --- 409 ----------------------------------------------------------------------------------------


def test_409_no_edit_or_second_submission_after_submission(client: TestClient) -> None:
    pid = _submitted(client)
    _problem(
        client.post(f"/proposals/{pid}/edit", json={"changes": {"purpose": "x"}}, headers=PROPOSER),
        409,
    )
    _problem(client.post(f"/proposals/{pid}/submit", headers=PROPOSER), 409)


def test_409_no_files_after_submission_unless_a_supplement_is_requested(client: TestClient) -> None:
    pid = _submitted(client)
    _problem(_upload(client, pid), 409, "/problems/invalid-transition")


def test_409_no_supplement_without_an_open_request(client: TestClient) -> None:
    pid = _submitted(client)
    r = client.post(
        f"/proposals/{pid}/supplement", json={"changes": {"purpose": "x"}}, headers=PROPOSER
    )
    _problem(r, 409)


def test_409_no_withdrawal_after_a_decision(client: TestClient, web: FastAPI) -> None:
    pid = _submitted(client)
    on_case_event(
        _app(web),
        case_event(
            ApprovalMeetingHeld,
            pid,
            "APPROVED",
            vote=vote(),
            decision_ref="15/QĐ",
            implementer_ids=[],
        ),
        tracking(),
    )
    body = _problem(
        client.post(f"/proposals/{pid}/withdraw", json={"reason": "Muộn"}, headers=PROPOSER), 409
    )
    assert "approved" in body["detail_en"]


# --- 413 ----------------------------------------------------------------------------------------


def test_413_a_file_over_the_limit_is_refused_and_nothing_is_kept(
    client: TestClient, tmp_path: Path
) -> None:
    pid = _draft(client)
    big = PDF + b"x" * LIMIT
    body = _problem(_upload(client, pid, big), 413, "/problems/attachment-too-large")
    assert str(LIMIT) in body["detail_en"]

    def chunked() -> Iterator[bytes]:  # no Content-Length: refused while streaming
        boundary = "d73b"
        yield f"--{boundary}\r\n".encode()
        yield b'Content-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        yield b"Content-Type: application/pdf\r\n\r\n"
        for start in range(0, len(big), 4096):
            yield big[start : start + 4096]
        yield f"\r\n--{boundary}--\r\n".encode()

    r = client.post(
        f"/proposals/{pid}/attachments",
        content=chunked(),
        headers={**PROPOSER, "Content-Type": "multipart/form-data; boundary=d73b"},
    )
    _problem(r, 413)
    assert not list((tmp_path / "attachments").rglob("*.part"))
    assert not (tmp_path / "attachments" / "sha256").exists()
    assert client.get(f"/proposals/{pid}", headers=PROPOSER).json()["plan"] == {}


# --- 415 ----------------------------------------------------------------------------------------


def test_415_a_file_must_come_as_multipart_form_data(client: TestClient) -> None:
    pid = _draft(client)
    r = client.post(
        f"/proposals/{pid}/attachments",
        content=PDF,
        headers={**PROPOSER, "Content-Type": "application/pdf"},
    )
    body = _problem(r, 415, "/problems/not-multipart")
    assert "multipart/form-data" in body["detail_en"]


def test_415_a_type_outside_the_allow_list_names_the_accepted_types(client: TestClient) -> None:
    pid = _draft(client)
    body = _problem(
        _upload(client, pid, b"MZ\x90\x00", "setup.exe", "application/x-msdownload"),
        415,
        "/problems/unsupported-media-type",
    )
    assert "application/pdf" in body["detail_en"]
    assert "image/png" in body["detail_en"]


def test_415_content_that_is_not_its_declared_type(client: TestClient) -> None:
    pid = _draft(client)
    body = _problem(_upload(client, pid, PNG, "scan.pdf", "application/pdf"), 415)
    assert "not PDF" in body["detail_en"]


# --- 422 and 400 --------------------------------------------------------------------------------


def test_422_submit_names_every_missing_field_and_changes_nothing(client: TestClient) -> None:
    plan = complete_plan()
    del plan["feasibility"], plan["timeline"]["end"]
    pid = _draft(client, plan)
    body = _problem(
        client.post(f"/proposals/{pid}/submit", headers=PROPOSER), 422, "/problems/incomplete"
    )
    assert {e["path"] for e in body["errors"]} == {"plan.feasibility", "plan.timeline.end"}
    view = client.get(f"/proposals/{pid}", headers=PROPOSER).json()
    assert (view["status"], view["version"]) == ("DRAFT", 1)


def test_422_edits_name_unknown_or_malformed_fields(client: TestClient) -> None:
    pid = _draft(client)
    r = client.post(
        f"/proposals/{pid}/edit",
        json={"changes": {"colour": "red", "timeline": {"start": "mai"}}},
        headers=PROPOSER,
    )
    body = _problem(r, 422, "/problems/invalid-change")
    assert {e["path"] for e in body["errors"]} == {"colour", "plan.timeline.start"}


def test_422_withdrawal_needs_a_reason(client: TestClient) -> None:
    pid = _submitted(client)
    body = _problem(
        client.post(f"/proposals/{pid}/withdraw", json={"reason": ""}, headers=PROPOSER), 422
    )
    assert body["errors"][0]["path"] == "reason"
    assert body["errors"][0]["message"] == "Lý do: phải có ít nhất 1 ký tự"


def test_422_an_idempotency_key_reused_for_another_body(client: TestClient) -> None:
    keyed = {**PROPOSER, "Idempotency-Key": "draft-1"}
    first = client.post("/proposals", json={"title": "A"}, headers=keyed)
    assert first.status_code == 201
    again = client.post("/proposals", json={"title": "A"}, headers=keyed)
    assert (again.status_code, again.json()) == (201, first.json())
    body = _problem(
        client.post("/proposals", json={"title": "B"}, headers=keyed),
        422,
        "/problems/idempotency-key-reused",
    )
    assert "draft-1" in body["detail_en"]
    assert len(client.get("/proposals", headers=PROPOSER).json()) == 1
    _problem(
        client.post(
            "/proposals", json={"title": "A"}, headers={**PROPOSER, "Idempotency-Key": "two words"}
        ),
        422,
    )


def test_422_an_empty_file(client: TestClient) -> None:
    pid = _draft(client)
    body = _problem(_upload(client, pid, b""), 422, "/problems/incomplete")
    assert body["errors"][0]["path"] == "file"


def test_422_a_download_path_that_is_not_a_sha256(client: TestClient) -> None:
    pid = _draft(client)
    _problem(client.get(f"/proposals/{pid}/attachments/not-a-hash", headers=PROPOSER), 422)


def test_400_a_malformed_multipart_body(client: TestClient) -> None:
    pid = _draft(client)
    r = client.post(
        f"/proposals/{pid}/attachments",
        content=b'--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nno end',
        headers={**PROPOSER, "Content-Type": "multipart/form-data; boundary=x"},
    )
    _problem(r, 400, "/problems/malformed-multipart")
    r = client.post(
        f"/proposals/{pid}/attachments",
        files={"other": ("a.pdf", PDF, "application/pdf")},
        headers=PROPOSER,
    )
    _problem(r, 400)


# --- what works ---------------------------------------------------------------------------------


def test_an_upload_answers_201_with_where_to_download_it(client: TestClient) -> None:
    pid = _draft(client)
    r = _upload(client, pid, name="Dự toán kinh phí 2024.pdf")
    assert r.status_code == 201, r.text
    sha = hashlib.sha256(PDF).hexdigest()
    assert r.json() == {
        "name": "Dự toán kinh phí 2024.pdf",
        "media_type": "application/pdf",
        "size": len(PDF),
        "sha256": sha,
        "pending": False,
        "download": f"/proposals/{pid}/attachments/{sha}",
    }
    assert r.headers["location"] == r.json()["download"]
    got = client.get(r.headers["location"], headers=PROPOSER)
    assert got.status_code == 200
    assert got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["etag"] == f'"{sha}"'
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "filename*=UTF-8''D%E1%BB%B1%20to%C3%A1n" in got.headers["content-disposition"]


def test_reviewers_download_the_files_of_a_submitted_plan(client: TestClient) -> None:
    pid = _draft(client, complete_plan())
    sha = _upload(client, pid).json()["sha256"]
    assert client.post(f"/proposals/{pid}/submit", headers=PROPOSER).status_code == 200
    auditor = auth(token_for(AUDITOR_ID, roles=["auditor"]))
    for headers in (REVIEWER, auditor):
        r = client.get(f"/proposals/{pid}/attachments/{sha}", headers=headers)
        assert (r.status_code, r.content) == (200, PDF)


def test_the_status_route_shows_a_supplement_request_and_the_answer_clears_it(
    client: TestClient, web: FastAPI
) -> None:
    pid = _submitted(client)
    request = supplement_requested(pid)  # answered by DIRECTOR_TU_PHAP, the proposer
    on_case_event(_app(web), request, tracking())
    status = client.get(f"/proposals/{pid}/status", headers=PROPOSER).json()
    assert status["status"] == "NEEDS_SUPPLEMENT"
    assert status["supplement_request"]["request_id"] == str(request.id)
    assert status["supplement_request"]["due_date"] == "2024-06-14"
    r = _upload(client, pid, PNG, "sơ đồ.png", "image/png")
    assert r.json()["pending"] is True
    r = client.post(
        f"/proposals/{pid}/supplement",
        json={"changes": {"feasibility": "Đã khảo sát"}},
        headers={**PROPOSER, "Idempotency-Key": "answer-1"},
    )
    assert r.status_code == 200, r.text
    assert len(r.json()["plan"]["attachments"]) == 2
    mine = client.get("/proposals", headers=PROPOSER).json()
    assert [(p["id"], p["status"], p["attachments"]) for p in mine] == [(pid, "SUBMITTED", 2)]


def test_art2_eligibility_and_routing_are_visible_before_drafting(client: TestClient) -> None:
    mine = client.get("/proposals/preview", headers=PROPOSER).json()
    assert mine["protection_eligible"] is True
    assert mine["routing"]["target"] == "CITY_PC_VIA_DOHA"
    assert mine["routing"]["directory_version"]
    staff = auth(token_for("ct.p0143", roles=["proposer"]))  # a specialist of Sở Tư pháp
    theirs = client.get("/proposals/preview", headers=staff).json()
    assert theirs["protection_eligible"] is False
    assert theirs["routing"]["target"] == "AGENCY_HEAD"


def test_422_no_competent_authority_can_be_named(client: TestClient) -> None:
    chairman = auth(token_for("ct.p0001", roles=["proposer"]))
    _problem(client.get("/proposals/preview", headers=chairman), 422, "/problems/unroutable")
    r = client.post(
        "/proposals", json={"title": "x", "plan": complete_plan(), "submit": True}, headers=chairman
    )
    _problem(r, 422, "/problems/unroutable")
    assert client.get("/proposals", headers=chairman).json() == []


def test_a_head_of_an_unrelated_unit_cannot_download_but_the_deciding_authority_can(
    client: TestClient,
) -> None:
    pid = _draft(client, complete_plan())
    sha = _upload(client, pid).json()["sha256"]
    assert client.post(f"/proposals/{pid}/submit", headers=PROPOSER).status_code == 200
    stranger = auth(token_for("ct.p0018", roles=["unit_head"]))  # Giám đốc Sở Y tế
    _problem(client.get(f"/proposals/{pid}/attachments/{sha}", headers=stranger), 403)
    chairman = auth(token_for("ct.p0001", roles=["city_committee"]))
    got = client.get(f"/proposals/{pid}/attachments/{sha}", headers=chairman)
    assert (got.status_code, got.content) == (200, PDF)


def test_art7_after_1_july_2025_the_routed_head_still_reads_the_files_not_the_merged_head(
    tmp_path: Path,
) -> None:
    """Khoản 3 Điều 7: a plan of June 2025 in Sở Thông tin và Truyền thông went to its director.
    After the departments merged (1/7/2025) he is a deputy director of Sở Khoa học và Công
    nghệ: he still reads the plan's files, while that department's director, who heads the
    merged department only in the new version, does not."""
    now = [datetime(2025, 6, 16, 9, 0, tzinfo=VIETNAM_TIME)]
    web = create_app(settings_for(tmp_path), clock=lambda: now[0])
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
            from fastapi.testclient import TestClient
        client = TestClient(web)
        proposer = auth(token_for("ct.p0067"))  # phó trưởng phòng CNTT, Sở TT&TT (2024.1)
        r = client.post(
            "/proposals", json={"title": "Một cửa số", "plan": complete_plan()}, headers=proposer
        )
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        sha = _upload(client, pid, headers=proposer).json()["sha256"]
        submitted = client.post(f"/proposals/{pid}/submit", headers=proposer)
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["routing"]["decider_id"] == "ct.p0041"

        now[0] = datetime(2025, 7, 14, 9, 0, tzinfo=VIETNAM_TIME)
        merged_director = auth(token_for("ct.p0029", roles=["unit_head"]))
        refused = _problem(
            client.get(f"/proposals/{pid}/attachments/{sha}", headers=merged_director), 403
        )
        assert "theo danh bạ tổ chức tại thời điểm gửi" in refused["detail"]
        old_director = auth(token_for("ct.p0041", roles=["proposer"]))
        got = client.get(f"/proposals/{pid}/attachments/{sha}", headers=old_director)
        assert (got.status_code, got.content) == (200, PDF)
    finally:
        web.state.runtime.app.close()


def test_a_token_naming_someone_the_directory_does_not_hold_is_refused(
    client: TestClient,
) -> None:
    """Issue #11 §4: an unlisted person claiming a director's post gets nothing."""
    unlisted = auth(token_for("ct.p9999", roles=["proposer"]))
    r = client.get("/proposals/preview", headers=unlisted)
    body = _problem(r, 403, "/problems/identity-refused")
    assert "ct.p9999" in body["detail"]
    assert "danh bạ tổ chức" in body["detail"]
    assert body["title"] == "Danh bạ tổ chức không xác nhận người dùng"


def test_a_role_the_directory_does_not_give_is_refused(client: TestClient) -> None:
    """Giám đốc Sở Tư pháp is no Sở Nội vụ official, and an auditor does not propose."""
    for person_id, role in (("ct.p0026", "home_affairs"), (AUDITOR_ID, "proposer")):
        r = client.get("/proposals", headers=auth(token_for(person_id, roles=[role])))
        assert role in _problem(r, 403, "/problems/identity-refused")["detail"]


def test_drafting_needs_the_proposer_role(client: TestClient) -> None:
    auditor = auth(token_for(AUDITOR_ID, roles=["auditor"]))
    r = client.post("/proposals", json={"title": "x"}, headers=auditor)
    _problem(r, 403, "/problems/not-allowed")


def test_a_forged_unit_claim_does_not_open_another_cases_files(client: TestClient) -> None:
    """The attachment check uses the directory's unit: Sở Y tế's director claiming to be of
    Sở Nội vụ (the intake unit of this case) is still no party to it."""
    pid = _draft(client, complete_plan())
    sha = _upload(client, pid).json()["sha256"]
    assert client.post(f"/proposals/{pid}/submit", headers=PROPOSER).status_code == 200
    forged = auth(
        forged_token("ct.p0018", ["unit_head"], unit="ct.so-noi-vu", name="Giám đốc Sở Nội vụ")
    )
    _problem(client.get(f"/proposals/{pid}/attachments/{sha}", headers=forged), 403)
