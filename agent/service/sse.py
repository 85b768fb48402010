"""A job's events as Server-Sent Events: replayed from the shared store, then followed live.

Reading only from the store (never from the process that runs the job) is what lets a
client connect late, or to another server process, and still see every event in order.
A stream ends after `sse_max_s` even if the job goes on: the client reconnects with
Last-Event-ID (browsers do it by themselves) and nothing is lost.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from anyio import to_thread
from fastapi import Depends, Header, Query
from sse_starlette import EventSourceResponse

from agent.service.errors import InvalidField
from agent.service.stores import TERMINAL, JobStore

PING_S = 15
MAX_SEQ = 2**63 - 1  # event numbers are BIGINTs in the store


async def resume_point(
    after: Annotated[
        int, Query(ge=0, le=MAX_SEQ, description="Replay events after this sequence number")
    ] = 0,
    last_event_id: Annotated[
        str | None,
        Header(
            description="The id of the last event received (sent by reconnecting clients); "
            "wins over `after`.",
            pattern=r"^[0-9]{1,19}$",
        ),
    ] = None,
) -> int:
    """Where to resume: the Last-Event-ID header a reconnecting client sends, else `after`.
    (Async so that FastAPI does not run it in a worker thread; see `auth.principal`.)"""
    if last_event_id is None:
        return after
    seq = int(last_event_id)
    if seq > MAX_SEQ:
        raise InvalidField("header.last-event-id", f"must be at most {MAX_SEQ}")
    return seq


ResumePoint = Annotated[int, Depends(resume_point)]


def job_events(
    jobs: JobStore, job_id: str, seq: int, poll_s: float, max_s: float
) -> EventSourceResponse:
    return EventSourceResponse(follow(jobs, job_id, seq, poll_s, max_s), ping=PING_S)


async def follow(
    jobs: JobStore, job_id: str, seq: int, poll_s: float, max_s: float
) -> AsyncIterator[dict[str, str]]:
    """Every event after `seq`, then poll; ends with an `end` event once the job stops, or
    without one after `max_s` seconds."""
    deadline = time.monotonic() + max_s
    while time.monotonic() < deadline:
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
