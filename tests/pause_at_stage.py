"""`dbarch`, stopped at the start of a stage, deterministically, for the kill -9 tests.

The event for the stage's start is delivered first (the CLI prints its progress line, the
service stores it and sets the job's stage), then the process blocks its event loop, so
nothing of the stage runs until the test kills the process. DBARCH_TEST_PAUSE names the
stage for every run, or maps thread ids (design job ids) to stages as JSON.

    python tests/pause_at_stage.py design SPEC --no-input      the CLI
    python tests/pause_at_stage.py serve --port N              the service
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from agent.cli import main
from agent.context import RunContext

_emit = RunContext.emit


def _stage_for(thread_id: object) -> str | None:
    plan = os.environ["DBARCH_TEST_PAUSE"]
    if not plan.startswith("{"):
        return plan
    stage = json.loads(plan).get(str(thread_id))
    return str(stage) if stage else None


def _pausing_emit(
    self: RunContext, kind: str, stage: str | None = None, message: str = "", **data: Any
) -> None:
    _emit(self, kind, stage, message, **data)
    if kind == "run_start":
        self.__dict__["_pause_at"] = _stage_for(data.get("thread_id"))
    elif kind == "stage_start" and stage == self.__dict__.get("_pause_at"):
        threading.Event().wait()  # until SIGKILL


RunContext.emit = _pausing_emit  # type: ignore[method-assign]

if __name__ == "__main__":
    main()
