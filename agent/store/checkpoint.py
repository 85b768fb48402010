"""Where graph state is checkpointed: SQLite by default, so a run resumes by its thread id.

Deserialisation is locked to an allow-list of this project's own state classes
(LangGraph's permissive default would import any class a tampered checkpoint names).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import psycopg
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from pydantic import BaseModel

from tools.errors import InputError

_SETUP_LOCK = "hashtext('dbarch_checkpoint_setup')"
_THREAD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def state_classes() -> list[type[BaseModel]]:
    """Every pydantic model that can appear in a checkpoint of the design graph."""
    from agent import package, stages, state
    from agent.spec import model as spec_model

    return [cls for module in (package, spec_model, stages, state) for cls in _models(module)]


def _models(module: ModuleType) -> Iterator[type[BaseModel]]:
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, BaseModel) and value is not BaseModel:
            yield value


def serializer() -> JsonPlusSerializer:
    allowed = [(cls.__module__, cls.__name__) for cls in state_classes()]
    return JsonPlusSerializer(allowed_msgpack_modules=allowed)


def check_thread_id(thread_id: str) -> str:
    """Thread ids come from users on resume: keep them to a plain, bounded alphabet."""
    if not _THREAD_ID.match(thread_id):
        raise InputError(f"invalid thread id {thread_id!r}: use letters, digits, '-', '_', '.'")
    return thread_id


@contextlib.asynccontextmanager
async def open_checkpointer(
    state_url: str | None, sqlite_path: Path
) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    """PostgreSQL when DBARCH_STATE_URL names one (every process shares it), else SQLite."""
    if not state_url:
        async with sqlite_checkpointer(sqlite_path) as saver:
            yield saver
        return
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    await asyncio.to_thread(setup_postgres_checkpoints, state_url)
    async with AsyncPostgresSaver.from_conn_string(state_url, serde=serializer()) as pg_saver:
        yield pg_saver


def setup_postgres_checkpoints(url: str) -> None:
    """Create or migrate the checkpoint tables, one process at a time.

    Processes starting together would race on `CREATE ... IF NOT EXISTS` (not atomic against
    a concurrent creator), so they take turns on an advisory lock. The lock is polled, not
    waited for: a session blocked in `pg_advisory_lock` holds a snapshot, and the setup's
    `CREATE INDEX CONCURRENTLY` would wait for it: a deadlock. The setup runs on the very
    connection that holds the lock, so it needs no second connection.
    """
    from langgraph.checkpoint.postgres import PostgresSaver

    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        while not _locked(conn.execute(f"SELECT pg_try_advisory_lock({_SETUP_LOCK})")):
            time.sleep(0.05)
        try:
            PostgresSaver(cast(Any, conn)).setup()
        finally:
            conn.execute(f"SELECT pg_advisory_unlock({_SETUP_LOCK})")


def _locked(cursor: psycopg.Cursor[Any]) -> bool:
    row = cursor.fetchone()
    return bool(row and row[0])


@contextlib.asynccontextmanager
async def sqlite_checkpointer(path: Path) -> AsyncIterator[AsyncSqliteSaver]:
    path.parent.mkdir(parents=True, exist_ok=True)
    async with AsyncSqliteSaver.from_conn_string(str(path)) as saver:
        saver.serde = serializer()
        await saver.setup()
        yield saver


def checkpoint_path(home: Path) -> Path:
    return home / "checkpoints.sqlite"
