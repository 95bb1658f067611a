"""The HTTP edge every service shares (issue #11 §1, §6): body limits answered 413 before the
body is read, security headers on every response, validation problems keyed `path`."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from services.registration.main import create_app
from shared.contracts.bounds import MAX_JSON_BODY_BYTES, copy_json, json_problem, text_problem
from tests.support.flows import proposer_headers
from tests.unit.registration_service.builders import settings_for

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient
    web = create_app(settings_for(tmp_path, attachment_max_bytes=16 * 1024))
    try:
        yield TestClient(web)
    finally:
        web.state.runtime.app.close()


def test_a_declared_body_over_the_limit_is_413_problem_and_nothing_is_recorded(
    client: TestClient,
) -> None:
    headers = {**proposer_headers(), "content-type": "application/json"}
    body = b'{"title":"' + b"x" * MAX_JSON_BODY_BYTES + b'"}'
    r = client.post("/proposals", content=body, headers=headers)
    assert r.status_code == 413
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["max_body_bytes"] == MAX_JSON_BODY_BYTES
    assert client.get("/proposals", headers=proposer_headers()).json() == []


def test_a_body_without_a_length_is_cut_off_at_the_limit(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"title":"'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    headers = {**proposer_headers(), "content-type": "application/json"}
    r = client.post("/proposals", content=chunks(), headers=headers)
    assert r.status_code == 413
    assert r.headers["content-type"] == PROBLEM


def test_attachments_have_their_own_limit(client: TestClient) -> None:
    created = client.post("/proposals", json={"title": "Tệp"}, headers=proposer_headers())
    pid = created.json()["id"]
    big = b"%PDF-1.4\n" + b"0" * (200 * 1024)
    r = client.post(
        f"/proposals/{pid}/attachments",
        files={"file": ("a.pdf", big, "application/pdf")},
        headers=proposer_headers(),
    )
    assert r.status_code == 413
    assert r.headers["content-type"] == PROBLEM


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for r in (
        client.get("/healthz"),
        client.get("/proposals", headers=proposer_headers()),
        client.get("/proposals"),  # a 401 problem too
    ):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["content-security-policy"].startswith("default-src 'none'")
        assert "server" not in r.headers
    docs = client.get("/docs")
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]
    assert "script-src" in docs.headers["content-security-policy"]


def test_validation_problems_are_vietnamese_and_keyed_path(client: TestClient) -> None:
    r = client.post(
        "/proposals", json={"title": "x" * 501, "submit": "maybe"}, headers=proposer_headers()
    )
    assert r.status_code == 422
    body = r.json()
    assert body["title"] == "Dữ liệu không hợp lệ"
    errors = {e["path"]: e for e in body["errors"]}
    assert set(errors) == {"title", "submit"}
    assert errors["title"]["message"] == "Tên đề xuất: dài quá 500 ký tự"
    assert errors["submit"]["code"] == "bool_parsing"


def test_text_and_json_bounds() -> None:
    assert text_problem("Một\tdòng\nhai", max_chars=20) is None
    assert text_problem("Một\tdòng", max_chars=20, multiline=False) is not None
    assert text_problem("a\x00", max_chars=20) is not None
    assert text_problem("a\x85", max_chars=20) is not None  # C1 control
    assert text_problem("\ud800", max_chars=20) is not None
    assert text_problem("đ" * 21, max_chars=20) is not None
    # The problem names the first refused character, whichever kind it is.
    assert text_problem("ok\x7f\x00", max_chars=20) == "chứa ký tự điều khiển U+007F"
    assert "U+DC00" in (text_problem("x\udc00", max_chars=20, multiline=False) or "")
    assert text_problem("\t", max_chars=20, multiline=False) == "chứa ký tự điều khiển U+0009"
    assert json_problem({"a": [{"b": "c"}], "n": 2**53 - 1, "f": 1.5}) is None
    assert json_problem({"n": 2**53}) is not None
    assert json_problem({"f": float("inf")}) is not None
    assert json_problem({"l": list(range(101))}) is not None
    deep: dict[str, object] = {}
    cursor = deep
    for _ in range(8):
        cursor["a"] = {}
        cursor = cursor["a"]  # type: ignore[assignment]
    assert json_problem(deep) is not None
    assert json_problem({"k\x00": 1}) is not None


def test_json_problem_names_the_first_bad_part_wherever_the_quick_check_sees_it() -> None:
    """Most values pass a quick check of all their texts and keys at once (issue #19); any
    that breaks a bound is still named by its path, the same first problem as before."""
    plan = {"tasks": [{"description": "Số hoá", "tags": ["a", "b"]}], "ok": True, "n": None}
    assert json_problem(plan) is None
    assert json_problem({"a": ["x", "y\x00z"]}) == ".a[1]: chứa ký tự điều khiển U+0000"
    assert json_problem({"a": "x\x01", "b": "y\x02"}) == ".b: chứa ký tự điều khiển U+0002"
    assert json_problem({"a": {"k\n": 1}}) == ".a.k\n: tên trường chứa ký tự điều khiển U+000A"
    assert json_problem({"a": ["t" * 20_001]}) == ".a[0]: dài quá 20000 ký tự"
    assert json_problem({"k" * 201: 1}) == f".{'k' * 40}: tên trường dài quá 200 ký tự"
    assert json_problem({"a": [{"b": 2**53}]}) == ".a[0].b: số vượt quá ±9007199254740991"
    assert json_problem({"a": [1, {"b": "x\ud800"}]}) == (
        ".a[1].b: chứa ký tự thay thế đơn lẻ U+D800 (không phải Unicode hợp lệ)"
    )
    assert json_problem({1: "x"}) is None  # a key that is not text is read as its text
    assert json_problem({"a": object()}) == ".a: không phải giá trị JSON"
    assert json_problem("x\x00") == ".: chứa ký tự điều khiển U+0000"


def test_copy_json_shares_nothing_that_can_change() -> None:
    """Event data is copied into and out of aggregates: a later change to either side must not
    reach the other, whatever the data holds."""
    original: dict[str, Any] = {
        "tasks": [{"description": "Số hoá", "tags": ["a"]}],
        "when": date(2026, 1, 2),
        "budget": Decimal("150000000"),
        "flags": {True, False},
    }
    copied = copy_json(original)
    assert copied == original
    copied["tasks"][0]["tags"].append("b")
    copied["flags"].add(None)
    assert original["tasks"] == [{"description": "Số hoá", "tags": ["a"]}]
    assert original["flags"] == {True, False}


def _as_mutable_headers_leave_them(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """What the edge did with Starlette's `MutableHeaders` before `secure_headers`."""
    from starlette.datastructures import MutableHeaders

    from shared.platform.web import API_CSP, HTML_CSP, SECURITY_HEADERS

    message: dict[str, Any] = {"type": "http.response.start", "headers": list(raw)}
    headers = MutableHeaders(scope=message)
    for name, value in SECURITY_HEADERS:
        headers.setdefault(name.decode(), value.decode())
    html = headers.get("content-type", "").startswith("text/html")
    headers["content-security-policy"] = (HTML_CSP if html else API_CSP).decode()
    if "cache-control" not in headers:
        headers["cache-control"] = "no-store"
    if "server" in headers:
        del headers["server"]
    return list(message["headers"])


@pytest.mark.parametrize(
    "raw",
    [
        [],
        [(b"content-type", b"application/json"), (b"content-length", b"2")],
        [(b"content-type", b"text/html; charset=utf-8"), (b"server", b"uvicorn")],
        [
            (b"content-security-policy", b"default-src *"),
            (b"x-frame-options", b"SAMEORIGIN"),
            (b"content-type", b"text/html"),
            (b"content-security-policy", b"img-src *"),
            (b"cache-control", b"max-age=60"),
            (b"server", b"a"),
            (b"location", b"/proposals/1"),
            (b"server", b"b"),
        ],
    ],
)
def test_security_headers_come_out_as_mutable_headers_left_them(
    raw: list[tuple[bytes, bytes]],
) -> None:
    """`secure_headers` rewrites the raw list in one pass; the bytes, and their order, are
    the ones Starlette's `MutableHeaders` gave."""
    from shared.platform.web import secure_headers

    assert secure_headers(raw) == _as_mutable_headers_leave_them(raw)


def test_the_draft_route_hands_only_its_endpoint_to_a_worker_thread(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bearer check and the application are coroutine dependencies: FastAPI sends a plain
    function dependency to a worker thread and back, and that hand-off cost more than the work."""
    import fastapi.dependencies.utils as solving

    handed: list[str] = []
    original = getattr(solving, "run_in_threadpool")  # noqa: B009 — not exported, patched here

    async def counted(func: Any, *args: Any, **kwargs: Any) -> Any:
        handed.append(getattr(func, "__name__", repr(func)))
        return await original(func, *args, **kwargs)

    monkeypatch.setattr(solving, "run_in_threadpool", counted)
    r = client.post("/proposals", json={"title": "Một cửa"}, headers=proposer_headers())
    assert r.status_code == 201
    assert handed == []
