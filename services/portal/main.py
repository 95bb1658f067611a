"""The portal's wiring: sessions, sign-in, pages, static files, health."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.portal import auth
from services.portal.i18n import gettext_for
from services.portal.pages import audit, cases, monitoring, notifications, proposals
from services.portal.services_api import ServiceClient, ServiceRefused
from services.portal.settings import PortalSettings
from services.portal.web import (
    REFUSALS,
    CsrfRejected,
    SignInRequired,
    locale_of,
    refused,
    render,
    see_other,
)
from shared.kernel.directory import load_directory

log = logging.getLogger("d73.portal")
STATIC = Path(__file__).parent / "static"
SECURITY_HEADERS = {
    # Every script, style and image is served from here (vendored): nothing from elsewhere.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """`SECURITY_HEADERS` on every answer that does not set its own. Plain ASGI: Starlette's
    `@app.middleware("http")` would run each page through a task and memory streams (issue #19)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, secured)


def create_app(settings: PortalSettings | None = None) -> FastAPI:
    settings = settings or PortalSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = ServiceClient(settings)
        try:
            yield
        finally:
            await app.state.services.close()

    app = FastAPI(
        title="D73 portal",
        description="The pages officials, leaders, Home Affairs staff and auditors use.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.directory = load_directory(settings.jurisdiction, extra_dir=settings.directory_dir)
    app.state.oidc = auth.oidc_client(settings)
    if settings.portal_session_secret is None:
        log.warning("D73_PORTAL_SESSION_SECRET is not set: sessions end when the portal restarts")
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.portal_session_secret or secrets.token_urlsafe(32),
        session_cookie="d73_portal",
        max_age=settings.portal_session_hours * 3600,
        same_site="lax",
        https_only=settings.portal_secure_cookies,
    )

    app.add_middleware(SecurityHeaders)

    async def on_sign_in_required(request: Request, error: Exception) -> Response:
        assert isinstance(error, SignInRequired)
        from urllib.parse import quote

        return see_other(f"/sign-in?next={quote(error.next_url)}")

    async def on_csrf(request: Request, error: Exception) -> Response:
        return render(request, "error.html", status_code=403, problem="csrf")

    async def on_refused(request: Request, error: Exception) -> Response:
        assert isinstance(error, ServiceRefused)
        return refused(request, error, "error.html")

    async def on_http_error(request: Request, error: Exception) -> Response:
        """An address that does not exist, or a method a page does not take: a page that says
        so in the person's language, never FastAPI's JSON."""
        assert isinstance(error, HTTPException)
        if error.status_code == 404:
            return render(request, "error.html", status_code=404, problem="not-found")
        message = REFUSALS.get(error.status_code, REFUSALS[400])
        page = render(
            request,
            "error.html",
            status_code=error.status_code,
            error_message=gettext_for(locale_of(request))(message),
        )
        page.headers.update(error.headers or {})
        return page

    async def on_bad_address(request: Request, error: Exception) -> Response:
        """A path or query that is not of its type (`/cases/abc`, `?page=x`)."""
        return render(
            request,
            "error.html",
            status_code=400,
            error_message=gettext_for(locale_of(request))(REFUSALS[400]),
        )

    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_bad_address)
    app.add_exception_handler(SignInRequired, on_sign_in_required)
    app.add_exception_handler(CsrfRejected, on_csrf)
    app.add_exception_handler(ServiceRefused, on_refused)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "portal"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        return JSONResponse({"status": "ready"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(auth.router)
    for pages in (proposals, cases, monitoring, audit, notifications):
        app.include_router(pages.router)
    return app
