"""A job's events as Server-Sent Events: replayed from the shared store, then followed live.

Reading only from the store (never from the process that runs the job) is what lets a
client connect late, or to another server process, and still see every event in order.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from anyio import to_thread
from fastapi import Depends, Header, Query
from sse_starlette import EventSourceResponse

from agent.service.jobs_store import TERMINAL, JobStore

PING_S = 15


def resume_point(
    after: Annotated[int, Query(ge=0, description="Replay events after this sequence")] = 0,
    last_event_id: Annotated[str | None, Header()] = None,
) -> int:
    """Where to resume: the Last-Event-ID header a reconnecting client sends, else `after`."""
    return int(last_event_id) if last_event_id and last_event_id.isdigit() else after


ResumePoint = Annotated[int, Depends(resume_point)]


def job_events(jobs: JobStore, job_id: str, seq: int, poll_s: float) -> EventSourceResponse:
    return EventSourceResponse(follow(jobs, job_id, seq, poll_s), ping=PING_S)


async def follow(
    jobs: JobStore, job_id: str, seq: int, poll_s: float
) -> AsyncIterator[dict[str, str]]:
    """Every event after `seq`, then poll; ends with an `end` event once the job stops."""
    while True:
        batch = await to_thread.run_sync(jobs.events_after, job_id, seq)
        for stored in batch:
            seq = stored.seq
            data = {"seq": stored.seq, **stored.event.model_dump(mode="json")}
            yield {"event": stored.event.kind, "id": str(stored.seq), "data": json.dumps(data)}
        if batch:
            continue
        job = await to_thread.run_sync(jobs.get, job_id)
        if job is None or job.status in TERMINAL:
            if await to_thread.run_sync(jobs.events_after, job_id, seq):
                continue  # events written between our read and the status change
            status = job.status if job else "gone"
            yield {"event": "end", "data": json.dumps({"status": status, "seq": seq})}
            return
        await asyncio.sleep(poll_s)
