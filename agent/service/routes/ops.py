"""/healthz (can this process do its work?) and /metrics (Prometheus text).

Health says whether each dependency answers, never where it is: a failure is named by its
kind in the body and described (addresses included) only in the server log. Without a token
on a server that has tokens, /healthz says only ok or unavailable.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Any, Literal

import psycopg
from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from agent.service import metrics
from agent.service.guards import authenticated
from agent.service.state import ServiceState
from agent.store import checkpoint_path, sqlite_checkpointer
from tools.errors import ArchitectError
from tools.sql.server import server_version

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


class Check(BaseModel):
    """One dependency: whether it answered, how fast, and what kind of failure if not."""

    model_config = ConfigDict(extra="allow")  # what the check found: version, dialect...

    ok: bool
    ms: float
    error: str | None = Field(
        default=None, description="The kind of failure; the details are in the server log."
    )


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, Check] | None = Field(
        default=None, description="Per dependency; only for an authenticated caller."
    )


def _failed(name: str, exc: Exception) -> dict[str, Any]:
    log.warning("health check %s failed: %s: %s", name, type(exc).__name__, exc)
    return {"ok": False, "error": type(exc).__name__}


def _timed(name: str, check: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = {"ok": True, **check()}
    except ArchitectError as exc:
        result = _failed(name, exc)
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _postgres(state: ServiceState) -> dict[str, Any]:
    return {"version": server_version(state.pg())}


def _store(state: ServiceState) -> dict[str, Any]:
    state.db.ping()
    return {"dialect": state.db.dialect}


async def _checkpointer(state: ServiceState) -> dict[str, Any]:
    """Read a thread that never exists from the chat checkpointer, and from the design runs'
    when that is a separate SQLite file (with PostgreSQL state both are the same tables)."""
    await state.chat_runtime().threads.probe()
    if state.settings.state_url:
        return {"designs": "postgresql", "sessions": "postgresql"}
    probe: Any = {"configurable": {"thread_id": "healthz", "checkpoint_ns": ""}}
    async with sqlite_checkpointer(checkpoint_path(state.settings.home)) as designs:
        await designs.aget_tuple(probe)
    return {"designs": "sqlite", "sessions": "sqlite"}


@router.get(
    "/healthz",
    response_model=Health,
    response_model_exclude_none=True,
    responses={503: {"model": Health, "description": "A dependency does not answer."}},
)
async def healthz(request: Request) -> JSONResponse:
    """200 when PostgreSQL, the checkpointer and the shared state answer; else 503 naming which."""
    state = _state(request)
    checks = {
        "postgres": await to_thread.run_sync(_timed, "postgres", lambda: _postgres(state)),
        "state": await to_thread.run_sync(_timed, "state", lambda: _store(state)),
        "checkpointer": await _checkpointer_check(state),
    }
    healthy = all(check["ok"] for check in checks.values())
    body: dict[str, Any] = {"status": "ok" if healthy else "unavailable"}
    if authenticated(request):
        body["checks"] = checks
    return JSONResponse(body, status_code=200 if healthy else 503)


async def _checkpointer_check(state: ServiceState) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = {"ok": True, **await _checkpointer(state)}
    except (OSError, sqlite3.Error, psycopg.Error, ArchitectError) as exc:
        result = _failed("checkpointer", exc)
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


@router.get("/metrics", response_class=PlainTextResponse)
async def prometheus(request: Request) -> PlainTextResponse:
    text = await to_thread.run_sync(metrics.render, _state(request))
    return PlainTextResponse(text, media_type=metrics.CONTENT_TYPE)
