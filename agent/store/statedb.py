"""The shared state database: SQLite on one machine, PostgreSQL for several processes.

Design runs, jobs, their events, chat-session accounting and rate-limit windows live here
and nowhere in process memory, so any process can answer for any run, job or session. Both
dialects run the same SQL (written with `?` placeholders); only the job claim differs,
because PostgreSQL can skip rows another process has locked while SQLite serialises writers.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from tools.errors import DatabaseError

Row = tuple[Any, ...]
Params = Sequence[Any]

TABLES = (
    """CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        payload TEXT NOT NULL,
        result TEXT,
        stage TEXT,
        message TEXT,
        owner TEXT,
        attempts BIGINT NOT NULL DEFAULT 0,
        tokens BIGINT NOT NULL DEFAULT 0,
        cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        heartbeat_at DOUBLE PRECISION
    )""",
    "CREATE INDEX IF NOT EXISTS jobs_claimable ON jobs (status, created_at)",
    """CREATE TABLE IF NOT EXISTS job_events (
        job_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        kind TEXT NOT NULL,
        gate TEXT,
        body TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (job_id, seq)
    )""",
    """CREATE TABLE IF NOT EXISTS chat_sessions (
        id TEXT PRIMARY KEY,
        persona TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        turns BIGINT NOT NULL DEFAULT 0,
        tokens BIGINT NOT NULL DEFAULT 0,
        input_tokens BIGINT NOT NULL DEFAULT 0,
        output_tokens BIGINT NOT NULL DEFAULT 0,
        cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
        seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
        busy_until DOUBLE PRECISION
    )""",
    """CREATE TABLE IF NOT EXISTS runs (
        thread_id TEXT PRIMARY KEY,
        mode TEXT NOT NULL,
        brain TEXT NOT NULL,
        status TEXT NOT NULL,
        request TEXT NOT NULL,
        message TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS rate_windows (
        key TEXT NOT NULL,
        window_start BIGINT NOT NULL,
        hits BIGINT NOT NULL,
        PRIMARY KEY (key, window_start)
    )""",
)

# Columns added after their table first shipped, as (table, column, definition): added to a
# state database an older release created, and to a new one the same way. Additive only, so
# an older process sharing the database keeps working.
ADDED_COLUMNS = (
    # Who created the job or session: a hash of the caller's API token, 'local' without tokens.
    ("jobs", "principal", "TEXT NOT NULL DEFAULT 'local'"),
    ("chat_sessions", "principal", "TEXT NOT NULL DEFAULT 'local'"),
)

SQLITE_BUSY_TIMEOUT_S = 30.0  # how long a write waits for another process's transaction
_CLAIMABLE = "status = 'queued' OR (status = 'running' AND heartbeat_at < ?)"


class Database(Protocol):
    """What the stores need: run one statement, or several in one write transaction."""

    dialect: str

    def query(self, sql: str, params: Params = ()) -> list[Row]: ...

    def execute(self, sql: str, params: Params = ()) -> int: ...

    def claim_sql(self, columns: str) -> str: ...

    def ping(self) -> None: ...

    def close(self) -> None: ...


class SqliteDatabase:
    """One connection per process, its statements serialised by a lock, in short transactions.

    A connection per call made every request open, lock and close the file; under load the
    writers queued for the lock past SQLite's busy timeout ("database is locked"). Now the
    process has one connection, so its writers take turns on a lock instead, each holding the
    database for one statement; the busy timeout only covers other processes (a CLI run
    beside the server). WAL lets readers of other processes read while one writes, and
    `synchronous=NORMAL` (safe in WAL: a process crash loses nothing committed) keeps a
    commit from waiting for a disk flush.
    """

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite_connection(path)
        with self._lock, self._guard():
            for statement in TABLES:
                self._db.execute(statement)
            self._db.execute("BEGIN IMMEDIATE")  # two processes starting at once add a column once
            for table, column, definition in ADDED_COLUMNS:
                present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
                if column not in present:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
            self._db.execute("COMMIT")

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            if self._db.in_transaction:
                self._db.rollback()
            raise DatabaseError(f"service state {self.path}: {exc}") from exc

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        with self._lock, self._guard():
            if not _writes(sql):
                # One statement reads one snapshot. BEGIN and COMMIT around it cost two more
                # calls into SQLite, each releasing the GIL and waiting to get it back from
                # the event loop (up to the 5 ms switch interval under load).
                return self._db.execute(sql, tuple(params)).fetchall()
            self._db.execute("BEGIN IMMEDIATE")
            rows = self._db.execute(sql, tuple(params)).fetchall()
            self._db.execute("COMMIT")
            return rows

    def execute(self, sql: str, params: Params = ()) -> int:
        with self._lock, self._guard():
            return self._db.execute(sql, tuple(params)).rowcount

    def claim_sql(self, columns: str) -> str:
        # BEGIN IMMEDIATE (see `query`) takes the write lock before the subquery reads, so
        # two processes can never pick the same row.
        return (
            "UPDATE jobs SET status = 'running', owner = ?, heartbeat_at = ?, updated_at = ?, "
            f"attempts = attempts + 1 WHERE id = (SELECT id FROM jobs WHERE {_CLAIMABLE} "
            f"ORDER BY created_at, id LIMIT 1) RETURNING {columns}"
        )

    def ping(self) -> None:
        self.query("SELECT 1")

    def close(self) -> None:
        with self._lock:
            self._db.close()


def sqlite_connection(path: Path) -> sqlite3.Connection:
    """A connection any thread may use (callers serialise), in WAL with a busy timeout."""
    db = sqlite3.connect(
        path, timeout=SQLITE_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


class PostgresDatabase:
    """A bounded pool of autocommit connections per process, to a server every process shares.

    The same pool serves the process's chat checkpoints (`agent.service.chat_threads`), so
    `pool_size` bounds every state connection the process opens.
    """

    dialect = "postgresql"

    def __init__(self, url: str, pool_size: int = 4) -> None:
        self.url = url
        self.pool: ConnectionPool[psycopg.Connection[Row]] = ConnectionPool(
            url, min_size=1, max_size=pool_size, open=False, name="dbarch-state",
            kwargs={"autocommit": True, "connect_timeout": 10}, num_workers=1,
        )  # fmt: skip
        try:
            self.pool.open(wait=True, timeout=30)
        except PoolTimeout as exc:
            self.pool.close()
            raise DatabaseError(f"cannot reach the service state database: {exc}") from exc
        with self._connection() as conn, conn.transaction():
            # Processes starting together would race on CREATE ... IF NOT EXISTS.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('dbarch_state_tables'))")
            for statement in TABLES:
                conn.execute(statement)
            for table, column, definition in ADDED_COLUMNS:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {definition}")

    @contextlib.contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Row]]:
        try:
            with self.pool.connection() as conn:
                yield conn
        except (psycopg.Error, PoolTimeout) as exc:
            raise DatabaseError(f"service state database: {exc}") from exc

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        with self._connection() as conn:
            return conn.execute(sql.replace("?", "%s"), tuple(params)).fetchall()

    def execute(self, sql: str, params: Params = ()) -> int:
        with self._connection() as conn:
            return conn.execute(sql.replace("?", "%s"), tuple(params)).rowcount

    def claim_sql(self, columns: str) -> str:
        return (
            "UPDATE jobs SET status = 'running', owner = ?, heartbeat_at = ?, updated_at = ?, "
            f"attempts = attempts + 1 WHERE id = (SELECT id FROM jobs WHERE {_CLAIMABLE} "
            "ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
            f"RETURNING {columns}"
        )

    def ping(self) -> None:
        self.query("SELECT 1")

    def close(self) -> None:
        self.pool.close()


def _writes(sql: str) -> bool:
    return sql.lstrip().split(None, 1)[0].upper() in {"UPDATE", "INSERT", "DELETE"}


def open_database(state_url: str | None, sqlite_path: Path, pool_size: int = 4) -> Database:
    """PostgreSQL when `state_url` names one (with a pool of `pool_size`), else the SQLite file."""
    if state_url:
        if not state_url.startswith(("postgresql://", "postgres://")):
            raise DatabaseError("DBARCH_STATE_URL must be a postgresql:// URL")
        return PostgresDatabase(state_url, pool_size)
    return SqliteDatabase(sqlite_path)
