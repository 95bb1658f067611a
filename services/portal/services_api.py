"""Calls to the three services' REST APIs, on behalf of the signed-in person (their token).

A refusal comes back as `ServiceRefused`, carrying the RFC 9457 problem the service sent, so a
page can say in Vietnamese what went wrong next to the form; it never shows raw JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from services.portal.settings import PortalSettings

SERVICES = ("registration", "approval", "reporting")


@dataclass
class ServiceRefused(Exception):
    """A service answered with an error, or could not be reached (status 503)."""

    status: int
    title: str = ""
    detail: str = ""
    errors: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, response: httpx.Response) -> ServiceRefused:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        errors = body.get("errors")
        return cls(
            status=response.status_code,
            title=str(body.get("title", "")),
            detail=str(body.get("detail", "")),
            errors=[e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else [],
        )

    def field_errors(self) -> dict[str, str]:
        """Problem codes by form field path (`tasks[0].assignee`), from a 422's `errors`."""
        found: dict[str, str] = {}
        for error in self.errors:
            path = str(error.get("path") or error.get("field") or "")
            path = path.removeprefix("body.").removeprefix("plan.")
            if path:
                found.setdefault(path, str(error.get("code") or error.get("type") or "invalid"))
        return found


class ServiceClient:
    """One pooled HTTP client for the portal's calls; every call names the service."""

    def __init__(self, settings: PortalSettings, transport: httpx.AsyncBaseTransport | None = None):
        self.urls = {service: settings.service_url(service) for service in SERVICES}
        self.http = httpx.AsyncClient(timeout=30.0, transport=transport)

    async def close(self) -> None:
        await self.http.aclose()

    async def send(
        self,
        service: str,
        method: str,
        path: str,
        token: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        locale: str = "vi",
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": locale}
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            response = await self.http.request(
                method,
                f"{self.urls[service]}{path}",
                params=clean,
                json=json,
                files=files,
                headers=headers,
            )
        except httpx.HTTPError:
            raise ServiceRefused(503) from None
        if response.status_code >= 400:
            raise ServiceRefused.of(response)
        return response

    async def get(self, service: str, path: str, token: str, **kwargs: Any) -> Any:
        return orjson.loads((await self.send(service, "GET", path, token, **kwargs)).content)

    async def post(self, service: str, path: str, token: str, body: Any = None, **kw: Any) -> Any:
        answer = await self.send(service, "POST", path, token, json=body, **kw)
        return orjson.loads(answer.content)
