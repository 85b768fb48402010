"""The job table and each job's event log, as every server process sees them.

A job is queued by whichever process took the request and claimed atomically by whichever
worker asks first; a running job whose heartbeat stops (its process died) becomes claimable
again after the lease, and the design engine continues it from its last checkpoint. Events
are appended with a per-job sequence number, so an SSE client can replay from any point.
"""

from __future__ import annotations

import json
import time
from typing import Any, Literal

from pydantic import BaseModel

from agent.events import Event
from agent.store import Database, Row

JobStatus = Literal["queued", "running", "interrupted", "done", "failed"]
TERMINAL: frozenset[str] = frozenset({"interrupted", "done", "failed"})
_COLUMNS = (
    "id, kind, status, payload, result, stage, message, owner, attempts, principal, created_at, "
    "updated_at"
)


class JobRecord(BaseModel):
    id: str
    kind: str
    status: JobStatus
    payload: dict[str, Any]
    result: dict[str, Any] | None = None
    stage: str | None = None
    message: str | None = None
    owner: str | None = None  # the worker holding the job, while it runs
    attempts: int = 0  # claims since it was queued: a job that kills its worker is not retried
    principal: str  # who submitted it (see `agent.service.guards.auth.principal`)
    created_at: float
    updated_at: float

    @classmethod
    def from_row(cls, row: Row) -> JobRecord:
        keys = [k.strip() for k in _COLUMNS.split(",")]
        data = dict(zip(keys, row, strict=True))
        data["payload"] = json.loads(data["payload"])
        data["result"] = json.loads(data["result"]) if data["result"] else None
        return cls.model_validate(data)


class StoredEvent(BaseModel):
    seq: int
    event: Event


class JobStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def submit(self, job_id: str, kind: str, payload: dict[str, Any], principal: str) -> JobRecord:
        now = time.time()
        self.db.execute(
            "INSERT INTO jobs (id, kind, status, payload, principal, created_at, updated_at) "
            "VALUES (?, ?, 'queued', ?, ?, ?, ?)",
            (job_id, kind, json.dumps(payload), principal, now, now),
        )
        job = self.get(job_id)
        assert job is not None
        return job

    def get(self, job_id: str) -> JobRecord | None:
        rows = self.db.query(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        return JobRecord.from_row(rows[0]) if rows else None

    def owned(self, job_id: str, kind: str, principal: str) -> JobRecord | None:
        """The job if it is of `kind` and `principal` submitted it; None for anyone else."""
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM jobs WHERE id = ? AND kind = ? AND principal = ?",
            (job_id, kind, principal),
        )
        return JobRecord.from_row(rows[0]) if rows else None

    def claim(self, owner: str, lease_s: float) -> JobRecord | None:
        """Take the oldest queued job (or one whose worker stopped beating) for `owner`."""
        now = time.time()
        rows = self.db.query(self.db.claim_sql(_COLUMNS), (owner, now, now, now - lease_s))
        return JobRecord.from_row(rows[0]) if rows else None

    def heartbeat(self, job_id: str, owner: str) -> bool:
        now = time.time()
        changed = self.db.execute(
            "UPDATE jobs SET heartbeat_at = ? WHERE id = ? AND owner = ? AND status = 'running'",
            (now, job_id, owner),
        )
        return changed == 1

    def finish(
        self,
        job_id: str,
        owner: str,
        status: JobStatus,
        result: dict[str, Any] | None = None,
        message: str | None = None,
        usage: tuple[int, float] = (0, 0.0),
    ) -> bool:
        """Record the outcome, only if `owner` still holds the job (a lost lease loses it).

        `usage` is (tokens, cost in USD) the run spent on the model, summed into the job.
        """
        changed = self.db.execute(
            "UPDATE jobs SET status = ?, result = ?, message = ?, updated_at = ?, "
            "tokens = tokens + ?, cost_usd = cost_usd + ? "
            "WHERE id = ? AND owner = ? AND status = 'running'",
            (status, json.dumps(result) if result is not None else None, message,
             time.time(), usage[0], usage[1], job_id, owner),
        )  # fmt: skip
        return changed == 1

    def requeue(self, job_id: str, payload: dict[str, Any]) -> bool:
        """Queue an interrupted job again with a new payload (its answers); False otherwise.

        Its attempts start again from zero: the last run ended, it did not crash.
        """
        changed = self.db.execute(
            "UPDATE jobs SET status = 'queued', payload = ?, owner = NULL, attempts = 0, "
            "updated_at = ? "
            "WHERE id = ? AND status = 'interrupted'",
            (json.dumps(payload), time.time(), job_id),
        )
        return changed == 1

    def append_event(self, job_id: str, event: Event) -> int:
        """Store the event under the next sequence number; a stage start also sets the stage."""
        gate = event.data.get("gate")
        rows = self.db.query(
            "INSERT INTO job_events (job_id, seq, kind, gate, body, created_at) "
            "SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ? FROM job_events WHERE job_id = ? "
            "RETURNING seq",
            (job_id, event.kind, str(gate) if gate else None, event.model_dump_json(),
             time.time(), job_id),
        )  # fmt: skip
        if event.kind == "stage_start" and event.stage:
            self.db.execute("UPDATE jobs SET stage = ? WHERE id = ?", (event.stage, job_id))
        return int(rows[0][0])

    def events_after(self, job_id: str, seq: int, limit: int = 500) -> list[StoredEvent]:
        rows = self.db.query(
            "SELECT seq, body FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (job_id, seq, limit),
        )
        return [StoredEvent(seq=int(s), event=Event.model_validate_json(b)) for s, b in rows]

    def counts(self) -> dict[tuple[str, str], int]:
        """(kind, status) -> number of jobs, for metrics and queue depth."""
        rows = self.db.query("SELECT kind, status, COUNT(*) FROM jobs GROUP BY kind, status")
        return {(str(k), str(s)): int(n) for k, s, n in rows}

    def model_usage(self) -> tuple[int, float]:
        """Tokens and USD that design jobs spent on the model, over all jobs."""
        rows = self.db.query(
            "SELECT COALESCE(SUM(tokens), 0), COALESCE(SUM(cost_usd), 0) FROM jobs"
        )
        return int(rows[0][0]), float(rows[0][1])

    def gate_failures(self) -> dict[str, int]:
        rows = self.db.query(
            "SELECT gate, COUNT(*) FROM job_events WHERE kind = 'gate_fail' GROUP BY gate"
        )
        return {str(g or "unknown"): int(n) for g, n in rows}
