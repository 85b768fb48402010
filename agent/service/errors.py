"""The one place the error tree becomes HTTP statuses and JSON bodies.

Every error body has `type` and `message`; positioned errors keep their position (a SQL
syntax error its file, line and column; a bad spec its problems with key paths), and a
request that fails validation lists every problem with the key path into the body. A
database that does not answer is said so without saying where: its address, user and
database name go to the server log only.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException

from tools.errors import (
    ArchitectError,
    BudgetExceeded,
    DatabaseError,
    GateFailed,
    InputError,
    ModelError,
    SpecError,
    SqlSyntaxError,
    ToolError,
    UnsafeSqlError,
)

log = logging.getLogger(__name__)


class Problem(BaseModel):
    """One thing wrong with the request, at its key path (`body.spec.entities.0.name`)."""

    model_config = ConfigDict(extra="allow")  # a spec problem's file, line and column

    path: str
    message: str


class ErrorBody(BaseModel):
    """Every error the service answers: what kind, what happened, and where if it can say."""

    model_config = ConfigDict(extra="allow")  # a SQL error's position, a limit's numbers

    type: str
    message: str
    problems: list[Problem] | None = None


class NotFound(InputError):
    """No job or session with that id (or one this caller may not see)."""


class InvalidField(InputError):
    """A body field that is well-formed but names something the server does not have."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")

    def to_dict(self) -> dict[str, Any]:
        problem = {"path": self.path, "message": str(self).split(": ", 1)[1]}
        return {"type": "ValidationError", "message": str(self), "problems": [problem]}


class Conflict(ArchitectError):
    """The resource is not in a state that allows this (a busy session, a finished run)."""


class ServiceUnavailable(ArchitectError):
    """A part the request needs is not configured or not reachable (the model, PostgreSQL)."""


def status_for(error: ArchitectError) -> int:
    """Most specific class first: the tree's branches overlap (NotFound is an InputError)."""
    table: list[tuple[type[ArchitectError], int]] = [
        (NotFound, 404),
        (InvalidField, 422),
        (SqlSyntaxError, 422),
        (SpecError, 422),
        (UnsafeSqlError, 422),
        (InputError, 400),
        (BudgetExceeded, 409),
        (Conflict, 409),
        (GateFailed, 422),
        (ToolError, 422),
        (ServiceUnavailable, 503),
        (DatabaseError, 503),
        (ModelError, 502),
    ]
    for kind, status in table:
        if isinstance(error, kind):
            return status
    return 500


UNREACHABLE_DATABASE = "a database the service needs did not answer; the server log says which"


def error_body(error: ArchitectError) -> dict[str, Any]:
    if isinstance(error, DatabaseError):
        log.warning("database error: %s", error)
        return {"type": type(error).__name__, "message": UNREACHABLE_DATABASE}
    body = error.to_dict()
    if isinstance(error, BudgetExceeded):
        body.update(budget=error.budget, limit=error.limit, used=error.used)
    return body


async def _architect_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ArchitectError)
    status = status_for(exc)
    if status >= 500:
        log.warning("request failed: %s: %s", type(exc).__name__, exc)
    return JSONResponse(error_body(exc), status_code=status)


def validation_problems(errors: Any) -> list[dict[str, Any]]:
    """pydantic/FastAPI errors as {path, message}: `body.spec.entities.0.name`."""
    return [
        {"path": ".".join(str(part) for part in err.get("loc", ())), "message": err.get("msg", "")}
        for err in errors
    ]


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = validation_problems(exc.errors())
    summary = "; ".join(f"{p['path']}: {p['message']}" for p in problems[:5])
    body = {"type": "ValidationError", "message": summary, "problems": problems}
    return JSONResponse(body, status_code=422)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    """Starlette's own refusals (no such route, method not allowed, unreadable body) in the
    same shape as every other error."""
    assert isinstance(exc, HTTPException)
    kind = HTTPStatus(exc.status_code).phrase.replace(" ", "").replace("-", "")
    body = {"type": kind, "message": str(exc.detail)}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ArchitectError, _architect_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
