"""HTTP edge shared by the services: RFC 9457 problem bodies, identity, health, AsyncAPI.

Each typed domain error maps to one status in one handler (style.md §2); nothing returns 200
with an error inside.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

import anyio.to_thread
import orjson
from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi._body_limit import get_body_limit_error
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.telemetry import TelemetryConfig
from opentelemetry import context as otel_context
from opentelemetry import propagate
from opentelemetry.instrumentation.asgi import asgi_getter, get_host_port_url_tuple
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.propagators.textmap import Getter, TextMapPropagator
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind
from opentelemetry.util.http import ExcludeList, parse_excluded_urls
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.contracts.bounds import MAX_JSON_BODY_BYTES
from shared.kernel.actor import Actor
from shared.kernel.calendar import local_date
from shared.kernel.directory import OrganisationDirectory
from shared.platform import messages
from shared.platform import problem_texts as texts
from shared.platform.apidocs import install_offline_docs
from shared.platform.eventstore import ServiceApplication, check_store_writable
from shared.platform.halt import ServiceHalt
from shared.platform.idempotency import (
    Idempotency,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
)
from shared.platform.identity import IdentityRefused, TokenError, TokenVerifier, today_in_vietnam
from shared.platform.metrics import RequestMetrics, exposition
from shared.platform.openapi_problems import install_problem_openapi
from shared.platform.routeindex import index_routes
from shared.platform.runtime import ServiceRuntime
from shared.platform.settings import Settings
from shared.platform.tracing import configure_tracing, exporting, tracer
from shared.platform.worker import WorkerPool

PROBLEM_JSON = "application/problem+json"
IDEMPOTENCY_ERRORS: dict[type[Exception], int] = {
    IdempotencyKeyReused: 422,
    InvalidIdempotencyKey: 422,
}
log = logging.getLogger("d73.web")


class Problem(Exception):
    """An error that is already an HTTP problem (RFC 9457)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        type_: str = "about:blank",
        *,
        headers: Mapping[str, str] | None = None,
        **ext: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.type, self.ext = (
            status,
            title,
            detail,
            type_,
            ext,
        )
        self.headers = dict(headers or {})
        """Response headers the problem needs (`Retry-After` with a 503)."""


def problem_response(
    status: int,
    title: str,
    detail: str = "",
    *,
    type_: str = "about:blank",
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **ext: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(ext)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _title_of(error: Exception) -> str:
    """The first sentence of the error class's docstring, without any "(HTTP nnn)" note.

    A docstring wraps at the line length, so its first line can stop mid-sentence: the first
    paragraph is joined before the sentence is cut at its end (". " or a closing colon)."""
    paragraph = (type(error).__doc__ or "Refused").strip().split("\n\n", 1)[0]
    joined = " ".join(line.strip() for line in paragraph.splitlines())
    sentence = re.split(r"(?<=[.:;])\s", joined, maxsplit=1)[0].rstrip(".:; ")
    return re.sub(r"\s*\(HTTP \d{3}\)", "", sentence).strip()


def _error_slug(error: Exception) -> str:
    name = type(error).__name__
    return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")


def install_problem_handlers(
    app: FastAPI,
    domain_errors: Mapping[type[Exception], int],
    field_labels: Mapping[str, tuple[str, str]] | None = None,
) -> None:
    """Every refusal as an RFC 9457 body in the language the request prefers (Vietnamese by
    default), from one catalogue (`shared.platform.messages`), with fields named by their labels."""
    labels = {**messages.COMMON_LABELS, **(field_labels or {})}

    def localised(
        request: Request,
        status: int,
        title: str,
        detail: str = "",
        *,
        type_: str = "about:blank",
        headers: Mapping[str, str] | None = None,
        message_vi: str = "",
        **ext: Any,
    ) -> JSONResponse:
        language = messages.negotiate(request.headers.get("accept-language"))
        if isinstance(ext.get("errors"), list):
            ext["errors"] = [_field_error(e, labels, language) for e in ext["errors"]]
        shown = detail
        if language == "vi":
            shown = messages.detail(type_, title, status, detail, message_vi)
            if detail and detail != shown:
                ext["detail_en"] = detail
        response = problem_response(
            status,
            messages.title(type_, title, status, language),
            shown,
            type_=type_,
            instance=request.url.path,
            headers={**(headers or {}), "Content-Language": language, "Vary": "Accept-Language"},
            **ext,
        )
        return response

    async def on_validation(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return invalid_input(request, [_validation_item(e) for e in error.errors()])

    def invalid_input(request: Request, errors: list[dict[str, Any]]) -> JSONResponse:
        """422 listing every invalid input, each item keyed like the domain's (`path`)."""
        return localised(
            request,
            422,
            "Invalid request",
            f"{len(errors)} field(s) are invalid",
            type_="/problems/validation",
            message_vi=texts.invalid_fields(len(errors)),
            errors=errors,
        )

    async def on_http(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        if error.status_code == 400 and isinstance(error.__cause__, ValueError | RecursionError):
            # FastAPI could not parse the JSON: a number beyond Python's 4,300 digits, or
            # nesting deeper than the parser goes. Bad input, said like any other (422).
            unreadable = {
                "path": "body",
                "code": "json_invalid",
                "message": "The body is not readable JSON (or holds a number too large)",
                "message_vi": texts.BODY_UNREADABLE,
            }
            return invalid_input(request, [unreadable])
        return localised(
            request,
            error.status_code,
            str(error.detail),
            headers=error.headers,
        )

    async def on_problem(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, Problem)
        return localised(
            request,
            error.status,
            error.title,
            error.detail,
            type_=error.type,
            headers=error.headers,
            **error.ext,
        )

    async def on_conflict(request: Request, error: Exception) -> JSONResponse:
        return localised(
            request,
            409,
            "Concurrent modification",
            "Someone changed this record at the same time; reload and try again.",
            type_="/problems/concurrent-modification",
            message_vi=texts.CONCURRENT_DETAIL,
        )

    def domain_handler(status: int) -> Callable[[Request, Exception], Any]:
        async def on_domain(request: Request, error: Exception) -> JSONResponse:
            ext: dict[str, Any] = {}
            problems = getattr(error, "problems", None)
            if problems:
                ext["errors"] = [p if isinstance(p, dict) else _as_dict(p) for p in problems]
            return localised(
                request,
                status,
                _title_of(error),
                str(error),
                type_=f"/problems/{_error_slug(error)}",
                message_vi=str(getattr(error, "message_vi", "") or ""),
                **ext,
            )

        return on_domain

    async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return localised(request, 500, "Internal error")

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(IntegrityError, on_conflict)
    for error_class, status in {**IDEMPOTENCY_ERRORS, **domain_errors}.items():
        app.add_exception_handler(error_class, domain_handler(status))
    app.add_exception_handler(Exception, on_unexpected)


def _validation_item(error: Mapping[str, Any]) -> dict[str, Any]:
    """`path` as the domain writes it: body fields by name (`plan.timeline`), other inputs by
    where they came from (`query.after`, `path.case_id`)."""
    loc = list(error.get("loc", ()))
    if loc[:1] == ["body"] and len(loc) > 1:
        loc = loc[1:]
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return {
        "path": path,
        "code": str(error.get("type", "")),
        "message": str(error.get("msg", "")).removeprefix("Value error, "),
        "message_vi": texts.validation_message(dict(error)),
    }


def _field_error(
    error: Any, labels: Mapping[str, tuple[str, str]], language: messages.Language
) -> Any:
    """One field problem as `{path, code, label, message, message_en}`: one shape for request
    validation and domain refusals (a domain's `field`/`problem` become `path`/`message`)."""
    if not isinstance(error, dict):
        return error
    item = dict(error)
    path = str(item.pop("path", item.pop("field", "")))
    english = str(item.pop("message", item.pop("problem", "")))
    code = str(item.pop("code", ""))
    vietnamese = str(item.pop("message_vi", ""))
    facts = item.pop("params", None)
    params = {str(k): str(v) for k, v in facts.items()} if isinstance(facts, dict) else None
    return {
        "path": path,
        "code": code,
        "label": messages.field_label(path, labels, language),
        "message": messages.field_message(
            path, code, english, labels, language, vietnamese, params
        ),
        "message_en": english,
        **item,
    }


def _as_dict(problem: Any) -> dict[str, Any]:
    if hasattr(problem, "as_dict"):
        return dict(problem.as_dict())
    if hasattr(problem, "__dataclass_fields__"):
        return {k: getattr(problem, k) for k in problem.__dataclass_fields__}
    return {"message": str(problem)}


_bearer = HTTPBearer(auto_error=False)


async def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """The person the bearer token names, as the directory backs them.

    A coroutine, though it only computes (an HMAC or a signature, a directory lookup): FastAPI
    runs a plain function dependency in a worker thread, a hand-off each way on every request
    that cost more than the check itself (issue #19)."""
    challenge = {"WWW-Authenticate": 'Bearer realm="d73"'}
    if credentials is None:
        raise StarletteHTTPException(401, texts.AUTH_REQUIRED, headers=challenge)
    verifier: TokenVerifier = request.app.state.verifier
    try:
        return verifier.verify(credentials.credentials)
    except TokenError as error:
        raise StarletteHTTPException(
            401, texts.AUTH_INVALID.format(reason=error), headers=challenge
        ) from None
    except IdentityRefused as refused:
        # A genuine token the directory does not back (issue #11 §4): signing in again as
        # the same person cannot help, so 403, not 401.
        raise Problem(
            403,
            "Not backed by the organisation directory",
            refused.detail_en,
            type_="/problems/identity-refused",
            message_vi=refused.detail_vi,
        ) from None


CurrentActor = Annotated[Actor, Depends(current_actor)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Repeat a POST safely: the same key and body return the first answer",
    ),
]


class OrjsonRequest(Request):
    """A request whose JSON body orjson reads (~17 us less than the standard library on a
    submitted plan, issue #19). What orjson refuses (NaN, numbers beyond 64 bits, a BOM, another
    encoding, invalid JSON) is read by `json.loads` as before: the same value, or the same error."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = orjson.loads(body)
            except orjson.JSONDecodeError:
                self._json = json.loads(body)
        return self._json


@dataclass(frozen=True)
class DirectCommand:
    """How `OrjsonRoute` calls a hot command endpoint itself (`direct_command`)."""

    app_param: str
    application: Callable[[Request], Any]


E = TypeVar("E", bound=Callable[..., Any])


def direct_command(app_param: str, application: Callable[[Request], Any]) -> Callable[[E], E]:
    """Mark a sync command endpoint that takes exactly its JSON body as `body`, the
    `CurrentActor` as `actor`, the `IdempotencyKey` as `key`, and as `app_param` what
    `application(request)` gives (its application dependency): `OrjsonRoute` then solves
    these itself on the common way (see `_direct_arguments`)."""

    def mark(endpoint: E) -> E:
        endpoint.d73_direct = DirectCommand(app_param, application)  # type: ignore[attr-defined]
        return endpoint

    return mark


COMMAND_THREADS = WorkerPool("d73-command", size=40)
"""The threads the direct command endpoints run on, as many as Starlette's thread pool lets run
at once (anyio's 40): a command blocks its thread until its group commit is written."""


class OrjsonRoute(APIRoute):
    """A route whose JSON body is read by `OrjsonRequest` (FastAPI's custom request pattern).

    An endpoint marked by `direct_command` is called by the route itself on the way nearly
    every request takes (a JSON body, a bearer token the verifier accepts, a body its model
    accepts, no Idempotency-Key): FastAPI's dependency solving cost a submission ~0.15 ms of
    CPU, more than the checks it made (issue #19). Any other request takes FastAPI's way, which
    answers it as before. On the direct way the endpoint runs on `COMMAND_THREADS`, whose hop
    costs a third of Starlette's thread pool's (issue #19); what it raises or returns goes the
    same way as on FastAPI's."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        direct: DirectCommand | None = getattr(self.endpoint, "d73_direct", None)
        body_field = self.body_field

        if direct is None or body_field is None:

            async def with_orjson(request: Request) -> Response:
                return await handler(OrjsonRequest(request.scope, request.receive, request._send))

            return with_orjson

        endpoint = self.endpoint

        async def directly(request: Request) -> Response:
            request = OrjsonRequest(request.scope, request.receive, request._send)
            arguments = await _direct_arguments(request, body_field, direct)
            if arguments is None:
                return await handler(request)  # the body read, if it was, stays with `request`
            response: Response = await COMMAND_THREADS.run(functools.partial(endpoint, **arguments))
            return response

        return directly


async def _direct_arguments(
    request: Request, body_field: Any, direct: DirectCommand
) -> dict[str, Any] | None:
    """The endpoint's arguments as FastAPI would solve them, or None wherever FastAPI might
    answer otherwise (no or another token, one the verifier refuses, an Idempotency-Key, another
    content type, an empty, unreadable or invalid body, overridden dependencies): FastAPI then
    solves them again and answers as it always did. `HTTPBearer` and `current_actor` in short."""
    headers = request.headers
    if (
        headers.get("content-type") != "application/json"
        or "idempotency-key" in headers
        or request.app.dependency_overrides
    ):
        return None
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    token = token.strip()
    if not token or scheme.lower() != "bearer":
        return None
    verifier: TokenVerifier = request.app.state.verifier
    try:
        actor = verifier.verify(token)
    except Exception:
        return None
    try:
        raw = await request.body()
    except StarletteHTTPException:
        raise
    except Exception as error:  # what FastAPI makes of a body it could not read
        if MAX_BODY_SIZE_SCOPE_KEY in request.scope and (limit := get_body_limit_error(error)):
            raise limit from error
        raise StarletteHTTPException(400, "There was an error parsing the body") from error
    if not raw:
        return None
    try:
        value = await request.json()
    except Exception:
        return None
    body, errors = body_field.validate(value, {}, loc=("body",))
    if errors:
        return None
    return {
        "body": body,
        "actor": actor,
        direct.app_param: direct.application(request),
        "key": None,
    }


A = TypeVar("A")


@dataclass(frozen=True)
class KeyedRunner:
    """Runs one command of a request under its Idempotency-Key (`shared.platform.idempotency`)."""

    app: ServiceApplication
    user_id: str
    idempotency: Idempotency | None

    def __call__(self, command: Callable[[], A]) -> A:
        return self.app.keyed(self.user_id, self.idempotency, command)


async def keyed_command(
    request: Request, actor: CurrentActor, key: IdempotencyKey = None
) -> KeyedRunner:
    """The request's command runner: its key, and the fingerprint of its path and JSON body."""
    idempotency = None
    if key is not None:
        raw = await request.body()
        try:
            body: Any = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = raw.hex()
        idempotency = Idempotency.of(key, request.method, request.url.path, body)
    return KeyedRunner(request.app.state.runtime.app, actor.user_id, idempotency)


Keyed = Annotated[KeyedRunner, Depends(keyed_command)]


def operations_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str | bool]:
        return {
            "status": "ok",
            "service": runtime.service,
            "development": runtime.settings.development,
        }

    @router.get(
        "/readyz",
        summary="Readiness: the event store takes a write, NATS is reachable, commands are taken",
    )
    async def readyz() -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            await anyio.to_thread.run_sync(check_store_writable, runtime.app)
            checks["store"] = "ok"
        except Exception as error:
            checks["store"] = f"failing: {type(error).__name__}"
        checks["nats"] = "ok" if runtime.nats_connected else "disconnected"
        halted = runtime.halt.reasons
        checks["commands"] = "halted: " + ", ".join(r.kind for r in halted) if halted else "ok"
        if all(v == "ok" for v in checks.values()):
            return JSONResponse({"status": "ready", "checks": checks})
        extra: dict[str, Any] = {"halted": [r.as_dict() for r in halted]} if halted else {}
        return problem_response(
            503, "Not ready", type_="/problems/not-ready", checks=checks, **extra
        )

    @router.get("/metrics", summary="Prometheus metrics of this service", include_in_schema=False)
    async def metrics() -> Response:
        body, content_type = exposition()
        return Response(body, media_type=content_type, headers={"cache-control": "no-store"})

    @router.get("/asyncapi", summary="AsyncAPI 3 document of this service's events")
    async def asyncapi() -> dict[str, Any]:
        return runtime.asyncapi()

    return router


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NO_NATIVE_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


def announce_secrets(service: str, settings: Settings) -> None:
    """Refuse known or weak secrets outside development mode; in it, say so at every start."""
    settings.require_safe_secrets()
    if settings.development:
        log.warning(
            "%s runs in DEVELOPMENT MODE (D73_DEVELOPMENT=true): %s",
            service,
            "; ".join(settings.secret_problems()) or "no weak secret in use",
        )


SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
"""On every response (issue #11 §6): no sniffing, no framing, no referrer leaks."""
API_CSP = b"default-src 'none'; frame-ancestors 'none'"
HTML_CSP = (
    b"default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; connect-src 'self'; "
    b"frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
"""The interactive API docs run Swagger UI from this service (its inline start script too);
nothing from elsewhere may run."""


def body_limit_of(app: FastAPI, scope: Scope) -> int:
    """The request body limit of the route `scope` goes to (`MAX_JSON_BODY_BYTES` for a path
    no router serves: the docs, a 404)."""
    limits: Sequence[tuple[APIRouter, int]] = getattr(app.state, "body_limits", ())
    for router, limit in limits:
        for route in router.routes:
            if route.matches(scope)[0] is Match.FULL:
                return limit
    return MAX_JSON_BODY_BYTES


def smallest_body_limit(app: FastAPI) -> int:
    """A length every route takes: below it, no route needs to be looked up."""
    limits: Sequence[tuple[APIRouter, int]] = getattr(app.state, "body_limits", ())
    return min((limit for _, limit in limits), default=MAX_JSON_BODY_BYTES)


class ServiceEdge:
    """The HTTP edge of a service, in one pure-ASGI layer (so nothing is buffered, and a request
    passes one layer where it passed three):

    - size: a request whose declared length exceeds its route's limit is answered 413 before
      one byte of its body is read; a body sent without a length is counted as it arrives by
      FastAPI's own limit (`max_body_size`);
    - security: every response gets the security headers; responses carry no cache permission
      unless they say otherwise (personal data: `no-store`);
    - metrics: every other request is counted and timed, and each command logged with its
      outcome (`shared.platform.metrics.RequestMetrics`);
    - halt: while the service is halted (`shared.platform.halt`), every command answers 503
      before it reaches a route: nothing is recorded that could not leave the service. Queries
      still answer. The 503 is counted, and secured, like any answer.
    """

    def __init__(self, app: ASGIApp, halt: ServiceHalt, service: str) -> None:
        self.app = app
        self.halt = halt
        self.metrics = RequestMetrics(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared.isdigit() and int(declared) > smallest_body_limit(scope["app"]):
            limit = body_limit_of(scope["app"], scope)
            if int(declared) > limit:
                await _too_large(scope, declared, limit)(scope, receive, _secured(send))
                return
        started = time.perf_counter()
        status = 500
        location: str | None = None

        async def answer(message: Message) -> None:
            nonlocal status, location
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for name, value in message.get("headers", ()):
                    if name.lower() == b"location":
                        location = value.decode("latin-1")
                message["headers"] = secure_headers(message.get("headers", ()))
            await send(message)

        try:
            if scope["method"] in SAFE_METHODS or not self.halt.halted:
                await self.app(scope, receive, answer)
            else:
                await self._halted(scope)(scope, receive, answer)
        finally:
            self.metrics.record(scope, status, location, time.perf_counter() - started)

    def _halted(self, scope: Scope) -> Response:
        body = self.halt.problem()
        body["instance"] = scope.get("path")
        return JSONResponse(
            body, status_code=503, media_type=PROBLEM_JSON, headers={"Retry-After": "60"}
        )


def _content_length(scope: Scope) -> str:
    """The request's first `content-length` header ("" without one)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return str(value.decode("latin-1"))
    return ""


def _too_large(scope: Scope, declared: str, limit: int) -> Response:
    return problem_response(
        413,
        texts.STATUS_TITLES[413],
        texts.BODY_TOO_LARGE.format(size=declared, limit=limit),
        type_="/problems/content-too-large",
        instance=scope.get("path"),
        max_body_bytes=limit,
    )


def _secured(send: Send) -> Send:
    async def send_secured(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = secure_headers(message.get("headers", ()))
        await send(message)

    return send_secured


_CSP = b"content-security-policy"
_CACHE_CONTROL = b"cache-control"
_SERVER = b"server"


def secure_headers(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A response's headers with the security headers it lacks, the content security policy of
    its type (HTML or not) in place of any it had, `cache-control: no-store` unless it says
    otherwise, and no `server`. In the order Starlette's `MutableHeaders` would leave them
    (a header set is replaced where it first stood, a new one goes last)."""
    headers = list(raw)
    names = {name for name, _ in headers}
    for name, value in SECURITY_HEADERS:
        if name not in names:
            headers.append((name, value))
            names.add(name)
    content_type = next((value for name, value in headers if name == b"content-type"), b"")
    csp = HTML_CSP if content_type.startswith(b"text/html") else API_CSP
    if _CSP in names:
        first = next(index for index, (name, _) in enumerate(headers) if name == _CSP)
        headers = [
            (name, csp) if index == first else (name, value)
            for index, (name, value) in enumerate(headers)
            if name != _CSP or index == first
        ]
    else:
        headers.append((_CSP, csp))
    if _CACHE_CONTROL not in names:
        headers.append((_CACHE_CONTROL, b"no-store"))
    if _SERVER in names:
        headers = [(name, value) for name, value in headers if name != _SERVER]
    return headers


UNTRACED_URLS = "healthz,readyz,metrics"
"""Requests that start no trace (regular expressions searched in the URL, as OpenTelemetry's
`excluded_urls`): probes and scrapes, many a minute, would bury the commands' traces."""


class RequestTrace:
    """The request's trace when no span leaves the process (`shared.platform.tracing`): the
    trace it carries (`traceparent`), else a new one, current while it is answered, so that its
    log lines, its commit and what the relay publishes of it name the trace. Pure ASGI and
    outermost, where OpenTelemetry's instrumentation stands when spans are exported; the same
    requests are left out (`UNTRACED_URLS`).

    The instrumentation records the server span's name, attributes and duration for an
    exporter, ~0.3 ms a request (issue #19); with no exporter they went nowhere."""

    def __init__(self, app: ASGIApp, excluded: ExcludeList) -> None:
        self.app = app
        self.excluded = excluded
        self._untraced: dict[tuple[Any, ...], bool] = {}
        """Whether a request is left out, by what its URL is made of (`_url_parts`): spelling
        the URL and searching it was a third of the trace's cost (issue #19)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self._left_out(scope):
            await self.app(scope, receive, send)
            return
        with tracer().start_as_current_span(
            "request", context=_carried(scope), kind=SpanKind.SERVER
        ):
            await self.app(scope, receive, send)

    def _left_out(self, scope: Scope) -> bool:
        parts = _url_parts(scope)
        untraced = self._untraced.get(parts)
        if untraced is None:
            if len(self._untraced) >= MAX_REMEMBERED_URLS:
                self._untraced.clear()
            untraced = self._untraced[parts] = self.excluded.url_disabled(_url(scope))
        return untraced


MAX_REMEMBERED_URLS = 4096
"""URLs whose exclusion `RequestTrace` remembers at most (paths carry ids): when full, it starts
again empty."""


def _url_parts(scope: Scope) -> tuple[Any, ...]:
    """What `_url` is made of: the scheme, the server, the path and the `host` headers (ASGI
    names headers in lowercase)."""
    hosts = tuple(value for name, value in scope.get("headers") or () if name == b"host")
    server = scope.get("server")
    where = tuple(server) if server is not None else None
    return scope.get("scheme", "http"), where, scope.get("path", ""), hosts


def _carried(scope: Scope) -> otel_context.Context:
    """The trace the request carries, as the process's propagator reads it from the headers.
    A request with none of the headers the propagator reads (its `fields`: `traceparent`,
    `tracestate`, `baggage`) carries nothing: an empty context, without asking the
    propagator (each header of it would be decoded once per field, issue #19)."""
    fields = _lowered_fields(propagate.get_global_textmap())
    for name, _ in scope.get("headers") or ():
        if name.decode("latin-1").lower() in fields:
            return propagate.extract(scope, getter=_ASGI_GETTER)
    return otel_context.Context()


@functools.lru_cache(maxsize=8)
def _lowered_fields(textmap: TextMapPropagator) -> frozenset[str]:
    """A propagator's header names in lowercase, spelled once per propagator rather than once
    per request (one is set for the process; a new one is another key)."""
    return frozenset(field.lower() for field in textmap.fields)


_ASGI_GETTER: Getter[Any] = asgi_getter


def _url(scope: Scope) -> str:
    """The URL OpenTelemetry's ASGI instrumentation matches `excluded_urls` against."""
    url: str = get_host_port_url_tuple(scope)[2]  # type: ignore[no-untyped-call]
    return url


def trace_requests(app: FastAPI, provider: TracerProvider) -> None:
    """Each request in its trace: OpenTelemetry's instrumentation when spans are exported, else
    `RequestTrace` (the same trace ids for what the process logs and publishes)."""
    if exporting():
        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=provider,
            excluded_urls=UNTRACED_URLS,
            exclude_spans=["receive", "send"],  # one span per request, not one per ASGI message
        )
        return
    build_stack = app.build_middleware_stack
    excluded = parse_excluded_urls(UNTRACED_URLS)

    def traced_stack() -> ASGIApp:
        return RequestTrace(build_stack(), excluded)

    app.build_middleware_stack = traced_stack  # type: ignore[method-assign]


def create_service_app(
    *,
    runtime: ServiceRuntime,
    version: str,
    description: str,
    routers: Sequence[APIRouter | tuple[APIRouter, int]],
    domain_errors: Mapping[type[Exception], int],
    field_labels: Mapping[str, tuple[str, str]] | None = None,
    directory: OrganisationDirectory | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """The service's FastAPI app; a router given with a number has that body limit in bytes
    (attachments), every other route `MAX_JSON_BODY_BYTES`. Tokens name people of `directory`
    (the configured one by default), as its version in force on `clock`'s day."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        announce_secrets(runtime.service, runtime.settings)
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()
            runtime.app.close()

    app = FastAPI(
        title=f"D73 {runtime.service}",
        version=version,
        description=description,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # The request's span comes from the OpenTelemetry instrumentation below; FastAPI's own
        # telemetry would add spans of its own (dependencies, endpoint, serialisation) to each.
        telemetry=NO_NATIVE_TELEMETRY,
    )
    install_offline_docs(app)
    app.state.verifier = TokenVerifier(
        runtime.settings,
        directory=directory,
        today=(lambda: local_date(clock())) if clock is not None else today_in_vietnam,
    )
    app.state.runtime = runtime
    app.add_middleware(ServiceEdge, halt=runtime.halt, service=runtime.service)
    # Outermost of all: the request's span is current in every middleware and handler.
    trace_requests(app, configure_tracing(runtime.service, runtime.settings))
    install_problem_handlers(app, domain_errors, field_labels)
    limited: list[tuple[APIRouter, int]] = [(operations_router(runtime), MAX_JSON_BODY_BYTES)]
    for router in routers:
        limited.append(router if isinstance(router, tuple) else (router, MAX_JSON_BODY_BYTES))
    app.state.body_limits = limited
    operation_limits: dict[tuple[str, str], int] = {}
    for router, limit in limited:
        app.include_router(router, max_body_size=limit)
        for route in router.routes:
            for method in getattr(route, "methods", None) or ():
                operation_limits[(method.lower(), getattr(route, "path", ""))] = limit
    install_problem_openapi(app, lambda method, path: operation_limits.get((method, path)))
    index_routes(app.router)
    return app
