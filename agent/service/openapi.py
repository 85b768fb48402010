"""The OpenAPI document, true to this server: every error body and status it can answer.

Routes document their own outcomes (`errors(404, 409)`, `EVENT_STREAM`). What the guards
answer before any route runs (413, 401 or 421 and 403, 429) depends on the settings, so
`guard_responses(settings)` adds it to every operation, and `install` declares bearer
auth when the server has tokens. A schemathesis run against a live server holds the
document to this (tests/test_openapi_conformance.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from agent.service.config import ServiceSettings
from agent.service.errors import ErrorBody
from agent.service.guards import OPEN_PATHS

Responses = dict[int | str, dict[str, Any]]

DESCRIPTIONS = {
    400: "The body could not be read (not UTF-8 JSON), or holds something unusable.",
    401: "No valid bearer token (see DBARCH_API_TOKENS).",
    403: "A browser page from another origin (a server without tokens answers only loopback).",
    404: "No such id, or not one that this caller's token created.",
    409: "Not in a state that allows this (busy, finished, or a budget spent).",
    413: "The body is over the size limit.",
    421: "The Host is not a loopback name (a server without tokens answers only to those).",
    422: "Well-formed but wrong: `problems` names each field, a SQL error its line and column.",
    429: "Too many requests, or too many failed authentications; retry after Retry-After.",
    503: "A database the service needs does not answer.",
}
RETRY_AFTER = {
    "Retry-After": {"description": "Seconds until the limit resets.", "schema": {"type": "string"}}
}
EVENT_STREAM: Responses = {
    200: {
        "description": "Server-Sent Events: `event:` names the kind, `data:` is JSON, `id:` the "
        "sequence number to resume after.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


def errors(*codes: int) -> Responses:
    """The documented error responses of a route, each with the one error body shape."""
    responses: Responses = {}
    for code in codes:
        responses[code] = {"model": ErrorBody, "description": DESCRIPTIONS[code]}
        if code == 429:
            responses[code]["headers"] = RETRY_AFTER
    return responses


def guard_responses(settings: ServiceSettings) -> Responses:
    """What the middleware may answer on any route of a server with these settings."""
    codes = [413, 503]
    codes += [401, 429] if settings.tokens else [421, 403]
    if settings.rate_limit_per_minute > 0 and 429 not in codes:
        codes.append(429)
    return errors(*sorted(codes))


def install(app: FastAPI, settings: ServiceSettings) -> None:
    """Finish the generated document: error bodies are JSON on every route (FastAPI gives
    them the route's own media type, text/plain on /metrics), and bearer auth is declared
    when the server has tokens."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = FastAPI.openapi(app)
        _json_errors(schema)
        _headers_never_null(schema)
        if settings.tokens:
            _bearer(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _operations(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(path, op) for path, item in schema["paths"].items() for op in item.values()]


def _json_errors(schema: dict[str, Any]) -> None:
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for _, operation in _operations(schema):
        for status, response in operation["responses"].items():
            if int(status) >= 400 and "application/json" not in response.get("content", {}):
                response["content"] = body


def _headers_never_null(schema: dict[str, Any]) -> None:
    """An optional header is absent or a string, never JSON null (pydantic's `str | None`)."""
    for _, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            options = parameter["schema"].get("anyOf", [])
            if parameter["in"] == "header" and {"type": "null"} in options:
                kept = [option for option in options if option != {"type": "null"}]
                del parameter["schema"]["anyOf"]
                parameter["schema"].update(kept[0] if len(kept) == 1 else {"anyOf": kept})


def _bearer(schema: dict[str, Any]) -> None:
    """Every operation needs the token, except the open paths, where it is optional."""
    schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["bearer"] = {"type": "http", "scheme": "bearer"}
    schema["security"] = [{"bearer": []}]
    for path, operation in _operations(schema):
        if path in OPEN_PATHS:
            operation["security"] = [{}, {"bearer": []}]
