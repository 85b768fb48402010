"""The job worker: a thread per worker slot that claims jobs from the shared table and runs them.

Runs happen on the worker's own event loop, away from the HTTP loop, so a long design run
(PostgreSQL gates, data loads) never delays a request. While a job runs, a heartbeat keeps
its lease; a process that dies stops beating and another process claims the job again.
A job claimed more than `job_max_attempts` times never finished any of them: it may be what
kills its worker, so it is failed instead of being run again (and again, after each restart).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import uuid
from collections.abc import Awaitable, Callable

from agent.events import Event
from agent.service import eval_jobs
from agent.service.design import jobs as design_jobs
from agent.service.state import ServiceState
from agent.service.stores import JobRecord

log = logging.getLogger(__name__)
Runner = Callable[[JobRecord, ServiceState, str], Awaitable[None]]


async def _run_design(job: JobRecord, state: ServiceState, owner: str) -> None:
    await design_jobs.run_job(job, state.jobs, state.settings, owner)


async def _run_eval(job: JobRecord, state: ServiceState, owner: str) -> None:
    await eval_jobs.run_job(job, state.jobs, state.settings, owner)


RUNNERS: dict[str, Runner] = {design_jobs.KIND: _run_design, eval_jobs.KIND: _run_eval}


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(self, state: ServiceState, runners: dict[str, Runner] | None = None) -> None:
        self.state = state
        self.runners = runners or RUNNERS
        self.name = worker_name()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"dbarch-worker-{self.name}")
        self._thread.daemon = True  # a run in progress must not keep a stopping server alive

    def start(self) -> Worker:
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Ask the loop to stop and wait a little; an unfinished job's lease simply runs out."""
        self._stop.set()
        self.state.job_submitted.set()
        self._thread.join(timeout_s)

    def _loop(self) -> None:
        settings = self.state.settings
        while not self._stop.is_set():
            job = self.state.jobs.claim(self.name, settings.job_lease_s)
            if job is None:
                self.state.job_submitted.wait(settings.worker_poll_s)
                self.state.job_submitted.clear()
                continue
            self.run(job)

    def run(self, job: JobRecord) -> None:
        """Run one claimed job to its end, beating its lease meanwhile."""
        if job.attempts > self.state.settings.job_max_attempts:
            self._give_up(job)
            return
        done = threading.Event()
        beat = threading.Thread(target=self._beat, args=(job.id, done), daemon=True)
        beat.start()
        try:
            asyncio.run(self._dispatch(job))
        except Exception as exc:  # a bug in a run: fail that job loudly, keep serving others
            log.exception("job %s crashed", job.id)
            message = f"internal error: {type(exc).__name__}: {exc}"
            self.state.jobs.append_event(job.id, Event(kind="run_failed", message=message))
            self.state.jobs.finish(job.id, self.name, "failed", None, message)
        finally:
            done.set()
            beat.join()

    def _give_up(self, job: JobRecord) -> None:
        tries = job.attempts - 1
        message = (
            f"gave up after {tries} attempts: each time, the worker running this job stopped "
            "before it finished (the server process died or was killed; the job's input may "
            "crash it)"
        )
        log.error("job %s: %s", job.id, message)
        self.state.jobs.append_event(job.id, Event(kind="run_failed", message=message))
        self.state.jobs.finish(job.id, self.name, "failed", None, message)

    async def _dispatch(self, job: JobRecord) -> None:
        runner = self.runners.get(job.kind)
        if runner is None:
            raise LookupError(f"no runner for job kind {job.kind!r}")
        await runner(job, self.state, self.name)

    def _beat(self, job_id: str, done: threading.Event) -> None:
        interval = max(0.05, self.state.settings.job_lease_s / 3)
        while not done.wait(interval):
            if not self.state.jobs.heartbeat(job_id, self.name):
                log.warning("job %s: lease lost (another worker may have claimed it)", job_id)
                return
