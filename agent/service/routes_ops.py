"""/healthz (can this process do its work?) and /metrics (Prometheus text)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any

import psycopg
from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from agent.checkpoint import checkpoint_path, sqlite_checkpointer
from agent.service import metrics
from agent.service.state import ServiceState
from tools.errors import ArchitectError
from tools.sql.server import server_version

router = APIRouter(tags=["operations"])


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


def _timed(check: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = {"ok": True, **check()}
    except ArchitectError as exc:
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _postgres(state: ServiceState) -> dict[str, Any]:
    server = state.pg()
    return {"server": server.display, "version": server_version(server)}


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


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    """200 when PostgreSQL, the checkpointer and the shared state answer; else 503 naming which."""
    state = _state(request)
    checks = {
        "postgres": await to_thread.run_sync(_timed, lambda: _postgres(state)),
        "state": await to_thread.run_sync(_timed, lambda: _store(state)),
        "checkpointer": await _checkpointer_check(state),
    }
    healthy = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    return JSONResponse(body, status_code=200 if healthy else 503)


async def _checkpointer_check(state: ServiceState) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = {"ok": True, **await _checkpointer(state)}
    except (OSError, sqlite3.Error, psycopg.Error, ArchitectError) as exc:
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


@router.get("/metrics")
async def prometheus(request: Request) -> PlainTextResponse:
    text = await to_thread.run_sync(metrics.render, _state(request))
    return PlainTextResponse(text, media_type=metrics.CONTENT_TYPE)
