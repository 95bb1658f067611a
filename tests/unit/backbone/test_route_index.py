"""`RouteIndex` answers every request as FastAPI's router does: the same route, the same path
parameters, 404, 405 with its `Allow`, a slash redirect, a mount, a route added after the
first request, a route matching by host."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import APIRouter, FastAPI, Request
from starlette.responses import PlainTextResponse
from starlette.routing import Host, Mount, Route

from shared.platform import routeindex
from shared.platform.routeindex import RouteIndex, index_routes

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


def _client(app: FastAPI) -> TestClient:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient
    return TestClient(app)


def _app(*, indexed: bool) -> FastAPI:
    app = FastAPI()
    first = APIRouter()

    @first.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"route": "healthz"}

    @first.get("/things/special")
    async def special() -> dict[str, str]:
        return {"route": "special"}

    second = APIRouter(prefix="/things")

    @second.post("")
    async def create(request: Request) -> dict[str, Any]:
        return {"route": "create", "router": type(request.scope["router"]).__name__}

    @second.get("")
    async def listing() -> dict[str, str]:
        return {"route": "list"}

    @second.get("/{thing_id}")
    async def one(thing_id: int, request: Request) -> dict[str, Any]:
        return {"route": "one", "id": thing_id, "path": request.scope["route"].path}

    @second.put("/{thing_id}/name")
    async def rename(thing_id: int) -> dict[str, Any]:
        return {"route": "rename", "id": thing_id}

    app.include_router(first)
    app.include_router(second)

    async def mounted(scope: Any, receive: Any, send: Any) -> None:
        text = f"mounted {scope['root_path']} {scope['path']}"
        await PlainTextResponse(text)(scope, receive, send)

    app.router.routes.append(Mount("/static", app=mounted))
    if indexed:
        assert index_routes(app.router)
    return app


REQUESTS = [
    ("GET", "/healthz"),
    ("GET", "/things/special"),  # the first router's, before the second's /{thing_id}
    ("POST", "/things"),
    ("GET", "/things"),
    ("GET", "/things/7"),
    ("GET", "/things/8"),
    ("GET", "/things/x"),  # 422: the path matched, its parameter did not convert
    ("DELETE", "/things/7"),  # 405
    ("PUT", "/things/7/name"),
    ("GET", "/things/7/name"),  # 405
    ("GET", "/things/"),  # slash redirect
    ("GET", "/nowhere"),  # 404
    ("GET", "/static/a/b.css"),
]


@pytest.mark.parametrize(("method", "path"), REQUESTS)
def test_the_indexed_router_answers_as_fastapis_does(method: str, path: str) -> None:
    plain, indexed = _client(_app(indexed=False)), _client(_app(indexed=True))
    for _ in range(2):  # the second time from the index
        expected = plain.request(method, path, follow_redirects=False)
        got = indexed.request(method, path, follow_redirects=False)
        assert (got.status_code, got.content) == (expected.status_code, expected.content)
        assert got.headers == expected.headers


def test_a_route_included_after_the_first_request_is_found() -> None:
    app = _app(indexed=True)
    client = _client(app)
    assert client.get("/things/special").json() == {"route": "special"}
    assert client.get("/late").status_code == 404
    late = APIRouter()

    @late.get("/late")
    async def arrived() -> dict[str, str]:
        return {"route": "late"}

    app.include_router(late)
    assert client.get("/late").json() == {"route": "late"}


def test_a_route_matching_by_host_leaves_dispatch_to_the_router() -> None:
    app = _app(indexed=True)

    async def other(request: Request) -> PlainTextResponse:
        return PlainTextResponse("other host")

    app.router.routes.insert(0, Host("other.example", app=Route("/healthz", other)))
    client = _client(app)
    assert client.get("/healthz", headers={"host": "other.example"}).text == "other host"
    assert client.get("/healthz").json() == {"route": "healthz"}
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    assert not index.usable


def test_the_index_forgets_everything_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routeindex, "MAX_REMEMBERED", 3)
    app = _app(indexed=True)
    client = _client(app)
    for thing in range(10):
        assert client.get(f"/things/{thing}").json()["id"] == thing
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    assert 0 < len(index.first_full) <= 3


def test_a_router_with_middleware_of_its_own_is_left_alone() -> None:
    router = APIRouter()
    router.middleware_stack = PlainTextResponse("not the router's own dispatch")
    assert not index_routes(router)
