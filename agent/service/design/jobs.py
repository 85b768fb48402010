"""Design runs as jobs: queue one, run a claimed one through the engine, read one back.

The job id is the run's LangGraph thread id, so a job claimed again after its worker died
continues from the last checkpoint instead of starting over, and answers resume the same
thread. Every engine event is appended to the job's event log as it happens.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pydantic import BaseModel, Field

from agent.brains.factory import make_brain
from agent.context import RunContext
from agent.engine import RunOutcome, run_design
from agent.events import Event
from agent.service.config import ServiceSettings
from agent.service.errors import Conflict, InvalidField, NotFound
from agent.service.stores import JobRecord, JobStore
from agent.state import DesignRequest
from tools.errors import ArchitectError

log = logging.getLogger(__name__)
KIND = "design"


class DesignPayload(BaseModel):
    """What a worker needs to run (or resume) the job; stored as the job's payload."""

    request: DesignRequest
    brain: str
    answers: dict[str, Any] | None = None


class DesignView(BaseModel):
    """GET /v1/designs/{id}: where the run is, and its package or questions when it has them."""

    id: str
    status: str
    stage: str | None = None
    brain: str
    mode: str
    message: str | None = None
    questions: list[dict[str, Any]] = Field(default_factory=list)
    package: dict[str, Any] | None = None
    created_at: float
    updated_at: float
    events: str


def submit(
    jobs: JobStore, request: DesignRequest, brain: str, settings: ServiceSettings, principal: str
) -> str:
    """Queue the run for `principal`, the only caller that will see it."""
    if brain == "anthropic" and not settings.has_model:
        raise InvalidField(
            "body.brain",
            "the anthropic brain needs ANTHROPIC_API_KEY or ANTHROPIC_BASE_URL on the server; "
            "use brain 'rules' (no model needed)",
        )
    job_id = uuid.uuid4().hex
    payload = DesignPayload(request=request, brain=brain).model_dump(mode="json")
    jobs.submit(job_id, KIND, payload, principal)
    return job_id


def get(jobs: JobStore, job_id: str, principal: str) -> JobRecord:
    """The run, if `principal` queued it: anyone else gets the same 404 as for no run."""
    job = jobs.owned(job_id, KIND, principal)
    if job is None:
        raise NotFound(f"no design run with id {job_id!r}")
    return job


def view(job: JobRecord) -> DesignView:
    payload = DesignPayload.model_validate(job.payload)
    result = job.result or {}
    return DesignView(
        id=job.id,
        status=job.status,
        stage=job.stage,
        brain=payload.brain,
        mode=payload.request.mode,
        message=job.message,
        questions=result.get("questions", []) if job.status == "interrupted" else [],
        package=result.get("package") if job.status == "done" else None,
        created_at=job.created_at,
        updated_at=job.updated_at,
        events=f"/v1/designs/{job.id}/events",
    )


def answer(jobs: JobStore, job_id: str, answers: dict[str, Any], principal: str) -> None:
    """Queue an interrupted run again with the caller's answers."""
    job = get(jobs, job_id, principal)
    payload = DesignPayload.model_validate(job.payload)
    payload.answers = answers
    if not jobs.requeue(job_id, payload.model_dump(mode="json")):
        raise Conflict(f"design run {job_id} is {job.status}, not waiting for answers")


async def run_job(job: JobRecord, jobs: JobStore, settings: ServiceSettings, owner: str) -> None:
    """Drive the engine for one claimed job and record how it ended."""
    payload = DesignPayload.model_validate(job.payload)

    def sink(event: Event) -> None:
        jobs.append_event(job.id, event)

    try:
        ctx = RunContext(brain=make_brain(payload.brain, settings), settings=settings, sink=sink)
        outcome = await run_design(payload.request, ctx, thread_id=job.id, answers=payload.answers)
    except ArchitectError as exc:
        message = f"{type(exc).__name__}: {exc}"
        sink(Event(kind="run_failed", message=message))
        jobs.finish(job.id, owner, "failed", {"error": exc.to_dict()}, message)
        return
    _record(outcome, jobs, job.id, owner)


def _record(outcome: RunOutcome, jobs: JobStore, job_id: str, owner: str) -> None:
    if outcome.status == "done" and outcome.package is not None:
        usage = outcome.package.usage
        result: dict[str, Any] = {"package": outcome.package.model_dump(mode="json", by_alias=True)}
        spent = (usage.input_tokens + usage.output_tokens, usage.cost_usd)
        kept = jobs.finish(job_id, owner, "done", result, outcome.message, spent)
    elif outcome.status == "interrupted":
        result = {"questions": outcome.questions}
        kept = jobs.finish(job_id, owner, "interrupted", result, outcome.message)
    else:
        kept = jobs.finish(job_id, owner, "failed", None, outcome.message or "the run failed")
    if not kept:
        log.warning("design job %s: lease lost before its outcome was recorded", job_id)
