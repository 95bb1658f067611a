"""`to_public` reads the public fields of a full event as they are (issue #19): every public
event it gives is the one a dump of the full event, read again, gave — the same model and the
same published bytes — over a year of Cần Thơ's journeys through both services."""

from __future__ import annotations

from functools import cache

import pytest

from shared.contracts import CONTRACTS, IntegrationEvent
from shared.contracts.public import PUBLIC_OF, PublicEvent, to_public
from shared.platform.envelope import encode
from tests.support.reporting_data import CAN_THO_2025, publish, random_journeys


def dumped_view(event: IntegrationEvent) -> PublicEvent:
    """The public view as `to_public` made it before: the full event's public fields dumped to
    plain data, then validated into the public contract."""
    public = PUBLIC_OF[event.type]
    fields = event.model_dump(include=set(public.model_fields))
    return public.model_validate({**fields, "type": public.TYPE})


CASE = {
    "id": "6f1c2a1e-7a43-5b1e-9d33-0a5c3f1d2e40",
    "proposal_id": "0b8e5a52-0c7e-4a0e-8d0b-6c2f1e3d4a51",
    "case_id": "9a3e4b62-1d8f-5c2a-8e4b-7d3f2a1c0b62",
    "occurred_at": "2026-12-07T09:30:00+07:00",
    "position": 41,
    "actor": {"user_id": "ct.p0008", "name": "Giám đốc Sở Nội vụ", "roles": ["home_affairs"]},
    "legal_basis": "ND73 Art 8 §2",
    "state": "IN_CONSULTATION",
}
NOT_IN_THE_JOURNEYS = [
    {
        **CASE,
        "type": "d73.case.consultation-requested.v1",
        "consultees": [
            {"id": "ct.so-tai-chinh", "kind": "AGENCY", "name": "Sở Tài chính"},
            {"id": "ct.expert.01", "kind": "EXPERT", "name": "Chuyên gia Nguyễn Văn A"},
        ],
        "questions": "Tính khả thi của nguồn kinh phí?",
        "due": "2026-12-21",
        "approval_paused": {"remaining_working_days": 9, "due_was": "2026-12-18"},
    },
    {
        **CASE,
        "type": "d73.case.consultation-opinion-received.v1",
        "consultee_id": "ct.so-tai-chinh",
        "opinion": "Đồng ý, đề nghị bổ sung dự toán.",
        "doc_ref": "123/STC-NS",
    },
    {
        **CASE,
        "type": "d73.case.consultation-closed.v1",
        "summary": "Hai ý kiến",
        "missing_opinions": ["ct.expert.01"],
        "approval_due": "2026-12-30",
    },
    {
        **{k: v for k, v in CASE.items() if k not in ("case_id", "state")},
        "type": "d73.proposal.supplemented.v1",
        "request_id": "5d1e2f3a-4b5c-5d6e-8f70-8192a3b4c5d6",
        "changes": {"budget": {"total_vnd": 150000000, "note": 'Dự toán "mới"'}},
        "changed_fields": ["budget"],
        "attachments_added": [
            {
                "name": "du-toan.pdf",
                "media_type": "application/pdf",
                "size": 1024,
                "sha256": "ab" * 32,
            }
        ],
    },
]
"""The types the journeys do not reach, one each."""


@cache
def full_events() -> list[IntegrationEvent]:
    messages = publish([*CAN_THO_2025, *random_journeys(40)])
    bodies = [*(m.body for m in messages), *NOT_IN_THE_JOURNEYS]
    return [CONTRACTS[body["type"]].model_validate(body) for body in bodies]


def test_every_event_type_is_compared() -> None:
    assert {event.type for event in full_events()} == set(CONTRACTS)


@pytest.mark.parametrize("kind", sorted({event.type for event in full_events()}))
def test_the_public_view_is_the_dumped_ones(kind: str) -> None:
    for event in (e for e in full_events() if e.type == kind):
        view = to_public(event)
        assert view is not None
        expected = dumped_view(event)
        assert view == expected
        assert encode(view, "approval") == encode(expected, "approval")
