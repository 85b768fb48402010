"""The Message Batches routes of the scripted server: create, retrieve, results as JSONL.

Each request of a batch is answered at creation by the server's script (the same replies
or handler `POST /v1/messages` uses), but the batch reports `in_progress` for the first
`polls` retrieves, so a client has to poll, and can be killed and come back while it waits.
Batches live as long as the server, which is what lets a new client process resume one.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

Answer = Callable[[dict[str, Any]], dict[str, Any]]  # params -> a result object


@dataclass
class FakeBatch:
    id: str
    results: list[dict[str, Any]]
    polls_left: int
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended_at: datetime | None = None
    retrieved: int = 0

    @property
    def custom_ids(self) -> list[str]:
        return [str(r["custom_id"]) for r in self.results]

    def body(self, base_url: str) -> dict[str, Any]:
        ended = self.ended_at is not None
        kinds = [r["result"]["type"] for r in self.results]
        counts = {k: kinds.count(k) if ended else 0 for k in
                  ("succeeded", "errored", "canceled", "expired")}  # fmt: skip
        counts["processing"] = 0 if ended else len(kinds)
        return {
            "id": self.id,
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": counts,
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.created_at + timedelta(hours=24)),
            "ended_at": _iso(self.ended_at) if self.ended_at else None,
            "archived_at": None,
            "cancel_initiated_at": None,
            "results_url": f"{base_url}/v1/messages/batches/{self.id}/results" if ended else None,
        }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class BatchStore:
    """Thread-safe: the HTTP server answers each connection on its own thread."""

    def __init__(self, polls: int = 1) -> None:
        self.polls = polls
        self.batches: dict[str, FakeBatch] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def create(self, requests: list[dict[str, Any]], answer: Answer) -> FakeBatch:
        results = [{"custom_id": r["custom_id"], "result": answer(r["params"])} for r in requests]
        with self._lock:
            batch = FakeBatch(f"msgbatch_{next(self._ids):06d}", results, self.polls)
            if batch.polls_left <= 0:
                batch.ended_at = datetime.now(UTC)
            self.batches[batch.id] = batch
        return batch

    def retrieve(self, batch_id: str) -> FakeBatch | None:
        with self._lock:
            batch = self.batches.get(batch_id)
            if batch is None:
                return None
            batch.retrieved += 1
            if batch.ended_at is None:
                batch.polls_left -= 1
                if batch.polls_left < 0:
                    batch.ended_at = datetime.now(UTC)
            return batch

    def results(self, batch_id: str) -> str | None:
        """The JSONL body, or None while the batch has not ended (or does not exist)."""
        with self._lock:
            batch = self.batches.get(batch_id)
            if batch is None or batch.ended_at is None:
                return None
            return "".join(json.dumps(r) + "\n" for r in batch.results)


def batch_get(path: str, store: BatchStore, base_url: str) -> tuple[int, dict[str, Any] | str]:
    """GET /v1/messages/batches/{id} (the batch) and .../{id}/results (JSONL text)."""
    parts = path.split("?")[0].strip("/").split("/")
    if parts[:3] != ["v1", "messages", "batches"] or len(parts) not in (4, 5):
        return 404, _not_found("no such route")
    if len(parts) == 4:
        batch = store.retrieve(parts[3])
        return (200, batch.body(base_url)) if batch else (404, _not_found("no such batch"))
    lines = store.results(parts[3])
    return (200, lines) if lines is not None else (404, _not_found("no results yet"))


def _not_found(message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": "not_found_error", "message": message}}
