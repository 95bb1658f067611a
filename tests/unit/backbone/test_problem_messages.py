"""Problem bodies in Vietnamese by default, English when Accept-Language asks: one catalogue
(shared.platform.messages) serves every handler of shared/platform/web.py, naming fields by the plan's labels."""  # noqa: E501 — rendered text

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from services.registration.domain.plan import FIELD_LABELS
from shared.platform.messages import negotiate
from shared.platform.web import Problem, install_problem_handlers


class Refused(Exception):
    """The actor has no authority for this step (HTTP 403), e.g. someone who is not the head
    of the unit."""


class Unroutable(Exception):
    """No competent authority can be named for the proposer (HTTP 422): fix the directory or"""

    def __init__(self, message: str, message_vi: str) -> None:
        super().__init__(message)
        self.message_vi = message_vi


class Incomplete(Exception):
    """The plan lacks required content (HTTP 422)."""

    def __init__(self) -> None:
        super().__init__("incomplete: plan.necessity, plan.tasks[0].assignee")
        self.problems = [
            {"path": "plan.necessity", "code": "missing", "message": "required"},
            {"path": "plan.tasks[0].assignee", "code": "missing", "message": "required"},
        ]


class Body(BaseModel):
    reason: str
    due: int


def _client() -> TestClient:
    app = FastAPI()
    install_problem_handlers(
        app, {Refused: 403, Unroutable: 422, Incomplete: 422}, field_labels=FIELD_LABELS
    )

    @app.post("/refused")
    def refused() -> None:
        raise Refused("only the head of unit ct.so-tu-phap decides")

    @app.post("/unroutable")
    def unroutable() -> None:
        raise Unroutable("heads the city PC", "Kế hoạch … nằm ngoài thẩm quyền của thành phố.")

    @app.post("/incomplete")
    def incomplete() -> None:
        raise Incomplete()

    @app.post("/validated")
    def validated(body: Body) -> None:
        del body

    @app.get("/problem")
    def problem() -> None:
        raise Problem(409, "No protection determination", "case 42 has none")

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "vi"),
        ("", "vi"),
        ("vi-VN,vi;q=0.9,en;q=0.8", "vi"),
        ("en-US,en;q=0.9", "en"),
        ("en;q=0.5, vi;q=0.6", "vi"),
        ("fr-FR, en;q=0.3", "en"),
        ("fr", "vi"),
        ("*", "vi"),
        ("en;q=0", "vi"),
        ("en;q=abc,,;;", "vi"),
        ("x" * 5000, "vi"),
    ],
)
def test_accept_language_chooses_english_only_when_preferred(
    header: str | None, language: str
) -> None:
    assert negotiate(header) == language


def test_a_domain_refusal_is_in_vietnamese_by_default_with_the_english_reason_kept() -> None:
    r = _client().post("/refused")
    assert r.status_code == 403
    assert r.headers["content-language"] == "vi"
    assert "Accept-Language" in r.headers["vary"]
    body = r.json()
    assert body["title"] == "Không có thẩm quyền"
    assert body["detail"] == "Bạn không có thẩm quyền thực hiện thao tác này."
    assert body["detail_en"] == "only the head of unit ct.so-tu-phap decides"


def test_english_when_asked_and_never_a_title_cut_mid_sentence() -> None:
    r = _client().post("/unroutable", headers={"Accept-Language": "en"})
    assert r.headers["content-language"] == "en"
    body = r.json()
    assert body["title"] == "No competent authority"
    assert body["detail"] == "heads the city PC"
    assert "detail_en" not in body


def test_a_domain_message_in_vietnamese_is_the_detail() -> None:
    body = _client().post("/unroutable").json()
    assert body["title"] == "Không xác định được người có thẩm quyền"
    assert body["detail"] == "Kế hoạch … nằm ngoài thẩm quyền của thành phố."


def test_field_problems_use_the_plans_labels() -> None:
    body = _client().post("/incomplete").json()
    assert body["title"] == "Kế hoạch đề xuất chưa đủ nội dung"
    assert "khoản 2 Điều 7 Nghị định số 73/2023/NĐ-CP" in body["detail"]
    assert [(e["path"], e["label"], e["message"]) for e in body["errors"]] == [
        ("plan.necessity", "Sự cần thiết", "Sự cần thiết: bắt buộc phải có"),
        ("plan.tasks[0].assignee", "Nhiệm vụ", "Nhiệm vụ: bắt buộc phải có"),
    ]
    english = _client().post("/incomplete", headers={"Accept-Language": "en"}).json()
    assert english["errors"][0]["message"] == "Necessity: required"


def test_request_validation_has_the_same_shape_as_domain_problems() -> None:
    body = _client().post("/validated", json={"due": "soon"}).json()
    assert body["title"] == "Dữ liệu không hợp lệ"
    by_path = {e["path"]: e for e in body["errors"]}
    assert set(by_path) == {"reason", "due"}
    assert by_path["reason"]["message"] == "Lý do: bắt buộc"
    assert by_path["due"]["message"] == "Thời hạn: phải là số nguyên"
    assert set(by_path["due"]) >= {"path", "code", "label", "message", "message_en"}


def test_raised_problems_and_http_errors_are_translated_too() -> None:
    client = _client()
    body = client.get("/problem").json()
    assert body["title"] == "Chưa có kết luận về bảo vệ"
    assert body["detail_en"] == "case 42 has none"
    missing = client.get("/nowhere")
    assert missing.status_code == 404
    assert missing.json()["title"] == "Không tìm thấy"
    assert client.get("/nowhere", headers={"Accept-Language": "en"}).json()["title"] == (
        "Not Found"
    )


def test_a_title_from_a_docstring_is_never_cut_mid_sentence() -> None:
    """A docstring wraps at the line length: the title is its whole first sentence."""
    from shared.platform.web import _title_of

    class LongRefusal(Exception):
        """The competent authority's case refuses this command because the plan was not
        received as complete (HTTP 409). Nothing else is said here.
        """

    class Short(Exception):
        """Not allowed (HTTP 403)"""

    assert _title_of(LongRefusal()) == (
        "The competent authority's case refuses this command because the plan was not "
        "received as complete"
    )
    assert _title_of(Short()) == "Not allowed"
