"""Reporting over HTTP: who reads what, the auditor queries, and the report downloads."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest

from services.reporting.domain.archive import ProposalArchive
from services.reporting.timeline import timeline_of
from tests.support.reporting_data import arrivals, load, proposal_id_of
from tests.support.samples import ADMIN_ID, AUDITOR_ID
from tests.unit.reporting.conftest import headers

AUDITOR = headers(AUDITOR_ID, "auditor")
HOME_AFFAIRS = headers("ct.p0132", "home_affairs")  # Sở Nội vụ's intake specialist
A1 = str(proposal_id_of("A1"))
A1_PROPOSER = headers("ct.p0026", "proposer")  # Sở Tư pháp's director
SOMEONE_ELSE = headers("ct.p0091", "proposer")  # Ninh Kiều's chairman


def test_only_auditors_and_admins_read_other_peoples_history(client: Any) -> None:
    assert client.get(f"/proposals/{A1}/history", headers=A1_PROPOSER).status_code == 200
    assert client.get(f"/proposals/{A1}/history", headers=AUDITOR).status_code == 200
    admin = headers(ADMIN_ID, "admin")
    assert client.get(f"/proposals/{A1}/timeline", headers=admin).status_code == 200
    refused = client.get(f"/proposals/{A1}/history", headers=SOMEONE_ELSE)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert client.get(f"/proposals/{A1}/state", headers=SOMEONE_ELSE).status_code == 403
    assert client.get(f"/proposals/{A1}/history").status_code == 401


def test_the_timeline_reads_the_archive_once_and_merges_what_the_access_check_read(
    client: Any, web: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #19: the access check and the timeline share one read of the file's archive."""
    reporting = web.state.runtime.app
    store = reporting.repository.event_store
    archive_id = ProposalArchive.create_id(UUID(A1))
    reads: list[UUID] = []
    read = store.get

    def counted(originator_id: UUID, *args: Any, **kwargs: Any) -> Any:
        reads.append(originator_id)
        return read(originator_id, *args, **kwargs)

    monkeypatch.setattr(store, "get", counted)
    answer = client.get(f"/proposals/{A1}/timeline", headers=AUDITOR).json()
    assert reads.count(archive_id) == 1
    history = reporting.history(UUID(A1))
    assert answer["timeline"] == orjson.loads(orjson.dumps(timeline_of(history)))
    assert answer["timeline"] == orjson.loads(orjson.dumps(reporting.timeline(UUID(A1))))


def test_timeline_merges_both_services_in_order_with_basis_rule_set_and_documents(
    client: Any,
) -> None:
    timeline = client.get(f"/proposals/{A1}/timeline", headers=AUDITOR).json()["timeline"]
    assert [line["service"] for line in timeline[:2]] == ["registration", "approval"]
    assert timeline[0]["what"] == "Gửi kế hoạch đề xuất"
    instants = [line["occurred_at"] for line in timeline]
    assert instants == sorted(instants)
    meeting = next(t for t in timeline if t["type"] == "d73.case.approval-meeting-held.v1")
    assert meeting["who"]["user_id"] == "ct.p0001"  # the City PC chairman decides
    assert meeting["legal_basis"] == "ND73 Art 8 §1"
    assert meeting["rule_set_version"] == "2024.1"
    assert meeting["documents"] == ["BB-A1", "QD-PD-A1"]
    assert meeting["state_after"] == "APPROVED"
    assert timeline[-1]["type"] == "d73.case.case-closed.v1"


def test_state_as_of_a_past_instant_or_event_replays_the_archive(client: Any) -> None:
    url = f"/proposals/{A1}/state"
    before = client.get(url, params={"at": "2025-02-11T12:00:00+07:00"}, headers=AUDITOR).json()
    assert before["state"] == "IN_INTAKE"
    assert "received_on" not in before["facts"]
    later = client.get(url, params={"at": "2025-02-14T12:00:00+07:00"}, headers=AUDITOR).json()
    assert later["state"] == "UNDER_REVIEW"
    assert later["facts"]["deadlines"]["approval"][0] == "2025-02-21"  # 7 working days
    history = client.get(f"/proposals/{A1}/history", headers=AUDITOR).json()["events"]
    third = history[2]["event_id"]
    by_event = client.get(url, params={"event_id": third}, headers=AUDITOR).json()
    assert by_event["as_of"]["events_applied"] == 3
    assert client.get(url, headers=AUDITOR).json()["state"] == "CLOSED"
    naive = client.get(url, params={"at": "2025-02-14T12:00:00"}, headers=AUDITOR)
    assert naive.status_code == 422


def test_search_by_unit_state_level_and_period(client: Any) -> None:
    found = client.get(
        "/audit/proposals",
        params={"unit": "ct.so-noi-vu", "from": "2025-01-01", "to": "2025-12-31"},
        headers=AUDITOR,
    ).json()
    assert [p["title"][:10] for p in found["proposals"]] == [
        "Đề xuất B1",
        "Đề xuất B2",
        "Đề xuất B3",
        "Đề xuất B4",
    ]
    assert {p["agency_id"] for p in found["proposals"]} == {"ct.so-noi-vu"}
    review = client.get("/audit/proposals", params={"state": "UNDER_REVIEW"}, headers=AUDITOR)
    assert [p["title"][:10] for p in review.json()["proposals"]] == ["Đề xuất B4"]
    first = client.get("/audit/proposals", params={"limit": 5}, headers=AUDITOR).json()
    second = client.get(
        "/audit/proposals", params={"limit": 5, "after": first["next"]}, headers=AUDITOR
    ).json()
    assert first["returned"] == second["returned"] == 5
    # `count` is every match over all pages, not the page size.
    everything = client.get("/audit/proposals", params={"limit": 500}, headers=AUDITOR).json()
    assert first["count"] == second["count"] == everything["returned"] > 5
    assert not {p["proposal_id"] for p in first["proposals"]} & {
        p["proposal_id"] for p in second["proposals"]
    }
    city = client.get("/audit/proposals", params={"level": "city", "limit": 500}, headers=AUDITOR)
    assert city.json()["count"] == city.json()["returned"] == 9  # A0–A6, C1, C4
    few = client.get("/audit/proposals", params={"level": "city", "limit": 2}, headers=AUDITOR)
    assert few.json()["count"] == 9


def test_search_by_words_of_the_title_counts_every_match_over_all_pages(client: Any) -> None:
    everything = client.get("/audit/proposals", params={"limit": 500}, headers=AUDITOR).json()

    def titled(words: str, **params: Any) -> dict[str, Any]:
        found = client.get("/audit/proposals", params={"title": words, **params}, headers=AUDITOR)
        assert found.status_code == 200, found.text
        return dict(found.json())

    # Every title is "Đề xuất <key>: một cửa liên thông trực tuyến": typed without Vietnamese
    # marks and in capitals, the words still find them all.
    assert titled("LIEN THONG", limit=500)["count"] == everything["count"] > 5
    one = titled("b1 đề xuất")
    assert [p["title"][:10] for p in one["proposals"]] == ["Đề xuất B1"]
    assert one["count"] == 1
    # Each word begins a word of the title ("b" matches B1, B2, …), and the count is over every
    # page, not the page's rows.
    bs = [p for p in everything["proposals"] if p["title"].split()[2].startswith("B")]
    page = titled("b", limit=2)
    assert page["returned"] == 2
    assert page["count"] == len(bs) > 2
    rest = titled("b", limit=500, after=page["next"])
    assert [p["proposal_id"] for p in page["proposals"] + rest["proposals"]] == [
        p["proposal_id"] for p in bs
    ]
    # The words narrow the other filters, and a word found in no title finds nothing.
    assert titled("trực tuyến", unit="ct.so-noi-vu", to="2025-12-31")["count"] == 4
    assert titled("hộ tịch")["count"] == 0
    assert titled("%")["count"] == everything["count"], "a wildcard is not a word"
    too_long = client.get("/audit/proposals", params={"title": "x" * 201}, headers=AUDITOR)
    assert too_long.status_code == 422


def test_others_search_only_their_own_proposals(client: Any) -> None:
    own = client.get("/audit/proposals", headers=A1_PROPOSER).json()["proposals"]
    assert {p["proposer_id"] for p in own} == {"ct.p0026"}
    assert len(own) == 3  # A0, A1, A4: the director's own
    other = client.get("/audit/proposals", params={"official": "ct.p0091"}, headers=A1_PROPOSER)
    assert other.status_code == 403


def test_export_streams_the_events_of_a_period_as_json_lines(client: Any) -> None:
    response = client.get(
        "/audit/export", params={"from": "2025-02-10", "to": "2025-02-10"}, headers=AUDITOR
    )
    assert response.headers["content-type"].startswith("application/x-ndjson")
    events = [orjson.loads(line) for line in response.content.splitlines()]
    assert events
    assert {e["occurred_at"][:10] for e in events} == {"2025-02-10"}
    assert {e["body"]["title"][:10] for e in events if "title" in e["body"]} == {"Đề xuất A1"}
    own = client.get(
        "/audit/export", params={"from": "2025-01-01", "to": "2025-12-31"}, headers=SOMEONE_ELSE
    )
    mine = {orjson.loads(line)["body"]["proposal_id"] for line in own.content.splitlines()}
    assert mine == {str(proposal_id_of("C1"))}, "Ninh Kiều's chairman exports only C1"


def test_reports_are_for_monitors_and_a_unit_head_reads_their_own_agency(client: Any) -> None:
    assert client.get("/reports/overdue", headers=HOME_AFFAIRS).status_code == 200
    assert client.get("/reports/overdue", headers=A1_PROPOSER).status_code == 403
    head = headers("ct.p0026", "unit_head")
    url = "/reports/annual-review/ct.so-tu-phap"
    assert client.get(url, params={"year": 2025}, headers=head).status_code == 200
    other = client.get("/reports/annual-review/ct.ninh-kieu", params={"year": 2025}, headers=head)
    assert other.status_code == 403
    division_head = headers("ct.p0057", "unit_head")  # of Sở Nội vụ's phòng XDCQ
    agency = client.get(
        "/reports/annual-review/ct.so-noi-vu", params={"year": 2025}, headers=division_head
    )
    assert agency.status_code == 403, "a division's head is not the agency's head"
    unknown = client.get(
        "/reports/annual-review/ct.nowhere", params={"year": 2025}, headers=AUDITOR
    )
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("url", "params", "kind"),
    [
        ("/reports/overdue", {"as_of": "2025-11-10"}, "csv"),
        ("/reports/overdue", {"as_of": "2025-11-10"}, "xlsx"),
        ("/reports/city-summary", {"period": "2025-Q4"}, "xlsx"),
        ("/reports/city-summary", {"period": "2025"}, "pdf"),
        ("/reports/annual-review/ct.so-tu-phap", {"year": 2025}, "pdf"),
    ],
)
def test_reports_download_as_files(
    client: Any, url: str, params: dict[str, Any], kind: str
) -> None:
    response = client.get(url, params={**params, "format": kind}, headers=AUDITOR)
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    assert disposition.endswith(f'.{kind}"')
    magic = {"csv": b"\xef\xbb\xbf", "xlsx": b"PK", "pdf": b"%PDF"}[kind]
    assert response.content.startswith(magic)


def test_the_overdue_list_is_not_a_signed_paper(client: Any) -> None:
    response = client.get("/reports/overdue", params={"format": "pdf"}, headers=AUDITOR)
    assert response.status_code == 422


def test_statistics_of_a_period(client: Any) -> None:
    stats = client.get("/stats", params={"period": "2025-Q1"}, headers=HOME_AFFAIRS).json()
    assert stats["period"] == "2025-Q1"
    assert stats["submitted"] == 6  # B1 (13 Jan), E2 (20 Jan), A1, B2, A2, C1
    bad = client.get("/stats", params={"period": "2025-Q5"}, headers=HOME_AFFAIRS)
    assert bad.status_code == 422
    states = client.get("/stats/states", headers=AUDITOR).json()["counts"]
    assert sum(states.values()) == 19


def test_digests_alarms_and_dead_letters_are_for_auditors(client: Any) -> None:
    digests = client.get("/audit/projections", headers=AUDITOR).json()
    assert set(digests["digests"]) >= {"reporting.statistics", "reporting.archive"}
    assert digests["events"] == 242
    alarms = client.get("/audit/alarms", headers=AUDITOR).json()
    assert alarms["alarm"] is False
    assert alarms["gaps"] == 0
    assert client.get("/audit/dead-letters", headers=AUDITOR).json()["count"] == 0
    assert client.get("/audit/alarms", headers=HOME_AFFAIRS).status_code == 403


def test_a_case_opened_under_the_withdrawn_rule_set_is_flagged_on_every_report_that_shows_it(
    tmp_path: Path,
) -> None:
    """Issue #14 point 7: a store an earlier release wrote holds case B4 opened under the demo set
    can-tho 2025.1 (never adopted). Reporting says so wherever B4 appears — its timeline, the
    overdue list (JSON and file), the city summary — in approval's words, and says nothing of
    the cases opened under the adopted 2024.1."""
    from services.reporting.main import create_app
    from shared.kernel.rulesets import withdrawn_note
    from shared.platform.settings import Settings
    from tests.unit.reporting.conftest import SECRET, can_tho_2025

    b4 = str(proposal_id_of("B4"))
    messages = [
        m._replace(body={**m.body, "rule_set_version": "2025.1"})
        if m.body.get("proposal_id") == b4 and m.body.get("rule_set_version")
        else m
        for m in can_tho_2025()
    ]
    note = withdrawn_note("can-tho", "2025.1")
    assert note is not None
    assert "2024.1" in note
    service = create_app(Settings(data_dir=tmp_path, jwt_secret=SECRET, log_json=False))
    try:
        load(service.state.runtime.app, arrivals(messages, "time"))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
            from fastapi.testclient import TestClient
        client = TestClient(service)

        timeline = client.get(f"/proposals/{b4}/timeline", headers=AUDITOR).json()
        assert timeline["rule_set_note"] == note
        assert (
            client.get(f"/proposals/{A1}/timeline", headers=AUDITOR).json()["rule_set_note"] is None
        )

        as_of = {"as_of": "2025-11-10"}
        rows = client.get("/reports/overdue", params=as_of, headers=AUDITOR).json()["rows"]
        flagged = {r["proposal_id"]: (r["rule_set_note"], r["note"]) for r in rows}
        assert flagged[b4] == (note, "Mở theo bộ quy tắc 2025.1 đã rút")
        assert {k: v for k, v in flagged.items() if k != b4} == {
            k: (None, "") for k in flagged if k != b4
        }
        csv = client.get("/reports/overdue", params={**as_of, "format": "csv"}, headers=AUDITOR)
        text = csv.content.decode("utf-8-sig")
        assert "Ghi chú" in text
        assert "Mở theo bộ quy tắc 2025.1 đã rút" in text
        assert f"Ghi chú (STT 1): {note}" in text  # B4 is the most overdue row
        summary = client.get(
            "/reports/city-summary",
            params={"period": "2025-Q4", "as_of": "2025-11-10", "format": "csv"},
            headers=AUDITOR,
        )
        assert note in summary.content.decode("utf-8-sig")
    finally:
        service.state.runtime.app.close()
