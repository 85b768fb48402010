"""Checkpointers a server process opens once and shares: the sync savers, awaited in threads.

Opening a checkpointer per request cost a connection and a setup (table checks, an advisory
lock on PostgreSQL) every time, and under load those connections ran out (PostgreSQL) or
queued past the busy timeout (SQLite). A process now keeps one saver. It is LangGraph's
*sync* saver with its async methods run in worker threads, for two reasons: on PostgreSQL it
draws on the same bounded `psycopg_pool.ConnectionPool` as the stores (`agent.store.statedb`),
so one pool bounds every state connection of the process; and reading, writing and
deserialising checkpoints happen off the event loop. Each saver serialises its own calls
with a lock, as LangGraph's savers do.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from psycopg_pool import ConnectionPool

from agent.store.checkpoint import serializer, setup_postgres_checkpoints
from agent.store.statedb import SQLITE_BUSY_TIMEOUT_S


class _InThreads:
    """The async half of a saver, each call the sync method run in a worker thread.

    Mixed in before the saver class, so it must define no sync method of its own."""

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        found: CheckpointTuple | None = await asyncio.to_thread(cast(Any, self).get_tuple, config)
        return found

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        saver = cast(Any, self)
        found = await asyncio.to_thread(
            lambda: list(saver.list(config, filter=filter, before=before, limit=limit))
        )
        for item in found:
            yield item

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        saver = cast(Any, self)
        stored: RunnableConfig = await asyncio.to_thread(
            saver.put, config, checkpoint, metadata, new_versions
        )
        return stored

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        saver = cast(Any, self)
        await asyncio.to_thread(saver.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        await asyncio.to_thread(cast(Any, self).delete_thread, thread_id)

    async def aget_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, Any]:
        saver = cast(Any, self)
        history: Mapping[str, Any] = await asyncio.to_thread(
            lambda: saver.get_delta_channel_history(config=config, channels=channels)
        )
        return history


class PooledPostgresSaver(_InThreads, PostgresSaver):
    """LangGraph's PostgresSaver over the process's state pool."""


class ThreadedSqliteSaver(_InThreads, SqliteSaver):
    """LangGraph's SqliteSaver over one connection of the process."""


def postgres_saver(pool: ConnectionPool[Any], url: str) -> PooledPostgresSaver:
    """The process's PostgreSQL checkpointer; creates or migrates its tables first."""
    setup_postgres_checkpoints(url)
    return PooledPostgresSaver(pool, serde=serializer())


def sqlite_saver(path: Path) -> ThreadedSqliteSaver:
    """The process's SQLite checkpointer: one connection (the saver's lock serialises it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S, check_same_thread=False)
    conn.execute("PRAGMA synchronous=NORMAL")
    saver = ThreadedSqliteSaver(conn, serde=serializer())
    saver.setup()  # WAL and the tables, once
    return saver
