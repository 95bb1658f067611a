"""HTTP edge shared by the services: RFC 9457 problem bodies, identity, health, AsyncAPI.

Each typed domain error maps to one status in one handler (style.md §2); nothing returns 200
with an error inside.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio.to_thread
from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.halt import ServiceHalt
from shared.identity import Actor, TokenError, TokenVerifier
from shared.runtime import ServiceRuntime
from shared.settings import Settings

PROBLEM_JSON = "application/problem+json"
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
    """The first line of the error class's docstring, without any "(HTTP nnn)" note."""
    first = (type(error).__doc__ or "Refused").strip().splitlines()[0]
    return re.sub(r"\s*\(HTTP \d{3}\)", "", first).strip()


def _error_slug(error: Exception) -> str:
    name = type(error).__name__
    return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")


def install_problem_handlers(app: FastAPI, domain_errors: Mapping[type[Exception], int]) -> None:
    async def on_validation(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        errors = [
            {
                "field": ".".join(str(p) for p in e["loc"]),
                "message": e["msg"],
                "type": e["type"],
            }
            for e in error.errors()
        ]
        return problem_response(
            422,
            "Invalid request",
            f"{len(errors)} field(s) are invalid",
            type_="/problems/validation",
            instance=request.url.path,
            errors=errors,
        )

    async def on_http(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        return problem_response(
            error.status_code,
            str(error.detail),
            instance=request.url.path,
            headers=error.headers,
        )

    async def on_problem(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, Problem)
        return problem_response(
            error.status,
            error.title,
            error.detail,
            type_=error.type,
            instance=request.url.path,
            headers=error.headers,
            **error.ext,
        )

    async def on_conflict(request: Request, error: Exception) -> JSONResponse:
        return problem_response(
            409,
            "Concurrent modification",
            "Someone changed this record at the same time; reload and try again.",
            type_="/problems/concurrent-modification",
            instance=request.url.path,
        )

    def domain_handler(status: int) -> Callable[[Request, Exception], Any]:
        async def on_domain(request: Request, error: Exception) -> JSONResponse:
            ext: dict[str, Any] = {}
            problems = getattr(error, "problems", None)
            if problems:
                ext["errors"] = [p if isinstance(p, dict) else _as_dict(p) for p in problems]
            return problem_response(
                status,
                _title_of(error),
                str(error),
                type_=f"/problems/{_error_slug(error)}",
                instance=request.url.path,
                **ext,
            )

        return on_domain

    async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(500, "Internal error", instance=request.url.path)

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(IntegrityError, on_conflict)
    for error_class, status in domain_errors.items():
        app.add_exception_handler(error_class, domain_handler(status))
    app.add_exception_handler(Exception, on_unexpected)


def _as_dict(problem: Any) -> dict[str, Any]:
    if hasattr(problem, "as_dict"):
        return dict(problem.as_dict())
    if hasattr(problem, "__dataclass_fields__"):
        return {k: getattr(problem, k) for k in problem.__dataclass_fields__}
    return {"message": str(problem)}


_bearer = HTTPBearer(auto_error=False)


def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    challenge = {"WWW-Authenticate": 'Bearer realm="d73"'}
    if credentials is None:
        raise StarletteHTTPException(
            401, "Authentication required: send a bearer token", headers=challenge
        )
    verifier: TokenVerifier = request.app.state.verifier
    try:
        return verifier.verify(credentials.credentials)
    except TokenError as error:
        raise StarletteHTTPException(401, f"Invalid token: {error}", headers=challenge) from None


CurrentActor = Annotated[Actor, Depends(current_actor)]


def operations_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str | bool]:
        return {
            "status": "ok",
            "service": runtime.service,
            "development": runtime.settings.development,
        }

    @router.get("/readyz", summary="Readiness: event store and NATS reachable")
    async def readyz() -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            await anyio.to_thread.run_sync(runtime.app.recorder.max_notification_id)
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

    @router.get("/asyncapi", summary="AsyncAPI 3 document of this service's events")
    async def asyncapi() -> dict[str, Any]:
        return runtime.asyncapi()

    return router


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def refuse_commands_when_halted(app: FastAPI, halt: ServiceHalt) -> None:
    """While the service is halted (`shared.halt`), every command answers 503 before it reaches
    a route: nothing is recorded that could not leave the service. Queries still answer."""

    @app.middleware("http")
    async def halted(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.method in SAFE_METHODS or not halt.halted:
            return await call_next(request)
        body = halt.problem()
        body["instance"] = request.url.path
        return JSONResponse(
            body, status_code=503, media_type=PROBLEM_JSON, headers={"Retry-After": "60"}
        )


def announce_secrets(service: str, settings: Settings) -> None:
    """Refuse known or weak secrets outside development mode; in it, say so at every start."""
    settings.require_safe_secrets()
    if settings.development:
        log.warning(
            "%s runs in DEVELOPMENT MODE (D73_DEVELOPMENT=true): %s",
            service,
            "; ".join(settings.secret_problems()) or "no weak secret in use",
        )


def create_service_app(
    *,
    runtime: ServiceRuntime,
    version: str,
    description: str,
    routers: Sequence[APIRouter],
    domain_errors: Mapping[type[Exception], int],
) -> FastAPI:
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
    )
    app.state.verifier = TokenVerifier(runtime.settings)
    app.state.runtime = runtime
    refuse_commands_when_halted(app, runtime.halt)
    install_problem_handlers(app, domain_errors)
    app.include_router(operations_router(runtime))
    if runtime.audit_log is not None:
        # Imported here: the audit router depends on this module's CurrentActor and Problem.
        from shared.auditlog.api import audit_router

        app.include_router(audit_router(runtime.audit_log))
    for router in routers:
        app.include_router(router)
    return app
