"""Reporting's notifications API for the person of the token (issue #16 §2): preferences kept
and refused in Vietnamese when wrong, nobody marks another's notification, operators only see
the failed e-mails."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from tests.support.samples import ADMIN_ID
from tests.unit.reporting.conftest import headers

PERSON = headers("ct.p0062", "proposer")  # a division head of Sở Tài chính
ADMIN = headers(ADMIN_ID, "admin")


def test_a_person_reads_and_chooses_how_each_kind_reaches_them(client: Any) -> None:
    start = client.get("/notifications/preferences", headers=PERSON).json()
    assert start["modes"]["supplement_requested"] == "immediate"
    assert start["choices"] == ["immediate", "digest", "off"]
    labels = {k["kind"]: k["label"] for k in start["kinds"]}
    assert labels["deadline_breached"] == "Quá hạn"
    chosen = client.post(
        "/notifications/preferences",
        json={"modes": {"routed": "off", "deadline_approaching": "digest"}},
        headers=PERSON,
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["modes"]["routed"] == "off"
    again = client.get("/notifications/preferences", headers=PERSON).json()["modes"]
    assert again["deadline_approaching"] == "digest"
    assert again["decision"] == "immediate"


def test_wrong_choices_are_refused_with_a_problem_and_change_nothing(client: Any) -> None:
    before = client.get("/notifications/preferences", headers=PERSON).json()["modes"]
    for body in (
        {"modes": {"routed": "sometimes"}},
        {"modes": {"no-such-kind": "off"}},
        {"modes": {"routed": "off"}, "extra": 1},
        {"modes": {"routed": "off\u0000"}},
    ):
        refused = client.post("/notifications/preferences", json=body, headers=PERSON)
        assert refused.status_code == 422, body
        assert refused.headers["content-type"] == "application/problem+json"
    assert client.get("/notifications/preferences", headers=PERSON).json()["modes"] == before
    assert client.get("/notifications/preferences").status_code == 401


def test_the_list_is_the_persons_own_and_nobody_marks_anothers(client: Any) -> None:
    listing = client.get("/notifications", headers=PERSON).json()
    assert listing == {"unread": 0, "total": 0, "items": []}
    assert client.get("/notifications/unread-count", headers=PERSON).json() == {"unread": 0}
    unknown = client.post(f"/notifications/{uuid4()}/read", headers=PERSON)
    assert unknown.status_code == 404
    assert unknown.json()["detail"].startswith("Không có thông báo")
    assert client.post("/notifications/not-a-uuid/read", headers=PERSON).status_code == 422


def test_only_operators_see_and_retry_failed_e_mails(client: Any) -> None:
    assert client.get("/notifications/failed", headers=PERSON).status_code == 403
    failed = client.get("/notifications/failed", headers=ADMIN)
    assert failed.status_code == 200
    assert failed.json() == {"failed": 0, "items": []}
    retry = client.post(f"/notifications/failed/{uuid4()}/retry", headers=ADMIN)
    assert retry.status_code == 409


def test_refusals_speak_vietnamese_and_english_on_request(client: Any) -> None:
    missing = f"/notifications/{uuid4()}/read"
    vi = client.post(missing, headers=PERSON).json()
    en = client.post(missing, headers={**PERSON, "Accept-Language": "en"}).json()
    assert vi["detail"].startswith("Không có thông báo")
    assert en["detail"].startswith("No notification")
    assert "quản trị viên" in client.get("/notifications/failed", headers=PERSON).json()["detail"]
