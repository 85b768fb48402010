"""What outlives a process: the shared state database (`statedb`: SQLite on one machine,
PostgreSQL for several), the graph's checkpoints in it (`checkpoint`, and `shared_savers`
for a server's threads) and the run registry (`runs`).

May import the state and package models (a checkpoint holds them), the configuration and
`tools.errors`; the engine, the service and the CLI import it.
"""

from agent.store.checkpoint import (
    check_thread_id,
    checkpoint_path,
    open_checkpointer,
    sqlite_checkpointer,
)
from agent.store.runs import RunStore
from agent.store.shared_savers import postgres_saver, sqlite_saver
from agent.store.statedb import Database, PostgresDatabase, Row, open_database

__all__ = [
    "Database",
    "PostgresDatabase",
    "Row",
    "RunStore",
    "check_thread_id",
    "checkpoint_path",
    "open_checkpointer",
    "open_database",
    "postgres_saver",
    "sqlite_checkpointer",
    "sqlite_saver",
]
