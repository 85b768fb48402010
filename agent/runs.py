"""The run registry: which thread ran which mode and brain, and how it ended.

A resumed run needs its mode (to rebuild the same graph) and its request; the HTTP server
lists runs from here. SQLite by default, one row per thread, written by the process that
drives the run. Nothing here is needed in memory between calls.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from agent.state import DesignRequest
from tools.errors import InputError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    thread_id TEXT PRIMARY KEY,
    mode TEXT NOT NULL,
    brain TEXT NOT NULL,
    status TEXT NOT NULL,
    request TEXT NOT NULL,
    message TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""


class RunRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    thread_id: str
    mode: str
    brain: str
    status: str  # running | interrupted | done | failed
    request: DesignRequest
    message: str | None = None
    created_at: str
    updated_at: str


class RunStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute(_SCHEMA)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            with db:
                yield db
        finally:
            db.close()

    def start(self, thread_id: str, request: DesignRequest, brain: str) -> None:
        now = _now()
        with self._db() as db:
            db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, 'running', ?, NULL, ?, ?) "
                "ON CONFLICT(thread_id) DO UPDATE SET status = 'running', "
                "updated_at = excluded.updated_at",
                (thread_id, request.mode, brain, request.model_dump_json(), now, now),
            )

    def finish(self, thread_id: str, status: str, message: str | None = None) -> None:
        with self._db() as db:
            db.execute(
                "UPDATE runs SET status = ?, message = ?, updated_at = ? WHERE thread_id = ?",
                (status, message, _now(), thread_id),
            )

    def get(self, thread_id: str) -> RunRecord:
        with self._db() as db:
            row = db.execute(
                "SELECT thread_id, mode, brain, status, request, message, created_at, updated_at "
                "FROM runs WHERE thread_id = ?",
                (thread_id,),
            ).fetchone()
        if row is None:
            raise InputError(f"no run with thread id {thread_id!r} in {self.path}")
        keys = (
            "thread_id",
            "mode",
            "brain",
            "status",
            "request",
            "message",
            "created_at",
            "updated_at",
        )
        data = dict(zip(keys, row, strict=True))
        data["request"] = DesignRequest.model_validate_json(data["request"])
        return RunRecord.model_validate(data)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
