"""The portal's pages without a browser: Vietnamese dates in Vietnam time, long lists a page at a
time, a service that is down said in a sentence (never JSON), forms refused without their CSRF
token, and a redirect after sign-in that never leaves the site."""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import anyio
import httpx

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from services.portal import formatting
from services.portal.main import SECURITY_HEADERS, create_app
from services.portal.pages.listing import paginate
from services.portal.people import names_of
from services.portal.services_api import ServiceClient
from services.portal.settings import PortalSettings
from shared.kernel.directory import load_directory
from tests.unit.registration_service.builders import DIRECTOR

STRONG = "a-real-key-of-more-than-32-bytes-0123456789"


def test_dates_are_dd_mm_yyyy_on_the_day_it_is_in_vietnam() -> None:
    assert formatting.day("2026-03-09") == "09/03/2026"
    # 18:30 UTC on 31 December is already 1 January in Vietnam (UTC+7).
    assert formatting.day("2025-12-31T18:30:00Z") == "01/01/2026"
    assert formatting.instant("2025-12-31T18:30:00+00:00") == "01/01/2026 01:30"
    assert formatting.money("350000000") == "350.000.000"
    assert formatting.day(None) == ""


def test_long_lists_are_shown_a_page_at_a_time() -> None:
    rows = list(range(45))
    first = paginate(rows, 1)
    assert (first.rows, first.page, first.pages, first.total) == (list(range(20)), 1, 3, 45)
    assert paginate(rows, 3).rows == list(range(40, 45))
    assert paginate(rows, 99).page == 3  # past the end: the last page
    assert paginate([], 1).pages == 1


def _client() -> TestClient:
    settings = PortalSettings(
        jwt_secret=STRONG,
        portal_dev_sign_in=True,
        registration_url="http://127.0.0.1:9",  # nothing listens there
    )
    return TestClient(create_app(settings))


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


@contextmanager
def _portal_over(
    answer: Callable[[httpx.Request], httpx.Response], person_id: str
) -> Iterator[TestClient]:
    """The portal, its services answered by `answer`, with `person_id` signed in."""
    app = create_app(PortalSettings(jwt_secret=STRONG, portal_dev_sign_in=True))
    with TestClient(app) as client:
        app.state.services.http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
        token = _csrf(client.get("/sign-in").text)
        client.post(
            "/sign-in/development",
            data={"csrf_token": token, "person_id": person_id, "next": "/"},
        )
        yield client


def test_a_service_that_is_down_is_said_in_vietnamese_on_the_page() -> None:
    with _client() as client:
        token = _csrf(client.get("/sign-in").text)
        client.post(
            "/sign-in/development",
            data={"csrf_token": token, "person_id": "ct.p0026", "next": "/"},
        )
        page = client.get("/proposals")
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert "Dịch vụ tạm thời không sẵn sàng" in page.text
    assert "problem+json" not in page.text
    assert "Traceback" not in page.text


def test_a_wrong_address_is_a_vietnamese_page_never_json() -> None:
    with _client() as client:
        missing = client.get("/no-such-page")
        token = _csrf(client.get("/sign-in").text)
        client.post(
            "/sign-in/development",
            data={"csrf_token": token, "person_id": "ct.p0026", "next": "/"},
        )
        malformed = [client.get(url) for url in ("/cases/not-a-uuid", "/proposals?page=x")]
        wrong_method = client.delete("/proposals")
    assert missing.status_code == 404
    assert "Không tìm thấy" in missing.text
    assert [page.status_code for page in malformed] == [400, 400]
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "GET"
    for page in (missing, *malformed, wrong_method):
        assert page.headers["content-type"].startswith("text/html")
        assert '<html lang="vi">' in page.text
        assert 'role="alert"' in page.text
        assert '"detail"' not in page.text


def test_a_form_without_the_sessions_csrf_token_is_refused() -> None:
    with _client() as client:
        client.get("/sign-in")
        refused = client.post(
            "/sign-in/development", data={"csrf_token": "forged", "person_id": "ct.p0001"}
        )
        assert refused.status_code == 403
        assert "Biểu mẫu đã hết hạn" in refused.text
        assert client.get("/", follow_redirects=False).status_code == 303  # still signed out


def test_after_sign_in_the_redirect_stays_on_this_site() -> None:
    with _client() as client:
        token = _csrf(client.get("/sign-in").text)
        answer = client.post(
            "/sign-in/development",
            data={"csrf_token": token, "person_id": "ct.p0026", "next": "//evil.example/x"},
            follow_redirects=False,
        )
    assert answer.headers["location"] == "/"


def test_the_session_cookie_is_signed_http_only_and_same_site() -> None:
    with _client() as client:
        token = _csrf(client.get("/sign-in").text)
        answer = client.post(
            "/sign-in/development",
            data={"csrf_token": token, "person_id": "ct.p0026"},
            follow_redirects=False,
        )
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_the_service_client_sends_the_persons_token_and_language() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    async def call() -> object:
        client = ServiceClient(PortalSettings(), transport=httpx.MockTransport(answer))
        try:
            return await client.get("registration", "/proposals", "tok", locale="en")
        finally:
            await client.close()

    # Its own thread: a browser test of the same session may keep an event loop running here.
    with ThreadPoolExecutor(1) as thread:
        assert thread.submit(anyio.run, call).result() == []
    assert seen[0].headers["authorization"] == "Bearer tok"
    assert seen[0].headers["accept-language"] == "en"
    assert str(seen[0].url) == "http://127.0.0.1:8101/proposals"


def test_the_development_sign_in_gives_the_roles_the_directory_gives() -> None:
    """Issue #11 §4: the auditor's pages are for the directory's auditors; an official cannot
    add the role at sign-in (every service would refuse the token)."""
    for person_id, asked, shown in (
        ("ct.p0901", "", True),
        ("ct.p0026", "on", False),
        ("ct.p0026", "", False),
    ):
        with _client() as client:
            token = _csrf(client.get("/sign-in").text)
            client.post(
                "/sign-in/development",
                data={"csrf_token": token, "person_id": person_id, "auditor": asked},
            )
            home = client.get("/").text
        assert ('href="/audit"' in home) is shown, person_id


def test_the_sign_in_lists_the_directory_in_force_with_its_auditors() -> None:
    with _client() as client:
        page = client.get("/sign-in").text
    assert 'value="ct.p0901"' in page
    assert 'value="ct.p0951"' in page
    assert 'value="ct.p0112"' not in page, "Vĩnh Thạnh's district ended on 1/7/2025"


def test_the_inbox_asks_approval_for_one_page_only() -> None:
    """A Sở Nội vụ director's inbox holds every city case: the portal asks approval for the
    page it shows and takes the number of pages from `X-Total-Count`; past the end, the last."""
    total = 45
    entries = [
        {
            "case_id": f"00000000-0000-4000-8000-{n:012d}",
            "proposal_id": f"10000000-0000-4000-8000-{n:012d}",
            "title": f"Hồ sơ số {n}",
            "state": "IN_INTAKE",
            "capacities": ["OFFICE"],
            "next_due": None,
            "overdue": False,
        }
        for n in range(total)
    ]
    asked: list[httpx.QueryParams] = []

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/inbox"
        asked.append(request.url.params)
        limit, offset = int(request.url.params["limit"]), int(request.url.params["offset"])
        page = entries[offset : offset + limit]
        return httpx.Response(200, json=page, headers={"X-Total-Count": str(total)})

    with _portal_over(answer, "ct.p0001") as client:
        second = client.get("/inbox?page=2").text
        assert "Hồ sơ số 20<" in second
        assert "Hồ sơ số 39<" in second
        assert "Hồ sơ số 19<" not in second
        assert "Hồ sơ số 40<" not in second
        assert "45" in second  # the caption counts them all
        last = client.get("/inbox?page=99").text
    assert "Hồ sơ số 44<" in last
    assert "Hồ sơ số 39<" not in last
    pages_asked = [(p["limit"], p["offset"]) for p in asked]
    assert pages_asked == [("20", "20"), ("20", "1960"), ("20", "40")]


def test_an_implementers_protection_record_is_downloaded_through_the_portal() -> None:
    """Điều 11, "cán bộ đề xuất, thực hiện": the portal's download link passes the official
    whose record it is to approval and hands the file on, named after them."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            content=b"%PDF-1.7 record",
            headers={
                "content-type": "application/pdf",
                "content-disposition": 'attachment; filename="record-ctp0027.pdf"',
            },
        )

    with _portal_over(answer, "ct.p0027") as client:
        case_id = "0b8c6d2e-7a51-4c1e-9d0a-3f4e5a6b7c8d"
        record = client.get(f"/cases/{case_id}/protection-record.pdf?official_id=ct.p0027")
    assert record.status_code == 200
    assert record.content == b"%PDF-1.7 record"
    assert record.headers["content-disposition"].endswith('ctp0027.pdf"')
    (sent,) = seen
    assert sent.url.path == f"/cases/{case_id}/protection-certificate.pdf"
    assert sent.url.params["official_id"] == "ct.p0027"
    assert sent.headers["authorization"].startswith("Bearer ")


def test_a_case_under_the_withdrawn_rule_set_says_so_on_its_pages(tmp_path: Path) -> None:
    """Issue #14 point 7: the case page and the proposer's page show approval's
    `rule_set_note` (why the case's rule set was withdrawn, which one its deadlines follow)."""
    from services.approval.api.views import case_view
    from services.registration.api.proposals import ProposalView
    from shared.kernel.rulesets import withdrawn_note
    from tests.unit.approval_service.builders import (
        Clock,
        Upstream,
        city_case_authority,
        open_case,
    )
    from tests.unit.approval_service.builders import make_app as approval_app
    from tests.unit.registration_service.builders import make_app as registration_app
    from tests.unit.registration_service.builders import submitted

    registration = registration_app(tmp_path / "registration")
    try:
        proposal_id = submitted(registration)
        proposal = ProposalView.of(registration.proposal_for(DIRECTOR, proposal_id))
        proposal_body = proposal.model_dump(mode="json")
    finally:
        registration.close()
    clock = Clock(date(2025, 7, 2))
    approval = approval_app(tmp_path / "approval", clock)
    try:
        case = open_case(approval, Upstream(), city_case_authority(), clock)
        case_body = case_view(approval, case).model_dump(mode="json")
    finally:
        approval.close()
    note = withdrawn_note("can-tho", "2025.1")
    assert note is not None
    case_body |= {
        "rule_set_version": "2025.1",
        "rule_set_note": note,
        "proposal_id": str(proposal_id),
    }

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/timeline"):
            return httpx.Response(403, json={"title": "Not allowed", "status": 403})
        if request.url.path.startswith("/cases/") or request.url.path.endswith("/case"):
            return httpx.Response(200, json=case_body)
        if request.url.path == f"/proposals/{proposal_id}":
            return httpx.Response(200, json=proposal_body)
        return httpx.Response(404, json={"title": "Not found", "status": 404})

    with _portal_over(answer, DIRECTOR.user_id) as client:
        pages = (client.get(f"/cases/{case_body['id']}"), client.get(f"/proposals/{proposal_id}"))
    for page in pages:
        assert page.status_code == 200, page.text
        assert "Bộ quy tắc áp dụng" in page.text
        assert html.escape(note, quote=False) in page.text


def test_an_old_district_case_names_its_own_collective_after_1_july_2025(tmp_path: Path) -> None:
    """Issue #14 point 7: the Ninh Kiều district of 2024 no longer exists in the directory in
    force, yet its chairman decides its open case; the vote form names the district's deputies
    (people only the 2024 version holds), never their codes."""
    from services.approval.api.views import case_view
    from shared.kernel.directory import load_directory
    from tests.unit.approval_service.builders import (
        Clock,
        Upstream,
        open_case,
        person,
        routed_authority,
    )
    from tests.unit.approval_service.builders import make_app as approval_app

    clock = Clock(date(2025, 6, 16))
    approval = approval_app(tmp_path, clock)
    try:
        routed = routed_authority("ct.p0118", clock.today)
        case = open_case(approval, Upstream(), routed, clock)
        clock.set(date(2025, 7, 14))
        head = person("ct.p0091", "ct.phuong-ninh-kieu", "chairman", "unit_head")
        approval.receive_plan(head, case.id)
        approval.request_party_opinion(head, case.id, stage="APPROVAL", committee_id="du")
        case = approval.receive_party_opinion(
            head, case.id, stage="APPROVAL", opinion="Đồng ý", doc_ref="CV"
        )
        body = case_view(approval, case).model_dump(mode="json")
    finally:
        approval.close()
    district = load_directory("can-tho", "2024.1").unit("ct.ninh-kieu")
    assert "ct.ninh-kieu" not in load_directory("can-tho").units  # the 2025 city has no districts

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/cases/"):
            return httpx.Response(200, json=body)
        return httpx.Response(403, json={"title": "Not allowed", "status": 403})

    with _portal_over(answer, "ct.p0091") as client:
        page = client.get(f"/cases/{body['id']}")
    assert page.status_code == 200, page.text
    for deputy in district.deputies:
        assert deputy.name in page.text
        assert f">{deputy.person_id}<" not in page.text


def test_every_answer_carries_the_security_headers() -> None:
    """Pages, refusals and static files alike (the headers are added on the way out)."""
    with _client() as client:
        answers = [client.get(url) for url in ("/sign-in", "/no-such-page", "/static/portal.css")]
    for answer in answers:
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers[name] == value, (answer.url, name)
    assert [a.status_code for a in answers] == [200, 404, 200]


def test_names_cover_every_directory_version_and_are_worked_out_once() -> None:
    directory = load_directory()
    names = names_of(directory)
    assert names is names_of(directory)
    assert names["ct.p0112"], "a person of a district that ended keeps their name"
    fresh: dict[str, str] = {}
    for version in directory.versions:
        fresh.update((member.person_id, member.name) for _, member in version.members())
    assert dict(names) == fresh
