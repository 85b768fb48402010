"""The run registry: which thread ran which mode and brain, and how it ended.

A resumed run needs its mode (to rebuild the same graph) and its request; the HTTP server
lists runs from here. It lives in the shared state database (`agent.store.statedb`): SQLite under
`DBARCH_HOME`, or PostgreSQL with `DBARCH_STATE_URL`, so any process can resume any run.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from agent.config import Settings
from agent.state import DesignRequest
from agent.store.statedb import Database, open_database
from tools.errors import InputError

_COLUMNS = "thread_id, mode, brain, status, request, message, created_at, updated_at"


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
    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def for_settings(cls, settings: Settings) -> RunStore:
        return cls(open_database(settings.state_url, settings.state_path, settings.state_pool_size))

    def start(self, thread_id: str, request: DesignRequest, brain: str) -> None:
        now = _now()
        self.db.execute(
            f"INSERT INTO runs ({_COLUMNS}) VALUES (?, ?, ?, 'running', ?, NULL, ?, ?) "
            "ON CONFLICT (thread_id) DO UPDATE SET status = 'running', "
            "updated_at = excluded.updated_at",
            (thread_id, request.mode, brain, request.model_dump_json(), now, now),
        )

    def finish(self, thread_id: str, status: str, message: str | None = None) -> None:
        self.db.execute(
            "UPDATE runs SET status = ?, message = ?, updated_at = ? WHERE thread_id = ?",
            (status, message, _now(), thread_id),
        )

    def get(self, thread_id: str) -> RunRecord:
        rows = self.db.query(f"SELECT {_COLUMNS} FROM runs WHERE thread_id = ?", (thread_id,))
        if not rows:
            raise InputError(f"no run with thread id {thread_id!r} (looked in the run registry)")
        data = dict(zip(_COLUMNS.split(", "), rows[0], strict=True))
        data["request"] = DesignRequest.model_validate_json(data["request"])
        return RunRecord.model_validate(data)

    def close(self) -> None:
        close = getattr(self.db, "close", None)
        if callable(close):
            close()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
