"""Each service's `/docs` works on a network without the internet: Swagger UI's files come from
the `swagger-ui-py` wheel and are served by the service itself, never from a CDN."""

from __future__ import annotations

from pathlib import Path

import swagger_ui
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

SWAGGER_UI = Path(swagger_ui.__file__).parent / "static"
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
