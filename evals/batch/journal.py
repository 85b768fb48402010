"""Which batch holds which call of an eval run: a JSON-lines file under the home folder.

A run is known by its key (the model and every case's request), so running the same suite
again after a crash finds the same journal. Each line is one batch: its id and the calls
in it (`custom_id` -> digest of the request), written right after the batch is created and
before anything waits on it. A finished run's journal is renamed aside, so the next run of
the same suite asks the model afresh instead of replaying old answers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def run_key(model: str, requests: Iterable[tuple[str, str]]) -> str:
    """From the model and (case id, request JSON) of every case, in order."""
    return digest([model, list(requests)])[:20]


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.calls: dict[str, tuple[str, str]] = {}  # custom_id -> (batch id, digest)
        self.batches: list[str] = []
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    self._take(json.loads(line))
        self.resumed = bool(self.batches)

    def _take(self, entry: dict[str, Any]) -> None:
        batch = str(entry["batch"])
        self.batches.append(batch)
        for custom_id, request_digest in entry["requests"].items():
            self.calls[custom_id] = (batch, request_digest)

    def stored(self, custom_id: str, request_digest: str) -> str | None:
        """The batch that already holds this very call, if any."""
        found = self.calls.get(custom_id)
        return found[0] if found and found[1] == request_digest else None

    def add(self, batch: str, requests: dict[str, str]) -> None:
        entry = {"batch": batch, "requests": requests}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")
            handle.flush()
        self._take(entry)

    def finish(self) -> Path | None:
        """Move the journal aside once the run completed; returns where it went."""
        if not self.path.is_file():
            return None
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        done = self.path.with_name(f"{self.path.stem}.{stamp}.done.jsonl")
        self.path.rename(done)
        return done
