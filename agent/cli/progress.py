"""Progress lines on stderr: one per stage, gate verdict and retry, so long runs show life."""

from __future__ import annotations

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
