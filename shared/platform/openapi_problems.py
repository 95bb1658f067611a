"""The OpenAPI document says how each operation fails (issue #11 §6): every refusal is an
RFC 9457 `application/problem+json` body with its real schema, and every status an operation can
answer is listed — 401/403 where a bearer token is needed, 404 where a path names a resource,
409/413/415/422/503 where a command is sent — so that a client, and schemathesis, can rely on it.
The body limits of `shared.contracts.bounds` are shown on each operation (`x-max-body-bytes`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; the title and detail are in Vietnamese",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "e.g. /problems/validation"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The path of the request"},
        "errors": {
            "type": "array",
            "description": "Every field problem at once",
            "items": {"$ref": "#/components/schemas/FieldProblem"},
        },
    },
    "additionalProperties": True,
}
FIELD_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["path"],
    "properties": {
        "path": {"type": "string", "description": "e.g. plan.tasks[0].assignee, query.after"},
        "code": {"type": "string"},
        "message": {"type": "string", "description": "In Vietnamese"},
    },
    "additionalProperties": True,
}

DESCRIPTIONS: Mapping[int, str] = {
    400: "The request cannot be read (e.g. a malformed multipart body)",
    401: "No valid bearer token",
    403: "The caller's role or relation to the record does not allow it",
    404: "No such resource",
    409: "Not allowed in the record's present state, or a concurrent change",
    413: "The request body is larger than this operation accepts (`x-max-body-bytes`)",
    415: "The request body is not of a media type this operation accepts",
    422: "Invalid input: every problem is listed in `errors`, keyed by `path`",
    503: "The service cannot take commands now (its store or its publishing is failing)",
}
COMMAND_METHODS = frozenset({"post", "put", "patch", "delete"})


def install_problem_openapi(app: FastAPI, body_limit_of: Callable[[str, str], int | None]) -> None:
    """Replace `app.openapi` by FastAPI's document with every problem response spelled out;
    `body_limit_of(method, path)` gives an operation's body limit."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = document_problems(document, body_limit_of)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document_problems(
    document: dict[str, Any], body_limit_of: Callable[[str, str], int | None]
) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["FieldProblem"] = FIELD_PROBLEM_SCHEMA
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if method.lower() not in {"get", "head", *COMMAND_METHODS}:
                continue
            _document_operation(path, method.lower(), operation, body_limit_of)
    return document


def _document_operation(
    path: str,
    method: str,
    operation: dict[str, Any],
    body_limit_of: Callable[[str, str], int | None],
) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    statuses: set[int] = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
    parameters = operation.get("parameters", [])
    if operation.get("security"):
        statuses |= {401, 403}
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    if parameters or "requestBody" in operation:
        statuses.add(422)
    if path == "/readyz":
        statuses.add(503)
    if method in COMMAND_METHODS:
        statuses |= {409, 413, 415, 422, 503}
        limit = body_limit_of(method, path)
        if limit is not None:
            operation["x-max-body-bytes"] = limit
    for status in sorted(statuses):
        existing = responses.get(str(status), {})
        responses[str(status)] = {
            "description": existing.get("description") or DESCRIPTIONS.get(status, "Refused"),
            "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
        }
