"""Approval's HTTP API in-process (FastAPI lifespan) on a real nats-server: every class of
refusal is a problem+json with one status, a refused command changes nothing, and
registration's events arrive through JetStream."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import nats
import pytest

with warnings.catch_warnings():
    # starlette 1.10 asks for httpx2 on import; httpx 0.28 works (stack-notes §5.7)
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from services.approval.main import create_app
from services.cli.natsserver import NatsServer
from shared.contracts.approval import APPROVAL_EVENTS
from shared.contracts.base import IntegrationEvent
from shared.platform.envelope import encode
from shared.platform.settings import Settings
from shared.platform.subjects import DEADLETTER_STREAM
from tests.support.flows import stream_bodies
from tests.support.infra import TEST_JWT_SECRET, auth, token_for, wait_until
from tests.unit.approval_service.builders import (
    Authority,
    city_case_authority,
    submitted,
    supplemented_event,
    withdrawn_event,
)

PROBLEM = "application/problem+json"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
CITY = city_case_authority()


def headers_of(person: Any) -> dict[str, str]:
    return auth(token_for(person.user_id, roles=sorted(person.roles)))


PROPOSER, HEAD, VICE, DOHA = (
    headers_of(CITY.proposer),
    headers_of(CITY.head),
    headers_of(CITY.deputies[0]),
    headers_of(CITY.office),
)
STRANGER = auth(token_for("ct.p0035", roles=["proposer"]))


async def _publish(url: str, events: list[IntegrationEvent]) -> None:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for event in events:
            body, headers = encode(event, "registration")
            await js.publish(event.subject(), body, headers=headers)
    finally:
        await nc.close()


def publish(url: str, *events: IntegrationEvent) -> None:
    asyncio.run(_publish(url, list(events)))


async def dead_letters(url: str) -> list[tuple[dict[str, str], bytes]]:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(DEADLETTER_STREAM.name)
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if info.state.messages:
                msg = await js.get_msg(DEADLETTER_STREAM.name, seq=seq)
                out.append((dict(msg.headers or {}), msg.data or b""))
        return out
    finally:
        await nc.close()


@pytest.fixture
def client(nats_server: NatsServer, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        nats_url=nats_server.url,
        data_dir=tmp_path,
        jwt_secret=TEST_JWT_SECRET,
        relay_poll_seconds=0.2,
        log_json=False,
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


class Flow:
    """A case opened by registration's `submitted`, published on the real stream."""

    def __init__(self, client: TestClient, nats_url: str, authority: Authority = CITY) -> None:
        self.client, self.nats_url = client, nats_url
        self.position = 0
        event = submitted(authority.proposer, datetime.now(VIETNAM), position=self.next())
        publish(nats_url, event)
        self.proposal_id = event.proposal_id
        case = wait_until(lambda: self.case_of_proposal())
        self.case_id = UUID(case["id"])

    def next(self) -> int:
        self.position += 1
        return self.position

    def case_of_proposal(self) -> dict[str, Any] | None:
        r = self.client.get(f"/proposals/{self.proposal_id}/case", headers=PROPOSER)
        return r.json() if r.status_code == 200 else None

    def case(self) -> dict[str, Any]:
        r = self.client.get(f"/cases/{self.case_id}", headers=HEAD)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def post(self, command: str, headers: dict[str, str], body: Any = None) -> Any:
        return self.client.post(f"/cases/{self.case_id}/{command}", json=body, headers=headers)


def assert_problem(r: Any, status: int, type_: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    if type_ is not None:
        assert body["type"] == type_
    return body


def test_missing_token_is_401_on_reads_and_commands(client: TestClient) -> None:
    for r in (
        client.get("/inbox"),
        client.get(f"/cases/{uuid4()}"),
        client.post(f"/cases/{uuid4()}/receive-plan"),
    ):
        assert_problem(r, 401)
        assert r.headers["www-authenticate"].startswith("Bearer")


def test_unknown_case_is_404(client: TestClient) -> None:
    assert_problem(client.get(f"/cases/{uuid4()}", headers=HEAD), 404, "/problems/case-not-found")
    assert_problem(client.get(f"/proposals/{uuid4()}/case", headers=HEAD), 404)
    assert_problem(client.post(f"/cases/{uuid4()}/receive-plan", headers=DOHA), 404)


def test_no_authority_is_403_and_changes_nothing(
    client: TestClient, nats_server: NatsServer
) -> None:
    flow = Flow(client, nats_server.url)
    before = flow.case()["version"]
    body = assert_problem(flow.post("receive-plan", PROPOSER), 403, "/problems/not-allowed")
    assert "proposer cannot act on their own proposal" in body["detail_en"]
    assert body["title"] == "Không có thẩm quyền"
    assert_problem(flow.post("receive-plan", VICE), 403, "/problems/not-allowed")
    assert_problem(client.get(f"/cases/{flow.case_id}", headers=STRANGER), 403)
    assert flow.case()["version"] == before


def test_wrong_state_or_contradicting_record_is_409(
    client: TestClient, nats_server: NatsServer
) -> None:
    flow = Flow(client, nats_server.url)
    today = datetime.now(VIETNAM).date().isoformat()
    r = flow.post("start-implementation", HEAD, {"start_date": today})
    body = assert_problem(r, 409, "/problems/invalid-transition")
    assert "IN_INTAKE" in body["detail_en"]
    assert flow.post("receive-plan", DOHA).status_code == 200
    ballots = [{"member_id": m.user_id, "ballot": "FOR"} for m in (CITY.head, *CITY.deputies)]
    meeting = {"held_on": today, "ballots": ballots, "minutes_ref": "BB-01"}
    body = assert_problem(flow.post("hold-approval-meeting", HEAD, meeting), 409)
    assert body["type"] == "/problems/conflict"
    assert "Art 4 §3" in body["detail_en"]
    assert flow.case()["state"] == "UNDER_REVIEW"


def test_invalid_input_is_422_listing_every_field(
    client: TestClient, nats_server: NatsServer
) -> None:
    flow = Flow(client, nats_server.url)
    r = flow.post("request-supplement", DOHA, {"items": ["", "ngân sách"], "reason": " "})
    body = assert_problem(r, 422, "/problems/invalid")
    assert {e["path"] for e in body["errors"]} == {"items[0]", "reason"}
    assert "Lý do: bắt buộc phải có" in {e["message"] for e in body["errors"]}
    r = flow.post("request-supplement", DOHA, {"items": "ngân sách", "due": "2030-01-01"})
    body = assert_problem(r, 422, "/problems/validation")
    assert {e["path"] for e in body["errors"]} == {"items", "reason", "due"}
    assert flow.case()["state"] == "IN_INTAKE"


def test_commands_move_the_case_and_the_inbox_follows(
    client: TestClient, nats_server: NatsServer
) -> None:
    flow = Flow(client, nats_server.url)
    (entry,) = client.get("/inbox", headers=DOHA).json()
    assert entry["case_id"] == str(flow.case_id)
    assert entry["capacities"] == ["OFFICE"]
    assert entry["next_due"]["deadline"] == "intake"
    assert client.get("/inbox", headers=VICE).json() == []
    r = flow.post("receive-plan", DOHA)
    assert r.status_code == 200, r.text
    case = r.json()
    assert case["state"] == "UNDER_REVIEW"
    # What the case accepts now (the portal shows these steps and no others), in table order.
    assert case["next_commands"][:4] == [
        "request_consultation",
        "request_party_opinion_on_approval",
        "receive_party_opinion_on_approval",
        "hold_approval_meeting",
    ]
    assert "receive_plan" not in case["next_commands"]
    assert set(case["open_deadlines"]) == {"approval"}
    assert case["open_deadlines"]["approval"]["responsible_user_id"] == "ct.p0001"
    (entry,) = client.get("/inbox", headers=VICE).json()
    assert entry["capacities"] == ["DEPUTY"]
    assert entry["next_due"]["due"] == case["open_deadlines"]["approval"]["due"]


def test_the_inbox_comes_a_page_at_a_time_with_its_total(
    client: TestClient, nats_server: NatsServer
) -> None:
    """Every city case waits on Sở Nội vụ's office: the portal asks one page of twenty, so only
    that page travels, and `X-Total-Count` gives the number of pages."""
    now = datetime.now(VIETNAM)
    publish(nats_server.url, *[submitted(CITY.proposer, now, position=n) for n in range(1, 6)])

    def everything() -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = client.get("/inbox", headers=DOHA).json()
        return found if len(found) == 5 else None

    whole = wait_until(everything)
    r = client.get("/inbox", params={"limit": 2, "offset": 1}, headers=DOHA)
    assert r.status_code == 200, r.text
    assert r.headers["X-Total-Count"] == "5"
    assert r.json() == whole[1:3]
    past_the_end = client.get("/inbox", params={"limit": 2, "offset": 5}, headers=DOHA)
    assert past_the_end.json() == []
    assert past_the_end.headers["X-Total-Count"] == "5"
    for bad in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "1e308"}):
        assert_problem(client.get("/inbox", params=bad, headers=DOHA), 422)


def test_supplement_and_withdrawal_arrive_from_registration_through_jetstream(
    client: TestClient, nats_server: NatsServer
) -> None:
    flow = Flow(client, nats_server.url)
    r = flow.post("request-supplement", DOHA, {"items": ["purpose"], "reason": "Chưa rõ"})
    assert r.status_code == 200, r.text

    def published_request() -> dict[str, Any] | None:
        bodies = stream_bodies(nats_server.url, "D73_APPROVAL")
        found = [b for b in bodies if b["type"] == "d73.case.supplement-requested.v1"]
        return found[0] if found else None

    request = wait_until(published_request)
    assert request["items"] == ["purpose"]
    answer = supplemented_event(
        flow.proposal_id, CITY.proposer.user_id, request["id"], {"purpose": "Rõ"}, flow.next()
    )
    publish(nats_server.url, answer)
    wait_until(lambda: flow.case()["state"] == "IN_INTAKE")
    assert flow.case()["plan"]["purpose"] == "Rõ"

    # After the decision the proposer can no longer withdraw: dead-lettered with the reason.
    flow.post("receive-plan", DOHA)
    for step in ("request-party-opinion", "receive-party-opinion"):
        opinion = {"stage": "APPROVAL", "committee_id": "dang-uy-tp"}
        if step == "receive-party-opinion":
            opinion = {"stage": "APPROVAL", "opinion": "Đồng ý", "doc_ref": "CV-01"}
        assert flow.post(step, DOHA, opinion).status_code == 200
    today = datetime.now(VIETNAM).date().isoformat()
    ballots = [{"member_id": m.user_id, "ballot": "FOR"} for m in (CITY.head, *CITY.deputies)]
    meeting = {"held_on": today, "ballots": ballots, "minutes_ref": "BB-01"}
    assert flow.post("hold-approval-meeting", HEAD, meeting).json()["state"] == "APPROVED"
    publish(
        nats_server.url,
        withdrawn_event(flow.proposal_id, CITY.proposer.user_id, flow.next()),
    )

    def dead_letter_reasons() -> list[str]:
        return [
            headers.get("d73-reason", "")
            for headers, body in asyncio.run(dead_letters(nats_server.url))
            if str(flow.proposal_id) in body.decode()
        ]

    (reason,) = wait_until(dead_letter_reasons)
    assert "withdraw is not allowed while the case is APPROVED" in reason
    assert flow.case()["state"] == "APPROVED"


def test_asyncapi_lists_a_channel_for_every_case_event(client: TestClient) -> None:
    spec = client.get("/asyncapi").json()
    for contract in APPROVAL_EVENTS:
        assert spec["channels"][contract.subject()]["address"] == contract.subject()
        assert contract.TYPE in spec["components"]["messages"]
    assert "ApprovalMeetingHeld" in spec["components"]["schemas"]


def test_a_refused_legal_date_states_the_rule_in_vietnamese(
    client: TestClient, nats_server: NatsServer
) -> None:
    """Legal dates ("ngày pháp lý"): a meeting dated before the plan's receipt, or in the
    future, is refused with 422, a code per rule and a Vietnamese message that says the rule
    (English on request); nothing is recorded."""
    flow = Flow(client, nats_server.url)
    assert flow.post("receive-plan", DOHA).status_code == 200
    opinion = {"stage": "APPROVAL", "committee_id": "dang-uy-tp"}
    assert flow.post("request-party-opinion", DOHA, opinion).status_code == 200
    opinion = {"stage": "APPROVAL", "opinion": "Đồng ý", "doc_ref": "CV-01"}
    assert flow.post("receive-party-opinion", DOHA, opinion).status_code == 200
    received = flow.case()["received_on"]
    ballots = [{"member_id": m.user_id, "ballot": "FOR"} for m in (CITY.head, *CITY.deputies)]
    day_before = (datetime.fromisoformat(received) - timedelta(days=1)).date().isoformat()
    meeting = {"held_on": day_before, "ballots": ballots, "minutes_ref": "BB-01"}
    body = assert_problem(flow.post("hold-approval-meeting", HEAD, meeting), 422)
    (error,) = body["errors"]
    y, m, d = received.split("-")
    assert error["code"] == "legal_date_before_previous_step"
    assert error["message"] == (
        f"Ngày họp: không được trước ngày nhận được kế hoạch đề xuất đầy đủ ({d}/{m}/{y}): "
        "ngày pháp lý của một bước không được trước ngày pháp lý của bước liền trước"
    )
    assert error["message_en"] == f"must not be before the plan's receipt ({received})"
    english = flow.client.post(
        f"/cases/{flow.case_id}/hold-approval-meeting",
        json=meeting,
        headers={**HEAD, "Accept-Language": "en"},
    ).json()
    assert english["errors"][0]["message"] == (
        f"Meeting date: must not be before the plan's receipt ({received})"
    )
    tomorrow = (datetime.now(VIETNAM) + timedelta(days=1)).date().isoformat()
    future = assert_problem(
        flow.post("hold-approval-meeting", HEAD, {**meeting, "held_on": tomorrow}), 422
    )
    (error,) = future["errors"]
    assert error["code"] == "legal_date_in_future"
    assert error["message"].startswith("Ngày họp: không được sau ngày nhập vào hồ sơ")
    assert "không thể là ngày trong tương lai" in error["message"]
    assert flow.case()["state"] == "UNDER_REVIEW"
