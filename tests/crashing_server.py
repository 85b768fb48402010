"""A real server process whose design runs abort the whole process midway, as a segfault in
native code (a parser, a driver) would: `python tests/crashing_server.py PORT`.

Settings come from the environment (DBARCH_HOME, DATABASE_URL...), as for `dbarch serve`.
The run really starts (`run_start` is stored); at its next event, whichever it is (a stage
starting, or the end of a run resumed from its checkpoint), `os.abort()` kills the process
with SIGABRT before that event is stored, leaving the job claimed and running in the shared
job table, exactly what a crash leaves behind.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import uvicorn

from agent.context import RunContext
from agent.engine import RunOutcome
from agent.events import Event
from agent.service.app import create_app
from agent.service.config import ServiceSettings
from agent.service.design import jobs as design_jobs

_real_run_design = design_jobs.run_design


async def _crashing_run_design(request: Any, ctx: RunContext, **options: Any) -> RunOutcome:
    stored = ctx.sink

    def sink(event: Event) -> None:
        if event.kind != "run_start":
            os.abort()
        stored(event)

    ctx.sink = sink
    return await _real_run_design(request, ctx, **options)


def main() -> None:
    design_jobs.run_design = _crashing_run_design
    app = create_app(ServiceSettings())
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")


if __name__ == "__main__":
    main()
