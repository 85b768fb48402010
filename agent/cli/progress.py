"""Progress lines on stderr: one per stage, gate verdict and retry, so long runs show life."""

from __future__ import annotations

import threading
import time
from typing import TextIO

from agent.events import Event

_MARKS = {
    "stage_start": "..",
    "stage_done": "ok",
    "gate_pass": "ok",
    "gate_fail": "!!",
    "retry": "<>",
    "interrupt": "??",
    "run_done": "==",
    "run_failed": "xx",
    "note": "--",
}


class ProgressPrinter:
    """An event sink that prints one short line per event (no colour codes when piped)."""

    def __init__(self, stream: TextIO, quiet_kinds: frozenset[str] = frozenset({"stage_done"})):
        self.stream = stream
        self.quiet = quiet_kinds
        self.started = time.perf_counter()

    def __call__(self, event: Event) -> None:
        if event.kind in self.quiet:
            return
        if event.kind == "run_start":
            thread = event.data.get("thread_id")
            self.stream.write(f"thread {thread} (continue it with --resume {thread})\n")
            self.stream.flush()
            return
        elapsed = time.perf_counter() - self.started
        stage = f"[{event.stage}] " if event.stage else ""
        text = event.message or event.kind.replace("_", " ")
        if event.kind == "stage_start":
            attempt = event.data.get("attempt", 1)
            text = "running" + (f" (attempt {attempt})" if attempt and attempt != 1 else "")
        mark = _MARKS.get(event.kind, "  ")
        self.stream.write(f"{elapsed:6.1f}s {mark} {stage}{text}\n")
        self.stream.flush()


class StatusLines:
    """Progress of a long step as plain lines, for a log rather than a terminal.

    Quiet for the first `after` seconds (a short review prints nothing), then at most one
    line every `every` seconds, so a review of a large dump in CI shows it is alive.
    """

    def __init__(self, stream: TextIO, after: float = 5.0, every: float = 10.0) -> None:
        self.stream, self.after, self.every = stream, after, every
        self.started = time.perf_counter()
        self.last = self.started + after - every
        self.lock = threading.Lock()

    def __call__(self, message: str) -> None:
        now = time.perf_counter()
        with self.lock:
            if now - self.last < self.every:
                return
            self.last = now
            self.stream.write(f"{now - self.started:6.1f}s {message}\n")
            self.stream.flush()
