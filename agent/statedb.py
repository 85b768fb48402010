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

_CLAIMABLE = "status = 'queued' OR (status = 'running' AND heartbeat_at < ?)"


class Database(Protocol):
    """What the stores need: run one statement, or several in one write transaction."""

    dialect: str

    def query(self, sql: str, params: Params = ()) -> list[Row]: ...

    def execute(self, sql: str, params: Params = ()) -> int: ...

    def claim_sql(self, columns: str) -> str: ...

    def ping(self) -> None: ...


class SqliteDatabase:
    """A file every process on this machine opens; WAL lets readers run beside the writer."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            for statement in TABLES:
                db.execute(statement)
            db.execute("BEGIN IMMEDIATE")  # two processes starting at once add a column once
            for table, column, definition in ADDED_COLUMNS:
                present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                if column not in present:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
            db.execute("COMMIT")

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            yield db
        except sqlite3.Error as exc:
            raise DatabaseError(f"service state {self.path}: {exc}") from exc
        finally:
            db.close()

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE" if _writes(sql) else "BEGIN")
            rows = db.execute(sql, tuple(params)).fetchall()
            db.execute("COMMIT")
            return rows

    def execute(self, sql: str, params: Params = ()) -> int:
        with self._connect() as db:
            return db.execute(sql, tuple(params)).rowcount

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


class PostgresDatabase:
    """One connection per server process (guarded by a lock), autocommit, to a shared server."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self._url = url
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Row] | None = None
        with self._lock:
            conn = self._connection()
            for statement in TABLES:
                conn.execute(statement)
            for table, column, definition in ADDED_COLUMNS:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {definition}")

    def _connection(self) -> psycopg.Connection[Row]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            try:
                self._conn = psycopg.connect(self._url, autocommit=True, connect_timeout=10)
            except psycopg.Error as exc:
                raise DatabaseError(f"cannot reach the service state database: {exc}") from exc
        return self._conn

    def _run(self, sql: str, params: Params) -> psycopg.Cursor[Row]:
        try:
            return self._connection().execute(sql.replace("?", "%s"), tuple(params))
        except psycopg.Error as exc:
            raise DatabaseError(f"service state database: {exc}") from exc

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        with self._lock:
            return self._run(sql, params).fetchall()

    def execute(self, sql: str, params: Params = ()) -> int:
        with self._lock:
            return self._run(sql, params).rowcount

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
        with self._lock:
            if self._conn is not None:
                self._conn.close()


def _writes(sql: str) -> bool:
    return sql.lstrip().split(None, 1)[0].upper() in {"UPDATE", "INSERT", "DELETE"}


def open_database(state_url: str | None, sqlite_path: Path) -> Database:
    """PostgreSQL when `state_url` names one, else the SQLite file."""
    if state_url:
        if not state_url.startswith(("postgresql://", "postgres://")):
            raise DatabaseError("DBARCH_STATE_URL must be a postgresql:// URL")
        return PostgresDatabase(state_url)
    return SqliteDatabase(sqlite_path)
