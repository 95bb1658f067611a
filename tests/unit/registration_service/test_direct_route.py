"""`POST /proposals` solves its own arguments on the common way (`shared.platform.web.OrjsonRoute`,
issue #19): every request gets the answer FastAPI's dependency solving gave it — the same
status, headers and body — and the common way is the one taken."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from services.registration.main import create_app
from shared.platform import web as platform_web
from tests.support.infra import auth, token_for
from tests.unit.registration_domain.builders import complete_plan
from tests.unit.registration_service.builders import settings_for

PROPOSER = auth(token_for("ct.p0014", roles=["proposer"]))
AUDITOR = auth(token_for("ct.p0014", roles=["auditor"]))
JSON = {"Content-Type": "application/json"}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)?")


def _complete() -> bytes:
    import orjson

    return orjson.dumps({"title": "Một cửa", "plan": complete_plan(), "submit": True})


REQUESTS: list[tuple[str, dict[str, str], bytes, bool]] = [
    # (what, headers, body, takes the direct way)
    ("draft and submit", {**PROPOSER, **JSON}, _complete(), True),
    ("a draft", {**PROPOSER, **JSON}, b'{"title": "Nh\xc3\xa1p", "plan": null}', True),
    (
        "a bearer in lower case",
        {
            "authorization": PROPOSER["Authorization"].lower()[:7] + PROPOSER["Authorization"][7:],
            **JSON,
        },
        b'{"title": "x"}',
        True,
    ),
    ("an incomplete plan submitted", {**PROPOSER, **JSON}, b'{"title": "x", "submit": true}', True),
    ("a role the directory does not give", {**AUDITOR, **JSON}, b'{"title": "x"}', False),
    ("no token", JSON, b'{"title": "x"}', False),
    ("not a jwt", {"Authorization": "Bearer not-a-jwt", **JSON}, b'{"title": "x"}', False),
    ("another scheme", {"Authorization": "Basic abc", **JSON}, b'{"title": "x"}', False),
    ("an unknown field", {**PROPOSER, **JSON}, b'{"title": "x", "plan": {"nope": 1}}', True),
    ("no title", {**PROPOSER, **JSON}, b'{"plan": null}', False),
    ("malformed JSON", {**PROPOSER, **JSON}, b'{"title": ', False),
    ("NaN", {**PROPOSER, **JSON}, b'{"title": NaN}', False),
    (
        "a huge integer",
        {**PROPOSER, **JSON},
        b'{"title": "x", "submit": 1' + b"0" * 30 + b"}",
        False,
    ),
    ("a JSON array", {**PROPOSER, **JSON}, b"[]", False),
    ("an empty body", {**PROPOSER, **JSON}, b"", False),
    (
        "a charset",
        {**PROPOSER, "Content-Type": "application/json; charset=utf-8"},
        b'{"title": "x"}',
        False,
    ),
    ("text", {**PROPOSER, "Content-Type": "text/plain"}, b'{"title": "x"}', False),
    (
        "an idempotency key",
        {**PROPOSER, **JSON, "Idempotency-Key": "k-1"},
        b'{"title": "x"}',
        False,
    ),
    ("English", {**PROPOSER, **JSON, "Accept-Language": "en"}, b'{"title": ""}', True),
]


@pytest.fixture
def web(tmp_path: Path) -> Iterator[FastAPI]:
    application = create_app(settings_for(tmp_path))
    try:
        yield application
    finally:
        application.state.runtime.app.close()


def _masked(text: str) -> str:
    return _INSTANT.sub("<instant>", _UUID.sub("<uuid>", text))


def _answer(web: FastAPI, headers: dict[str, str], body: bytes) -> tuple[int, list[Any], str]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient
    response = TestClient(web).post("/proposals", content=body, headers=headers)
    kept = sorted((k, _masked(v)) for k, v in response.headers.items() if k != "date")
    return response.status_code, kept, _masked(response.text)


@pytest.mark.parametrize(
    ("what", "headers", "body", "direct"), REQUESTS, ids=[r[0] for r in REQUESTS]
)
def test_the_same_answer_as_fastapis_way(
    web: FastAPI,
    monkeypatch: pytest.MonkeyPatch,
    what: str,
    headers: dict[str, str],
    body: bytes,
    direct: bool,
) -> None:
    solved: list[bool] = []
    solve = platform_web._direct_arguments

    async def watched(*args: Any) -> Any:
        arguments = await solve(*args)
        solved.append(arguments is not None)
        return arguments

    monkeypatch.setattr(platform_web, "_direct_arguments", watched)
    fast = _answer(web, headers, body)
    assert solved == [direct], what

    async def never(*args: Any) -> None:
        return None

    monkeypatch.setattr(platform_web, "_direct_arguments", never)
    assert _answer(web, headers, body) == fast
