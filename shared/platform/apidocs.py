"""Each service's `/docs` works on a network without the internet: Swagger UI's files come from
the `swagger-ui-py` wheel and are served by the service itself, never from a CDN."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles


def _package_dir(name: str) -> Path:
    """Where an installed package lies, found without importing it: `swagger_ui`'s own import
    loads jinja2 and PyYAML (~3 MB of each service's memory, issue #19) for its Flask and
    aiohttp helpers, and a service reads only its files."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"the package {name} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


SWAGGER_UI = _package_dir("swagger_ui") / "static"
ASSETS = "/docs/assets"


def install_offline_docs(app: FastAPI) -> None:
    """`/docs` (Swagger UI 5, which reads OpenAPI 3.1) with its script and style served here.

    The app must be created with `docs_url=None` and `redoc_url=None`.
    """
    app.mount(ASSETS, StaticFiles(directory=SWAGGER_UI), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )
